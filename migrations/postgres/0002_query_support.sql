-- Support for OData queries executed in the database; the same meaning as
-- migrations/sqlite/0002_query_support.sql.
--
-- role_scope_tag_keys: the lower-cased role scope tags as a JSON array (text; the query compiler
-- casts it to jsonb), computed by the service like the other *_key columns, so that
-- roleScopeTagIds/any(t: ...) folds case exactly as SQLite does. It starts out NULL for existing
-- rows; the service fills it in when it opens the database. PostgreSQL keeps large values out of
-- line (TOAST), so the column's position does not matter here.
ALTER TABLE enrollment_profiles ADD COLUMN role_scope_tag_keys TEXT COLLATE "C";

-- Every index leads with tenant_id and ends with id, the tie-break of every order.
CREATE INDEX enrollment_profiles_enrollment_mode
    ON enrollment_profiles (tenant_id, enrollment_mode, id);
CREATE INDEX enrollment_profiles_token_expiration
    ON enrollment_profiles (tenant_id, token_expires_at, id);
