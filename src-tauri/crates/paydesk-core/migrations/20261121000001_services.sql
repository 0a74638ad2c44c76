-- The GOV.UK Pay services (accounts) this desktop works with.
-- API keys are never stored here: they live in the OS keyring, keyed by `id`.
CREATE TABLE services (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    base_url    TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    role        TEXT NOT NULL CHECK (role IN ('caseworker', 'call_centre', 'supervisor')),
    created_at  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX services_name_unique ON services (name COLLATE NOCASE);
