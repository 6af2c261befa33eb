-- Indexes a bulk load dropped, built after the load's commit (sql/store.c): the load's rows are
-- durable and visible at once, and the index builds (seconds for the first import of a large
-- cloud) follow in a transaction of their own, which removes each row with its index. A row
-- still here when the store opens is a build that did not finish: it is run then.
CREATE TABLE pending_index (
    def text PRIMARY KEY -- CREATE INDEX statement (pg_get_indexdef)
);
