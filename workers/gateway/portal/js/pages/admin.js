// Administration: users and invitations with permissions, API keys (the key shown once),
// webhook endpoints with their delivery log and replay, and my own settings (language,
// notifications).
import { get, post, patch, put, del, withQuery } from "../api.js";
import { t, fmtDate, setLanguage, language, LANGUAGES } from "../i18n.js";
import { h, show, field, form, checkboxes, table, badge, label, action, dl, notice } from "../ui.js";
import { navigate, can, state, render } from "../app.js";

export const PERMISSIONS = ["documents.send", "documents.receive", "approvals.decide", "talk", "relationships.manage", "users.manage", "webhooks.manage"];
export const EVENTS = ["document.deposited", "document.downloaded", "document.status_changed", "document.cancelled", "document.discarded",
  "approval.requested", "approval.superseded", "approval.decided", "talk.message", "relationship.requested", "relationship.decided",
  "relationship.blocked", "relationship.unblocked", "relationship.services_changed", "relationship.invitation_accepted", "card.received", "webhook.ping"];
const permOptions = () => PERMISSIONS.map((p) => [p, label("perm", p)]);

function adminTabs(current) {
  const tabs = [["/admin/users", "admin.users", can("users.manage")], ["/admin/api-keys", "admin.api_keys", can("users.manage")], ["/admin/webhooks", "admin.webhooks", can("webhooks.manage")]];
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
      h("a", { href: `/admin/users/${u.id}` }, u.name), u.email, label("role", u.role), badge("ustatus", u.status),
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
    h("section", {}, h("h2", {}, t("admin.delete_access")), h("p", { class: "hint" }, t("admin.delete_hint")),
      action(t("admin.delete"), async () => { if (confirm(t("admin.delete_confirm", { name: u.name }))) { await del(`/v1/users/${id}`); navigate("/admin/users"); } }, { class: "danger" })));
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
      })) : null);
}
