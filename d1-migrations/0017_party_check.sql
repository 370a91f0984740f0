-- Incoming order files matched against the company profiles (docs/api.md "Company profile"):
-- when a recognised file names a buyer or seller id that belongs to neither company of the
-- relationship (none of their party identifiers, as `id` or `scheme:id`, nor their VAT id),
-- its summary gets a warning {"code": "party_unknown", "party": "buyer"|"seller", "id": …} in
-- `warnings`. Checked only when at least one of the two companies has declared identifiers:
-- without any there is nothing to match. The database checks it as the row is written, so
-- every way a document arrives (upload, multipart, connector) gets it alike; the upload's own
-- answer, built from what the request wrote, does not show it, every read does.
CREATE TRIGGER documents_party_check AFTER INSERT ON documents
WHEN NEW.summary IS NOT NULL AND EXISTS (
  SELECT 1 FROM companies c, json_each(c.places, '$.identifiers')
  WHERE c.id IN (NEW.sender_id, NEW.recipient_id))
BEGIN
  UPDATE documents SET summary = json_set(summary, '$.warnings', json(
    (SELECT json_group_array(json_object('code', 'party_unknown', 'party', p.party, 'id', p.pid))
     FROM (SELECT 'buyer' AS party, json_extract(NEW.summary, '$.buyer_id') AS pid
           UNION ALL
           SELECT 'seller', json_extract(NEW.summary, '$.seller_id')) AS p
     WHERE p.pid IS NOT NULL
     AND NOT EXISTS (
       SELECT 1 FROM companies c, json_each(c.places, '$.identifiers') i
       WHERE c.id IN (NEW.sender_id, NEW.recipient_id)
       AND p.pid IN (json_extract(i.value, '$.id'),
                     json_extract(i.value, '$.scheme') || ':' || json_extract(i.value, '$.id')))
     AND NOT EXISTS (
       SELECT 1 FROM companies c
       WHERE c.id IN (NEW.sender_id, NEW.recipient_id) AND c.vat_id = p.pid))))
  WHERE id = NEW.id;
END;
