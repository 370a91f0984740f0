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

const services = { documents: "requested", approvals: "requested", talk: "requested", cards: "requested", appointments: "requested" };
let rel = await call("POST", "/v1/relationships", { company_id: s.company.id, my_role: "customer", message: "Wir möchten unsere Bestellungen über Tradepost senden.", services }, c.access_token, [201, 409]);
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

  // Tasks (internal to the printer): a Vertrieb team with Anna in it, and a task about the order.
  const sales = await call("POST", "/v1/teams", { name: "Vertrieb" }, s.access_token, [201]);
  await call("PUT", `/v1/teams/${sales.json.id}/members/${s.user.id}`, null, s.access_token, [200]);
  const dueIn = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
  await call("POST", "/v1/tasks", {
    title: "Liefertermin mit dem Verlag abstimmen", description: "Intern: Papier für die zweite Auflage reservieren.",
    team_id: sales.json.id, about: doc.id, due_on: dueIn(3),
  }, s.access_token, [201]);

  // A complaint of the publisher about the shipped order, under review at the printer.
  const complaint = await call("POST", "/v1/complaints", {
    document_id: doc.id, reason: "damaged", description: "Dwa kartony dotarły zgniecione.",
    lines: [{ item: "Katalog wiosna 2027", quantity: "20", unit: "szt." }],
  }, c.access_token, [201]);
  await call("POST", `/v1/complaints/${complaint.json.id}/moves`, { move: "review" }, s.access_token, [200]);
  await call("POST", `/v1/complaints/${complaint.json.id}/comments`, { text: "Bitte senden Sie uns Fotos der Kartons." }, s.access_token, [201]);

  // A catalog of the printer's paper and print products, imported from CSV, enabled for the
  // publisher (group "Verlage" has its own price on one product); the publisher ordered from it.
  const catalog = await call("POST", "/v1/catalogs", { name: "Papier & Druck 2027", currency: "EUR" }, s.access_token, [201]);
  const csv = [
    "sku;gtin;name_en;name_de;name_pl;category;unit;list_price;min_quantity;step_quantity;stock;lead_time_days",
    "PAP-A4-80;4006381333931;Offset paper A4 80 g, 500 sheets;Offsetpapier A4 80 g, 500 Blatt;Papier offsetowy A4 80 g, 500 arkuszy;Papier/Offset;PK;4,50;1;1;1200;",
    "PAP-A3-120;;Offset paper A3 120 g, 250 sheets;Offsetpapier A3 120 g, 250 Blatt;Papier offsetowy A3 120 g, 250 arkuszy;Papier/Offset;PK;11,90;1;1;340;",
    "KAR-300;;Card 300 g white, 100 sheets;Karton 300 g weiß, 100 Blatt;Karton 300 g biały, 100 arkuszy;Papier/Karton;PK;15,00;1;1;0;5",
    "FLY-A5;;Flyer A5 4/4, 135 g matt;Flyer A5 4/4, 135 g matt;Ulotka A5 4/4, 135 g mat;Druck/Flyer;H87;0,052;500;500;;3",
    "KAT-A4-48;;Catalogue A4, 48 pages;Katalog A4, 48 Seiten;Katalog A4, 48 stron;Druck/Kataloge;H87;1,85;250;50;;10",
  ].join("\n") + "\n";
  const imported = await fetch(`${base}/v1/catalogs/${catalog.json.id}/imports`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.access_token}`, "content-type": "text/csv", "tradepost-filename": "katalog-2027.csv" },
    body: csv,
  });
  if (imported.status !== 201) throw new Error(`demo catalog import: ${imported.status} ${await imported.text()}`);
  await call("PUT", `/v1/catalogs/${catalog.json.id}/prices`, { prices: [
    { sku: "PAP-A4-80", group: "Verlage", price: "4.10" },
    { sku: "FLY-A5", min_quantity: "5000", price: "0.045" },
  ] }, s.access_token, [200]);
  await call("PUT", `/v1/catalogs/${catalog.json.id}/customers/${c.company.id}`, null, s.access_token, [200]);
  await call("PUT", `/v1/order-terms/${c.company.id}`, {
    credit_limit: "10000", delivery_addresses: ["Wydawnictwo Przykład Sp. z o.o.\nul. Marszałkowska 10\n00-590 Warszawa"],
  }, s.access_token, [200]);
  await call("POST", `/v1/catalogs/${catalog.json.id}/orders`, {
    lines: [{ sku: "PAP-A4-80", quantity: "40" }, { sku: "FLY-A5", quantity: "5000" }],
    reference: "ZAM-2026-002", requested_date: dueIn(14), note: "Dostawa do magazynu, brama 2.",
  }, c.access_token, [201]);

  // A request for a quote from the publisher, answered by the printer: it waits for a decision.
  const rfq = await call("POST", "/v1/quote-requests", {
    partner: supplier.handle, title: "Katalog jesień 2027", text: "Druk 4/4, papier matowy 135 g.",
    desired_date: dueIn(60), lines: [{ item: "Katalog A4, 48 stron", quantity: "2000", unit: "szt." }],
  }, c.access_token, [201]);
  await call("POST", `/v1/quote-requests/${rfq.json.id}/quotes`, {
    currency: "EUR", valid_until: dueIn(30), terms: "30 Tage netto, Lieferung frei Haus",
    lines: [{ item: "Katalog A4, 48 Seiten", description: "4/4-farbig, 135 g matt", quantity: "2000", unit: "pcs", unit_price: "1.85" },
      { item: "Druckplatten", quantity: "1", unit_price: "180" }],
  }, s.access_token, [201]);

  // Print approval: proof v1 rejected with a comment, v2 waiting for the customer's decision.
  const proof = async (version, note) => {
    const res = await fetch(`${base}/v1/documents/${doc.id}/proofs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${s.access_token}`,
        "content-type": "application/pdf",
        "tradepost-filename": `Proof-ZAM-2026-001-v${version}.pdf`,
        "tradepost-note": encodeURIComponent(note),
      },
      body: demoPdf(`Druckfreigabe ZAM-2026-001 - Version ${version}`),
    });
    const json = await res.json();
    if (res.status !== 201) throw new Error(`demo proof: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const v1 = await proof(1, "Bitte Farben und Beschnitt prüfen.");
  await call("POST", `/v1/approvals/${v1.id}/reject`, { comment: "Logo bitte 2 mm nach links." }, c.access_token, [200]);
  await proof(2, "Logo korrigiert.");

  // Talk about the order between the two companies' people.
  const thread = await call("POST", "/v1/threads", {
    partner: supplier.handle,
    to: s.user.id,
    subject: "ZAM-2026-001: Liefertermin",
    document_id: doc.id,
    text: "Dzień dobry, czy dostawa jest możliwa do piątku?",
  }, c.access_token, [201]);
  await call("POST", `/v1/threads/${thread.json.id}/messages`, { text: "Ja, die Ware ist unterwegs – Lieferung am Donnerstag." }, s.access_token, [201]);

  // Invoices: the supplier's ERP invoices the order (a UBL invoice naming it, due in 30 days),
  // and an older one of last month, unpaid and overdue. The invoices worker reads them off its
  // queue within a second or two, joins the first to the order and flags the second.
  const template = await readFile(new URL("../shared/tests/fixtures/invoices/order-invoice.template.xml", import.meta.url), "utf8");
  const isoDay = (offsetDays) => new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
  for (const [number, order, due, key] of [
    ["RE-2026-0815", "PO-2024-0815", isoDay(30), "seed-invoice-1"],
    ["RE-2026-0700", "none", isoDay(-10), "seed-invoice-2"],
  ]) {
    const res = await fetch(base + "/v1/documents", {
      method: "POST",
      headers: {
        authorization: `Bearer ${s.access_token}`,
        "content-type": "application/xml",
        "tradepost-recipient": customer.handle,
        "tradepost-type": "invoice",
        "tradepost-filename": `${number}.xml`,
        "idempotency-key": key,
      },
      body: template.replaceAll("{NUMBER}", number).replaceAll("{ORDER}", order).replaceAll("{DUE}", due),
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`demo invoice: ${res.status} ${await res.text()}`);
  }
  await call("POST", "/v1/dev/invoices/cron", { company_id: c.company.id }, null, [200]);
}

