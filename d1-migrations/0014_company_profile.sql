-- A company's profile (workers/admin, docs/api.md "Company profile"): the legal name and VAT
-- id, whether it is listed in the directory (listed = 0: found only by its exact handle or an
-- invitation), its addresses and party identifiers (places: JSON of shared::profile::Places —
-- billing address, delivery addresses, branches, Peppol scheme and id pairs), and its logo in
-- the bucket (logo_key, with the type and SHA-256 it was stored with).
ALTER TABLE companies ADD COLUMN legal_name TEXT;
ALTER TABLE companies ADD COLUMN vat_id TEXT;
ALTER TABLE companies ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE companies ADD COLUMN places TEXT NOT NULL DEFAULT '{}';
ALTER TABLE companies ADD COLUMN logo_key TEXT;
ALTER TABLE companies ADD COLUMN logo_type TEXT;
ALTER TABLE companies ADD COLUMN logo_size INTEGER;
ALTER TABLE companies ADD COLUMN logo_sha256 TEXT;
ALTER TABLE companies ADD COLUMN profile_updated_at TEXT;
