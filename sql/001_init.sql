-- Landscape schema 1: versioned nodes and edges, and the change log.
-- Every version is a row alive for [valid_from, valid_to) (valid_to NULL while current) and
-- for revisions [rev_from, rev_to). Deletion closes the range; nothing is rewritten.

CREATE TABLE node_version (
    id          text        NOT NULL,
    layer       text        NOT NULL,
    type        text        NOT NULL,
    name        text        NOT NULL,
    state       text        NOT NULL,
    attrs       jsonb       NOT NULL,
    source      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    rev_from    bigint      NOT NULL,
    rev_to      bigint,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX node_version_current ON node_version (id) WHERE valid_to IS NULL;
CREATE INDEX node_version_id_from ON node_version (id, valid_from);
CREATE INDEX node_version_validity ON node_version USING gist (tstzrange(valid_from, valid_to));

CREATE TABLE edge_version (
    src         text             NOT NULL,
    type        text             NOT NULL,
    dst         text             NOT NULL,
    attrs       jsonb            NOT NULL,
    esource     text             NOT NULL,
    owner       text             NOT NULL,
    weight      double precision NOT NULL,
    created_at  timestamptz      NOT NULL,
    valid_from  timestamptz      NOT NULL,
    valid_to    timestamptz,
    rev_from    bigint           NOT NULL,
    rev_to      bigint,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX edge_version_current ON edge_version (src, type, dst) WHERE valid_to IS NULL;
CREATE INDEX edge_version_src_from ON edge_version (src, valid_from);
CREATE INDEX edge_version_dst_from ON edge_version (dst, valid_from);
CREATE INDEX edge_version_validity ON edge_version USING gist (tstzrange(valid_from, valid_to));

CREATE TABLE change_log (
    revision     bigint      PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now(),
    event_time   timestamptz NOT NULL,
    origin       text        NOT NULL,
    n_ops        integer     NOT NULL
);

CREATE TABLE change_op (
    revision bigint  NOT NULL REFERENCES change_log (revision) ON DELETE CASCADE,
    seq      integer NOT NULL,
    op       text    NOT NULL,  -- put | delete
    kind     text    NOT NULL,  -- node | edge
    key      text    NOT NULL,  -- node id or edge key "src|type|dst"
    type     text    NOT NULL,  -- node type, or edge type
    layer    text,              -- node layer (NULL for edges)
    PRIMARY KEY (revision, seq)
);
