-- The document exchange (workers/orders): documents in company mailboxes, their status history,
-- multipart uploads and the files whose upload has not finished yet.

-- A document sent by one company (sender) into the inbox of a partner (recipient).
-- status: see shared/src/document.rs. size is bytes; sha256 is lower-case hex of the whole file.
-- order_id: the first document of the order this one belongs to (its own id when it answers none).
CREATE TABLE documents (
  id                   TEXT PRIMARY KEY,
  relationship_id      TEXT NOT NULL REFERENCES relationships (id),
  sender_id            TEXT NOT NULL REFERENCES companies (id),
  recipient_id         TEXT NOT NULL REFERENCES companies (id),
  sender_user_id       TEXT,
  sender_api_key_id    TEXT,
  type                 TEXT NOT NULL CHECK (type IN ('order', 'order_response', 'quote', 'invoice',
                         'delivery_note', 'rfq', 'complaint', 'other')),
  filename             TEXT NOT NULL,
  content_type         TEXT NOT NULL,
  size                 INTEGER NOT NULL,
  sha256               TEXT NOT NULL,
  object_key           TEXT NOT NULL,
  reference            TEXT,
  recipient_reference  TEXT,
  customer_number      TEXT,
  in_reply_to          TEXT REFERENCES documents (id),
  order_id             TEXT NOT NULL,
  status               TEXT NOT NULL CHECK (status IN ('held', 'new', 'downloaded', 'imported',
                         'accepted', 'rejected', 'in_progress', 'shipped', 'delivered', 'completed',
                         'cancelled', 'discarded')),
  format               TEXT,
  summary              TEXT,
  parse_error          TEXT,
  idempotency_key      TEXT,
  file_deleted         INTEGER NOT NULL DEFAULT 0,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL,
  downloaded_at        TEXT,
  UNIQUE (sender_id, idempotency_key)
);
CREATE INDEX documents_inbox ON documents (recipient_id, id);
CREATE INDEX documents_inbox_status ON documents (recipient_id, status, id);
CREATE INDEX documents_outbox ON documents (sender_id, id);
CREATE INDEX documents_order ON documents (order_id, id);
CREATE INDEX documents_relationship ON documents (relationship_id, status);

-- The status bar: every move of a document, oldest first (by seq).
CREATE TABLE document_history (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id      TEXT NOT NULL REFERENCES documents (id),
  status           TEXT NOT NULL,
  actor            TEXT NOT NULL CHECK (actor IN ('sender', 'recipient', 'system')),
  company_id       TEXT,
  user_id          TEXT,
  api_key_id       TEXT,
  note             TEXT,
  reason           TEXT,
  carrier          TEXT,
  tracking_number  TEXT,
  reference        TEXT,
  at               TEXT NOT NULL
);
CREATE INDEX document_history_document ON document_history (document_id, seq);

-- A multipart upload: the file goes up in parts, then becomes a document on completion.
-- status: open, completed (document_id set), aborted. r2_upload_id is R2's multipart id.
CREATE TABLE uploads (
  id                 TEXT PRIMARY KEY,
  sender_id          TEXT NOT NULL REFERENCES companies (id),
  recipient_id       TEXT NOT NULL REFERENCES companies (id),
  sender_user_id     TEXT,
  sender_api_key_id  TEXT,
  type               TEXT NOT NULL,
  filename           TEXT NOT NULL,
  content_type       TEXT NOT NULL,
  reference          TEXT,
  in_reply_to        TEXT,
  object_key         TEXT NOT NULL,
  r2_upload_id       TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('open', 'completed', 'aborted')),
  document_id        TEXT,
  created_at         TEXT NOT NULL,
  expires_at         TEXT NOT NULL
);
CREATE INDEX uploads_sender ON uploads (sender_id, id);
CREATE INDEX uploads_expiry ON uploads (status, expires_at);

-- The parts of a multipart upload. hash_state: the SHA-256 state after this part when it was
-- hashed on from the state part n-1 left (shared/src/digest.rs); NULL when the part came out
-- of order, in which case completion hashes on from the stored file.
CREATE TABLE upload_parts (
  upload_id    TEXT NOT NULL REFERENCES uploads (id),
  part_number  INTEGER NOT NULL,
  size         INTEGER NOT NULL,
  etag         TEXT NOT NULL,
  hash_state   TEXT,
  prev_state   TEXT,
  uploaded_at  TEXT NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);

-- A file being written to the bucket whose document does not exist yet. The row is removed in
-- the same transaction that writes the document; the sweep deletes files of rows left behind
-- by an upload that failed or was cut off.
CREATE TABLE pending_objects (
  object_key  TEXT PRIMARY KEY,
  created_at  TEXT NOT NULL
);
