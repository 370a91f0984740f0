-- A company's own opening of the mails it causes (workers/admin, docs/mail.md "A company's own
-- opening"): per template and language, it replaces the mail's first paragraph (the greeting)
-- when the mailer first claims the mail; the placeholders {company} and {email} are filled
-- in then (shared::data::mails::claim_stmt).
CREATE TABLE mail_openings (
  company_id  TEXT NOT NULL REFERENCES companies (id),
  template    TEXT NOT NULL,
  language    TEXT NOT NULL,
  text        TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (company_id, template, language)
);
-- The company whose action caused the mail (an invitation's sender, the partner an info mail
-- is about): its opening applies. NULL for the account mails Tradepost sends itself.
ALTER TABLE mails ADD COLUMN company_id TEXT;
