-- Secrets at rest. Token values, Wi-Fi passwords and the QR payload and image are stored sealed
-- (authenticated encryption under a key kept outside the database, see crates/provisio/src/crypto)
-- as BLOBs; token_value_hash holds a keyed hash of the lower-cased token value, which equality
-- lookups compare; sealed_with names the key a row's values are sealed with, NULL while they are
-- still plain text.
--
-- The table is rebuilt (SQLite cannot change a column's type) so that the new columns come before
-- the large ones. Existing values are copied as the bytes of their text, with sealed_with NULL:
-- the service seals them at its next start (a row at a time, each checked against its version).
CREATE TABLE enrollment_profiles_sealed (
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
    token_value                 BLOB,
    token_value_hash            TEXT,
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
    wifi_password               BLOB,
    wifi_security_type          INTEGER NOT NULL CHECK (wifi_security_type BETWEEN 0 AND 2),
    wifi_hidden                 INTEGER NOT NULL,
    is_teams_device_profile     INTEGER NOT NULL,
    device_name_template        TEXT,
    membership_target_type      INTEGER,
    membership_target_id        TEXT,
    sealed_with                 INTEGER,
    qr_code_content             BLOB,
    qr_code_png                 BLOB,
    PRIMARY KEY (tenant_id, id)
);

INSERT INTO enrollment_profiles_sealed (
    tenant_id, id, version, display_name, display_name_key, description, description_key,
    enrollment_mode, enrollment_token_type, created_at, last_modified_at, token_value,
    token_value_hash, token_created_at, token_expires_at, enrolled_device_count,
    token_usage_count, role_scope_tag_ids, role_scope_tag_keys, configure_wifi, wifi_ssid,
    wifi_ssid_key, wifi_password, wifi_security_type, wifi_hidden, is_teams_device_profile,
    device_name_template, membership_target_type, membership_target_id, sealed_with,
    qr_code_content, qr_code_png
)
SELECT
    tenant_id, id, version, display_name, display_name_key, description, description_key,
    enrollment_mode, enrollment_token_type, created_at, last_modified_at,
    CAST(token_value AS BLOB), NULL, token_created_at, token_expires_at, enrolled_device_count,
    token_usage_count, role_scope_tag_ids, role_scope_tag_keys, configure_wifi, wifi_ssid,
    wifi_ssid_key, CAST(wifi_password AS BLOB), wifi_security_type, wifi_hidden,
    is_teams_device_profile, device_name_template, membership_target_type, membership_target_id,
    NULL, CAST(qr_code_content AS BLOB), qr_code_png
FROM enrollment_profiles;

DROP TABLE enrollment_profiles;
ALTER TABLE enrollment_profiles_sealed RENAME TO enrollment_profiles;

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
CREATE INDEX enrollment_profiles_token_value_hash
    ON enrollment_profiles (tenant_id, token_value_hash);
-- Finds the rows still in plain text, or sealed with a key being rotated out.
CREATE INDEX enrollment_profiles_sealed_with
    ON enrollment_profiles (sealed_with);
