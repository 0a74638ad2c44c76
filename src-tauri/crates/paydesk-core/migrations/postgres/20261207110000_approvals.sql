-- Refund controls for a team: a refund that a service's approval rules catch
-- becomes a request, and another person (a supervisor of the service, never
-- the one who asked) approves or rejects it. The rules below hold whatever a
-- desktop sends: staff logins reach these tables only through the grants
-- and policies here, and the constraints and triggers hold for every login.

------------------------------------------------------------------------------
-- The approval rules of each service. Each rule is optional; none set, no
-- refund needs approval.
------------------------------------------------------------------------------
CREATE TABLE approval_rules (
    service_id      text PRIMARY KEY REFERENCES services(id) ON DELETE CASCADE,
    -- Refunds of more than this many pence need approval.
    above_pence     bigint CHECK (above_pence IS NULL OR above_pence >= 0),
    -- Any refund of a payment made more than this many days ago needs approval.
    older_than_days integer CHECK (older_than_days IS NULL OR older_than_days BETWEEN 1 AND 3650),
    -- Any refund of a telephone payment the same person took needs approval.
    own_telephone   boolean NOT NULL DEFAULT false,
    set_by          text NOT NULL,
    set_login       text NOT NULL DEFAULT current_user,
    set_at          timestamptz NOT NULL DEFAULT now()
);

-- Whether the login signed in has `role` on the service (any role: NULL).
CREATE FUNCTION has_role(service text, wanted text) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM staff_roles r WHERE r.login = current_user
                   AND r.service_id = service AND (wanted IS NULL OR r.role = wanted));

------------------------------------------------------------------------------
-- Working days, for a request's expiry: Monday to Friday, in UK time.
-- (Bank holidays are not known to the database and count as working days.)
------------------------------------------------------------------------------
CREATE FUNCTION add_working_days(start timestamptz, days integer) RETURNS timestamptz
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    at timestamptz := start;
    left_to_add integer := days;
BEGIN
    WHILE left_to_add > 0 LOOP
        at := at + interval '1 day';
        IF extract(isodow FROM at AT TIME ZONE 'Europe/London') < 6 THEN
            left_to_add := left_to_add - 1;
        END IF;
    END LOOP;
    RETURN at;
END
$$;

------------------------------------------------------------------------------
-- Requests. A request is asked once and decided once: approved (the refund
-- is then sent, its outcome on the audit rows of `attempt_seq`), rejected,
-- returned to the one who asked (the amount available changed), or expired
-- after 5 working days. Who asked can never be who decides.
------------------------------------------------------------------------------
CREATE TABLE refund_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id      text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    payment_id      text NOT NULL,
    reference       text NOT NULL,
    email           text,
    amount          bigint NOT NULL CHECK (amount > 0),
    -- `refund_amount_available` when asked.
    available       bigint NOT NULL CHECK (available >= amount),
    reason          text NOT NULL CHECK (reason IN ('duplicate_payment', 'service_not_provided',
                        'overpayment', 'goodwill', 'staff_error', 'other')),
    reason_note     text CHECK (char_length(reason_note) <= 255),
    -- Why it needs approval, in words.
    needs           text NOT NULL,
    requester_login text NOT NULL DEFAULT current_user,
    requester       text NOT NULL,
    asked_at        timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL DEFAULT add_working_days(now(), 5),
    state           text NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'approved', 'rejected', 'returned', 'expired')),
    decider_login   text,
    decider         text,
    decided_at      timestamptz,
    decision_note   text,
    -- The audit row of the approved refund's attempt.
    attempt_seq     bigint,
    CONSTRAINT approver_is_not_requester CHECK (decider_login IS NULL OR decider_login <> requester_login),
    CONSTRAINT decided_once CHECK ((state = 'waiting') = (decided_at IS NULL)),
    CONSTRAINT approved_has_attempt CHECK ((state = 'approved') = (attempt_seq IS NOT NULL))
);
CREATE INDEX refund_requests_queue ON refund_requests (service_id, state, asked_at);
CREATE INDEX refund_requests_payment ON refund_requests (service_id, payment_id);
-- One request waits at a time for a payment.
CREATE UNIQUE INDEX refund_requests_one_waiting ON refund_requests (service_id, payment_id)
    WHERE state = 'waiting';
CREATE INDEX refund_requests_mine ON refund_requests (requester_login, asked_at);

