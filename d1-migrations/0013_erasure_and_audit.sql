-- The administrator's overview (docs/api.md, "People and their data"; "The audit log").
--
-- deleted_at: the access was deleted and the person's data erased: the row stays (so the
-- company's history keeps pointing at someone) as "Former user", disabled, with no password,
-- card or permissions, and an address of the reserved .invalid domain that frees the real one.
ALTER TABLE users ADD COLUMN deleted_at TEXT;

-- Administrative actions of a company, newest last (ids are time-ordered). actor: the person
-- or API key that acted. target: what it acted on (a user, an API key, a webhook endpoint).
-- details: what changed, as JSON (role and permissions before and after, a key's name and
-- permissions, an endpoint's URL and events) — never a person's name or address, which are
-- joined when read, so the erasure of a person reaches the log too.
CREATE TABLE audit_log (
  id                TEXT PRIMARY KEY,
  company_id        TEXT NOT NULL REFERENCES companies (id),
  actor_user_id     TEXT,
  actor_api_key_id  TEXT,
  action            TEXT NOT NULL,
  target_type       TEXT NOT NULL CHECK (target_type IN ('user', 'api_key', 'webhook')),
  target_id         TEXT NOT NULL,
  details           TEXT NOT NULL DEFAULT '{}',
  created_at        TEXT NOT NULL
);
CREATE INDEX audit_log_company ON audit_log (company_id, id);
CREATE INDEX audit_log_target ON audit_log (company_id, target_id, id);
