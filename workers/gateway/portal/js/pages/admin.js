// Administration: users and invitations with permissions, API keys (the key shown once), the
// ERP connectors registered with the company (their operations' schedules and runs), webhook
// endpoints with their delivery log and replay, the company profile (with the DNS proof of its
// domain), its own mail openings, the audit log, and my own settings (language, notifications,
// my companies).
import { get, post, patch, put, del, withQuery, api, send } from "../api.js";
import { t, fmtDate, setLanguage, language, LANGUAGES, person } from "../i18n.js";
import { h, show, field, form, checkboxes, table, badge, label, action, dl, notice, errorText } from "../ui.js";
import { navigate, can, state, render, switchCompany } from "../app.js";

export const PERMISSIONS = ["documents.send", "documents.receive", "approvals.decide", "talk", "relationships.manage", "users.manage", "webhooks.manage", "appointments.manage", "complaints", "catalog"];
export const EVENTS = ["document.deposited", "document.downloaded", "document.status_changed", "document.cancelled", "document.discarded",
  "approval.requested", "approval.superseded", "approval.decided", "talk.message", "relationship.requested", "relationship.decided",
  "relationship.blocked", "relationship.unblocked", "relationship.services_changed", "relationship.invitation_accepted", "card.received", "connector.run_failed",
  "appointment.proposed", "appointment.decided", "appointment.staffed", "appointment.cancelled",
  "invoice.received", "invoice.disputed", "invoice.paid", "invoice.overdue", "task.assigned", "task.due",
  "complaint.filed", "complaint.status_changed", "complaint.commented",
  "quote.requested", "quote.quoted", "quote.status_changed", "quote.commented", "webhook.ping"];
const permOptions = () => PERMISSIONS.map((p) => [p, label("perm", p)]);

function adminTabs(current) {
  const tabs = [["/admin/users", "admin.users", can("users.manage")], ["/admin/api-keys", "admin.api_keys", can("users.manage")],
    ["/admin/connectors", "admin.connectors", can("users.manage")], ["/admin/webhooks", "admin.webhooks", can("webhooks.manage")],
    ["/admin/company", "admin.company", true], ["/admin/mail", "admin.mail", state.me?.user?.role === "admin"],
    ["/admin/audit", "admin.audit", state.me?.user?.role === "admin"]];
  return h("nav", { class: "tabs", "aria-label": t("nav.admin") }, h("ul", {}, tabs.filter((x) => x[2]).map(([href, key]) =>
    h("li", {}, h("a", { href, "aria-current": href === current ? "page" : null }, t(key))))));
}

export async function users(ctx) {
  const status = ctx.query.get("status") || "";
  const list = await get(withQuery("/v1/users", { status, limit: 200 }));
  if (!ctx.current()) return;
  show(ctx.main, ctx.title("admin.users"), adminTabs("/admin/users"),
    h("p", {}, h("a", { href: "/admin/users", "aria-current": status ? null : "page" }, t("common.all")), " · ",
      h("a", { href: "/admin/users?status=invited", "aria-current": status === "invited" ? "page" : null }, t("admin.open_invitations"))),
    table([t("field.name"), t("field.email"), t("admin.role"), t("field.status"), t("admin.permissions"), t("admin.last_login")], list.data.map((u) => [
      h("a", { href: `/admin/users/${u.id}` }, person(u.name)), u.email, label("role", u.role), badge("ustatus", u.status),
      u.role === "admin" ? t("admin.all_permissions") : u.permissions.map((p) => label("perm", p)).join(", "), fmtDate(u.last_login_at),
    ])),
    h("section", {}, h("h2", {}, t("admin.invite")), form([
      field(t("field.email"), "email", { type: "email", required: true }),
      field(t("field.name"), "name", { required: true }),
      field(t("admin.role"), "role", { kind: "select", options: [["member", label("role", "member")], ["admin", label("role", "admin")]] }),
      field(t("settings.language"), "language", { kind: "select", value: language(), options: LANGUAGES.map((l) => [l, t(`language.${l}`)]) }),
      checkboxes(t("admin.permissions"), "permissions", permOptions(), ["documents.send", "documents.receive", "approvals.decide", "talk"]),
    ], async (v) => {
      await post("/v1/users", v);
      navigate("/admin/users?status=invited");
    }, { submit: t("admin.send_invitation") })));
}

