-- Proof approvals (workers/approvals): a supplier attaches a proof file to a document exchanged
-- with its customer and asks for approval; a person of the customer approves or rejects it.

-- One proof version of a document. version counts 1, 2, … per document; a new version
-- supersedes the pending one (status superseded, superseded_by = the new id). status: see
-- shared/src/approval.rs. approvers: JSON array of user ids of the customer, or NULL for anyone
-- of the customer with approvals.decide. The proof file is at object_key
-- ({customer_id}/proofs/{id}); size is bytes, sha256 lower-case hex of the whole file.
-- The decision columns are written once, by the guarded update that leaves 'pending':
-- decided_sha256 is the hash of the proof the decision was made on.
CREATE TABLE approvals (
  id                       TEXT PRIMARY KEY,
  document_id              TEXT NOT NULL REFERENCES documents (id),
  relationship_id          TEXT NOT NULL REFERENCES relationships (id),
  supplier_id              TEXT NOT NULL REFERENCES companies (id),
  customer_id              TEXT NOT NULL REFERENCES companies (id),
  version                  INTEGER NOT NULL,
  status                   TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected',
                             'superseded')),
  filename                 TEXT NOT NULL,
  content_type             TEXT NOT NULL,
  size                     INTEGER NOT NULL,
  sha256                   TEXT NOT NULL,
  object_key               TEXT NOT NULL,
  note                     TEXT,
  approvers                TEXT,
  requested_by_user_id     TEXT,
  requested_by_api_key_id  TEXT,
  requested_by_name        TEXT NOT NULL,
  created_at               TEXT NOT NULL,
  updated_at               TEXT NOT NULL,
  decided_at               TEXT,
  decided_by_user_id       TEXT,
  decided_by_name          TEXT,
  comment                  TEXT,
  decided_sha256           TEXT,
  superseded_by            TEXT,
  superseded_at            TEXT,
  UNIQUE (document_id, version)
);
CREATE INDEX approvals_customer ON approvals (customer_id, status, id);
CREATE INDEX approvals_supplier ON approvals (supplier_id, status, id);
CREATE INDEX approvals_document ON approvals (document_id, version);
