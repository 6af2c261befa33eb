-- Incidents (analytics/incident.h): one row per incident with its latest document (the
-- contract shape of GET /v1/analytics/incidents/{id}) and the engine's state to take an open
-- one back after a restart; its nodes with the revision each joined at; and one snapshot per
-- revision (nodes and ranked causes as they were), so an incident's history is never
-- rewritten. Times are the data's clock.
CREATE TABLE incident (
    id          bigint      PRIMARY KEY,
    state       text        NOT NULL CHECK (state IN ('open', 'resolved')),
    opened_at   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    resolved_at timestamptz,
    merged_into bigint,
    revision    integer     NOT NULL,
    doc         jsonb       NOT NULL,
    engine      jsonb       NOT NULL,
    CHECK ((state = 'open') = (resolved_at IS NULL))
);
CREATE INDEX incident_open ON incident (id) WHERE state = 'open';
CREATE INDEX incident_opened ON incident (opened_at);

CREATE TABLE incident_node (
    incident_id bigint      NOT NULL REFERENCES incident (id),
    node_id     text        NOT NULL,
    joined_at   timestamptz NOT NULL,
    joined_rev  integer     NOT NULL,
    PRIMARY KEY (incident_id, node_id)
);
-- "which incidents did this node take part in"
CREATE INDEX incident_node_node ON incident_node (node_id);

CREATE TABLE incident_revision (
    incident_id bigint      NOT NULL REFERENCES incident (id),
    revision    integer     NOT NULL,
    change      text        NOT NULL CHECK (change IN ('opened', 'updated', 'resolved')),
    at          timestamptz NOT NULL,
    state       text        NOT NULL,
    nodes       jsonb       NOT NULL,
    causes      jsonb       NOT NULL,
    PRIMARY KEY (incident_id, revision)
);
