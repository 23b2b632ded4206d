-- Threadline schema v1. Times are unix milliseconds (UTC).

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    unreachable  TEXT    NOT NULL DEFAULT '',  -- why replies cannot reach them; '' when they can
    created_at   INTEGER NOT NULL
);

-- A customer's presence on one channel (visitor id, Telegram chat, email address).
CREATE TABLE customer_identities (
    platform     TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    display_name TEXT    NOT NULL DEFAULT '',
    username     TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (platform, address)
) WITHOUT ROWID;
CREATE INDEX customer_identities_customer ON customer_identities(customer_id);

CREATE TABLE conversations (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id),
    channel           TEXT    NOT NULL,
    address           TEXT    NOT NULL,
    subject           TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL CHECK (status IN ('open', 'waiting', 'closed')),
    priority          TEXT    NOT NULL DEFAULT 'normal' CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    department        TEXT    NOT NULL DEFAULT '',
    owner             TEXT    NOT NULL DEFAULT '',
    owner_name        TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_response_at INTEGER,
    last_customer_at  INTEGER,
    last_staff_at     INTEGER,
    closed_at         INTEGER,
    close_reason      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX conversations_customer ON conversations(customer_id, channel, address, id);
CREATE INDEX conversations_status ON conversations(status, updated_at);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    direction       TEXT    NOT NULL CHECK (direction IN ('customer', 'staff', 'note', 'system')),
    author_id       TEXT    NOT NULL DEFAULT '',
    author          TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    attachments     TEXT    NOT NULL DEFAULT '',  -- JSON array, '' for none
    platform        TEXT    NOT NULL DEFAULT '',  -- where it was written
    external_id     TEXT,                         -- the platform's id, for dedupe
    edit_of         INTEGER REFERENCES messages(id),
    created_at      INTEGER NOT NULL
);
-- A redelivered message (same platform id) is stored once.
CREATE UNIQUE INDEX messages_external ON messages(platform, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages(conversation_id, id);

-- Full-text search (FTS4 ships in the default go-sqlite3 build: no build tags).
CREATE VIRTUAL TABLE messages_fts USING fts4(content="messages", body, tokenize=unicode61);
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(docid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_bd BEFORE DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE docid = old.id;
END;
CREATE TRIGGER messages_fts_bu BEFORE UPDATE OF body ON messages BEGIN
    DELETE FROM messages_fts WHERE docid = old.id;
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(docid, body) VALUES (new.id, new.body);
END;

-- Ids our copies of a message got on other platforms (staff posts, sent replies).
CREATE TABLE message_refs (
    platform    TEXT    NOT NULL,
    external_id TEXT    NOT NULL,
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (platform, external_id)
) WITHOUT ROWID;
CREATE INDEX message_refs_message ON message_refs(message_id);

-- Conversation <-> staff thread per surface. Old threads (parent deleted)
-- stay, inactive, so messages in them still find their conversation.
CREATE TABLE threads (
    surface         TEXT    NOT NULL,
    thread_ref      TEXT    NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (surface, thread_ref)
) WITHOUT ROWID;
CREATE UNIQUE INDEX threads_active ON threads(conversation_id, surface) WHERE active = 1;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    target          TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    message_id      INTEGER REFERENCES messages(id),
    payload         TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    external_id     TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER
);
CREATE INDEX outbox_lane ON outbox(conversation_id, target, id) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER REFERENCES conversations(id),
    actor           TEXT    NOT NULL,
    actor_name      TEXT    NOT NULL DEFAULT '',
    action          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    at              INTEGER NOT NULL
);
CREATE INDEX audit_log_conversation ON audit_log(conversation_id, id);

-- Per-adapter positions (Telegram offset, IMAP UIDVALIDITY/UID, ...).
CREATE TABLE cursors (
    adapter    TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (adapter, key)
) WITHOUT ROWID;

-- Platform event ids already handled (Slack event_id, ...), for dedupe.
CREATE TABLE seen_events (
    source   TEXT    NOT NULL,
    event_id TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (source, event_id)
) WITHOUT ROWID;

CREATE INDEX customers_email ON customers(email) WHERE email != '';
