-- Enrollment profiles, one row per profile, always scoped by tenant.
--
-- Date-times are TEXT in one fixed-width UTC form ("2026-11-22T10:15:30.1234567Z") so that text
-- order is time order on every backend. The *_key columns hold the lower-cased value computed by
-- the service, so case-insensitive comparison and sorting behave the same on every backend
-- (role_scope_tag_keys: the lower-cased scope tags as a JSON array, for roleScopeTagIds/any()).
-- Large columns (the QR payload and image) come last: SQLite then never reads them for queries
-- that do not ask for them.
CREATE TABLE enrollment_profiles (
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
    role_scope_tag_keys         TEXT    NOT NULL,
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

CREATE INDEX enrollment_profiles_display_name
    ON enrollment_profiles (tenant_id, display_name_key, id);
CREATE INDEX enrollment_profiles_created
    ON enrollment_profiles (tenant_id, created_at, id);
CREATE INDEX enrollment_profiles_last_modified
    ON enrollment_profiles (tenant_id, last_modified_at, id);

-- Keys the service keeps for itself (for example the key that signs paging tokens). Shared by
-- every process on one database.
CREATE TABLE service_keys (
    name        TEXT PRIMARY KEY,
    value       BLOB NOT NULL
);
CREATE INDEX enrollment_profiles_enrollment_mode
    ON enrollment_profiles (tenant_id, enrollment_mode, id);
CREATE INDEX enrollment_profiles_token_expiration
    ON enrollment_profiles (tenant_id, token_expires_at, id);
