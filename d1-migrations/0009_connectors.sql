-- ERP connectors (workers/partners, /v1/connectors): the `tradepost` command line a company runs
-- beside its ERP registers itself with an API key of the company, polls its settings and reports
-- every run of its operations; the company's admins see them in the portal and change the
-- settings, which the connector picks up on its next contact.

-- A connector, known by its name within the company (registering the name again updates it).
-- api_key_id: the key it last registered with. last_seen_at: its last registration, poll or
-- run report.
CREATE TABLE connectors (
  id             TEXT PRIMARY KEY,
  company_id     TEXT NOT NULL REFERENCES companies (id),
  api_key_id     TEXT NOT NULL,
  name           TEXT NOT NULL,
  host           TEXT,
  version        TEXT,
  registered_at  TEXT NOT NULL,
  last_seen_at   TEXT NOT NULL,
  UNIQUE (company_id, name)
);

-- An operation of a connector (shared/src/connector.rs) with the admins' settings: switched on
-- or off, how often it runs (interval_secs, 10 s to 7 days), and a one-time run due at run_at
-- (NULL: none), cleared by the first run reported to have started at or after it. Registering
-- again adds operations not yet stored and leaves these settings alone.
CREATE TABLE connector_operations (
  connector_id   TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  operation      TEXT NOT NULL CHECK (operation IN ('send', 'fetch', 'status')),
  enabled        INTEGER NOT NULL DEFAULT 1,
  interval_secs  INTEGER NOT NULL,
  run_at         TEXT,
  updated_at     TEXT NOT NULL,
  PRIMARY KEY (connector_id, operation)
);

-- One run of an operation as the connector reported it: how many files it handled, how many
-- failed, and its last words. A report sent twice (after a timeout) is stored once, by its
-- operation and start.
CREATE TABLE connector_runs (
  id            TEXT PRIMARY KEY,
  connector_id  TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  company_id    TEXT NOT NULL REFERENCES companies (id),
  operation     TEXT NOT NULL CHECK (operation IN ('send', 'fetch', 'status')),
  started_at    TEXT NOT NULL,
  finished_at   TEXT NOT NULL,
  files         INTEGER NOT NULL,
  errors        INTEGER NOT NULL,
  message       TEXT,
  created_at    TEXT NOT NULL,
  UNIQUE (connector_id, operation, started_at)
);
-- A connector's runs newest first, and the newest of each operation (its last_run).
CREATE INDEX connector_runs_connector ON connector_runs (connector_id, id);
CREATE INDEX connector_runs_operation ON connector_runs (connector_id, operation, id);
