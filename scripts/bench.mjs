// Load-test helper for scripts/bench (run by it; usable alone).
//
//   node scripts/bench.mjs credentials URL
//       Signs a fresh company up through the API (POST /v1/auth/signup), confirms the e-mail
//       with the link from the captured dev mail (GET /v1/dev/mail, POST /v1/auth/confirm),
//       logs in, and prints {email, password, access_token} as JSON.
//   node scripts/bench.mjs order BYTES
//       Prints a UBL order (XML) of exactly BYTES bytes: the file the document loads upload.
//   node scripts/bench.mjs documents URL ORDER_FILE
//       Signs two companies up (a customer and its supplier), connects them (relationship
//       request for documents, approved), gives the customer an API key with documents.send and
//       the supplier one with documents.receive, uploads ORDER_FILE once from the customer to the
//       supplier, and prints {sender_key, recipient_key, recipient_id, document_id} as JSON.
//   node scripts/bench.mjs memory URL PGID SETUP_JSON
//       With the keys of `documents`: a multipart upload (POST /v1/uploads) of BENCH_MEMORY_MIB
//       (1024) MiB in parts of BENCH_PART_MIB (64) MiB, generated piece by piece, completed, then
//       downloaded whole (streamed, discarded, size and SHA-256 checked), while the resident size
//       (VmRSS) of the workerd processes in process group PGID is sampled every 200 ms. Prints
//       {rss_before_mb, rss_peak_mb, rss_growth_mb, rss_after_mb, upload_s, download_s, …} as JSON.
//   node scripts/bench.mjs memory-baseline URL PGID
//       The same transfer against the bare baseline worker (POST /mpu, PUT /mpu/{key}, POST
//       /mpu/{key}/complete, GET /r2/{key}): what the local R2 itself costs in memory.
//   node scripts/bench.mjs catalog URL PGID
//       Signs a supplier and a customer up and connects them, makes a catalog, streams a
//       generated BMEcat 2005 file of BENCH_PRODUCTS (100000) products into it (POST
//       /v1/catalogs/{id}/imports, chunked: the file never exists whole) while the resident size
//       of workerd in process group PGID is sampled, enables the catalog for the customer, and
//       prints {catalog_id, token, products, file_mb, import_s, products_per_s, rss_before_mb,
//       rss_peak_mb, rss_growth_mb} as JSON (token: the customer's, for the search load).
//   node scripts/bench.mjs load NAME URL [--method M] [--header 'K: V']… [--body JSON | --body-file F]
//       Warms up, then measures with autocannon and prints
//       {name, rps, p50_ms, p99_ms, requests, non2xx, errors, d1_trips} as JSON (d1_trips: the
//       D1 round trips of a request, from its Server-Timing; null without one).
//       BENCH_CONNECTIONS (10), BENCH_DURATION (10 s) and BENCH_WARMUP (3 s) tune it.

import autocannon from "autocannon";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";

const die = (msg) => {
  console.error(`bench.mjs: ${msg}`);
  process.exit(1);
};

