-- temporal: {"deleteSchedule":{"workflow":"deprecated_process"}}

-- note: workflow deprecated_process removed

CREATE TABLE IF NOT EXISTS analytics_table
(
    id String,
    value Float64,
    ts DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (id);

ALTER TABLE users_table ADD COLUMN IF NOT EXISTS age Float64 AFTER email;

-- kafka: {"alterTopicConfig":{"topic":"events_topic","set":{"retention.ms":"60000"},"reset":[]}}

-- kafka: {"createTopic":{"topic":"metrics_topic","partitions":3,"config":{"retention.ms":"30000"}}}

-- note: API /api/v2/metrics added
