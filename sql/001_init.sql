-- Landscape schema 1: versioned nodes and edges, and the change log.
-- A revision's operations are not stored twice: they are the versions it opened (rev_from)
-- and closed (rev_to); a version closed and replaced in the same revision is an update.
-- At most one version per id is current: the store writes only what the live graph resolved,
-- so no unique index is paid for on every insert; (id, valid_from) serves every lookup.
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
CREATE INDEX node_version_id_from ON node_version (id, valid_from);
CREATE INDEX node_version_to ON node_version (valid_to) WHERE valid_to IS NOT NULL;
-- the change log's operations are read back from the versions a revision made or closed
CREATE INDEX node_version_rev_from ON node_version (rev_from);
CREATE INDEX node_version_rev_to ON node_version (rev_to) WHERE rev_to IS NOT NULL;

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
CREATE INDEX edge_version_src_from ON edge_version (src, valid_from);
CREATE INDEX edge_version_dst_from ON edge_version (dst, valid_from);
CREATE INDEX edge_version_to ON edge_version (valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX edge_version_rev_from ON edge_version (rev_from);
CREATE INDEX edge_version_rev_to ON edge_version (rev_to) WHERE rev_to IS NOT NULL;

CREATE TABLE change_log (
    revision     bigint      PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now(),
    event_time   timestamptz NOT NULL,
    origin       text        NOT NULL,
    n_ops        integer     NOT NULL
);
