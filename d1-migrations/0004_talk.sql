-- Talk (workers/talk): threads between the people of two connected companies, their messages,
-- the files attached to messages, and each user's read position.

-- A thread, started by a user of company_id with the partner company partner_id.
-- to_user_id: the addressed person of the partner company (whose card the starter's company
-- received); NULL when the thread is addressed to the partner company as a whole.
-- last_message_at and message_count follow every message (the list is ordered by activity).
CREATE TABLE threads (
  id               TEXT PRIMARY KEY,
  relationship_id  TEXT NOT NULL REFERENCES relationships (id),
  company_id       TEXT NOT NULL REFERENCES companies (id),
  partner_id       TEXT NOT NULL REFERENCES companies (id),
  subject          TEXT NOT NULL,
  document_id      TEXT REFERENCES documents (id),
  to_user_id       TEXT,
  created_by       TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  last_message_at  TEXT NOT NULL,
  message_count    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX threads_company_activity ON threads (company_id, last_message_at, id);
CREATE INDEX threads_partner_activity ON threads (partner_id, last_message_at, id);

-- A message written by user_id of company_id; user_name as it was when written.
CREATE TABLE messages (
  id          TEXT PRIMARY KEY,
  thread_id   TEXT NOT NULL REFERENCES threads (id),
  company_id  TEXT NOT NULL REFERENCES companies (id),
  user_id     TEXT NOT NULL,
  user_name   TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX messages_thread ON messages (thread_id, id);

-- A file uploaded by user_id of company_id for a message. message_id stays NULL until the
-- message that carries it is written; its object stays in pending_objects until then, so one
-- never sent is swept after an hour.
CREATE TABLE attachments (
  id            TEXT PRIMARY KEY,
  company_id    TEXT NOT NULL REFERENCES companies (id),
  user_id       TEXT NOT NULL,
  message_id    TEXT REFERENCES messages (id),
  filename      TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  size          INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  object_key    TEXT NOT NULL,
  created_at    TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_object ON attachments (object_key);

-- How far a user has read a thread: messages of the other company with a larger id are unread.
CREATE TABLE thread_reads (
  thread_id             TEXT NOT NULL REFERENCES threads (id),
  user_id               TEXT NOT NULL,
  last_read_message_id  TEXT NOT NULL,
  read_at               TEXT NOT NULL,
  PRIMARY KEY (thread_id, user_id)
);
