-- Catalogs and ordering (shared::catalog): a supplier's catalogs of products, enabled per
-- customer; the customer's prices (list, group, individual, quantity breaks, the relationship's
-- discount); per customer the ordering terms (a block, a credit limit, delivery addresses); the
-- orders customers place from a catalog, each written as an order file into the supplier's
-- inbox (documents).
--
-- Amounts are integers in ten-thousandths (`_e4`), quantities in thousandths (`_e3`): exact.
CREATE TABLE catalogs (
  id           TEXT PRIMARY KEY,
  supplier_id  TEXT NOT NULL REFERENCES companies (id),
  name         TEXT NOT NULL,
  currency     TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  UNIQUE (supplier_id, name)
);

-- A product, upserted by (catalog, sku). Names and descriptions per language (en is required,
-- de and pl fall back to it). category: a path, `Paper/Offset`. unit: UN/ECE Rec. 20 (C62 =
-- one). stock_e3 NULL: not stated; lead_time_days NULL: not stated.
CREATE TABLE products (
  id               TEXT PRIMARY KEY,
  catalog_id       TEXT NOT NULL REFERENCES catalogs (id),
  sku              TEXT NOT NULL,
  gtin             TEXT,
  name_en          TEXT NOT NULL,
  name_de          TEXT,
  name_pl          TEXT,
  description_en   TEXT,
  description_de   TEXT,
  description_pl   TEXT,
  category         TEXT,
  unit             TEXT NOT NULL,
  list_price_e4    INTEGER NOT NULL,
  min_quantity_e3  INTEGER NOT NULL,
  step_quantity_e3 INTEGER NOT NULL,
  stock_e3         INTEGER,
  lead_time_days   INTEGER,
  updated_at       TEXT NOT NULL,
  UNIQUE (catalog_id, sku)
);

-- Full-text search over the products, in every language (external content: the products rows).
CREATE VIRTUAL TABLE products_fts USING fts5(
  sku, gtin, name_en, name_de, name_pl, description_en, description_de, description_pl, category,
  content = 'products', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
  INSERT INTO products_fts (rowid, sku, gtin, name_en, name_de, name_pl, description_en, description_de, description_pl, category)
  VALUES (new.rowid, new.sku, new.gtin, new.name_en, new.name_de, new.name_pl, new.description_en, new.description_de, new.description_pl, new.category);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
  INSERT INTO products_fts (products_fts, rowid, sku, gtin, name_en, name_de, name_pl, description_en, description_de, description_pl, category)
  VALUES ('delete', old.rowid, old.sku, old.gtin, old.name_en, old.name_de, old.name_pl, old.description_en, old.description_de, old.description_pl, old.category);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE ON products BEGIN
  INSERT INTO products_fts (products_fts, rowid, sku, gtin, name_en, name_de, name_pl, description_en, description_de, description_pl, category)
  VALUES ('delete', old.rowid, old.sku, old.gtin, old.name_en, old.name_de, old.name_pl, old.description_en, old.description_de, old.description_pl, old.category);
  INSERT INTO products_fts (rowid, sku, gtin, name_en, name_de, name_pl, description_en, description_de, description_pl, category)
  VALUES (new.rowid, new.sku, new.gtin, new.name_en, new.name_de, new.name_pl, new.description_en, new.description_de, new.description_pl, new.category);
END;

-- Prices besides the list price: a list price break (relationship_id and grouping NULL,
-- min_quantity_e3 > 0), a group price (grouping: the supplier's grouping of its customers) or an
-- individual price for one customer (relationship_id), each from a quantity on.
CREATE TABLE product_prices (
  product_id       TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  relationship_id  TEXT REFERENCES relationships (id),
  grouping         TEXT,
  min_quantity_e3  INTEGER NOT NULL,
  price_e4         INTEGER NOT NULL,
  CHECK (relationship_id IS NULL OR grouping IS NULL)
);
CREATE UNIQUE INDEX product_prices_key ON product_prices
  (product_id, COALESCE(relationship_id, ''), COALESCE(grouping, ''), min_quantity_e3);
CREATE INDEX product_prices_relationship ON product_prices (relationship_id) WHERE relationship_id IS NOT NULL;

-- Which customer (relationship) sees which catalog.
CREATE TABLE catalog_customers (
  catalog_id       TEXT NOT NULL REFERENCES catalogs (id),
  relationship_id  TEXT NOT NULL REFERENCES relationships (id),
  enabled_at       TEXT NOT NULL,
  PRIMARY KEY (catalog_id, relationship_id)
);
CREATE INDEX catalog_customers_relationship ON catalog_customers (relationship_id);

-- A customer's ordering terms, kept by the supplier: an order block (with its reason shown to
-- the customer), a credit limit per order in the catalog's currency, delivery addresses (a JSON
-- array of texts, the first the default).
CREATE TABLE order_terms (
  relationship_id     TEXT PRIMARY KEY REFERENCES relationships (id),
  order_block         INTEGER NOT NULL DEFAULT 0,
  block_reason        TEXT,
  credit_limit_e4     INTEGER,
  delivery_addresses  TEXT NOT NULL DEFAULT '[]',
  updated_at          TEXT NOT NULL
);

-- An import of a CSV or BMEcat file into a catalog: its progress while it runs, and its report
-- (errors: a JSON array of the first rows refused, with the row, sku, field and reason).
CREATE TABLE catalog_imports (
  id          TEXT PRIMARY KEY,
  catalog_id  TEXT NOT NULL REFERENCES catalogs (id),
  format      TEXT NOT NULL CHECK (format IN ('csv', 'bmecat')),
  status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  rows        INTEGER NOT NULL DEFAULT 0,
  created     INTEGER NOT NULL DEFAULT 0,
  updated     INTEGER NOT NULL DEFAULT 0,
  deleted     INTEGER NOT NULL DEFAULT 0,
  refused     INTEGER NOT NULL DEFAULT 0,
  errors      TEXT NOT NULL DEFAULT '[]',
  failure     TEXT,
  started_at  TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX catalog_imports_catalog ON catalog_imports (catalog_id, id);

-- An order placed from a catalog: the order document it wrote into the supplier's inbox, and
-- what it came to (the document's status is the order's).
CREATE TABLE catalog_orders (
  id                  TEXT PRIMARY KEY,
  catalog_id          TEXT NOT NULL REFERENCES catalogs (id),
  relationship_id     TEXT NOT NULL REFERENCES relationships (id),
  supplier_id         TEXT NOT NULL REFERENCES companies (id),
  customer_id         TEXT NOT NULL REFERENCES companies (id),
  document_id         TEXT NOT NULL REFERENCES documents (id),
  number              TEXT NOT NULL,
  currency            TEXT NOT NULL,
  total_e4            INTEGER NOT NULL,
  line_count          INTEGER NOT NULL,
  requested_date      TEXT,
  delivery_address    TEXT,
  placed_by_user_id   TEXT,
  created_at          TEXT NOT NULL
);
CREATE INDEX catalog_orders_customer ON catalog_orders (customer_id, id);
CREATE INDEX catalog_orders_supplier ON catalog_orders (supplier_id, id);
