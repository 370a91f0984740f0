-- Accounts, relationships, cards, mail capture and the event outbox.
-- Timestamps are RFC 3339 UTC text with milliseconds (they sort lexically); ids are prefixed
-- ULIDs (they sort by creation time). Numbers are bound from Rust as f64 (D1 rejects BigInt).

CREATE TABLE companies (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  handle      TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL
);
CREATE INDEX companies_name ON companies (lower(name));

-- A person's access. status: unconfirmed (signed up, e-mail not yet confirmed), invited
-- (a colleague invitation not yet accepted; no password), active, disabled.
CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  company_id      TEXT NOT NULL REFERENCES companies (id),
  email           TEXT NOT NULL UNIQUE,
  name            TEXT NOT NULL,
  password_hash   TEXT,
  role            TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  permissions     TEXT NOT NULL DEFAULT '',
  language        TEXT NOT NULL DEFAULT 'en',
  status          TEXT NOT NULL CHECK (status IN ('unconfirmed', 'invited', 'active', 'disabled')),
  card            TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  last_login_at   TEXT
);
CREATE INDEX users_company ON users (company_id, id);

-- A login: the family of refresh tokens descended from it. Revoking it ends them all.
CREATE TABLE sessions (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Refresh tokens, stored as SHA-256 hex. used_at set on rotation; a second use is reuse.
CREATE TABLE refresh_tokens (
  hash        TEXT PRIMARY KEY,
  session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  used_at     TEXT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Single-use links sent by mail. kind: confirm, reset, invite_user, invite_company.
CREATE TABLE link_tokens (
  hash           TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('confirm', 'reset', 'invite_user', 'invite_company')),
  user_id        TEXT REFERENCES users (id) ON DELETE CASCADE,
  invitation_id  TEXT,
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  used_at        TEXT
);
CREATE INDEX link_tokens_user ON link_tokens (user_id);

-- A supplier's invitation of a customer company. status: open, accepted.
CREATE TABLE company_invitations (
  id            TEXT PRIMARY KEY,
  company_id    TEXT NOT NULL REFERENCES companies (id),
  invited_by    TEXT NOT NULL,
  email         TEXT NOT NULL,
  name          TEXT,
  company_name  TEXT,
  message       TEXT,
  settings      TEXT NOT NULL DEFAULT '{}',
  status        TEXT NOT NULL CHECK (status IN ('open', 'accepted')),
  created_at    TEXT NOT NULL,
  expires_at    TEXT NOT NULL,
  accepted_at   TEXT
);
CREATE INDEX company_invitations_company ON company_invitations (company_id, id);

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  company_id    TEXT NOT NULL REFERENCES companies (id),
  name          TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  hash          TEXT NOT NULL UNIQUE,
  permissions   TEXT NOT NULL,
  created_by    TEXT,
  created_at    TEXT NOT NULL,
  last_used_at  TEXT,
  revoked_at    TEXT
);
CREATE INDEX api_keys_company ON api_keys (company_id, id);

-- Failed logins per account ('acct:<email>') and per client address ('ip:<addr>').
CREATE TABLE login_failures (
  key           TEXT PRIMARY KEY,
  count         INTEGER NOT NULL,
  window_start  TEXT NOT NULL
);

-- One row per pair of companies (pair_key = the two ids sorted and joined by ':').
-- blocked_by: 'requester' or 'addressee'. services: JSON object service -> state.
-- customer_number … internal_remark are the supplier's own settings, never shown to the customer.
CREATE TABLE relationships (
  id                   TEXT PRIMARY KEY,
  pair_key             TEXT NOT NULL UNIQUE,
  requester_id         TEXT NOT NULL REFERENCES companies (id),
  addressee_id         TEXT NOT NULL REFERENCES companies (id),
  supplier_id          TEXT NOT NULL REFERENCES companies (id),
  customer_id          TEXT NOT NULL REFERENCES companies (id),
  status               TEXT NOT NULL CHECK (status IN ('requested', 'active', 'rejected', 'blocked')),
  blocked_by           TEXT CHECK (blocked_by IN ('requester', 'addressee')),
  status_before_block  TEXT,
  services             TEXT NOT NULL,
  message              TEXT,
  reject_reason        TEXT,
  customer_number      TEXT,
  discount_percent     REAL,
  grouping             TEXT,
  sales_channel        TEXT,
  shipping_terms       TEXT,
  payment_terms        TEXT,
  internal_remark      TEXT,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
);
CREATE INDEX relationships_requester ON relationships (requester_id, status, id);
CREATE INDEX relationships_addressee ON relationships (addressee_id, status, id);

-- A business card received by a company: the sender's card as it was when last sent.
CREATE TABLE contacts (
  id               TEXT PRIMARY KEY,
  owner_company_id TEXT NOT NULL REFERENCES companies (id),
  user_id          TEXT NOT NULL,
  from_company_id  TEXT NOT NULL REFERENCES companies (id),
  card             TEXT NOT NULL,
  received_at      TEXT NOT NULL,
  UNIQUE (owner_company_id, user_id)
);
CREATE INDEX contacts_owner ON contacts (owner_company_id, id);

-- Every outgoing mail, as rendered. Locally this is the mailbox newcomers and tests read.
CREATE TABLE mails (
  id          TEXT PRIMARY KEY,
  to_email    TEXT NOT NULL,
  language    TEXT NOT NULL,
  template    TEXT NOT NULL,
  subject     TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX mails_to ON mails (to_email, id);

-- The event outbox: written in the same batch as the change, then sent to tradepost-events.
CREATE TABLE events (
  id          TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  company_id  TEXT NOT NULL,
  data        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX events_company ON events (company_id, id);
