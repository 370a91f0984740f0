-- A supplier's exchange rates, kept current by its ERP: one unit of `base` (a catalog's
-- currency) is rate_e6 millionths of `currency`. Never shown to customers: they see their
-- prices converted.
CREATE TABLE exchange_rates (
  supplier_id  TEXT NOT NULL REFERENCES companies (id),
  base         TEXT NOT NULL,
  currency     TEXT NOT NULL,
  rate_e6      INTEGER NOT NULL CHECK (rate_e6 > 0),
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (supplier_id, base, currency)
);

-- The currency a customer orders in (NULL: each catalog's own).
ALTER TABLE order_terms ADD COLUMN currency TEXT;

-- A relationship with a catalog enabled has its `order` service on (services written before
-- the service existed lack the key, which reads as inactive).
UPDATE relationships SET services = json_set(services, '$.order', 'enabled')
  WHERE id IN (SELECT relationship_id FROM catalog_customers);