// Appointments: the printer sets up the publisher's displays in its bookshops. A project for the
// customer, territories Polska > Mazowieckie, two shops, a fitter (whose phone and e-mail the
// customer never sees), one appointment planned and staffed, one proposed by the customer.
if (rel.status === 201) {
  const day = (offsetDays, hourUtc) => {
    const d = new Date(Date.now() + offsetDays * 86400000);
    d.setUTCHours(hourUtc, 0, 0, 0);
    return d.toISOString();
  };
  const project = await call("POST", "/v1/projects", {
    customer: customer.handle, name: "Ekspozycja wiosenna 2027 / Frühjahrsdisplays 2027",
    description: "Aufbau der Thekendisplays in den Buchhandlungen des Verlags.", status: "active",
  }, s.access_token, [201]);
  const poland = await call("POST", "/v1/territories", { customer: customer.handle, name: "Polska" }, s.access_token, [201]);
  const mazovia = await call("POST", "/v1/territories", { customer: customer.handle, name: "Mazowieckie", parent_id: poland.json.id }, s.access_token, [201]);
  const warsaw = await call("POST", "/v1/locations", {
    customer: customer.handle, name: "Księgarnia Warszawa Centrum", street: "ul. Marszałkowska 100",
    postal_code: "00-026", city: "Warszawa", country: "PL", time_zone: "Europe/Warsaw", territory_id: mazovia.json.id,
  }, s.access_token, [201]);
  await call("POST", "/v1/locations", {
    customer: customer.handle, name: "Księgarnia Kraków Rynek", street: "Rynek Główny 23",
    postal_code: "31-008", city: "Kraków", country: "PL", time_zone: "Europe/Warsaw", territory_id: poland.json.id,
  }, s.access_token, [201]);
  const fitter = await call("POST", "/v1/staff", { name: "Jan Kowalski", role: "Monteur", email: "jan.kowalski@druckerei-muster.example", phone: "+49 89 1234599" }, s.access_token, [201]);
  await call("POST", `/v1/projects/${project.json.id}/contacts`, { email: customer.email }, s.access_token, [201]);
  const planned = await call("POST", "/v1/appointments", {
    project_id: project.json.id, location_id: warsaw.json.id, starts_at: day(7, 7), ends_at: day(7, 10),
    title: "Aufbau Thekendisplay / Montaż ekspozytora",
  }, s.access_token, [201]);
  await call("PUT", `/v1/appointments/${planned.json.id}/staff`, { staff_ids: [fitter.json.id] }, s.access_token, [200]);
  await call("POST", "/v1/appointments", {
    project_id: project.json.id, location_id: warsaw.json.id, starts_at: day(14, 8), ends_at: day(14, 9),
    title: "Kontrola ekspozycji", note: "Prosimy o wizytę przed weekendem.",
  }, c.access_token, [201]);
}

