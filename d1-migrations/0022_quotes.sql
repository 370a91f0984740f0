-- Requests for quotes and quotes (shared::quote): a customer asks its supplier for a quote, the
-- supplier answers in versions, the customer accepts (the order goes into the supplier's inbox
-- as a UBL order file referencing the quote), rejects or asks for changes; a cron expires a
-- quote whose validity passed.
--
-- seq/number: the supplier's running number of requests (RFQ-2027-00042), unique per supplier
-- (two requests made at once: the second insert fails on UNIQUE and is retried). thread_id: a
-- talk thread with the supplier the request is tied to. order_document_id: the order written on
-- acceptance. reason: a rejection's or withdrawal's words. revision: a fresh id written by
-- every change, which the next change names (so a change that lost a race writes nothing).
CREATE TABLE quote_requests (
  id                      TEXT PRIMARY KEY,
  relationship_id         TEXT NOT NULL REFERENCES relationships (id),
  supplier_id             TEXT NOT NULL REFERENCES companies (id),
  customer_id             TEXT NOT NULL REFERENCES companies (id),
  seq                     INTEGER NOT NULL,
  number                  TEXT NOT NULL,
  title                   TEXT NOT NULL,
  text                    TEXT,
  desired_date            TEXT,
  status                  TEXT NOT NULL CHECK (status IN ('requested', 'quoted', 'accepted', 'rejected', 'expired', 'withdrawn')),
  thread_id               TEXT REFERENCES threads (id),
  requested_by_user_id    TEXT,
  requested_by_api_key_id TEXT,
  order_document_id       TEXT REFERENCES documents (id),
  reason                  TEXT,
  revision                TEXT NOT NULL,
  created_at              TEXT NOT NULL,
  updated_at              TEXT NOT NULL,
  closed_at               TEXT,
  UNIQUE (supplier_id, seq)
);
CREATE INDEX quote_requests_supplier ON quote_requests (supplier_id, id);
CREATE INDEX quote_requests_customer ON quote_requests (customer_id, id);

-- What the customer asks for: an item as it names it, a quantity (text, exact), unit, note.
CREATE TABLE quote_request_lines (
  request_id  TEXT NOT NULL REFERENCES quote_requests (id),
  line_no     INTEGER NOT NULL,
  item        TEXT NOT NULL,
  quantity    TEXT NOT NULL,
  unit        TEXT,
  note        TEXT,
  PRIMARY KEY (request_id, line_no)
);

-- The supplier's quotes, in versions: one `current` per request at most (the newest); a new
-- version makes the one before `superseded`; the customer's decision or the cron ends the
-- current one (`accepted`, `rejected`, `expired`). Amounts in ten-thousandths of the currency.
CREATE TABLE quotes (
  id                  TEXT PRIMARY KEY,
  request_id          TEXT NOT NULL REFERENCES quote_requests (id),
  version             INTEGER NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('current', 'superseded', 'accepted', 'rejected', 'expired')),
  currency            TEXT NOT NULL,
  valid_until         TEXT NOT NULL,
  terms               TEXT,
  note                TEXT,
  total_e4            INTEGER NOT NULL,
  created_by_user_id  TEXT,
  created_by_api_key_id TEXT,
  created_at          TEXT NOT NULL,
  UNIQUE (request_id, version)
);
CREATE INDEX quotes_current ON quotes (status, valid_until);

CREATE TABLE quote_lines (
  quote_id       TEXT NOT NULL REFERENCES quotes (id),
  line_no        INTEGER NOT NULL,
  item           TEXT NOT NULL,
  description    TEXT,
  quantity_e3    INTEGER NOT NULL,
  unit           TEXT,
  unit_price_e4  INTEGER NOT NULL,
  total_e4       INTEGER NOT NULL,
  PRIMARY KEY (quote_id, line_no)
);

-- The status bar and the comments of both sides (as complaint_history): an entry with a status
-- is a step (with its note), one without is a comment.
CREATE TABLE quote_history (
  id          TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL REFERENCES quote_requests (id),
  company_id  TEXT NOT NULL,
  user_id     TEXT,
  status      TEXT,
  version     INTEGER,
  text        TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX quote_history_request ON quote_history (request_id, id);

-- Files of a request for a quote (the customer's drawings, the supplier's quote as a PDF or a
-- UBL Quotation): attachments tied to the request (shared::data::files), as a complaint's are.
ALTER TABLE attachments ADD COLUMN quote_request_id TEXT REFERENCES quote_requests (id);
