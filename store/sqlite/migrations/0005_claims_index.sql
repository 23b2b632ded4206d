-- Threadline schema v5: find claimed, open conversations by claim time
-- (claim expiry and round-robin reassignment) without scanning them all.
CREATE INDEX conversations_claims ON conversations(claimed_at) WHERE owner != '' AND status = 'open';
