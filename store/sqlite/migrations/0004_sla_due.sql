-- Threadline schema v4: when the running response target breaches (shown on cards).
ALTER TABLE conversations ADD COLUMN sla_due INTEGER;
