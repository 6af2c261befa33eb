-- Per-minute telemetry rollups: one row per node, metric[/series] and minute, written once when
-- the minute is closed (INSERT ... ON CONFLICT DO NOTHING: a replayed minute changes nothing),
-- in daily partitions (telemetry_rollup_pYYYYMMDD, created on demand) that retention drops whole.
CREATE TABLE telemetry_rollup (
    node_id text             NOT NULL,
    metric  text             NOT NULL,
    minute  timestamptz      NOT NULL,
    unit    text             NOT NULL DEFAULT '',
    count   bigint           NOT NULL,
    min     double precision NOT NULL,
    max     double precision NOT NULL,
    sum     double precision NOT NULL,
    PRIMARY KEY (node_id, metric, minute)
) PARTITION BY RANGE (minute);
