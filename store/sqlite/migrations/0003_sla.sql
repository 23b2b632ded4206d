-- Threadline schema v3: SLA clocks, nag state, outcomes, satisfaction.

ALTER TABLE conversations ADD COLUMN sla_policy TEXT NOT NULL DEFAULT '';
-- Response clock: 'first' until the first staff reply, then 'next' each
-- time the customer writes after a staff reply; '' when not running.
ALTER TABLE conversations ADD COLUMN sla_resp_kind  TEXT    NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_resp_since INTEGER;                   -- running segment start (NULL: paused)
ALTER TABLE conversations ADD COLUMN sla_resp_used  INTEGER NOT NULL DEFAULT 0; -- counted ms before the segment
ALTER TABLE conversations ADD COLUMN sla_resp_nags  INTEGER NOT NULL DEFAULT 0; -- 0 none, 1 warned, 2 breached, 3+ repeats
ALTER TABLE conversations ADD COLUMN sla_resp_last_nag INTEGER;
-- Resolution clock: from creation to close, paused while waiting/snoozed.
ALTER TABLE conversations ADD COLUMN sla_res_since INTEGER;
ALTER TABLE conversations ADD COLUMN sla_res_used  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_res_nags  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_res_last_nag INTEGER;
-- The next moment the sweep must look at the conversation (indexed, so a
-- sweep reads only what is due instead of every open conversation).
ALTER TABLE conversations ADD COLUMN sla_next_check INTEGER;
CREATE INDEX conversations_sla_next ON conversations(sla_next_check) WHERE sla_next_check IS NOT NULL;
-- Outcomes for statistics: 1 met, 0 breached, NULL no target or not yet known.
ALTER TABLE conversations ADD COLUMN sla_first_met      INTEGER;
ALTER TABLE conversations ADD COLUMN sla_resolution_met INTEGER;
ALTER TABLE conversations ADD COLUMN sla_next_met       INTEGER NOT NULL DEFAULT 0; -- next responses within target
ALTER TABLE conversations ADD COLUMN sla_next_missed    INTEGER NOT NULL DEFAULT 0; -- next responses over target

-- Customer satisfaction after close.
ALTER TABLE conversations ADD COLUMN csat_asked_at INTEGER;
CREATE TABLE csat (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
    score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    raw             TEXT    NOT NULL DEFAULT '',
    at              INTEGER NOT NULL
) WITHOUT ROWID;