/** For a colleague who has not accepted yet: a new invitation mail (the old links stop working). */
function resendSection(id) {
  const resend = action(t("admin.resend_invitation"), async () => {
    await post(`/v1/users/${id}/resend-invitation`, {});
    resend.after(notice(t("admin.invitation_resent")));
  });
  return h("section", {}, h("h2", {}, t("admin.open_invitations")), h("p", { class: "hint" }, t("admin.resend_hint")), resend);
}

export async function user(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const u = await get(`/v1/users/${id}`);
  if (!ctx.current()) return;
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/admin/users" }, t("admin.users"))), ctx.title("admin.user", { name: u.name }),
    dl([[t("field.email"), u.email], [t("field.status"), badge("ustatus", u.status)], [t("settings.language"), t(`language.${u.language}`)], [t("field.created"), fmtDate(u.created_at)]]),
    form([
      field(t("field.name"), "name", { value: u.name }),
      field(t("admin.role"), "role", { kind: "select", value: u.role, options: [["member", label("role", "member")], ["admin", label("role", "admin")]] }),
      field(t("field.status"), "status", { kind: "select", value: u.status, options: [...new Set([u.status, "active", "disabled"])].map((s) => [s, label("ustatus", s)]) }),
      checkboxes(t("admin.permissions"), "permissions", permOptions(), u.permissions),
    ], async (v, f) => {
      const body = { name: v.name, role: v.role, permissions: v.permissions };
      if (v.status !== u.status) body.status = v.status;
      await patch(`/v1/users/${id}`, body);
      f.before(notice(t("common.saved")));
    }),
    u.status === "invited" ? resendSection(id) : null,
    h("section", {}, h("h2", {}, t("admin.delete_access")), h("p", { class: "hint" }, t("admin.delete_hint")),
      action(t("admin.delete"), async () => { if (confirm(t("admin.delete_confirm", { name: u.name }))) { await del(`/v1/users/${id}`); navigate("/admin/users"); } }, { class: "danger" })));
}

export const AUDIT_ACTIONS = ["user.invited", "user.invitation_resent", "user.updated", "user.disabled", "user.enabled", "user.deleted",
  "api_key.created", "api_key.revoked", "webhook.created", "webhook.updated", "webhook.deleted", "webhook.secret_rotated"];

/** What an entry's details say, in words: the role change, the permissions granted and revoked. */
function auditDetails(e) {
  const d = e.details || {};
  const perms = (list) => (list || []).map((p) => label("perm", p)).join(", ");
  const parts = [];
  if (d.role && d.role.from !== d.role.to) parts.push(t("audit.role_changed", { from: label("role", d.role.from), to: label("role", d.role.to) }));
  if (d.granted?.length) parts.push(t("audit.granted", { list: perms(d.granted) }));
  if (d.revoked?.length) parts.push(t("audit.revoked", { list: perms(d.revoked) }));
  if (e.action === "api_key.created" || e.action === "user.invited") parts.push(perms(d.permissions));
  if (d.url) parts.push(d.url);
  return parts.filter(Boolean).join(" · ");
}

// The audit log (admins): who granted or revoked what, made or revoked keys, invited, disabled or
// deleted whom, changed which webhook; filtered by action and time.
export async function audit(ctx) {
  const q = { action: ctx.query.get("action") || "", since: ctx.query.get("since") || "" };
  const since = q.since ? new Date(q.since + "T00:00:00").toISOString() : "";
  const list = await get(withQuery("/v1/audit-log", { action: q.action, since, limit: 200 }));
  if (!ctx.current()) return;
  const party = (p) => (p ? (person(p.name) || p.id) : "—");
  show(ctx.main, ctx.title("admin.audit"), adminTabs("/admin/audit"),
    form([
      field(t("audit.action"), "action", { kind: "select", value: q.action, options: [["", t("audit.all_actions")], ...AUDIT_ACTIONS.map((a) => [a, label("audit", a)])] }),
      field(t("audit.since"), "since", { type: "date", value: q.since }),
    ], async (v) => navigate(withQuery("/admin/audit", { action: v.action, since: v.since })), { submit: t("action.filter") }),
    table([t("audit.when"), t("audit.actor"), t("audit.action"), t("audit.target"), t("audit.details")], list.data.map((e) => [
      fmtDate(e.created_at), party(e.actor), label("audit", e.action), party(e.target), auditDetails(e),
    ]), t("audit.empty")));
}

