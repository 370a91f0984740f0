// Webhook delivery benchmark (commit → notify → HTTP), against a local stack in dev mode.
//
//   node scripts/bench-webhooks.mjs BASE_URL
//
// Starts a receiver on 127.0.0.1, signs two companies up and connects them, registers
// BENCH_ENDPOINTS (20, the most a company may have) webhook endpoints of the recipient (document.deposited) at the receiver,
// uploads BENCH_EVENTS (200) small orders from the sender as fast as it can (BENCH_CONCURRENCY,
// default 8, in flight), waits until every event reached every endpoint (at most BENCH_TIMEOUT_S,
// 180 s), checks the first endpoint's delivery log, and prints one JSON line
//   {events, endpoints, deliveries, seconds, deliveries_per_second, delay_p50_ms, delay_p99_ms,
//    duplicates, log_complete}
// seconds: from the first upload to the last delivery; delay: a delivery's arrival minus its
// event's created_at (taken inside the request, before the commit: the delay from the commit is
// at most this); duplicates: deliveries of an event to an endpoint beyond the first;
// log_complete: the first endpoint's delivery log lists every event as succeeded. The receiver
// needs the dev URL rule (http://127.0.0.1), so this runs against `ENVIRONMENT=dev` only.

import { randomBytes } from "node:crypto";
import http from "node:http";

const die = (msg) => {
  console.error(`bench-webhooks.mjs: ${msg}`);
  process.exit(1);
};

const base = process.argv[2] || die("usage: node scripts/bench-webhooks.mjs BASE_URL");
const events = Number(process.env.BENCH_EVENTS || 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY || 8);
const endpoints = Math.min(20, Number(process.env.BENCH_ENDPOINTS || 20));
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S || 180) * 1000;

async function call(method, path, body, expect, token) {
  const headers = body === undefined ? {} : { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(new URL(path, base), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) die(`${method} ${path}: expected ${expect}, got ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

// A fresh company whose admin is confirmed (link from the dev mailbox) and logged in.
async function company() {
  const tag = randomBytes(5).toString("hex");
  const email = `bench-wh-${tag}@example.com`;
  const password = `bench-${randomBytes(9).toString("base64url")}`;
  const signup = await call("POST", "/v1/auth/signup", {
    company_name: `Bench Webhooks ${tag}`,
    handle: `bench-wh-${tag}`,
    name: "Bench User",
    email,
    password,
  }, 201);
  const mails = await call("GET", `/v1/dev/mail?to=${encodeURIComponent(email)}&limit=5`, undefined, 200);
  const link = (mails?.data ?? []).map((m) => m.link).find((l) => typeof l === "string" && l.includes("token="));
  if (!link) die(`no confirmation link in the dev mail for ${email}`);
  await call("POST", "/v1/auth/confirm", { token: new URL(link).searchParams.get("token") }, 200);
  const login = await call("POST", "/v1/auth/login", { email, password }, 200);
  return { token: login.access_token, id: signup.company.id };
}

const received = new Map(); // `${endpoint}:${event id}` -> delay from the event's created_at (ms)
let duplicates = 0;
let lastArrival = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const now = Date.now();
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const key = `${req.url}:${event?.id}`;
      if (event?.type === "document.deposited") {
        if (received.has(key)) duplicates += 1;
        else received.set(key, Math.max(0, now - Date.parse(event.created_at)));
        lastArrival = performance.now();
      }
    } catch {
      // Not JSON: not ours.
    }
    res.writeHead(204).end();
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const receiverUrl = `http://127.0.0.1:${server.address().port}/hook`;

const sender = await company();
const recipient = await company();
const rel = await call("POST", "/v1/relationships", {
  company_id: recipient.id,
  my_role: "customer",
  services: { documents: "requested" },
}, 201, sender.token);
await call("POST", `/v1/relationships/${rel.id}/approve`, undefined, 200, recipient.token);
const key = (await call("POST", "/v1/api-keys", { name: "Bench ERP", permissions: ["documents.send"] }, 201, sender.token)).key;
const hooks = [];
for (let i = 0; i < endpoints; i++) {
  hooks.push(await call("POST", "/v1/webhooks", { url: `${receiverUrl}/${i}`, event_types: ["document.deposited"] }, 201, recipient.token));
}

const body = Buffer.from("sku;qty\nA-1;3\n");
let next = 0;
const started = performance.now();
async function uploader() {
  while (next < events) {
    const n = next++;
    const res = await fetch(new URL("/v1/documents", base), {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "text/csv",
        "tradepost-recipient": recipient.id,
        "tradepost-type": "order",
        "tradepost-filename": `PO-BENCH-${n}.csv`,
      },
      body,
    });
    const text = await res.text();
    if (res.status !== 201) die(`upload ${n}: ${res.status} ${text.slice(0, 300)}`);
  }
}
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, uploader));

const expected = events * endpoints;
while (received.size < expected && performance.now() - started < timeoutMs) {
  await new Promise((r) => setTimeout(r, 50));
}
if (received.size < expected) die(`only ${received.size} of ${expected} deliveries arrived within ${timeoutMs / 1000} s`);
// A moment for late duplicates, then the first endpoint's log.
await new Promise((r) => setTimeout(r, 500));
server.close();
let logged = 0;
let cursor = "";
do {
  const page = await call("GET", `/v1/webhooks/${hooks[0].id}/deliveries?status=succeeded&limit=100${cursor ? `&cursor=${cursor}` : ""}`, undefined, 200, recipient.token);
  logged += page.data.length;
  cursor = page.next_cursor ?? "";
} while (cursor);

const delays = [...received.values()].sort((a, b) => a - b);
const pct = (p) => delays[Math.min(delays.length - 1, Math.ceil((p / 100) * delays.length) - 1)];
const seconds = (lastArrival - started) / 1000;
console.log(JSON.stringify({
  events,
  endpoints,
  deliveries: received.size,
  seconds: Number(seconds.toFixed(2)),
  deliveries_per_second: Number((received.size / seconds).toFixed(1)),
  delay_p50_ms: Math.round(pct(50)),
  delay_p99_ms: Math.round(pct(99)),
  duplicates,
  log_complete: logged === events,
}));
process.exit(0);
