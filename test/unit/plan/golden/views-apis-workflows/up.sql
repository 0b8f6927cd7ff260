-- note: API /api/legacy removed

DROP VIEW IF EXISTS Old;

DROP VIEW IF EXISTS UsersDaily;

CREATE OR REPLACE VIEW Active AS
SELECT * FROM Users WHERE name != '' AND email != '';

CREATE MATERIALIZED VIEW IF NOT EXISTS UsersDaily TO Daily AS
SELECT toDate(now()) AS day, count() AS n FROM Users;

CREATE VIEW IF NOT EXISTS ActiveCount AS
SELECT count() FROM Active;

-- kafka: {"addPartitions":{"topic":"Users","from":1,"count":4}}

-- note: message schema of topic Users changed: consumers must read the new shape

-- note: ingest API /ingest/Users updated

-- note: API /api/users updated

-- note: workflow nightly updated

-- temporal: {"updateSchedule":{"workflow":"nightly","schedule":"@hourly","retries":3}}
