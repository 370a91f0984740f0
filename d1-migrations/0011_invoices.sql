-- Invoices (workers/invoices, docs/invoices.md): what the e-invoice recogniser (shared::invoice)
-- read in a document of type `invoice`, and where the invoice stands on its way to payment.
-- One row per document, written when the document was read (the invoice queue, or the cron for
-- any the queue missed); a document of type `invoice` without a row is still being read.

-- recognition: 'recognised' (summary holds the InvoiceSummary as JSON, findings the checks'
-- warnings), 'malformed' (an e-invoice format that does not parse: parse_error says why), or
-- 'unstructured' (no e-invoice inside, e.g. a plain PDF: shown as it is).
-- payable_e4: the payable amount in units of 0.0001 of the currency, negative for a credit note,
-- so the sums per currency are exact integer sums (NULL when payable is absent or finer).
-- order_document_id: the order the invoice names (cac:OrderReference, BuyerOrderReferencedDocument),
-- exchanged between the same two companies; the invoice document then joined its order_id.
-- state: 'new' → 'received' → 'disputed' → 'paid' (see shared::payment); overdue: a cron found
-- the due date passed while unpaid. thread_id: the talk thread a dispute opened.
CREATE TABLE invoices (
  document_id        TEXT PRIMARY KEY REFERENCES documents (id),
  relationship_id    TEXT NOT NULL REFERENCES relationships (id),
  sender_id          TEXT NOT NULL REFERENCES companies (id),
  recipient_id       TEXT NOT NULL REFERENCES companies (id),
  recognition        TEXT NOT NULL CHECK (recognition IN ('recognised', 'malformed', 'unstructured')),
  format             TEXT,
  kind               TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
  invoice_number     TEXT,
  issue_date         TEXT,
  due_date           TEXT,
  currency           TEXT,
  payable            TEXT,
  payable_e4         INTEGER,
  summary            TEXT,
  findings           TEXT NOT NULL DEFAULT '[]',
  parse_error        TEXT,
  order_document_id  TEXT REFERENCES documents (id),
  order_number       TEXT,
  state              TEXT NOT NULL CHECK (state IN ('new', 'received', 'disputed', 'paid')),
  overdue            INTEGER NOT NULL DEFAULT 0,
  thread_id          TEXT REFERENCES threads (id),
  paid_on            TEXT,
  paid_amount        TEXT,
  payment_reference  TEXT,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);
CREATE INDEX invoices_recipient ON invoices (recipient_id, document_id);
CREATE INDEX invoices_sender ON invoices (sender_id, document_id);
CREATE INDEX invoices_unpaid_due ON invoices (due_date) WHERE state <> 'paid' AND overdue = 0;

-- An invoice's status bar: every move, oldest first (by seq). state: the state it moved to, or
-- 'overdue' (the cron's flag). by: 'sender', 'recipient' or 'system'.
CREATE TABLE invoice_history (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id  TEXT NOT NULL REFERENCES invoices (document_id),
  state        TEXT NOT NULL CHECK (state IN ('new', 'received', 'disputed', 'paid', 'overdue')),
  actor        TEXT NOT NULL CHECK (actor IN ('sender', 'recipient', 'system')),
  user_id      TEXT,
  api_key_id   TEXT,
  note         TEXT,
  at           TEXT NOT NULL
);
CREATE INDEX invoice_history_document ON invoice_history (document_id, seq);
