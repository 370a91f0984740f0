-- One person may hold accesses at several companies with one e-mail address and one password
-- (docs/api.md "Several companies"). An address is unique per company, no longer overall.
--
-- SQLite cannot drop the column's UNIQUE constraint without rebuilding the table, and in D1 a
-- rebuild (DROP TABLE users) would cascade-delete every session. So the constrained column
-- keeps its constraint under a new name and holds `company_id || ' ' || email` (an erased
-- access: 'deleted ' || id), and a new `email` column holds the address.
ALTER TABLE users RENAME COLUMN email TO access_key;
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
UPDATE users SET email = access_key, access_key = company_id || ' ' || access_key;
CREATE INDEX users_email ON users (email);
-- A sign-up not yet confirmed is the one access an address may hold without proving it
-- controls it: at most one per address, so two sign-ups at once cannot both start.
CREATE UNIQUE INDEX users_one_signup ON users (email) WHERE status = 'unconfirmed';
