-- A service's role, address and environment decide what this desktop may do
-- and where its API key is sent. `seal` is a keyed hash of them (the key is in
-- the OS keyring, not here), so a change made outside Paydesk is noticed.
ALTER TABLE services ADD COLUMN seal TEXT;
