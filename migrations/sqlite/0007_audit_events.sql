-- The audit trail: one row per change, written in the change's own transaction. Never updated;
-- pruned by age when a retention is set. `actor_key` is the actor's JSON with its texts
-- lower-cased, which `$filter=actor/...` reads with json_extract.
CREATE TABLE audit_events (
    tenant_id           TEXT    NOT NULL,
    id                  TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    display_name        TEXT    NOT NULL,
    component_name      TEXT    NOT NULL,
    actor               TEXT,
    actor_key           TEXT,
    activity            TEXT    NOT NULL,
    activity_at         TEXT    NOT NULL,
    activity_type       TEXT    NOT NULL,
    activity_type_key   TEXT    NOT NULL,
    operation_type      TEXT    NOT NULL,
    result              TEXT    NOT NULL,
    correlation_id      TEXT    NOT NULL,
    resources           TEXT    NOT NULL,
    category            TEXT    NOT NULL,
    category_key        TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Lists by time (the usual `$orderby=activityDateTime desc` and date ranges), and the pruning of
-- each tenant's oldest events. Filters on category, activityType and the actor read the rows of
-- the tenant (within a date range, when one is given).
CREATE INDEX audit_events_at ON audit_events (tenant_id, activity_at, id);
