-- Threadline schema v7: time indexes for statistics windows and the
-- overdue list (a report reads its window, not the whole table).
CREATE INDEX conversations_created ON conversations(created_at);
CREATE INDEX conversations_closed ON conversations(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX conversations_sla_due ON conversations(sla_due) WHERE sla_due IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log(at);