async function call(base, method, path, body, expect, token) {
  const headers = body === undefined ? {} : { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const send = () => fetch(new URL(path, base), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let res = await send();
  let text = await res.text();
  // wrangler dev's proxy answers this when its kept-alive connection to the workers broke before
  // an answer (it retries only GET and HEAD itself): the worker never saw the request.
  if (res.status === 503 && text.startsWith("Your worker restarted mid-request")) {
    res = await send();
    text = await res.text();
  }
  if (res.status !== expect) {
    die(`${method} ${path}: expected ${expect}, got ${res.status}: ${text.slice(0, 500)}`);
  }
  return text ? JSON.parse(text) : null;
}

async function credentials(base) {
  const tag = randomBytes(5).toString("hex");
  const email = `bench-${tag}@example.com`;
  const password = `bench-${randomBytes(9).toString("base64url")}`;
  const signup = await call(base, "POST", "/v1/auth/signup", {
    company_name: `Bench ${tag}`,
    handle: `bench-${tag}`,
    name: "Bench User",
    email,
    password,
  }, 201);
  const mails = await call(base, "GET", `/v1/dev/mail?to=${encodeURIComponent(email)}&limit=5`, undefined, 200);
  const list = Array.isArray(mails) ? mails : mails?.data ?? [];
  const link = list.map((m) => m.link).find((l) => typeof l === "string" && l.includes("token="));
  if (!link) die(`no confirmation link in the dev mail for ${email}`);
  const token = new URL(link).searchParams.get("token");
  await call(base, "POST", "/v1/auth/confirm", { token }, 200);
  const login = await call(base, "POST", "/v1/auth/login", { email, password }, 200);
  if (!login?.access_token) die("login answered without access_token");
  return { email, password, access_token: login.access_token, company_id: signup?.company?.id };
}

// A UBL order of exactly `bytes` bytes (ASCII): as many order lines as fit, then padding.
function order(bytes) {
  const head = `<?xml version="1.0" encoding="UTF-8"?>
<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"
       xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
       xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:order:3</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:poacc:bis:ordering:3</cbc:ProfileID>
  <cbc:ID>PO-BENCH-0001</cbc:ID>
  <cbc:IssueDate>2024-03-12</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:BuyerCustomerParty><cac:Party>
    <cbc:EndpointID schemeID="0088">4012345000009</cbc:EndpointID>
    <cac:PartyName><cbc:Name>Bench Customer GmbH</cbc:Name></cac:PartyName>
  </cac:Party></cac:BuyerCustomerParty>
  <cac:SellerSupplierParty><cac:Party>
    <cbc:EndpointID schemeID="0088">4098765000002</cbc:EndpointID>
    <cac:PartyName><cbc:Name>Bench Supplier KG</cbc:Name></cac:PartyName>
  </cac:Party></cac:SellerSupplierParty>
  <cac:AnticipatedMonetaryTotal>
    <cbc:PayableAmount currencyID="EUR">TOTAL</cbc:PayableAmount>
  </cac:AnticipatedMonetaryTotal>
`;
  const tail = "</Order>\n";
  const line = (n) => `  <cac:OrderLine><cac:LineItem>
    <cbc:ID>${n}</cbc:ID>
    <cbc:Quantity unitCode="H87">${100 * n}</cbc:Quantity>
    <cbc:LineExtensionAmount currencyID="EUR">${(5.2 * n).toFixed(2)}</cbc:LineExtensionAmount>
    <cac:Price><cbc:PriceAmount currencyID="EUR">0.052</cbc:PriceAmount></cac:Price>
    <cac:Item><cbc:Name>Flyer DIN A5, 4/4, 135 g/m2, article ${n}</cbc:Name></cac:Item>
  </cac:LineItem></cac:OrderLine>
`;
  const lines = [];
  let total = 0;
  let size = head.length + tail.length;
  for (let n = 1; size + line(n).length + 16 <= bytes; n++) {
    lines.push(line(n));
    total += 5.2 * n;
    size += line(n).length;
  }
  const body = head.replace("TOTAL", total.toFixed(2)) + lines.join("");
  const pad = bytes - body.length - tail.length;
  if (pad < 0) die(`an order of ${bytes} bytes is too small`);
  const filler = pad >= 8 ? `<!--${" ".repeat(pad - 8)}-->\n` : " ".repeat(pad);
  const xml = body + filler + tail;
  if (Buffer.byteLength(xml) !== bytes) die(`order: made ${Buffer.byteLength(xml)} bytes, not ${bytes}`);
  return xml;
}

// Two connected companies with API keys, and one uploaded order (see the usage above).
async function documents(base, orderFile) {
  const customer = await credentials(base);
  const supplier = await credentials(base);
  if (!customer.company_id || !supplier.company_id) die("signup answered without company.id");
  const rel = await call(base, "POST", "/v1/relationships", {
    company_id: supplier.company_id,
    my_role: "customer",
    services: { documents: "requested" },
  }, 201, customer.access_token);
  const approved = await call(base, "POST", `/v1/relationships/${rel.id}/approve`, undefined, 200,
    supplier.access_token);
  if (approved?.status !== "active") die(`relationship not active: ${JSON.stringify(approved)}`);
  const key = async (who, permissions) => {
    const k = await call(base, "POST", "/v1/api-keys", { name: "Bench ERP", permissions }, 201,
      who.access_token);
    if (!k?.key) die("API key answered without key");
    return k.key;
  };
  const sender_key = await key(customer, ["documents.send"]);
  const recipient_key = await key(supplier, ["documents.receive"]);
  const body = readFileSync(orderFile);
  const res = await fetch(new URL("/v1/documents", base), {
    method: "POST",
    headers: documentHeaders(sender_key, supplier.company_id),
    body,
  });
  const text = await res.text();
  if (res.status !== 201) die(`POST /v1/documents: expected 201, got ${res.status}: ${text.slice(0, 500)}`);
  const doc = JSON.parse(text);
  if (doc.size !== body.length) die(`uploaded ${body.length} bytes, document says ${doc.size}`);
  return { sender_key, recipient_key, recipient_id: supplier.company_id, document_id: doc.id };
}

// Two connected companies with talk switched on, and one thread opened by the customer's admin
// (who then posts and lists in it).
async function talk(base) {
  const customer = await credentials(base);
  const supplier = await credentials(base);
  const rel = await call(base, "POST", "/v1/relationships", {
    company_id: supplier.company_id,
    my_role: "customer",
    services: { talk: "requested" },
  }, 201, customer.access_token);
  await call(base, "POST", `/v1/relationships/${rel.id}/approve`, undefined, 200, supplier.access_token);
  const thread = await call(base, "POST", "/v1/threads", {
    partner: supplier.company_id,
    subject: "Bench thread",
    text: "The first message of the bench thread.",
  }, 201, customer.access_token);
  return { token: customer.access_token, thread_id: thread.id };
}

function documentHeaders(token, recipient) {
  return {
    authorization: `Bearer ${token}`,
    "content-type": "application/xml",
    "tradepost-recipient": recipient,
    "tradepost-type": "order",
    "tradepost-filename": "PO-BENCH-0001.xml",
  };
}

// ---- memory: a big multipart upload and its download, with workerd's RSS sampled ----------

// Sum of VmRSS (bytes) of the processes named workerd in process group `pgid`, and their count.
function workerdRss(pgid) {
  let bytes = 0;
  let count = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
      const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(after[2]) !== pgid) continue;
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "workerd") continue;
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
      if (m) {
        bytes += Number(m[1]) * 1024;
        count++;
      }
    } catch {
      // the process ended between readdir and read
    }
  }
  return { bytes, count };
}

