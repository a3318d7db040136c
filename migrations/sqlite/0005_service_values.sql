-- Small named values the processes on one database share and may change (unlike service_keys,
-- which are set once): the fingerprint of the settings the stored QR codes were drawn with, so
-- that a process whose settings differ redraws them at start-up. The last writer wins.
CREATE TABLE service_values (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    changed_at  TEXT NOT NULL
);
