-- Threadline schema v2: staff workflow (tags, escalation, snooze, templates, known staff).

ALTER TABLE conversations ADD COLUMN claimed_at INTEGER;
ALTER TABLE conversations ADD COLUMN escalated_to TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN escalated_at INTEGER;
ALTER TABLE conversations ADD COLUMN priority_before_escalation TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE snoozed_until IS NOT NULL;

-- Staff to ping with a message (JSON array of staff ids), rendered per surface.
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';

CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    tag             TEXT    NOT NULL,
    added_at        INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, tag)
) WITHOUT ROWID;
CREATE INDEX conversation_tags_tag ON conversation_tags(tag);

-- Staff seen on any surface, so "@alice" can be resolved on every surface.
CREATE TABLE staff (
    id        TEXT    PRIMARY KEY,
    name      TEXT    NOT NULL,
    last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX staff_name ON staff(name COLLATE NOCASE);

-- Quick-reply templates managed with !template (config templates live in config.yaml).
CREATE TABLE templates (
    name       TEXT    PRIMARY KEY,
    body       TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
