-- The format a catalog's orders are written in, for the supplier's ERP that imports them:
-- 'ubl' (Peppol BIS Ordering 3) or 'opentrans' (openTRANS 2.1 ORDER).
ALTER TABLE catalogs ADD COLUMN order_format TEXT NOT NULL DEFAULT 'ubl'
  CHECK (order_format IN ('ubl', 'opentrans'));