/** An image from the API (sent with the bearer token), as an <img>. */
export function apiImage(path, alt) {
  const img = h("img", { alt, class: "logo", width: 48, height: 48 });
  api("GET", path, { blob: true }).then((blob) => { img.src = URL.createObjectURL(blob); }).catch(() => img.remove());
  return img;
}

const ADDRESS_FIELDS = ["street", "postal_code", "city", "country"];
const addressText = (a) => (a ? [a.label, a.street, `${a.postal_code} ${a.city}`, a.country].filter(Boolean).join(", ") : "—");
/** Addresses as lines "Label; Street; Postal code; City; Country" (the form's textarea). */
const addressLines = (list) => (list || []).map((a) => [a.label || "", ...ADDRESS_FIELDS.map((f) => a[f])].join("; ")).join("\n");
function parseAddresses(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const [label, street, postal_code, city, country] = line.split(";").map((x) => (x || "").trim());
    return { label: label || null, street, postal_code, city, country };
  });
}

// The company profile: legal name, VAT id, billing address, branches and delivery addresses,
// the party identifiers order files use, the directory listing, the logo. Admins change it.
export async function company(ctx) {
  const p = await get("/v1/company");
  if (!ctx.current()) return;
  const admin = state.me?.user?.role === "admin";
  const places = p.places || {};
  const facts = dl([
    [t("field.handle"), p.handle],
    [t("profile.verified_domain"), p.verified_domain ? `${p.verified_domain} · ${t(`profile.proof.${p.domain_proof}`)}` : t("profile.no_verified_domain")],
    [t("profile.vat_id"), p.vat_id ? `${p.vat_id} · ${t(p.vat_id_format_valid ? "profile.vat_ok" : "profile.vat_bad")}` : "—"],
  ]);
  const logo = p.logo ? apiImage(p.logo, t("profile.logo")) : null;
  if (!admin) {
    show(ctx.main, ctx.title("admin.company"), adminTabs("/admin/company"), logo, facts,
      dl([[t("profile.legal_name"), p.legal_name || "—"], [t("profile.billing_address"), addressText(places.billing_address)],
        [t("profile.identifiers"), p.identifiers.map((i) => `${i.scheme}:${i.id}`).join(", ") || "—"]]));
    return;
  }
  const b = places.billing_address || {};
  const logoInput = h("input", { type: "file", accept: "image/png,image/jpeg,image/webp", name: "logo", "data-field": "logo" });
  const logoForm = h("section", {}, h("h2", {}, t("profile.logo")), logo, h("p", { class: "hint" }, t("profile.logo_hint")), logoInput,
    action(t("profile.upload_logo"), async () => {
      const file = logoInput.files[0];
      if (!file) return;
      await send("PUT", "/v1/company/logo", file, { "content-type": file.type });
      render();
    }),
    p.logo ? action(t("profile.remove_logo"), async () => { await del("/v1/company/logo"); render(); }, { class: "danger" }) : null);
  // The DNS proof of a domain: claim it, publish the TXT record, check.
  const c = p.domain_challenge;
  const domainForm = h("section", { id: "domain-proof" }, h("h2", {}, t("profile.domain_proof")), h("p", { class: "hint" }, t("profile.domain_hint")),
    c ? [h("p", {}, t("profile.domain_publish", { domain: c.domain })),
      dl([[t("profile.record_name"), h("code", {}, c.record_name)], [t("profile.record_type"), c.record_type], [t("profile.record_value"), h("code", {}, c.record_value)]]),
      action(t("profile.domain_check"), async () => { await post("/v1/company/domain/verify"); render(); })] : null,
    form([field(t("profile.domain"), "domain", { required: true, placeholder: "example.com" })], async (v) => {
      await put("/v1/company/domain", { domain: v.domain });
      render();
    }, { submit: t("profile.domain_claim") }));
  show(ctx.main, ctx.title("admin.company"), adminTabs("/admin/company"), facts,
    form([
      field(t("profile.legal_name"), "legal_name", { value: p.legal_name || "" }),
      field(t("profile.vat_id"), "vat_id", { value: p.vat_id || "", hint: t("profile.vat_hint") }),
      field(t("profile.listed"), "listed", { kind: "select", value: p.listed ? "yes" : "no", options: [["yes", t("common.yes")], ["no", t("profile.unlisted")]] }),
      h("fieldset", {}, h("legend", {}, t("profile.billing_address")),
        ...ADDRESS_FIELDS.map((f) => field(t(`profile.${f}`), `billing.${f}`, { value: b[f] || "" }))),
      field(t("profile.branches"), "branches", { kind: "textarea", value: addressLines(places.branches), hint: t("profile.lines_hint") }),
      field(t("profile.delivery_addresses"), "delivery_addresses", { kind: "textarea", value: addressLines(places.delivery_addresses), hint: t("profile.lines_hint") }),
      field(t("profile.identifiers"), "identifiers", { kind: "textarea", value: p.identifiers.map((i) => `${i.scheme}:${i.id}`).join("\n"), hint: t("profile.identifiers_hint") }),
    ], async (v, f) => {
      const billing = Object.fromEntries(ADDRESS_FIELDS.map((x) => [x, v[`billing.${x}`]]));
      await patch("/v1/company", {
        legal_name: v.legal_name || null,
        vat_id: v.vat_id || null,
        listed: v.listed === "yes",
        billing_address: ADDRESS_FIELDS.some((x) => billing[x]) ? billing : null,
        branches: parseAddresses(v.branches),
        delivery_addresses: parseAddresses(v.delivery_addresses),
        identifiers: v.identifiers.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
          const [scheme, ...id] = l.split(":");
          return { scheme: scheme.trim(), id: id.join(":").trim() };
        }),
      });
      f.before(notice(t("common.saved")));
    }),
    logoForm, domainForm);
}

