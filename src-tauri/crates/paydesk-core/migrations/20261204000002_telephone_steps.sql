-- A telephone payment is now taken in steps: the GOV.UK Pay payment is created
-- when the agent moves on to the card (so a service without telephone payments
-- says so before any card detail is read out), and authorised after the agent
-- confirms. The audit row written before it was created is kept here, so the
-- outcome, minutes later, is chained to it.
ALTER TABLE telephone_payments ADD COLUMN attempt_seq INTEGER;
