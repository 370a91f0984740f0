-- Idempotent proofs: a supplier's system that sends a proof again with the same Idempotency-Key
-- (after a timeout, say) gets the approval it created the first time, not a new version that
-- supersedes it. Keys are per supplier company, like the documents' keys per sender.
ALTER TABLE approvals ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX approvals_idempotency ON approvals (supplier_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