-- What a request is stays as asked; a decision is made once, by the login
-- making it, at the server's time (the clock's, not the transaction's start:
-- a transaction held open cannot approve after the expiry); only a waiting
-- request past its expiry expires, and then nobody is named as deciding; an
-- approval names the audit row of its own refund's attempt, written by the
-- same login in the same transaction, for the same payment and amount.
CREATE FUNCTION refund_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'refund requests are kept' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.service_id, NEW.payment_id, NEW.reference, NEW.email, NEW.amount, NEW.available,
        NEW.reason, NEW.reason_note, NEW.needs, NEW.requester_login, NEW.requester,
        NEW.asked_at, NEW.expires_at)
       IS DISTINCT FROM
       (OLD.service_id, OLD.payment_id, OLD.reference, OLD.email, OLD.amount, OLD.available,
        OLD.reason, OLD.reason_note, OLD.needs, OLD.requester_login, OLD.requester,
        OLD.asked_at, OLD.expires_at) THEN
        RAISE EXCEPTION 'a refund request stays as it was asked' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.state <> 'waiting' THEN
        RAISE EXCEPTION 'this refund request has already been decided' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.state = 'expired' THEN
        IF OLD.expires_at > clock_timestamp() THEN
            RAISE EXCEPTION 'this refund request has not expired' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.decider_login IS NOT NULL OR NEW.decider IS NOT NULL THEN
            RAISE EXCEPTION 'nobody decides an expired request' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSIF NEW.state <> 'waiting' THEN
        IF OLD.expires_at <= clock_timestamp() THEN
            RAISE EXCEPTION 'this refund request has expired' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.decider_login IS DISTINCT FROM current_user THEN
            RAISE EXCEPTION 'a decision is made by the login making it' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.state = 'approved' AND NOT EXISTS (
            SELECT 1 FROM audit_log a
             WHERE a.seq = NEW.attempt_seq AND a.action = 'refund' AND a.phase = 'attempt'
               AND a.service_id = OLD.service_id AND a.payment_id = OLD.payment_id
               AND a.amount = OLD.amount AND a.login = current_user
               AND a.xmin = pg_current_xact_id()::xid) THEN
            RAISE EXCEPTION 'an approval names its own refund''s attempt' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    NEW.decided_at := CASE WHEN NEW.state = 'waiting' THEN NULL ELSE now() END;
    RETURN NEW;
END
$$;
CREATE TRIGGER refund_requests_guard BEFORE UPDATE OR DELETE ON refund_requests
    FOR EACH ROW EXECUTE FUNCTION refund_requests_guard();

------------------------------------------------------------------------------
-- What staff logins may do.
------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON approval_rules TO paydesk_staff;
ALTER TABLE approval_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY rules_read ON approval_rules FOR SELECT TO paydesk_staff
    USING (has_role(service_id, NULL));
CREATE POLICY rules_set ON approval_rules FOR INSERT TO paydesk_staff
    WITH CHECK (has_role(service_id, 'supervisor') AND set_login = current_user AND set_by = staff_name());
CREATE POLICY rules_change ON approval_rules FOR UPDATE TO paydesk_staff
    USING (has_role(service_id, 'supervisor'))
    WITH CHECK (has_role(service_id, 'supervisor') AND set_login = current_user AND set_by = staff_name());

GRANT SELECT, INSERT, UPDATE ON refund_requests TO paydesk_staff;
ALTER TABLE refund_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY requests_read ON refund_requests FOR SELECT TO paydesk_staff
    USING (has_role(service_id, NULL));
-- Asked by the login asking, under their own name, waiting, undecided: by
-- someone who may refund on the service.
CREATE POLICY requests_ask ON refund_requests FOR INSERT TO paydesk_staff
    WITH CHECK (requester_login = current_user AND requester = staff_name()
                AND state = 'waiting' AND decider_login IS NULL AND decider IS NULL
                AND attempt_seq IS NULL
                AND asked_at = now() AND expires_at = add_working_days(now(), 5)
                AND (has_role(service_id, 'caseworker') OR has_role(service_id, 'supervisor')));
-- Decided by a supervisor of the service, under their own name.
CREATE POLICY requests_decide ON refund_requests FOR UPDATE TO paydesk_staff
    USING (state = 'waiting' AND has_role(service_id, 'supervisor'))
    WITH CHECK (state IN ('approved', 'rejected', 'returned') AND decider_login = current_user
                AND decider = staff_name() AND has_role(service_id, 'supervisor'));
-- Expired by whoever on the service notices first.
CREATE POLICY requests_expire ON refund_requests FOR UPDATE TO paydesk_staff
    USING (state = 'waiting' AND expires_at <= now() AND has_role(service_id, NULL))
    WITH CHECK (state = 'expired' AND decider_login IS NULL AND has_role(service_id, NULL));
