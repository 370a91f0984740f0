-- A company proves it controls an e-mail domain with a DNS TXT record (workers/admin, docs/api.md
-- "Who is who"): its admin claims the domain and gets a token to publish as
-- `_tradepost-challenge.<domain> TXT "tradepost-verification=<token>"`; once the admin worker's
-- resolver (DNS over HTTPS) finds it, the domain is the company's verified domain, shown before
-- the one its admin's confirmed address has.
ALTER TABLE companies ADD COLUMN domain_claim TEXT;
ALTER TABLE companies ADD COLUMN domain_token TEXT;
ALTER TABLE companies ADD COLUMN domain_claimed_at TEXT;
ALTER TABLE companies ADD COLUMN verified_domain TEXT;
ALTER TABLE companies ADD COLUMN domain_verified_at TEXT;
