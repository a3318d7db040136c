-- Secrets at rest; the same meaning as migrations/sqlite/0002. Token values, Wi-Fi passwords and
-- the QR payload become BYTEA holding sealed values (the QR image already is); existing values
-- are kept as the bytes of their text with sealed_with NULL, and the service seals them at its
-- next start. token_value_hash holds a keyed hash of the lower-cased token value for equality
-- lookups.
ALTER TABLE enrollment_profiles
    ALTER COLUMN token_value TYPE BYTEA USING convert_to(token_value, 'UTF8'),
    ALTER COLUMN wifi_password TYPE BYTEA USING convert_to(wifi_password, 'UTF8'),
    ALTER COLUMN qr_code_content TYPE BYTEA USING convert_to(qr_code_content, 'UTF8'),
    ADD COLUMN token_value_hash TEXT COLLATE "C",
    ADD COLUMN sealed_with BIGINT;

CREATE INDEX enrollment_profiles_token_value_hash
    ON enrollment_profiles (tenant_id, token_value_hash);
-- Finds the rows still in plain text, or sealed with a key being rotated out.
CREATE INDEX enrollment_profiles_sealed_with
    ON enrollment_profiles (sealed_with);
