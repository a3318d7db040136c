-- Managed devices (the records enrollments leave), the redemption ledger that counts enrollment
-- tokens exactly, idempotency keys of enrollments, and the commands waiting for devices.
CREATE TABLE managed_devices (
    tenant_id                   TEXT    NOT NULL,
    id                          TEXT    NOT NULL,
    version                     INTEGER NOT NULL,
    security_patch_level        TEXT,
    compliance_state            INTEGER NOT NULL,
    device_enrollment_type      INTEGER NOT NULL,
    device_name                 TEXT    NOT NULL,
    device_name_key             TEXT    NOT NULL,
    device_registration_state   INTEGER NOT NULL,
    device_type                 INTEGER NOT NULL,
    enrolled_at                 TEXT    NOT NULL,
    enrollment_profile_name     TEXT,
    enrollment_profile_name_key TEXT,
    imei                        TEXT,
    last_sync_at                TEXT    NOT NULL,
    managed_device_name         TEXT,
    managed_device_name_key     TEXT,
    managed_device_owner_type   INTEGER NOT NULL,
    management_agent            INTEGER NOT NULL,
    management_state            INTEGER NOT NULL,
    manufacturer                TEXT,
    manufacturer_key            TEXT,
    meid                        TEXT,
    model                       TEXT,
    model_key                   TEXT,
    notes                       TEXT,
    operating_system            TEXT    NOT NULL,
    os_version                  TEXT,
    owner_type                  INTEGER NOT NULL,
    role_scope_tag_ids          TEXT    NOT NULL,
    role_scope_tag_keys         TEXT    NOT NULL,
    serial_number               TEXT,
    serial_number_key           TEXT,
    user_principal_name         TEXT,
    user_principal_name_key     TEXT,
    wifi_mac_address            TEXT,
    enrollment_profile_id       TEXT    NOT NULL,
    identity_kind               INTEGER NOT NULL,
    identity_a                  TEXT    NOT NULL,
    identity_b                  TEXT    NOT NULL,
    identity_c                  TEXT    NOT NULL,
    credential_hash             TEXT    NOT NULL,
    superseded                  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- One profile's devices, listed fast whatever the tenant holds.
CREATE INDEX managed_devices_profile ON managed_devices (tenant_id, enrollment_profile_id, id);
-- At most one current (not superseded) record per device identity in a tenant: two enrollments of
-- one device racing each other cannot both create one.
CREATE UNIQUE INDEX managed_devices_identity ON managed_devices
    (tenant_id, identity_kind, identity_a, identity_b, identity_c) WHERE superseded = 0;
-- Check-ins find their record by the hash of the device's secret.
CREATE INDEX managed_devices_credential ON managed_devices (credential_hash);
CREATE INDEX managed_devices_device_name ON managed_devices (tenant_id, device_name_key, id);
CREATE INDEX managed_devices_enrolled ON managed_devices (tenant_id, enrolled_at, id);
CREATE INDEX managed_devices_last_sync ON managed_devices (tenant_id, last_sync_at, id);
CREATE INDEX managed_devices_serial ON managed_devices (tenant_id, serial_number_key, id);

-- The redemption ledger: one row per token and device identity. A profile's
-- enrollmentTokenUsageCount counts the rows of its current token (the count is kept on the
-- profile row, raised in the transaction that inserts the row here).
CREATE TABLE token_redemptions (
    token_id        TEXT    NOT NULL,
    identity_kind   INTEGER NOT NULL,
    identity_a      TEXT    NOT NULL,
    identity_b      TEXT    NOT NULL,
    identity_c      TEXT    NOT NULL,
    tenant_id       TEXT    NOT NULL,
    profile_id      TEXT    NOT NULL,
    device_id       TEXT    NOT NULL,
    redeemed_at     TEXT    NOT NULL,
    PRIMARY KEY (token_id, identity_kind, identity_a, identity_b, identity_c)
);

-- Idempotency keys of enrollments, scoped to the token and the device identity, kept 24 hours.
CREATE TABLE enrollment_idempotency (
    token_id        TEXT    NOT NULL,
    identity_kind   INTEGER NOT NULL,
    identity_a      TEXT    NOT NULL,
    identity_b      TEXT    NOT NULL,
    identity_c      TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    device_id       TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (token_id, identity_kind, identity_a, identity_b, identity_c, idempotency_key)
);
CREATE INDEX enrollment_idempotency_created ON enrollment_idempotency (created_at);

-- Commands (retire, wipe) waiting for a device's next check-in, and their acknowledgement.
CREATE TABLE device_commands (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    device_id       TEXT    NOT NULL,
    kind            INTEGER NOT NULL,
    issued_at       TEXT    NOT NULL,
    acknowledged_at TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX device_commands_device ON device_commands (device_id);

-- Names the current token of a profile in the ledger; a new one per createToken.
ALTER TABLE enrollment_profiles ADD COLUMN token_id TEXT   ;
UPDATE enrollment_profiles SET token_id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))) WHERE token_value IS NOT NULL;

-- The credentials of records an admin deleted or a retire removed: a check-in with one of them is
-- told the device was removed (410), not that the credential is unknown (401).
CREATE TABLE removed_devices (
    credential_hash TEXT    NOT NULL,
    device_id       TEXT    NOT NULL,
    tenant_id       TEXT    NOT NULL,
    removed_at      TEXT    NOT NULL,
    PRIMARY KEY (credential_hash, device_id)
);
