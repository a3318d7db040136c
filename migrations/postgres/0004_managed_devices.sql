-- Managed devices (the records enrollments leave), the redemption ledger that counts enrollment
-- tokens exactly, idempotency keys of enrollments, and the commands waiting for devices.
-- Same tables and meaning as migrations/sqlite/0004; text columns use the "C" collation.
CREATE TABLE managed_devices (
    tenant_id                   TEXT    COLLATE "C" NOT NULL,
    id                          TEXT    COLLATE "C" NOT NULL,
    version                     BIGINT  NOT NULL,
    security_patch_level        TEXT    COLLATE "C",
    compliance_state            BIGINT  NOT NULL,
    device_enrollment_type      BIGINT  NOT NULL,
    device_name                 TEXT    COLLATE "C" NOT NULL,
    device_name_key             TEXT    COLLATE "C" NOT NULL,
    device_registration_state   BIGINT  NOT NULL,
    device_type                 BIGINT  NOT NULL,
    enrolled_at                 TEXT    COLLATE "C" NOT NULL,
    enrollment_profile_name     TEXT    COLLATE "C",
    enrollment_profile_name_key TEXT    COLLATE "C",
    imei                        TEXT    COLLATE "C",
    last_sync_at                TEXT    COLLATE "C" NOT NULL,
    managed_device_name         TEXT    COLLATE "C",
    managed_device_name_key     TEXT    COLLATE "C",
    managed_device_owner_type   BIGINT  NOT NULL,
    management_agent            BIGINT  NOT NULL,
    management_state            BIGINT  NOT NULL,
    manufacturer                TEXT    COLLATE "C",
    manufacturer_key            TEXT    COLLATE "C",
    meid                        TEXT    COLLATE "C",
    model                       TEXT    COLLATE "C",
    model_key                   TEXT    COLLATE "C",
    notes                       TEXT    COLLATE "C",
    operating_system            TEXT    COLLATE "C" NOT NULL,
    os_version                  TEXT    COLLATE "C",
    owner_type                  BIGINT  NOT NULL,
    role_scope_tag_ids          TEXT    COLLATE "C" NOT NULL,
    role_scope_tag_keys         TEXT    COLLATE "C" NOT NULL,
    serial_number               TEXT    COLLATE "C",
    serial_number_key           TEXT    COLLATE "C",
    user_principal_name         TEXT    COLLATE "C",
    user_principal_name_key     TEXT    COLLATE "C",
    wifi_mac_address            TEXT    COLLATE "C",
    enrollment_profile_id       TEXT    COLLATE "C" NOT NULL,
    identity_kind               BIGINT  NOT NULL,
    identity_a                  TEXT    COLLATE "C" NOT NULL,
    identity_b                  TEXT    COLLATE "C" NOT NULL,
    identity_c                  TEXT    COLLATE "C" NOT NULL,
    credential_hash             TEXT    COLLATE "C" NOT NULL,
    superseded                  BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- One profile's devices, listed fast whatever the tenant holds.
CREATE INDEX managed_devices_profile ON managed_devices (tenant_id, enrollment_profile_id, id);
-- At most one current (not superseded) record per device identity in a tenant: two enrollments of
-- one device racing each other cannot both create one.
CREATE UNIQUE INDEX managed_devices_identity ON managed_devices
    (tenant_id, identity_kind, identity_a, identity_b, identity_c) WHERE NOT superseded;
-- Check-ins find their record by the hash of the device's secret.
CREATE INDEX managed_devices_credential ON managed_devices (credential_hash);
CREATE INDEX managed_devices_device_name ON managed_devices (tenant_id, device_name_key, id);
CREATE INDEX managed_devices_enrolled ON managed_devices (tenant_id, enrolled_at, id);
CREATE INDEX managed_devices_last_sync ON managed_devices (tenant_id, last_sync_at, id);
CREATE INDEX managed_devices_serial ON managed_devices (tenant_id, serial_number_key NULLS FIRST, id);

-- The redemption ledger: one row per token and device identity. A profile's
-- enrollmentTokenUsageCount counts the rows of its current token (the count is kept on the
-- profile row, raised in the transaction that inserts the row here).
CREATE TABLE token_redemptions (
    token_id        TEXT    COLLATE "C" NOT NULL,
    identity_kind   BIGINT  NOT NULL,
    identity_a      TEXT    COLLATE "C" NOT NULL,
    identity_b      TEXT    COLLATE "C" NOT NULL,
    identity_c      TEXT    COLLATE "C" NOT NULL,
    tenant_id       TEXT    COLLATE "C" NOT NULL,
    profile_id      TEXT    COLLATE "C" NOT NULL,
    device_id       TEXT    COLLATE "C" NOT NULL,
    redeemed_at     TEXT    COLLATE "C" NOT NULL,
    PRIMARY KEY (token_id, identity_kind, identity_a, identity_b, identity_c)
);

-- Idempotency keys of enrollments, scoped to the token and the device identity, kept 24 hours.
CREATE TABLE enrollment_idempotency (
    token_id        TEXT    COLLATE "C" NOT NULL,
    identity_kind   BIGINT  NOT NULL,
    identity_a      TEXT    COLLATE "C" NOT NULL,
    identity_b      TEXT    COLLATE "C" NOT NULL,
    identity_c      TEXT    COLLATE "C" NOT NULL,
    idempotency_key TEXT    COLLATE "C" NOT NULL,
    request_hash    TEXT    COLLATE "C" NOT NULL,
    device_id       TEXT    COLLATE "C" NOT NULL,
    created_at      TEXT    COLLATE "C" NOT NULL,
    PRIMARY KEY (token_id, identity_kind, identity_a, identity_b, identity_c, idempotency_key)
);
CREATE INDEX enrollment_idempotency_created ON enrollment_idempotency (created_at);

-- Commands (retire, wipe) waiting for a device's next check-in, and their acknowledgement.
CREATE TABLE device_commands (
    tenant_id       TEXT    COLLATE "C" NOT NULL,
    id              TEXT    COLLATE "C" NOT NULL,
    device_id       TEXT    COLLATE "C" NOT NULL,
    kind            BIGINT  NOT NULL,
    issued_at       TEXT    COLLATE "C" NOT NULL,
    acknowledged_at TEXT    COLLATE "C",
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX device_commands_device ON device_commands (device_id);

-- Names the current token of a profile in the ledger; a new one per createToken.
ALTER TABLE enrollment_profiles ADD COLUMN token_id TEXT    COLLATE "C";
UPDATE enrollment_profiles SET token_id = gen_random_uuid()::text WHERE token_value IS NOT NULL;

-- The credentials of records an admin deleted or a retire removed: a check-in with one of them is
-- told the device was removed (410), not that the credential is unknown (401).
CREATE TABLE removed_devices (
    credential_hash TEXT    COLLATE "C" NOT NULL,
    device_id       TEXT    COLLATE "C" NOT NULL,
    tenant_id       TEXT    COLLATE "C" NOT NULL,
    removed_at      TEXT    COLLATE "C" NOT NULL,
    PRIMARY KEY (credential_hash, device_id)
);
