-- Enrollment profiles, one row per profile, always scoped by tenant. The same columns and meaning
-- as migrations/sqlite/0001; see there for why date-times are fixed-width text and why the *_key
-- columns exist. Every text column uses the "C" collation so that comparison and sort order are
-- byte order, exactly as in SQLite, whatever the database's default locale.
CREATE TABLE enrollment_profiles (
    tenant_id                   TEXT    COLLATE "C" NOT NULL,
    id                          TEXT    COLLATE "C" NOT NULL,
    version                     BIGINT  NOT NULL,
    display_name                TEXT    COLLATE "C" NOT NULL,
    display_name_key            TEXT    COLLATE "C" NOT NULL,
    description                 TEXT    COLLATE "C",
    description_key             TEXT    COLLATE "C",
    enrollment_mode             BIGINT  NOT NULL CHECK (enrollment_mode BETWEEN 0 AND 4),
    enrollment_token_type       BIGINT  NOT NULL CHECK (enrollment_token_type BETWEEN 0 AND 2),
    created_at                  TEXT    COLLATE "C" NOT NULL,
    last_modified_at            TEXT    COLLATE "C" NOT NULL,
    token_value                 TEXT    COLLATE "C",
    token_created_at            TEXT    COLLATE "C" NOT NULL,
    token_expires_at            TEXT    COLLATE "C" NOT NULL,
    enrolled_device_count       BIGINT  NOT NULL DEFAULT 0 CHECK (enrolled_device_count >= 0),
    token_usage_count           BIGINT  NOT NULL DEFAULT 0
                                CHECK (token_usage_count BETWEEN 0 AND 20000),
    role_scope_tag_ids          TEXT    COLLATE "C" NOT NULL,
    role_scope_tag_keys         TEXT    COLLATE "C" NOT NULL,
    configure_wifi              BOOLEAN NOT NULL,
    wifi_ssid                   TEXT    COLLATE "C",
    wifi_ssid_key               TEXT    COLLATE "C",
    wifi_password               TEXT    COLLATE "C",
    wifi_security_type          BIGINT  NOT NULL CHECK (wifi_security_type BETWEEN 0 AND 2),
    wifi_hidden                 BOOLEAN NOT NULL,
    is_teams_device_profile     BOOLEAN NOT NULL,
    device_name_template        TEXT    COLLATE "C",
    membership_target_type      BIGINT,
    membership_target_id        TEXT    COLLATE "C",
    qr_code_content             TEXT    COLLATE "C",
    qr_code_png                 BYTEA,
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
    name        TEXT COLLATE "C" PRIMARY KEY,
    value       BYTEA NOT NULL
);
CREATE INDEX enrollment_profiles_enrollment_mode
    ON enrollment_profiles (tenant_id, enrollment_mode, id);
CREATE INDEX enrollment_profiles_token_expiration
    ON enrollment_profiles (tenant_id, token_expires_at, id);
