// Webhook delivery benchmark (queue → notify → HTTP), against a local stack in dev mode.
//
//   node scripts/bench-webhooks.mjs BASE_URL
//
// Starts a receiver on 127.0.0.1, signs two companies up and connects them, registers the
// recipient's webhook endpoint (document.deposited) at the receiver, uploads BENCH_EVENTS (200)
// small orders from the sender as fast as it can (BENCH_CONCURRENCY, default 8, in flight), waits
// until every document.deposited arrived (at most BENCH_TIMEOUT_S, 180 s), and prints one JSON line
//   {events, seconds, events_per_second, delay_p50_ms, delay_p99_ms}
// seconds: from the first upload to the last delivery; delay: the delivery's arrival minus the
// upload's response time. The receiver needs the dev URL rule (http://127.0.0.1), so this runs
// against `ENVIRONMENT=dev` only.

import { randomBytes } from "node:crypto";
import http from "node:http";

const die = (msg) => {
  console.error(`bench-webhooks.mjs: ${msg}`);
  process.exit(1);
};

const base = process.argv[2] || die("usage: node scripts/bench-webhooks.mjs BASE_URL");
const events = Number(process.env.BENCH_EVENTS || 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY || 8);
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

const received = new Map(); // document_id -> arrival time (ms)
let lastArrival = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const now = performance.now();
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const id = event?.data?.document_id;
      if (event?.type === "document.deposited" && id && !received.has(id)) {
        received.set(id, now);
        lastArrival = now;
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
await call("POST", "/v1/webhooks", { url: receiverUrl, event_types: ["document.deposited"] }, 201, recipient.token);

const uploadedAt = new Map(); // document_id -> upload response time (ms)
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
    uploadedAt.set(JSON.parse(text).id, performance.now());
  }
}
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, uploader));

while (received.size < events && performance.now() - started < timeoutMs) {
  await new Promise((r) => setTimeout(r, 50));
}
server.close();
if (received.size < events) die(`only ${received.size} of ${events} deliveries arrived within ${timeoutMs / 1000} s`);

const delays = [...uploadedAt].map(([id, at]) => Math.max(0, received.get(id) - at)).sort((a, b) => a - b);
const pct = (p) => delays[Math.min(delays.length - 1, Math.ceil((p / 100) * delays.length) - 1)];
const seconds = (lastArrival - started) / 1000;
console.log(JSON.stringify({
  events,
  seconds: Number(seconds.toFixed(2)),
  events_per_second: Number((events / seconds).toFixed(1)),
  delay_p50_ms: Math.round(pct(50)),
  delay_p99_ms: Math.round(pct(99)),
}));
process.exit(0);
