-- Threadline schema v6: only the head of each outbox lane (conversation,
-- target) is schedulable; rows behind it wait with next_attempt_at at a
-- far-future sentinel and are activated when the head is finished. The
-- worker then reads due rows with a plain index range scan.
UPDATE outbox SET next_attempt_at = 4611686018427387904
WHERE state = 'pending' AND id != (
    SELECT min(p.id) FROM outbox p
    WHERE p.state = 'pending' AND p.conversation_id = outbox.conversation_id AND p.target = outbox.target);
