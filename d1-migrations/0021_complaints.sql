-- Complaints (RMA): a customer's complaint about an order or a delivered document of one
-- relationship, handled by the supplier's returns staff (shared::complaint; the worker that
-- serves them is to come). Both sides read it; what one side keeps to itself (tasks about it)
-- lives elsewhere.
--
-- seq: the supplier's running number of complaints (1, 2, …), number its text (RMA-2026-00042),
-- unique per supplier: two complaints filed at once take the next free one (the second insert
-- fails on UNIQUE and is retried). document_id: what it is about (its order_id groups it with
-- the order's other documents). opened_by_*: the customer's person (or API key) who filed it.
CREATE TABLE complaints (
  id                    TEXT PRIMARY KEY,
  relationship_id       TEXT NOT NULL REFERENCES relationships (id),
  supplier_id           TEXT NOT NULL REFERENCES companies (id),
  customer_id           TEXT NOT NULL REFERENCES companies (id),
  seq                   INTEGER NOT NULL,
  number                TEXT NOT NULL,
  document_id           TEXT NOT NULL REFERENCES documents (id),
  order_id              TEXT NOT NULL,
  reason                TEXT NOT NULL CHECK (reason IN ('damaged', 'wrong_item', 'missing', 'quality', 'other')),
  description           TEXT NOT NULL,
  status                TEXT NOT NULL CHECK (status IN ('received', 'under_review', 'accepted', 'rejected', 'closed')),
  resolution            TEXT CHECK (resolution IN ('replacement', 'credit_note', 'repair', 'return')),
  decision_note         TEXT,
  opened_by_user_id     TEXT,
  opened_by_api_key_id  TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  closed_at             TEXT,
  UNIQUE (supplier_id, seq)
);
CREATE INDEX complaints_supplier ON complaints (supplier_id, id);
CREATE INDEX complaints_customer ON complaints (customer_id, id);
CREATE INDEX complaints_document ON complaints (document_id);

-- The lines and quantities concerned: an item as the customer names it (SKU, GTIN or text),
-- a decimal quantity as text (exact), its unit, a note.
CREATE TABLE complaint_lines (
  complaint_id  TEXT NOT NULL REFERENCES complaints (id),
  line_no       INTEGER NOT NULL,
  item          TEXT NOT NULL,
  quantity      TEXT NOT NULL,
  unit          TEXT,
  note          TEXT,
  PRIMARY KEY (complaint_id, line_no)
);

-- The status bar and the comments of both sides, in one history: an entry with a status is a
-- move (with its note), one without is a comment. company_id: the side that wrote it.
CREATE TABLE complaint_history (
  id            TEXT PRIMARY KEY,
  complaint_id  TEXT NOT NULL REFERENCES complaints (id),
  company_id    TEXT NOT NULL,
  user_id       TEXT,
  status        TEXT,
  text          TEXT,
  at            TEXT NOT NULL
);
CREATE INDEX complaint_history_complaint ON complaint_history (complaint_id, id);

-- Photos and files of a complaint: talk's attachments (uploaded with POST /v1/attachments),
-- tied to the complaint instead of a message.
ALTER TABLE attachments ADD COLUMN complaint_id TEXT REFERENCES complaints (id);
