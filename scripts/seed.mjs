#!/usr/bin/env node
// Seeds the local stack with demo data through the public API, as a user would:
// a supplier and a customer company, an admin each, an active relationship with the supplier's
// settings, and business cards exchanged. Usage: node scripts/seed.mjs http://127.0.0.1:8787
// Runs once per state directory (scripts/dev keeps a marker); safe to re-run: existing
// companies are logged into instead of created.

const base = (process.argv[2] || "http://127.0.0.1:8787").replace(/\/$/, "");
const PASSWORD = "demo-password-1"; // demo data of the local stack only

const supplier = {
  company_name: "Druckerei Muster GmbH",
  handle: "druckerei-muster",
  name: "Anna Muster",
  email: "anna@druckerei-muster.example",
  language: "de",
  card: { name: "Anna Muster", title: "Kundenservice", phone: "+49 89 1234567", city: "München", country: "DE" },
};
const customer = {
  company_name: "Wydawnictwo Przykład Sp. z o.o.",
  handle: "wydawnictwo-przyklad",
  name: "Łukasz Nowak",
  email: "lukasz@wydawnictwo-przyklad.example",
  language: "pl",
  card: { name: "Łukasz Nowak", title: "Zakupy", phone: "+48 22 1234567", city: "Warszawa", country: "PL" },
};

async function call(method, path, body, token, expected) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(body ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (expected && !expected.includes(res.status)) {
    throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${text}`);
  }
  return { status: res.status, json };
}

async function account(who) {
  const signup = await call("POST", "/v1/auth/signup", { ...who, card: undefined, password: PASSWORD }, null, [201, 409]);
  if (signup.status === 201) {
    const mails = await call("GET", `/v1/dev/mail?to=${encodeURIComponent(who.email)}`, null, null, [200]);
    const link = mails.json.data.find((m) => m.template === "confirm_email")?.link;
    const token = link && new URL(link).searchParams.get("token");
    await call("POST", "/v1/auth/confirm", { token }, null, [200]);
  }
  const login = await call("POST", "/v1/auth/login", { email: who.email, password: PASSWORD }, null, [200]);
  return login.json;
}

const s = await account(supplier);
const c = await account(customer);

let rel = await call("POST", "/v1/relationships", { company_id: s.company.id, my_role: "customer", message: "Wir möchten unsere Bestellungen über Tradepost senden." }, c.access_token, [201, 409]);
if (rel.status === 201) {
  await call("POST", `/v1/relationships/${rel.json.id}/approve`, null, s.access_token, [200]);
  await call("PATCH", `/v1/relationships/${rel.json.id}`, {
    settings: { customer_number: "K-10001", discount_percent: 5, grouping: "Verlage", sales_channel: "B2B-Portal", payment_terms: "30 Tage netto", internal_remark: "Zahlt pünktlich." },
  }, s.access_token, [200]);
}
for (const [who, session, partner] of [[supplier, s, c], [customer, c, s]]) {
  await call("PUT", "/v1/cards/me", { ...who.card, email: who.email, company: who.company_name }, session.access_token, [200]);
  await call("POST", "/v1/cards/me/send", { company_id: partner.company.id }, session.access_token, [200]);
}

// A demo order from the customer's ERP (the UBL fixture), fetched, acknowledged and shipped by the
// supplier, so the mailbox and its status bar have something to show.
if (rel.status === 201) {
  const { readFile } = await import("node:fs/promises");
  const order = await readFile(new URL("../shared/tests/fixtures/formats/ubl-order.xml", import.meta.url));
  const res = await fetch(base + "/v1/documents", {
    method: "POST",
    headers: {
      authorization: `Bearer ${c.access_token}`,
      "content-type": "application/xml",
      "tradepost-recipient": supplier.handle,
      "tradepost-type": "order",
      "tradepost-filename": "Zamowienie-2026-001.xml",
      "tradepost-reference": "ZAM-2026-001",
      "idempotency-key": "seed-order-1",
    },
    body: order,
  });
  const doc = await res.json();
  if (res.status !== 201 && res.status !== 200) throw new Error(`demo order: ${res.status} ${JSON.stringify(doc)}`);
  await (await fetch(`${base}/v1/documents/${doc.id}/content`, { headers: { authorization: `Bearer ${s.access_token}` } })).arrayBuffer();
  await call("POST", `/v1/documents/${doc.id}/ack`, { reference: "AB-50017" }, s.access_token, [200]);
  await call("POST", `/v1/documents/${doc.id}/status`, { status: "in_progress", note: "Druck läuft" }, s.access_token, [200]);
  await call("POST", `/v1/documents/${doc.id}/status`, { status: "shipped", carrier: "DHL", tracking_number: "00340434161094042557" }, s.access_token, [200]);
}

console.log(`
Demo data is ready:
  Supplier  ${supplier.company_name} (${supplier.handle})
            log in as ${supplier.email} / ${PASSWORD}
  Customer  ${customer.company_name} (${customer.handle})
            log in as ${customer.email} / ${PASSWORD}
  They have an active relationship (customer number K-10001), have exchanged business cards, and
  the customer's order ZAM-2026-001 is in the supplier's mailbox, acknowledged and shipped.
  Mails sent by the stack: ${base}/v1/dev/mail
`);
