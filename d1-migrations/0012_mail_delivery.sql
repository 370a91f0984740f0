-- Mail delivery (workers/mailer, docs/mail.md): every row of `mails` is sent once through the
-- Email Service binding, and the housekeeping cron clears what has expired.
--
-- status: 'queued' (to be sent once next_attempt_at has passed; NULL: at once) → 'sending'
-- (claimed by one run of the sender until claimed_until) → 'sent' (message_id: the provider's
-- id) or back to 'queued' with a later next_attempt_at after a refused attempt (error says
-- why), or 'failed' (error says why) after the last attempt, when the mail became too old to be
-- worth sending, or when a run stopped between handing it over and recording the outcome (it
-- may or may not have left; it is never sent a second time).
-- from_name: the display name of the sender where the mail is about a partner ("Druckerei
-- Muster GmbH via Tradepost"); NULL: Tradepost's own.
-- unsubscribe_token: set when an info mail is claimed, the one-click unsubscribe link's secret
-- (RFC 8058); it only ever switches that notification off for that person.
ALTER TABLE mails ADD COLUMN status TEXT NOT NULL DEFAULT 'queued'
  CHECK (status IN ('queued', 'sending', 'sent', 'failed'));
ALTER TABLE mails ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mails ADD COLUMN next_attempt_at TEXT;
ALTER TABLE mails ADD COLUMN claimed_until TEXT;
ALTER TABLE mails ADD COLUMN sent_at TEXT;
ALTER TABLE mails ADD COLUMN message_id TEXT;
ALTER TABLE mails ADD COLUMN error TEXT;
ALTER TABLE mails ADD COLUMN from_name TEXT;
ALTER TABLE mails ADD COLUMN unsubscribe_token TEXT;
CREATE INDEX mails_due ON mails (status, next_attempt_at);
CREATE UNIQUE INDEX mails_unsubscribe ON mails (unsubscribe_token)
  WHERE unsubscribe_token IS NOT NULL;
-- The housekeeping cron deletes by age.
CREATE INDEX mails_created ON mails (created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX link_tokens_expires ON link_tokens (expires_at);
CREATE INDEX delivery_attempts_at ON delivery_attempts (at);
