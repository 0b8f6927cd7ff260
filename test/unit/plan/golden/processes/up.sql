-- note: consumer process Enriched consumer (consumer:Enriched) removed

-- kafka: {"createTopic":{"topic":"Archive","partitions":1,"config":{"retention.ms":"604800000"}}}

-- kafka: {"createTopic":{"topic":"Failures","partitions":1,"config":{"retention.ms":"604800000"}}}

-- note: transform process Enriched -> Archive @2 (transform:Enriched->Archive@2) added

-- note: transform process UserEvents -> Enriched (transform:UserEvents->Enriched) updated: code aaaaaaaa → bbbbbbbb, dead-letter queue none → Failures
