-- The audit trail: one row per change, written in the change's own transaction. Never updated;
-- pruned by age when a retention is set. `actor_key` is the actor's JSON with its texts
-- lower-cased, which `$filter=actor/...` reads with json_extract (below).
CREATE TABLE audit_events (
    tenant_id           TEXT COLLATE "C" NOT NULL,
    id                  TEXT COLLATE "C" NOT NULL,
    version             BIGINT  NOT NULL,
    display_name        TEXT COLLATE "C" NOT NULL,
    component_name      TEXT COLLATE "C" NOT NULL,
    actor               TEXT COLLATE "C",
    actor_key           TEXT COLLATE "C",
    activity            TEXT COLLATE "C" NOT NULL,
    activity_at         TEXT COLLATE "C" NOT NULL,
    activity_type       TEXT COLLATE "C" NOT NULL,
    activity_type_key   TEXT COLLATE "C" NOT NULL,
    operation_type      TEXT COLLATE "C" NOT NULL,
    result              TEXT COLLATE "C" NOT NULL,
    correlation_id      TEXT COLLATE "C" NOT NULL,
    resources           TEXT COLLATE "C" NOT NULL,
    category            TEXT COLLATE "C" NOT NULL,
    category_key        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Lists by time (the usual `$orderby=activityDateTime desc` and date ranges), and the pruning of
-- each tenant's oldest events. Filters on category, activityType and the actor read the rows of
-- the tenant (within a date range, when one is given).
CREATE INDEX audit_events_at ON audit_events (tenant_id, activity_at, id);

-- SQLite's json_extract(document, '$.name') for the one form the query compiler writes (a
-- property of a JSON object, as text), so that `$filter=actor/...` compiles to the same SQL on
-- both databases. NULL for a missing property or a JSON null, as in SQLite.
CREATE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT CAST(doc AS jsonb) #>> string_to_array(substr(path, 3), '.') $$;