// The company's own openings of the mails its actions cause, per mail and language.
export async function mailOpenings(ctx) {
  const list = await get("/v1/company/mail-openings");
  if (!ctx.current()) return;
  const path = (o) => `/v1/company/mail-openings/${o.template}/${o.language}`;
  show(ctx.main, ctx.title("admin.mail"), adminTabs("/admin/mail"), h("p", { class: "hint" }, t("openings.hint")),
    list.data.length ? table([t("openings.template"), t("settings.language"), t("openings.text"), t("field.updated"), ""], list.data.map((o) => [
      label("mailtpl", o.template), t(`language.${o.language}`), h("pre", { class: "opening" }, o.text), fmtDate(o.updated_at),
      action(t("openings.remove"), async () => { await del(path(o)); render(); }, { class: "danger" }),
    ])) : h("p", {}, t("openings.none")),
    h("section", {}, h("h2", {}, t("openings.set")), form([
      field(t("openings.template"), "template", { kind: "select", options: list.templates.map((x) => [x, label("mailtpl", x)]) }),
      field(t("settings.language"), "language", { kind: "select", value: language(), options: LANGUAGES.map((l) => [l, t(`language.${l}`)]) }),
      field(t("openings.text"), "text", { kind: "textarea", rows: 5, required: true, hint: t("openings.text_hint", { placeholders: list.placeholders.join(" ") }) }),
    ], async (v) => {
      await put(path(v), { text: v.text });
      render();
    })));
}