// A one-page PDF showing `text` (the demo proof): browsers preview it.
function demoPdf(text) {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 298] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    null,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const stream = `BT /F1 18 Tf 30 150 Td (${text.replace(/[()\\]/g, "")}) Tj ET`;
  objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let pdf = "%PDF-1.4\n";
  const offsets = objects.map((body, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

console.log(`
Demo data is ready:
  Supplier  ${supplier.company_name} (${supplier.handle})
            log in as ${supplier.email} / ${PASSWORD}
  Customer  ${customer.company_name} (${customer.handle})
            log in as ${customer.email} / ${PASSWORD}
  They have an active relationship (customer number K-10001), have exchanged business cards, and
  the customer's order ZAM-2026-001 is in the supplier's mailbox, acknowledged and shipped;
  its print proof v1 was rejected and v2 waits for the customer's approval; and the two sides
  talk about its delivery date in a thread. The supplier plans setting up displays in the
  customer's bookshops (Projects, Calendar): one appointment staffed, one the customer proposed.
  The supplier invoiced the order (RE-2026-0815, joined to it) and an older delivery
  (RE-2026-0700, overdue): the customer's Invoices page shows both. The customer filed a
  complaint about the order (two boxes crushed), which the supplier is reviewing (Complaints),
  and asked for a quote for an autumn catalogue, which the supplier answered (Quotes). The
  supplier's catalog "Papier & Druck 2027" is enabled for the customer at its own prices, and the
  customer ordered from it (ZAM-2026-002, in the supplier's mailbox with its lines) (Catalogs).
  Mails sent by the stack: ${base}/v1/dev/mail
`);
