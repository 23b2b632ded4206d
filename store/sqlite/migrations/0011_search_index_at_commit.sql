-- Threadline schema v11: new messages enter the search index once per
-- commit, not once per message. The writer runs IndexNewMessages (one
-- INSERT ... SELECT of every message above the highest indexed id) just
-- before each COMMIT that inserted messages, so the index is complete at
-- every commit a reader can see. The per-row trigger it replaces cost about
-- a tenth of the CPU a message costs end to end.
--
-- Edits and deletes still keep the index in step, but only for rows that
-- are in it already: a row inserted and changed (or deleted) in the same
-- transaction is not yet indexed, and deleting its terms from an external
-- content FTS4 table would subtract terms it never added. Its final text
-- is indexed at commit instead. An indexed row has a docsize row.
DROP TRIGGER messages_fts_ai;
DROP TRIGGER messages_fts_bd;
DROP TRIGGER messages_fts_bu;
DROP TRIGGER messages_fts_au;
CREATE TRIGGER messages_fts_bd BEFORE DELETE ON messages
WHEN EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = old.id) BEGIN
    DELETE FROM messages_fts WHERE docid = old.id;
END;
-- Delete (which reads the old text from messages, so BEFORE the update)
-- and insert the new text (given as values, so the order does not matter).
CREATE TRIGGER messages_fts_bu BEFORE UPDATE OF body ON messages
WHEN EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = old.id) BEGIN
    DELETE FROM messages_fts WHERE docid = old.id;
    INSERT INTO messages_fts(docid, body) VALUES (new.id, new.body);
END;