export async function apiKeys(ctx) {
  const list = await get("/v1/api-keys?limit=200");
  if (!ctx.current()) return;
  const shown = h("div", { id: "new-key" });
  show(ctx.main, ctx.title("admin.api_keys"), adminTabs("/admin/api-keys"), shown,
    table([t("field.name"), t("admin.prefix"), t("admin.permissions"), t("field.created"), t("admin.last_used"), ""], list.data.map((k) => [
      k.name, h("code", {}, k.prefix), k.permissions.map((p) => label("perm", p)).join(", "), fmtDate(k.created_at), fmtDate(k.last_used_at),
      k.revoked_at ? t("admin.revoked") : action(t("admin.revoke"), async () => { await del(`/v1/api-keys/${k.id}`); render(); }, { class: "danger" }),
    ])),
    h("section", {}, h("h2", {}, t("admin.new_key")), form([
      field(t("field.name"), "name", { required: true }),
      checkboxes(t("admin.permissions"), "permissions", permOptions(), ["documents.send", "documents.receive"]),
    ], async (v, f) => {
      const created = await post("/v1/api-keys", v);
      f.reset();
      shown.replaceChildren(h("section", { class: "panel secret" }, h("h2", {}, t("admin.key_created", { name: created.name })),
        h("p", {}, t("admin.shown_once")), h("p", {}, h("code", { id: "secret" }, created.key)),
        h("button", { type: "button", onclick: () => navigator.clipboard?.writeText(created.key) }, t("action.copy"))));
      shown.querySelector("h2").focus?.();
    }, { submit: t("admin.create_key") })));
}

// ERP connectors: programs at the company's ERP that registered themselves through the API with
// one of its keys. Per operation (send, fetch, status): on or off, the interval, a run now or in
// N minutes, the scheduled run and the last one; the recent runs; remove. A change answers with
// the connector, whose section is then drawn anew (with its runs), the focus kept on the control.
const hhmmss = (secs) => [Math.floor(secs / 3600), Math.floor(secs / 60) % 60, secs % 60].map((n) => String(n).padStart(2, "0")).join(":");

/** A catalogue text whose {placeholders} become the nodes in parts (code in a sentence). */
const rich = (key, parts) => t(key).split(/\{(\w+)\}/).map((piece, i) => (i % 2 ? parts[piece] ?? `{${piece}}` : piece));

export async function connectors(ctx) {
  const [list, keys] = await Promise.all([get("/v1/connectors"), get("/v1/api-keys?limit=200").catch(() => null)]);
  if (!ctx.current()) return;
  const keyOf = (id) => (keys?.data || []).find((k) => k.id === id);
  const sections = await Promise.all((list.data || []).map((c) => connectorSection(c, keyOf)));
  if (!ctx.current()) return;
  const how = h("p", { class: sections.length ? "hint" : null, id: "connectors-how" },
    rich("connector.how", { command: h("code", {}, "tradepost sync"), doc: h("code", {}, "docs/connector.md") }));
  const refresh = action(t("connector.refresh"), () => render());
  refresh.id = "connectors-refresh";
  show(ctx.main, ctx.title("admin.connectors"), adminTabs("/admin/connectors"), h("p", {}, t("connector.intro")),
    sections.length ? [h("div", { class: "actions" }, refresh), sections, how]
      : h("div", { id: "connectors-empty" }, h("p", { class: "empty" }, t("connector.none")), how));
}

