-- Threadline schema v6: indexes that make deleting cheap (retention purge,
-- customer forget). SQLite checks a foreign key on delete by looking up the
-- child rows that point at the deleted parent; without an index on the child
-- column each deleted message or conversation scans the whole child table.
CREATE INDEX messages_edit_of ON messages(edit_of);
CREATE INDEX outbox_conversation ON outbox(conversation_id);
CREATE INDEX outbox_message ON outbox(message_id);
CREATE INDEX threads_conversation ON threads(conversation_id);
