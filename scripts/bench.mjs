// Load-test helper for scripts/bench (run by it; usable alone).
//
//   node scripts/bench.mjs credentials URL
//       Signs a fresh company up through the API (POST /v1/auth/signup), confirms the e-mail
//       with the link from the captured dev mail (GET /v1/dev/mail, POST /v1/auth/confirm),
//       logs in, and prints {email, password, access_token} as JSON.
//   node scripts/bench.mjs load NAME URL [--method M] [--header 'K: V']… [--body JSON]
//       Warms up, then measures with autocannon and prints
//       {name, rps, p50_ms, p99_ms, requests, non2xx, errors} as JSON.
//       BENCH_CONNECTIONS (10), BENCH_DURATION (10 s) and BENCH_WARMUP (3 s) tune it.

import autocannon from "autocannon";
import { randomBytes } from "node:crypto";

const die = (msg) => {
  console.error(`bench.mjs: ${msg}`);
  process.exit(1);
};

async function call(base, method, path, body, expect) {
  const res = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) {
    die(`${method} ${path}: expected ${expect}, got ${res.status}: ${text.slice(0, 500)}`);
  }
  return text ? JSON.parse(text) : null;
}

async function credentials(base) {
  const tag = randomBytes(5).toString("hex");
  const email = `bench-${tag}@example.com`;
  const password = `bench-${randomBytes(9).toString("base64url")}`;
  await call(base, "POST", "/v1/auth/signup", {
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
  return { email, password, access_token: login.access_token };
}

function parseLoadArgs(argv) {
  const [name, url, ...rest] = argv;
  if (!name || !url) die("usage: load NAME URL [--method M] [--header 'K: V'] [--body JSON]");
  const opts = { method: "GET", headers: {}, body: undefined };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) die(`${flag} needs a value`);
    if (flag === "--method") opts.method = value;
    else if (flag === "--body") {
      opts.body = value;
      opts.headers["content-type"] ??= "application/json";
    } else if (flag === "--header") {
      const at = value.indexOf(":");
      if (at < 1) die(`bad header: ${value}`);
      opts.headers[value.slice(0, at).trim().toLowerCase()] = value.slice(at + 1).trim();
    } else die(`unknown flag ${flag}`);
  }
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
  };
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "credentials") {
  if (!args[0]) die("usage: credentials URL");
  console.log(JSON.stringify(await credentials(args[0])));
} else if (cmd === "load") {
  console.log(JSON.stringify(await load(parseLoadArgs(args))));
} else {
  die("usage: node scripts/bench.mjs credentials URL | load NAME URL [options]");
}