async function connectorSection(c, keyOf, done) {
  const id = encodeURIComponent(c.id);
  const runs = await get(withQuery(`/v1/connectors/${id}/runs`, { limit: 10 })).catch((error) => ({ error }));
  // Saves a change of one operation and draws the section anew; text(op) is the notice to show.
  const change = async (operation, body, control, text) => {
    const updated = await patch(`/v1/connectors/${id}/operations/${encodeURIComponent(operation)}`, body);
    const op = (updated.operations || []).find((o) => o.operation === operation) || {};
    const next = await connectorSection(updated, keyOf, { operation, text: text(op) });
    const here = document.querySelector(`section[data-connector="${CSS.escape(c.id)}"]`);
    if (!here) return;
    here.replaceWith(next);
    next.querySelector(`tr[data-operation="${CSS.escape(operation)}"] [data-control="${control}"]`)?.focus();
  };
  const row = (o) => {
    const name = label("connop", o.operation);
    const scheduled = (op) => (op.run_at ? t("connector.scheduled", { operation: name, at: fmtDate(op.run_at) }) : t("common.saved"));

    const toggle = h("input", { type: "checkbox", role: "switch", name: "enabled", "data-control": "enabled", checked: o.enabled,
      "aria-label": t("connector.enabled_of", { operation: name }) });
    toggle.addEventListener("change", async () => {
      const cell = toggle.closest("td");
      cell.querySelectorAll(".field-error").forEach((e) => e.remove());
      toggle.disabled = true;
      try {
        await change(o.operation, { enabled: toggle.checked }, "enabled", (op) => t(op.enabled === false ? "connector.switched_off" : "connector.switched_on", { operation: name }));
      } catch (err) {
        toggle.checked = !toggle.checked;
        cell.append(h("p", { class: "field-error", role: "alert" }, errorText(err)));
      } finally {
        toggle.disabled = false;
      }
    });

    const interval = form([h("input", { name: "interval", "data-field": "interval", "data-control": "interval", value: o.interval || hhmmss(o.interval_secs || 0),
      placeholder: "hh:mm:ss", autocomplete: "off", "aria-label": t("connector.interval_of", { operation: name }) })],
    (v) => change(o.operation, { interval: v.interval }, "save-interval", () => t("connector.interval_saved", { operation: name })),
    { submit: t("action.save"), class: "inline interval" });
    interval.querySelector("button[type=submit]").dataset.control = "save-interval";

    const runNow = action(t("connector.run_now"), () => change(o.operation, { run_in_minutes: 0 }, "run-now", scheduled));
    runNow.dataset.control = "run-now";
    // What is typed goes to the API as it is (a number if it is one): the API says what is wrong.
    const later = form([t("connector.run_in_before"), " ",
      h("input", { type: "number", name: "run_in_minutes", "data-field": "run_in_minutes", "data-control": "run-in", min: 0, max: 10080, step: 1, value: "60",
        "aria-label": t("connector.run_in_of", { operation: name }) }), " ", t("connector.run_in_after")],
    (v) => change(o.operation, { run_in_minutes: /^\d+$/.test(v.run_in_minutes) ? Number(v.run_in_minutes) : v.run_in_minutes }, "run-later", scheduled),
    { submit: t("connector.schedule"), class: "inline run-later" });
    later.querySelector("button[type=submit]").dataset.control = "run-later";

    const last = o.last_run;
    return h("tr", { "data-operation": o.operation, "data-enabled": String(o.enabled), "data-interval-secs": String(o.interval_secs), "data-run-at": o.run_at || null },
      h("th", { scope: "row" }, name),
      h("td", {}, h("label", { class: "switch" }, toggle, " ", t("connector.enabled"))),
      h("td", {}, interval),
      h("td", { class: "run" }, h("div", { class: "actions" }, runNow), later),
      h("td", { class: "run-at" }, o.run_at ? h("time", { datetime: o.run_at }, fmtDate(o.run_at)) : "—"),
      h("td", { class: last?.errors ? "last-run has-errors" : "last-run" }, last ? [
        h("time", { datetime: last.finished_at || last.started_at }, fmtDate(last.finished_at || last.started_at)),
        h("div", { class: "counts" }, t("connector.counts", { files: last.files ?? 0, errors: last.errors ?? 0 })),
        last.message ? h("p", { class: "message" }, last.message) : null,
      ] : h("span", { class: "hint" }, t("connector.never"))));
  };

  const key = keyOf(c.api_key_id);
  const remove = action(t("connector.remove"), async () => {
    if (!confirm(t("connector.remove_confirm", { name: c.name }))) return;
    await del(`/v1/connectors/${id}`);
    render();
  }, { class: "danger" });
  remove.dataset.control = "remove";
  const saved = done ? notice(done.text) : null;
  if (saved) saved.dataset.operation = done.operation;

  return h("section", { class: "panel connector", id: `connector-${c.id}`, "data-connector": c.id },
    h("h2", { class: "name" }, c.name), saved,
    dl([[t("connector.host"), c.host], [t("connector.version"), c.version],
      [t("connector.api_key"), key ? [key.name, " ", h("code", {}, key.prefix), key.revoked_at ? ` · ${t("admin.revoked")}` : null] : c.api_key_id ? h("code", {}, c.api_key_id) : null],
      [t("connector.registered"), fmtDate(c.registered_at)], [t("connector.last_seen"), fmtDate(c.last_seen_at)]]),
    h("h3", {}, t("connector.operations")),
    h("div", { class: "table-wrap" }, h("table", { class: "operations" },
      h("thead", {}, h("tr", {}, [t("connector.operation"), t("connector.enabled"), t("connector.interval"), t("connector.run"), t("connector.run_at"), t("connector.last_run")]
        .map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, (c.operations || []).map(row)))),
    h("p", { class: "hint" }, t("connector.limits")),
    h("h3", {}, t("connector.runs")),
    runs.error ? notice(errorText(runs.error), "error") : (runs.data || []).length ? h("div", { class: "table-wrap" }, h("table", { class: "runs" },
      h("thead", {}, h("tr", {}, [t("connector.operation"), t("connector.started"), t("connector.finished"), t("connector.files"), t("connector.errors"), t("connector.message")]
        .map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, runs.data.map((r) => h("tr", { class: r.errors ? "run has-errors" : "run", "data-run": r.id, "data-operation": r.operation },
        h("td", {}, label("connop", r.operation)), h("td", {}, fmtDate(r.started_at)), h("td", {}, fmtDate(r.finished_at)),
        h("td", { class: "files" }, String(r.files ?? 0)), h("td", { class: "errors" }, String(r.errors ?? 0)), h("td", { class: "message" }, r.message || ""))))))
      : h("p", { class: "empty runs-empty" }, t("connector.no_runs")),
    h("div", { class: "actions" }, remove), h("p", { class: "hint" }, t("connector.remove_hint")));
}

export async function webhooks(ctx) {
  const list = await get("/v1/webhooks?limit=200");
  if (!ctx.current()) return;
  const shown = h("div", { id: "new-secret" });
  show(ctx.main, ctx.title("admin.webhooks"), adminTabs("/admin/webhooks"), shown,
    table([t("webhook.url"), t("webhook.description"), t("webhook.events"), t("webhook.enabled"), t("field.created")], (list.data || []).map((w) => [
      h("a", { href: `/admin/webhooks/${w.id}` }, w.url), w.description || "", (w.event_types || []).length ? w.event_types.join(", ") : t("webhook.all_events"),
      w.enabled === false ? t("common.no") : t("common.yes"), fmtDate(w.created_at),
    ]), t("webhook.none")),
    h("section", {}, h("h2", {}, t("webhook.new")), form([
      field(t("webhook.url"), "url", { type: "url", required: true, placeholder: "https://" }),
      field(t("webhook.description"), "description"),
      checkboxes(t("webhook.events_hint"), "event_types", EVENTS.map((e) => [e, label("event", e)])),
    ], async (v) => {
      const created = await post("/v1/webhooks", { url: v.url, description: v.description || undefined, event_types: v.event_types.length ? v.event_types : undefined });
      shown.replaceChildren(secretPanel(created.secret));
    }, { submit: t("webhook.create") })));
}

const secretPanel = (secret) => h("section", { class: "panel secret" }, h("h2", {}, t("webhook.secret")), h("p", {}, t("admin.shown_once")), h("p", {}, h("code", { id: "secret" }, secret || "")));

export async function webhook(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const status = ctx.query.get("status") || "";
  const [w, deliveries] = await Promise.all([get(`/v1/webhooks/${id}`), get(withQuery(`/v1/webhooks/${id}/deliveries`, { status, limit: 100 })).catch(() => ({ data: [] }))]);
  if (!ctx.current()) return;
  const shown = h("div");
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/admin/webhooks" }, t("admin.webhooks"))), ctx.title("webhook.title", { url: w.url }), shown,
    w.disabled_reason ? notice(t(`webhook.disabled.${w.disabled_reason}`), "error") : null,
    w.failing_since ? notice(t("webhook.failing_since", { at: fmtDate(w.failing_since) }), "info") : null,
    form([
      field(t("webhook.url"), "url", { type: "url", value: w.url }),
      field(t("webhook.description"), "description", { value: w.description || "" }),
      field(t("webhook.enabled"), "enabled", { kind: "select", value: String(w.enabled !== false), options: [["true", t("common.yes")], ["false", t("common.no")]] }),
      checkboxes(t("webhook.events_hint"), "event_types", EVENTS.map((e) => [e, label("event", e)]), w.event_types || []),
    ], async (v, f) => {
      await patch(`/v1/webhooks/${id}`, { url: v.url, description: v.description || null, enabled: v.enabled === "true", event_types: v.event_types.length ? v.event_types : null });
      f.before(notice(t("common.saved")));
    }),
    h("div", { class: "actions" },
      action(t("webhook.ping"), async () => { await post(`/v1/webhooks/${id}/ping`); shown.replaceChildren(notice(t("webhook.pinged"))); }),
      action(t("webhook.rotate"), async () => { const r = await post(`/v1/webhooks/${id}/rotate-secret`); shown.replaceChildren(secretPanel(r.secret)); }),
      action(t("webhook.delete"), async () => { if (confirm(t("webhook.delete_confirm"))) { await del(`/v1/webhooks/${id}`); navigate("/admin/webhooks"); } }, { class: "danger" })),
    h("h2", {}, t("webhook.deliveries")),
    h("p", {}, ["", "pending", "succeeded", "failed"].map((s) => [h("a", { href: withQuery(`/admin/webhooks/${ctx.params.id}`, { status: s }), "aria-current": s === status ? "page" : null }, s ? label("dstatus", s) : t("common.all")), " "])),
    table([t("webhook.event"), t("field.status"), t("webhook.attempts"), t("field.date"), ""], (deliveries.data || []).map((d) => [
      label("event", d.event_type), badge("dstatus", d.status),
      h("ol", { class: "attempts" }, (d.attempts || []).map((a) => h("li", {}, `${fmtDate(a.at)} · ${a.status_code ?? t("webhook.no_answer")} · ${a.duration_ms ?? "—"} ms${a.error ? " · " + a.error : ""}`))),
      fmtDate(d.created_at),
      action(t("webhook.replay"), async () => { await post(`/v1/webhooks/${id}/deliveries/${d.id}/replay`); render(); }),
    ]), t("webhook.no_deliveries")));
}

export async function settings(ctx) {
  const notifications = await get("/v1/me/notifications").catch(() => null);
  if (!ctx.current()) return;
  const me = state.me.user;
  show(ctx.main, ctx.title("settings.mine"),
    me ? form([
      field(t("field.name"), "name", { value: me.name }),
      field(t("settings.language"), "language", { kind: "select", value: me.language, options: LANGUAGES.map((l) => [l, t(`language.${l}`)]) }),
    ], async (v) => {
      state.me.user = (await patch("/v1/me", { name: v.name, language: v.language })).user;
      await setLanguage(v.language);
      render();
    }) : null,
    notifications ? h("section", {}, h("h2", {}, t("settings.notifications")), h("p", { class: "hint" }, t("settings.notifications_hint")),
      form([checkboxes(t("webhook.events"), "events", (notifications.available || EVENTS).map((e) => [e, label("event", e)]), notifications.events || [])], async (v, f) => {
        await put("/v1/me/notifications", { events: v.events });
        f.before(notice(t("common.saved")));
      })) : null,
    me ? companies() : null);
}

// The companies the person works for, one login for all, and a further one of their own.
function companies() {
  const row = (a) => h("li", {}, h("strong", {}, a.company.name), ` @${a.company.handle} · ${t(`role.${a.role}`)} `,
    a.current ? h("small", {}, t("companies.current")) :
      h("button", { type: "button", onclick: () => switchCompany(a.company.id) }, t("companies.switch")));
  return h("section", { id: "companies" }, h("h2", {}, t("companies.title")), h("p", { class: "hint" }, t("companies.hint")),
    h("ul", {}, state.companies.map(row)),
    h("h3", {}, t("companies.add")),
    form([
      field(t("field.company_name"), "company_name", { required: true }),
      field(t("field.handle"), "handle", { required: true, hint: t("field.handle.hint") }),
    ], async (v) => {
      const added = await post("/v1/me/companies", { company_name: v.company_name, handle: v.handle });
      await switchCompany(added.company.id);
    }, { submit: t("companies.add_submit") }));
}