// workerd's resident size at rest: the median of five samples 200 ms apart.
async function idleRss(pgid) {
  const idle = [];
  for (let i = 0; i < 5; i++) {
    idle.push(workerdRss(pgid).bytes);
    await new Promise((r) => setTimeout(r, 200));
  }
  idle.sort((a, b) => a - b);
  return idle[2];
}

// PUT of `size` bytes made of `piece` repeated (no buffer of the whole part); resolves the answer.
function putStreamed(url, token, size, piece, hash) {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/octet-stream", "content-length": String(size) };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request(url, { method: "PUT", headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    let sent = 0;
    const write = () => {
      while (sent < size) {
        const n = Math.min(piece.length, size - sent);
        const chunk = n === piece.length ? piece : piece.subarray(0, n);
        hash.update(chunk);
        sent += n;
        if (!req.write(chunk)) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

// GET, streamed and discarded; resolves {status, bytes, sha256}.
function getStreamed(url, token) {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const req = http.get(url, { headers }, (res) => {
      const hash = createHash("sha256");
      let bytes = 0;
      res.on("data", (c) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on("end", () => resolve({ status: res.statusCode, bytes, sha256: hash.digest("hex") }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

// The memory run's transfer through Tradepost: POST /v1/uploads, its parts, complete, and the
// recipient's download of the document.
function tradepostTransfer(base, setup) {
  let upload;
  let doc;
  return {
    async start(partSize) {
      upload = await call(base, "POST", "/v1/uploads", {
        recipient: setup.recipient_id,
        type: "other",
        filename: "bench-1gib.bin",
        content_type: "application/octet-stream",
      }, 201, setup.sender_key);
      if (partSize > upload.part_size_max) die(`parts of ${partSize} bytes are over part_size_max ${upload.part_size_max}`);
    },
    part: (n) => ({ url: new URL(`/v1/uploads/${upload.id}/parts/${n}`, base), token: setup.sender_key }),
    async complete(total, sha256) {
      doc = await call(base, "POST", `/v1/uploads/${upload.id}/complete`, undefined, 201, setup.sender_key);
      if (doc.size !== total) die(`completed document has ${doc.size} bytes, not ${total}`);
      if (doc.sha256 !== sha256) die(`completed document's sha256 ${doc.sha256} is not the uploaded ${sha256}`);
      return doc.id;
    },
    download: () => ({ url: new URL(`/v1/documents/${doc.id}/content`, base), token: setup.recipient_key }),
  };
}

// The same transfer against the bare baseline worker: only R2's multipart calls, the part
// bodies streamed straight into R2, and one D1 row (bench/baseline).
function baselineTransfer(base) {
  let upload;
  const parts = [];
  return {
    async start() {
      upload = await call(base, "POST", "/mpu", undefined, 201);
    },
    part: (n) => ({
      url: new URL(`/mpu/${upload.key}?upload_id=${encodeURIComponent(upload.upload_id)}&part=${n}`, base),
      onAnswer: (text) => parts.push([n, JSON.parse(text).etag]),
    }),
    async complete() {
      const res = await fetch(new URL(`/mpu/${upload.key}/complete?upload_id=${encodeURIComponent(upload.upload_id)}`, base), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(parts),
      });
      if (res.status !== 201) die(`baseline complete: expected 201, got ${res.status}: ${(await res.text()).slice(0, 500)}`);
      return upload.key;
    },
    download: () => ({ url: new URL(`/r2/${upload.key}`, base) }),
  };
}

// A BENCH_MEMORY_MIB (1024) MiB multipart upload in BENCH_PART_MIB (64) MiB parts through
// `transfer`, completed and downloaded whole, while workerd's RSS in process group `pgid` is
// sampled every 200 ms.
async function memory(pgid, transfer) {
  const MiB = 1024 * 1024;
  const total = Number(process.env.BENCH_MEMORY_MIB ?? 1024) * MiB;
  const partSize = Number(process.env.BENCH_PART_MIB ?? 64) * MiB;
  const first = workerdRss(pgid);
  if (first.count === 0) die(`no workerd process in process group ${pgid}`);
  await transfer.start(partSize);

  let peak = 0;
  let samples = 0;
  const sample = () => {
    const r = workerdRss(pgid).bytes;
    samples++;
    if (r > peak) peak = r;
    return r;
  };
  const before = await idleRss(pgid);
  const timer = setInterval(sample, 200);

  const piece = randomBytes(MiB);
  const hash = createHash("sha256");
  const t0 = performance.now();
  let parts = 0;
  for (let offset = 0; offset < total; offset += partSize) {
    parts++;
    const size = Math.min(partSize, total - offset);
    const part = transfer.part(parts);
    const res = await putStreamed(part.url, part.token, size, piece, hash);
    if (res.status !== 200) die(`PUT part ${parts}: expected 200, got ${res.status}: ${res.text.slice(0, 500)}`);
    part.onAnswer?.(res.text);
  }
  const t1 = performance.now();
  const uploadPeak = Math.max(peak, sample());
  const expected = hash.digest("hex");
  const id = await transfer.complete(total, expected);
  const t2 = performance.now();
  const download = transfer.download();
  const down = await getStreamed(download.url, download.token);
  const t3 = performance.now();
  clearInterval(timer);
  sample();
  if (down.status !== 200) die(`download: expected 200, got ${down.status}`);
  if (down.bytes !== total) die(`downloaded ${down.bytes} bytes, not ${total}`);
  if (down.sha256 !== expected) die("the downloaded file differs from the uploaded one");
  await new Promise((r) => setTimeout(r, 1000));
  const after = workerdRss(pgid).bytes;
  const mb = (b) => Math.round((b / 1e6) * 10) / 10;
  const secs = (ms) => Math.round(ms / 100) / 10;
  return {
    size_mib: total / MiB,
    parts,
    part_mib: partSize / MiB,
    workerd_processes: first.count,
    rss_before_mb: mb(before),
    rss_peak_mb: mb(peak),
    rss_growth_mb: mb(Math.max(0, peak - before)),
    rss_upload_growth_mb: mb(Math.max(0, uploadPeak - before)),
    rss_after_mb: mb(after),
    samples,
    upload_s: secs(t1 - t0),
    complete_s: secs(t2 - t1),
    download_s: secs(t3 - t2),
    upload_mib_s: Math.round(total / MiB / ((t1 - t0) / 1000)),
    download_mib_s: Math.round(total / MiB / ((t3 - t2) / 1000)),
    id,
  };
}

// ---- catalog: a big BMEcat import, with workerd's RSS sampled, then a customer to search ----

// One generated product of the bench catalog: names in two languages, a GTIN-less SKU, a price.
function bmecatProduct(n) {
  const kinds = ["Offsetpapier", "Kopierpapier", "Karton", "Briefumschlag", "Etikett"];
  const kind = kinds[n % kinds.length];
  return `<PRODUCT mode="new"><SUPPLIER_PID>B-${String(n).padStart(7, "0")}</SUPPLIER_PID>` +
    `<PRODUCT_DETAILS><DESCRIPTION_SHORT>${kind} A${n % 6} ${60 + (n % 250)} g Nr. ${n}</DESCRIPTION_SHORT>` +
    `<DESCRIPTION_SHORT lang="eng">Paper product ${n}</DESCRIPTION_SHORT>` +
    `<DESCRIPTION_LONG>Weiß, holzfrei, ${n % 500} Blatt je Packung.</DESCRIPTION_LONG></PRODUCT_DETAILS>` +
    `<PRODUCT_ORDER_DETAILS><ORDER_UNIT>PK</ORDER_UNIT><QUANTITY_MIN>1</QUANTITY_MIN></PRODUCT_ORDER_DETAILS>` +
    `<PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>${(1 + (n % 9000) / 100).toFixed(2)}</PRICE_AMOUNT>` +
    `</PRODUCT_PRICE></PRODUCT_PRICE_DETAILS></PRODUCT>\n`;
}

// POSTs a BMEcat file of `count` products, generated a thousand at a time as the request
// drains (chunked); resolves {status, text, bytes}.
function postBmecat(url, token, count) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/xml", "tradepost-filename": "bench.xml" },
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString(), bytes }));
      res.on("error", reject);
    });
    req.on("error", reject);
    let bytes = 0;
    let n = 0;
    const send = (text) => {
      const b = Buffer.from(text);
      bytes += b.length;
      return req.write(b);
    };
    send(`<?xml version="1.0" encoding="UTF-8"?>\n<BMECAT version="2005"><HEADER><CATALOG><LANGUAGE>deu</LANGUAGE>` +
      `<CATALOG_ID>BENCH</CATALOG_ID><CATALOG_VERSION>1</CATALOG_VERSION></CATALOG></HEADER><T_NEW_CATALOG>\n`);
    const write = () => {
      while (n < count) {
        let text = "";
        for (let i = 0; i < 1000 && n < count; i++) text += bmecatProduct(n++);
        if (!send(text)) {
          req.once("drain", write);
          return;
        }
      }
      send("</T_NEW_CATALOG></BMECAT>\n");
      req.end();
    };
    write();
  });
}

