-- Threadline schema v10: where the customer first wrote to (a mailbox or
-- alias, a web chat widget, a Telegram bot), for routing and the ticket card.
ALTER TABLE conversations ADD COLUMN entry TEXT NOT NULL DEFAULT '';
