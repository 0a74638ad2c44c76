-- Who is who on the team, and what each may do. Each person signs in to the
-- team database as themselves (their own PostgreSQL login); the staff table
-- gives their name and their role on each service. Only the team's
-- administrator (the owner of these tables) can change it: staff logins get
-- the rights below through the group role `paydesk_staff`, and row-level
-- security holds them to their own name in the audit record.

-- The group every staff login is a member of (made once per server; its
-- rights are granted per database, below).
-- Two team databases set up at once on one server both try: the second
-- finds it made (or being made) and goes on.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paydesk_staff') THEN
        CREATE ROLE paydesk_staff NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

CREATE TABLE staff (
    login    text PRIMARY KEY,   -- the PostgreSQL role they sign in as
    name     text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 1 AND 100),
    added_at text NOT NULL
);

CREATE TABLE staff_roles (
    login      text NOT NULL REFERENCES staff(login) ON DELETE CASCADE,
    service_id text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('caseworker', 'call_centre', 'supervisor')),
    PRIMARY KEY (login, service_id)
);

-- Team mode is on once the administrator has set the team up: from then on
-- names and roles come from the staff table, not from a desktop.
CREATE TABLE team (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    name       text NOT NULL,
    created_at text NOT NULL
);

-- Who wrote each audit row, as the database knows them. Not part of the
-- chain's hash: the database fills it in and the policy below checks it.
ALTER TABLE audit_log ADD COLUMN login text NOT NULL DEFAULT current_user;
CREATE INDEX audit_operator ON audit_log (operator);

-- The name a login appends audit rows under.
CREATE FUNCTION staff_name() RETURNS text
    LANGUAGE sql STABLE
    RETURN (SELECT name FROM staff WHERE login = current_user);

------------------------------------------------------------------------------
-- What staff logins may do.
------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA public TO paydesk_staff;
GRANT SELECT ON _sqlx_migrations TO paydesk_staff;
-- Read only: who is who, what the team is, which services there are.
GRANT SELECT ON staff, staff_roles, team, services TO paydesk_staff;
-- The shared cache: every desktop syncs into it.
GRANT SELECT, INSERT, UPDATE, DELETE ON payments, payment_metadata, refunds, disputes,
    agreements, sync_state TO paydesk_staff;
-- Staff work.
GRANT SELECT, INSERT, UPDATE, DELETE ON cases, case_payments, telephone_payments TO paydesk_staff;
GRANT SELECT, INSERT ON case_notes TO paydesk_staff;
GRANT SELECT, INSERT, UPDATE ON settings TO paydesk_staff;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO paydesk_staff;
-- The record: read and appended, never changed (the trigger refuses that
-- too, for anyone).
GRANT SELECT, INSERT ON audit_log TO paydesk_staff;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON audit_log FOR SELECT TO paydesk_staff USING (true);
CREATE POLICY audit_own_name ON audit_log FOR INSERT TO paydesk_staff
    WITH CHECK (login = current_user AND operator = staff_name());

-- A service is seen by those given a role on it.
ALTER TABLE services ENABLE ROW LEVEL SECURITY;
CREATE POLICY services_of_mine ON services FOR SELECT TO paydesk_staff
    USING (EXISTS (SELECT 1 FROM staff_roles r WHERE r.login = current_user AND r.service_id = id));