async function catalog(base, pgid) {
  const count = Number(process.env.BENCH_PRODUCTS ?? 100000);
  const customer = await credentials(base);
  const supplier = await credentials(base);
  const rel = await call(base, "POST", "/v1/relationships", {
    company_id: supplier.company_id,
    my_role: "customer",
    services: { documents: "requested" },
  }, 201, customer.access_token);
  await call(base, "POST", `/v1/relationships/${rel.id}/approve`, undefined, 200, supplier.access_token);
  const made = await call(base, "POST", "/v1/catalogs", { name: "Bench", currency: "EUR" }, 201, supplier.access_token);
  const before = await idleRss(pgid);
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, workerdRss(pgid).bytes); }, 200);
  const t0 = performance.now();
  const res = await postBmecat(new URL(`/v1/catalogs/${made.id}/imports`, base), supplier.access_token, count);
  const t1 = performance.now();
  clearInterval(timer);
  if (res.status !== 201) die(`POST …/imports: expected 201, got ${res.status}: ${res.text.slice(0, 500)}`);
  const report = JSON.parse(res.text);
  if (report.created !== count) die(`imported ${report.created} of ${count} products: ${res.text.slice(0, 500)}`);
  await call(base, "PUT", `/v1/catalogs/${made.id}/customers/${customer.company_id}`, undefined, 200, supplier.access_token);
  const mb = (b) => Math.round((b / 1e6) * 10) / 10;
  return {
    catalog_id: made.id,
    token: customer.access_token,
    products: count,
    file_mb: mb(res.bytes),
    import_s: Math.round((t1 - t0) / 100) / 10,
    products_per_s: Math.round(count / ((t1 - t0) / 1000)),
    rss_before_mb: mb(before),
    rss_peak_mb: mb(peak),
    rss_growth_mb: mb(Math.max(0, peak - before)),
  };
}

