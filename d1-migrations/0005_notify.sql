-- The notify worker: webhook endpoints, deliveries with their attempts, info-mail settings, and
-- the outbox resender's mark on events. See docs/webhooks.md.

-- A company's webhook endpoint. event_types: JSON array of types, NULL = every type.
-- disabled_reason: 'gone' (the receiver answered 410), 'failing' (five days of failures), or
-- NULL (enabled, or switched off by the company). secret: the whsec_ secret, kept as text
-- (encrypting it at rest is future work); previous_secret still signs until
-- previous_secret_expires_at after a rotation. failing_since: the first failed attempt since
-- the last success.
CREATE TABLE webhook_endpoints (
  id                          TEXT PRIMARY KEY,
  company_id                  TEXT NOT NULL REFERENCES companies (id),
  url                         TEXT NOT NULL,
  description                 TEXT,
  event_types                 TEXT,
  enabled                     INTEGER NOT NULL DEFAULT 1,
  disabled_reason             TEXT CHECK (disabled_reason IN ('gone', 'failing')),
  secret                      TEXT NOT NULL,
  previous_secret             TEXT,
  previous_secret_expires_at  TEXT,
  failing_since               TEXT,
  created_by                  TEXT,
  created_at                  TEXT NOT NULL,
  updated_at                  TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, id);

-- One event's delivery to one endpoint. body: the exact JSON sent, so every attempt sends the
-- same bytes. UNIQUE (endpoint_id, event_id) makes a redelivered queue message harmless.
-- attempts: how many were made; a retry message names the count it expects, so a stale or
-- duplicated one does nothing. claimed_until: a short lease while an attempt is in flight.
CREATE TABLE deliveries (
  id                TEXT PRIMARY KEY,
  endpoint_id       TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  company_id        TEXT NOT NULL,
  event_id          TEXT NOT NULL,
  event_type        TEXT NOT NULL,
  body              TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   TEXT,
  claimed_until     TEXT,
  last_status_code  INTEGER,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_company_due ON deliveries (company_id, status, next_attempt_at);

-- Every attempt of a delivery: the receiver's status (NULL for a timeout or network error),
-- how long it took, why it failed, and the first KiB of its answer.
CREATE TABLE delivery_attempts (
  delivery_id       TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  seq               INTEGER NOT NULL,
  at                TEXT NOT NULL,
  status_code       INTEGER,
  duration_ms       INTEGER NOT NULL,
  error             TEXT,
  response_excerpt  TEXT,
  PRIMARY KEY (delivery_id, seq)
);

-- Which event types a person wants mailed (JSON array). No row: the defaults.
CREATE TABLE notification_settings (
  user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  events      TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- The info mails sent: one per event and person, so a redelivered event mails nobody twice.
CREATE TABLE event_mails (
  event_id    TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (event_id, user_id)
);

-- Set by the notify worker when it took the event off the queue; the resender sends again
-- every event still unmarked after two minutes (a producer's queue.send can fail after its
-- commit).
ALTER TABLE events ADD COLUMN consumed_at TEXT;
CREATE INDEX events_unconsumed ON events (consumed_at, created_at);
