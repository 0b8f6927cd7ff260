CREATE TABLE IF NOT EXISTS `we\`ird'\\name`
(
    `id\`; DROP TABLE x; --` String,
    `it's` String COMMENT 'a \'quoted\' \\ comment'
)
ENGINE = MergeTree
ORDER BY (`id\`; DROP TABLE x; --`);

-- kafka: {"createTopic":{"topic":"topic`'\\","partitions":1,"config":{"retention.ms":"30000"}}}
