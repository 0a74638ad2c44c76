-- One sync per service for the whole team: a desktop claims the service's
-- sync for a while and renews the claim as it writes. A claim is a row, not
-- a session's lock, so it holds behind a transaction-pooling PgBouncer, and a
-- desktop that crashes or loses its network lets go when the claim lapses.
CREATE TABLE sync_claims (
    service_id text PRIMARY KEY REFERENCES services(id) ON DELETE CASCADE,
    holder     text NOT NULL,   -- the desktop (its data folder) syncing
    login      text NOT NULL DEFAULT current_user,
    until_ms   bigint NOT NULL
);

-- The server's clock, so desktops whose clocks disagree agree on a claim.
CREATE FUNCTION server_now_ms() RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN (extract(epoch FROM clock_timestamp()) * 1000)::bigint;

GRANT SELECT, INSERT, UPDATE, DELETE ON sync_claims TO paydesk_staff;
