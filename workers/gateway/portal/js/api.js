// The API client: the session (tokens in localStorage, see docs/portal.md), every call with the
// bearer token, the silent refresh of an expired access token (and one retry), and API
// problems (RFC 9457) as ApiError.
const KEY = "tp.session";

export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "http_" + status;
    this.detail = problem.detail || "";
    this.field = problem.field || null;
  }
}

export function session() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch { return null; }
}
export function saveSession(login) {
  localStorage.setItem(KEY, JSON.stringify({
    access: login.access_token, refresh: login.refresh_token,
    user: login.user, company: login.company,
  }));
}
export const clearSession = () => localStorage.removeItem(KEY);

// One refresh at a time, across tabs too (Web Locks): refresh tokens are single use, and a
// second tab presenting the same one would end the whole session (refresh_token_reused).
let inflight = null;
function refresh(failedAccess) {
  const run = async () => {
    const s = session();
    if (!s) throw new ApiError(401, { code: "unauthenticated" });
    if (s.access !== failedAccess) return; // someone else refreshed meanwhile
    const res = await fetch("/v1/auth/refresh", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: s.refresh }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { clearSession(); throw new ApiError(res.status, body); }
    saveSession(body);
  };
  if (navigator.locks) return navigator.locks.request("tp-refresh", run);
  inflight = inflight || run().finally(() => { inflight = null; });
  return inflight;
}

const expiredCodes = ["token_expired", "token_invalid", "unauthenticated"];
let onSignedOut = () => {};
export const whenSignedOut = (fn) => { onSignedOut = fn; };

/** Renews the access token first when it is about to run out (before a long upload). */
export async function freshToken() {
  const s = session();
  if (!s) return null;
  let exp = 0;
  try { exp = JSON.parse(atob(s.access.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp; } catch { exp = 0; }
  if (exp * 1000 - Date.now() < 60_000) {
    try { await refresh(s.access); } catch (e) { onSignedOut(); throw e; }
  }
  return session()?.access;
}

/**
 * Calls the API. opts: json (a body to send as JSON), body + headers (a raw body), blob (answer
 * as a Blob). Resolves to the parsed answer (null when empty); rejects with ApiError.
 */
export async function api(method, path, opts = {}) {
  for (let attempt = 0; ; attempt++) {
    // The auth endpoints (login, signup, refresh, links) take no bearer token; the company
    // switch is made by the person logged in.
    const s = path.startsWith("/v1/auth/") && path !== "/v1/auth/switch" ? null : session();
    const headers = { ...(opts.headers || {}) };
    if (s) headers.authorization = `Bearer ${s.access}`;
    let body = opts.body;
    if (opts.json !== undefined) { headers["content-type"] = "application/json"; body = JSON.stringify(opts.json); }
    const res = await fetch(path, { method, headers, body });
    if (res.status === 401 && s && attempt === 0) {
      const problem = await res.clone().json().catch(() => ({}));
      if (expiredCodes.includes(problem.code)) {
        try { await refresh(s.access); } catch (e) { onSignedOut(); throw e; }
        continue;
      }
    }
    if (!res.ok) {
      const problem = await res.json().catch(() => ({}));
      if (res.status === 401 && s) onSignedOut();
      throw new ApiError(res.status, problem);
    }
    if (opts.blob) return res.blob();
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }
}

export const get = (path) => api("GET", path);
export const post = (path, json) => api("POST", path, json === undefined ? {} : { json });

/** A fresh Idempotency-Key. */
export const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());

/**
 * A POST a person may send again after a failure (a message): the same text goes with the same
 * Idempotency-Key, so a retry is answered with what the first one wrote and never appears twice.
 * Call it once per form; its function posts `json`, keyed by `same` (the message's text: the
 * attachments are uploaded anew on each try).
 */
export function retrySafePost() {
  let last = null;
  return async (path, json, same) => {
    const text = String(same);
    if (!last || last.text !== text) last = { text, key: newKey() };
    const out = await api("POST", path, { json, headers: { "idempotency-key": last.key } });
    last = null;
    return out;
  };
}
/** Every item of a list, following next_cursor in pages of 200 (the API's largest), at most `pages` pages. */
export async function getAll(path, params = {}, pages = 10) {
  const out = [];
  let cursor = "";
  for (let i = 0; i < pages; i++) {
    const page = await get(withQuery(path, { ...params, cursor, limit: 200 }));
    out.push(...(page.data || []));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

export const patch = (path, json) => api("PATCH", path, { json });
export const put = (path, json) => api("PUT", path, { json });
export const del = (path) => api("DELETE", path);

/** A path with the non-empty query parameters of params. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Sends body (a File or Blob) with XMLHttpRequest, for its upload progress: onProgress(sent,
 * total). Renews the token first and retries once after a 401. Resolves to the parsed answer.
 */
export async function send(method, path, body, headers, onProgress) {
  for (let attempt = 0; ; attempt++) {
    const token = await freshToken();
    const { status, text } = await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, path);
      if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
      for (const [k, v] of Object.entries(headers)) if (v) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded, e.total);
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
      xhr.onerror = () => reject(new ApiError(0, { code: "network_error" }));
      xhr.send(body);
    });
    let answer = {};
    try { answer = text ? JSON.parse(text) : {}; } catch { answer = {}; }
    if (status === 401 && attempt === 0 && expiredCodes.includes(answer.code)) {
      try { await refresh(token); } catch (e) { onSignedOut(); throw e; }
      continue;
    }
    if (status < 200 || status >= 300) throw new ApiError(status, answer);
    return answer;
  }
}

/** Fetches a file with the bearer token and saves it under filename. */
export async function download(path, filename) {
  const blob = await api("GET", path, { blob: true });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url; a.download = filename || "download"; document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
