-- Threadline schema v8: the pacing destination is computed once when a
-- row is queued (the customer's address for sends to a channel, the
-- department for staff surfaces), not looked up on every scheduling pass.
ALTER TABLE outbox ADD COLUMN dest TEXT NOT NULL DEFAULT '';
UPDATE outbox SET dest = (SELECT CASE WHEN outbox.kind = 'customer_send' THEN address ELSE department END
                          FROM conversations WHERE id = outbox.conversation_id)
WHERE state = 'pending';
