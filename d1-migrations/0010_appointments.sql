-- Appointments (workers/appointments, docs/appointments.md): a supplier (an agency, say) plans
-- projects for a customer company, at the customer's locations grouped in territories, with its
-- own field staff; the customer's people see what they are assigned to and propose appointments.
-- Every row of a pair of companies names the relationship it was made under (the customer sees
-- it only while that relationship is active).

-- A project the supplier plans for the customer. starts_on/ends_on: dates YYYY-MM-DD or NULL.
-- Its name is unique per supplier and customer (a create sent again answers 409).
CREATE TABLE projects (
  id               TEXT PRIMARY KEY,
  supplier_id      TEXT NOT NULL REFERENCES companies (id),
  customer_id      TEXT NOT NULL REFERENCES companies (id),
  relationship_id  TEXT NOT NULL REFERENCES relationships (id),
  name             TEXT NOT NULL,
  description      TEXT,
  starts_on        TEXT,
  ends_on          TEXT,
  status           TEXT NOT NULL CHECK (status IN ('planned', 'active', 'completed', 'cancelled')),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  UNIQUE (supplier_id, customer_id, name)
);
CREATE INDEX projects_customer ON projects (customer_id, id);

-- A territory of the customer's locations (a region, a district in it). path: the ids from the
-- root down to this one, '/ter_a/ter_b/', so "inside territory T, however deep" is
-- instr(path, '/T/') > 0. A territory's parent never changes, so no cycle can arise.
CREATE TABLE territories (
  id               TEXT PRIMARY KEY,
  supplier_id      TEXT NOT NULL REFERENCES companies (id),
  customer_id      TEXT NOT NULL REFERENCES companies (id),
  relationship_id  TEXT NOT NULL REFERENCES relationships (id),
  parent_id        TEXT REFERENCES territories (id),
  path             TEXT NOT NULL,
  name             TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  UNIQUE (supplier_id, customer_id, name)
);
CREATE INDEX territories_customer ON territories (customer_id, id);

-- A place of the customer where appointments take place. country: ISO 3166-1 alpha-2;
-- time_zone: an IANA name of shared::tz. territory_id NULL: in no territory (then only the
-- supplier and the customer's managers see it).
CREATE TABLE locations (
  id               TEXT PRIMARY KEY,
  supplier_id      TEXT NOT NULL REFERENCES companies (id),
  customer_id      TEXT NOT NULL REFERENCES companies (id),
  relationship_id  TEXT NOT NULL REFERENCES relationships (id),
  territory_id     TEXT REFERENCES territories (id),
  name             TEXT NOT NULL,
  street           TEXT,
  postal_code      TEXT,
  city             TEXT NOT NULL,
  country          TEXT NOT NULL,
  time_zone        TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  UNIQUE (supplier_id, customer_id, name)
);
CREATE INDEX locations_customer ON locations (customer_id, id);
CREATE INDEX locations_territory ON locations (territory_id);

-- The supplier's field staff. email and phone are shown to the supplier only; the customer
-- sees name and role. user_id: the supplier's user this person is, if any.
CREATE TABLE staff (
  id           TEXT PRIMARY KEY,
  supplier_id  TEXT NOT NULL REFERENCES companies (id),
  name         TEXT NOT NULL,
  role         TEXT NOT NULL,
  email        TEXT,
  phone        TEXT,
  user_id      TEXT REFERENCES users (id),
  created_at   TEXT NOT NULL,
  UNIQUE (supplier_id, name)
);

-- A person of the customer assigned to a project: they see it (people of the customer without
-- appointments.manage see only the projects they are assigned to). territory_ids: a JSON array
-- of territory ids; not empty: they see only the locations inside these territories (however
-- deep) and the project's appointments there.
CREATE TABLE project_contacts (
  project_id     TEXT NOT NULL REFERENCES projects (id),
  user_id        TEXT NOT NULL REFERENCES users (id),
  territory_ids  TEXT NOT NULL DEFAULT '[]',
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_contacts_user ON project_contacts (user_id);

-- An appointment of a project at a location. starts_at/ends_at: UTC instants (shown in the
-- location's time zone). proposed_by_user_id: the customer's person who proposed it (NULL when
-- the supplier planned it). reason: why it was rejected or cancelled. revision: raised with
-- every change (the calendar's SEQUENCE). created_by_company_id + idempotency_key: a create
-- sent again with its Idempotency-Key finds the first (request_hash: what it asked for).
CREATE TABLE appointments (
  id                     TEXT PRIMARY KEY,
  project_id             TEXT NOT NULL REFERENCES projects (id),
  supplier_id            TEXT NOT NULL REFERENCES companies (id),
  customer_id            TEXT NOT NULL REFERENCES companies (id),
  location_id            TEXT NOT NULL REFERENCES locations (id),
  title                  TEXT NOT NULL,
  description            TEXT,
  starts_at              TEXT NOT NULL,
  ends_at                TEXT NOT NULL,
  status                 TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'rejected', 'staffed', 'done', 'cancelled')),
  proposed_by_user_id    TEXT,
  note                   TEXT,
  reason                 TEXT,
  revision               INTEGER NOT NULL DEFAULT 0,
  created_by_company_id  TEXT NOT NULL,
  idempotency_key        TEXT,
  request_hash           TEXT,
  created_at             TEXT NOT NULL,
  updated_at             TEXT NOT NULL,
  UNIQUE (created_by_company_id, idempotency_key)
);
CREATE INDEX appointments_supplier ON appointments (supplier_id, starts_at, id);
CREATE INDEX appointments_customer ON appointments (customer_id, starts_at, id);
CREATE INDEX appointments_project ON appointments (project_id, starts_at, id);

-- Who comes to an appointment, in the order the supplier named them.
CREATE TABLE appointment_staff (
  appointment_id  TEXT NOT NULL REFERENCES appointments (id),
  staff_id        TEXT NOT NULL REFERENCES staff (id),
  position        INTEGER NOT NULL,
  PRIMARY KEY (appointment_id, staff_id)
);
CREATE INDEX appointment_staff_staff ON appointment_staff (staff_id);

-- What happened to an appointment, oldest first: each status it reached, when, by which side
-- (supplier or customer), company and person (NULL for an API key). id: a ULID.
CREATE TABLE appointment_history (
  id              TEXT PRIMARY KEY,
  appointment_id  TEXT NOT NULL REFERENCES appointments (id),
  status          TEXT NOT NULL,
  at              TEXT NOT NULL,
  by_side         TEXT NOT NULL CHECK (by_side IN ('supplier', 'customer')),
  company_id      TEXT NOT NULL,
  user_id         TEXT,
  note            TEXT,
  reason          TEXT
);
CREATE INDEX appointment_history_appointment ON appointment_history (appointment_id, id);

-- A person's iCalendar feed: GET /v1/feeds/{token}/calendar.ics without credentials shows the
-- appointments the person sees. Only the token's SHA-256 is stored; revoked_at ends it.
CREATE TABLE calendar_feeds (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (id),
  company_id  TEXT NOT NULL REFERENCES companies (id),
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id, id);
