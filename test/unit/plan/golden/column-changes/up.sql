ALTER TABLE Users DROP COLUMN IF EXISTS email;

ALTER TABLE Users MODIFY COLUMN IF EXISTS name String DEFAULT 'anonymous';

ALTER TABLE Users ADD COLUMN IF NOT EXISTS contact String AFTER name;

-- check: every age converts to Int32
ALTER TABLE Users MODIFY COLUMN IF EXISTS age Int32;

-- check: every score converts to Int32
ALTER TABLE Users MODIFY COLUMN IF EXISTS score Int32 DEFAULT defaultValueOfTypeName('Int32');

ALTER TABLE Users MODIFY COLUMN IF EXISTS score REMOVE DEFAULT;

ALTER TABLE Users ADD COLUMN IF NOT EXISTS tags Array(LowCardinality(String)) AFTER score;

ALTER TABLE Users ADD COLUMN IF NOT EXISTS country LowCardinality(Nullable(String)) AFTER tags;

ALTER TABLE Users ADD COLUMN IF NOT EXISTS signup DateTime('UTC') DEFAULT now() AFTER country;
