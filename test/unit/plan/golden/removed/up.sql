-- note: workflow w removed

-- note: API /api/metrics removed

-- kafka: {"deleteTopic":{"topic":"Events"}}

DROP VIEW IF EXISTS V;

DROP TABLE IF EXISTS Users;
