-- Tasks may be about complaints and quote requests too (issue 13's other flows, to come), which
-- the CHECK of 0019 left out. SQLite cannot change a CHECK in place; a rebuild is the usual way,
-- but these two tables are still empty everywhere (no worker wrote them before the tasks worker
-- that comes with this migration), so they are simply made anew, as 0019 made them otherwise.
DROP TABLE task_comments;
DROP TABLE tasks;

-- A task for a team or a person of the company (or both: the person of the team who took it).
-- about_*: what it is about, a document, thread, message or approval the company is a party
-- to (about_type follows the id's prefix); about_label is its name as the creator saw it, and
-- about_thread_id the thread of a message. Who created it: a person (created_by_user_id) or an
-- API key (created_by_api_key_id); names are read from users when answering, so an erased
-- person shows as "Former user". due_notified_on: the day the cron told about it being due.
CREATE TABLE tasks (
  id                     TEXT PRIMARY KEY,
  company_id             TEXT NOT NULL REFERENCES companies (id),
  title                  TEXT NOT NULL,
  description            TEXT,
  status                 TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
  due_on                 TEXT,
  team_id                TEXT REFERENCES teams (id) ON DELETE SET NULL,
  assignee_id            TEXT REFERENCES users (id),
  about_type             TEXT CHECK (about_type IN ('document', 'thread', 'message', 'approval',
                           'complaint', 'quote_request')),
  about_id               TEXT,
  about_label            TEXT,
  about_thread_id        TEXT,
  created_by_user_id     TEXT,
  created_by_api_key_id  TEXT,
  created_at             TEXT NOT NULL,
  updated_at             TEXT NOT NULL,
  closed_at              TEXT,
  due_notified_on        TEXT
);
CREATE INDEX tasks_company ON tasks (company_id, id);
CREATE INDEX tasks_assignee ON tasks (assignee_id, id);
CREATE INDEX tasks_team ON tasks (team_id, id);
CREATE INDEX tasks_about ON tasks (about_id);
CREATE INDEX tasks_due ON tasks (due_on)
  WHERE status IN ('open', 'in_progress') AND due_notified_on IS NULL;

-- A comment on a task, by a person of the company.
CREATE TABLE task_comments (
  id          TEXT PRIMARY KEY,
  task_id     TEXT NOT NULL REFERENCES tasks (id),
  user_id     TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX task_comments_task ON task_comments (task_id, id);
