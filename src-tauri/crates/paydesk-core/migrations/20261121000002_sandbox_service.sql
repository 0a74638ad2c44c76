-- The built-in sandbox: a service backed by the simulator Paydesk runs itself.
-- Its base URL changes every time Paydesk starts, so it is marked, not matched by URL.
ALTER TABLE services ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1));
