-- Completing a multipart upload is claimed first, so completes of one upload sent at the same
-- time (a client retrying after a timeout) do not assemble it twice: completing_at is when the
-- running completion began; another waits until it is done, or until it is five minutes old
-- (a completion cut off by a crash).
ALTER TABLE uploads ADD COLUMN completing_at TEXT;
