-- Attributes are stored as json (the text as written), not jsonb: every version row is written
-- once and read back whole, never searched by an index on its attributes, and json's input is
-- a validation pass where jsonb's is a conversion (a 100k-server import writes ~190 MB of
-- node attributes: a third of the node table's COPY time). The ->> filters work on both.
ALTER TABLE node_version ALTER COLUMN attrs TYPE json USING attrs::json;
ALTER TABLE edge_version ALTER COLUMN attrs TYPE json USING attrs::json;
