DROP VIEW IF EXISTS UsersToCounts;

DROP TABLE IF EXISTS Users__moose_new;

CREATE TABLE IF NOT EXISTS Users__moose_new
(
    id String,
    name String,
    email String,
    created DateTime('UTC')
)
ENGINE = MergeTree
PARTITION BY substring(id, 1, 1)
ORDER BY (id, email)
TTL created + INTERVAL 1 YEAR;

INSERT INTO Users__moose_new (id, name, email, created) SELECT id, name, email, created FROM Users;

EXCHANGE TABLES Users AND Users__moose_new;

DROP TABLE IF EXISTS Users__moose_new;

CREATE MATERIALIZED VIEW IF NOT EXISTS UsersToCounts TO Counts AS
SELECT id, count() AS n FROM Users GROUP BY id;
