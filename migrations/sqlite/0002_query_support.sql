-- Support for OData queries executed in the database.
--
-- 1. role_scope_tag_keys: the lower-cased role scope tags as a JSON array, computed by the service
--    (like the other *_key columns), so that roleScopeTagIds/any(t: ...) compares
--    case-insensitively with the same folding on every backend. SQLite's lower() folds ASCII only,
--    so the column starts out NULL here and the service fills it in when it opens the database.
--    The table is rebuilt (SQLite's documented way to add a column in the middle) to keep the
--    large QR columns last.
-- 2. Indexes for the common filters and sort orders; every one leads with tenant_id and ends with
--    id, the tie-break of every order, so keyset pages are index range scans in both directions.
CREATE TABLE enrollment_profiles_new (
    tenant_id                   TEXT    NOT NULL,
    id                          TEXT    NOT NULL,
    version                     INTEGER NOT NULL,
    display_name                TEXT    NOT NULL,
    display_name_key            TEXT    NOT NULL,
    description                 TEXT,
    description_key             TEXT,
    enrollment_mode             INTEGER NOT NULL CHECK (enrollment_mode BETWEEN 0 AND 4),
    enrollment_token_type       INTEGER NOT NULL CHECK (enrollment_token_type BETWEEN 0 AND 2),
    created_at                  TEXT    NOT NULL,
    last_modified_at            TEXT    NOT NULL,
    token_value                 TEXT,
    token_created_at            TEXT    NOT NULL,
    token_expires_at            TEXT    NOT NULL,
    enrolled_device_count       INTEGER NOT NULL DEFAULT 0 CHECK (enrolled_device_count >= 0),
    token_usage_count           INTEGER NOT NULL DEFAULT 0
                                CHECK (token_usage_count BETWEEN 0 AND 20000),
    role_scope_tag_ids          TEXT    NOT NULL,
    role_scope_tag_keys         TEXT,
    configure_wifi              INTEGER NOT NULL,
    wifi_ssid                   TEXT,
    wifi_ssid_key               TEXT,
    wifi_password               TEXT,
    wifi_security_type          INTEGER NOT NULL CHECK (wifi_security_type BETWEEN 0 AND 2),
    wifi_hidden                 INTEGER NOT NULL,
    is_teams_device_profile     INTEGER NOT NULL,
    device_name_template        TEXT,
    membership_target_type      INTEGER,
    membership_target_id        TEXT,
    qr_code_content             TEXT,
    qr_code_png                 BLOB,
    PRIMARY KEY (tenant_id, id)
);

INSERT INTO enrollment_profiles_new (
    tenant_id, id, version, display_name, display_name_key, description, description_key,
    enrollment_mode, enrollment_token_type, created_at, last_modified_at, token_value,
    token_created_at, token_expires_at, enrolled_device_count, token_usage_count,
    role_scope_tag_ids, role_scope_tag_keys, configure_wifi, wifi_ssid, wifi_ssid_key,
    wifi_password, wifi_security_type, wifi_hidden, is_teams_device_profile,
    device_name_template, membership_target_type, membership_target_id, qr_code_content,
    qr_code_png)
SELECT
    tenant_id, id, version, display_name, display_name_key, description, description_key,
    enrollment_mode, enrollment_token_type, created_at, last_modified_at, token_value,
    token_created_at, token_expires_at, enrolled_device_count, token_usage_count,
    role_scope_tag_ids, NULL, configure_wifi, wifi_ssid, wifi_ssid_key,
    wifi_password, wifi_security_type, wifi_hidden, is_teams_device_profile,
    device_name_template, membership_target_type, membership_target_id, qr_code_content,
    qr_code_png
FROM enrollment_profiles;

DROP TABLE enrollment_profiles;
ALTER TABLE enrollment_profiles_new RENAME TO enrollment_profiles;

CREATE INDEX enrollment_profiles_display_name
    ON enrollment_profiles (tenant_id, display_name_key, id);
CREATE INDEX enrollment_profiles_created
    ON enrollment_profiles (tenant_id, created_at, id);
CREATE INDEX enrollment_profiles_last_modified
    ON enrollment_profiles (tenant_id, last_modified_at, id);
CREATE INDEX enrollment_profiles_enrollment_mode
    ON enrollment_profiles (tenant_id, enrollment_mode, id);
CREATE INDEX enrollment_profiles_token_expiration
    ON enrollment_profiles (tenant_id, token_expires_at, id);
