-- One row that the readiness check (/readyz) overwrites to learn whether writes still work (a
-- full disk refuses them). Its filler is larger than any entity's row, so that when it fits, a
-- write of an entity fits too. Nothing reads it.
CREATE TABLE readiness_probe (
    id          INTEGER PRIMARY KEY,
    probed_at   TEXT    NOT NULL,
    filler      BYTEA   NOT NULL
);
