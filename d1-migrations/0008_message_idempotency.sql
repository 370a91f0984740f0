-- Idempotent messages: a message (or a new thread's first message) sent again with the same
-- Idempotency-Key, after a timeout say, is answered with the one written the first time instead
-- of appearing twice. Keys are per company, like the documents' keys per sender.
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX messages_idempotency ON messages (company_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