function parseLoadArgs(argv) {
  const [name, url, ...rest] = argv;
  if (!name || !url) die("usage: load NAME URL [--method M] [--header 'K: V'] [--body JSON | --body-file F]");
  const opts = { method: "GET", headers: {}, body: undefined };
  let bodyType;
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) die(`${flag} needs a value`);
    if (flag === "--method") opts.method = value;
    else if (flag === "--body") {
      opts.body = value;
      bodyType = "application/json";
    } else if (flag === "--body-file") {
      opts.body = readFileSync(value, "utf8");
      bodyType = "application/octet-stream";
    } else if (flag === "--header") {
      const at = value.indexOf(":");
      if (at < 1) die(`bad header: ${value}`);
      opts.headers[value.slice(0, at).trim().toLowerCase()] = value.slice(at + 1).trim();
    } else die(`unknown flag ${flag}`);
  }
  if (bodyType) opts.headers["content-type"] ??= bodyType;
  return { name, url, ...opts };
}

async function load({ name, url, method, headers, body }) {
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
  const duration = Number(process.env.BENCH_DURATION ?? 10);
  const warmup = Number(process.env.BENCH_WARMUP ?? 3);
  // One request first: a wrong status here means the figures below would measure errors.
  const probe = await fetch(url, { method, headers, body });
  await probe.arrayBuffer();
  if (probe.status >= 300) die(`${name}: ${method} ${url} answered ${probe.status}`);
  // The workers count their D1 round trips per request in Server-Timing (`d1;desc="N round
  // trips";dur=…`; the baseline sends none). Taken from a second request: the first may do
  // once-only work (an API key's last-used stamp, a first download's status change).
  const again = await fetch(url, { method, headers, body });
  await again.arrayBuffer();
  const timing = /d1;desc="(\d+) round trips?"/.exec(again.headers.get("server-timing") ?? "");
  const run = (seconds) =>
    autocannon({ url, method, headers, body, connections, duration: seconds });
  if (warmup > 0) await run(warmup);
  const r = await run(duration);
  return {
    name,
    rps: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    d1_trips: timing ? Number(timing[1]) : null,
  };
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "credentials") {
  if (!args[0]) die("usage: credentials URL");
  console.log(JSON.stringify(await credentials(args[0])));
} else if (cmd === "order") {
  if (!(Number(args[0]) > 0)) die("usage: order BYTES");
  process.stdout.write(order(Number(args[0])));
} else if (cmd === "documents") {
  if (!args[0] || !args[1]) die("usage: documents URL ORDER_FILE");
  console.log(JSON.stringify(await documents(args[0], args[1])));
} else if (cmd === "talk") {
  if (!args[0]) die("usage: talk URL");
  console.log(JSON.stringify(await talk(args[0])));
} else if (cmd === "memory") {
  if (!args[0] || !(Number(args[1]) > 0) || !args[2]) die("usage: memory URL PGID SETUP_JSON");
  console.log(JSON.stringify(await memory(Number(args[1]), tradepostTransfer(args[0], JSON.parse(args[2])))));
} else if (cmd === "memory-baseline") {
  if (!args[0] || !(Number(args[1]) > 0)) die("usage: memory-baseline URL PGID");
  console.log(JSON.stringify(await memory(Number(args[1]), baselineTransfer(args[0]))));
} else if (cmd === "catalog") {
  if (!args[0] || !(Number(args[1]) > 0)) die("usage: catalog URL PGID");
  console.log(JSON.stringify(await catalog(args[0], Number(args[1]))));
} else if (cmd === "load") {
  console.log(JSON.stringify(await load(parseLoadArgs(args))));
} else {
  die("usage: node scripts/bench.mjs credentials URL | order BYTES | documents URL ORDER_FILE | talk URL | memory URL PGID SETUP_JSON | memory-baseline URL PGID | catalog URL PGID | load NAME URL [options]");
}
