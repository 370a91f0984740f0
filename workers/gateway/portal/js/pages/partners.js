// Partners: my relationships by status, the company directory with relationship requests,
// inviting a customer company, and one relationship: decide, block, services, settings.
import { get, post, patch, withQuery } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { apiImage } from "./admin.js";
import { h, show, field, form, checkboxes, table, badge, label, action, dl, notice } from "../ui.js";
import { navigate, can, state } from "../app.js";

const STATUSES = ["requested", "active", "rejected", "blocked"];
export const SERVICES = ["documents", "approvals", "talk", "cards", "appointments"];

export async function list(ctx) {
  const status = ctx.query.get("status") || "";
  const answer = await get(withQuery("/v1/relationships", { status, limit: 200 }));
  if (!ctx.current()) return;
  const c = answer.counts || {};
  const tabs = h("nav", { class: "tabs", "aria-label": t("partners.filter") }, h("ul", {},
    ["", ...STATUSES].map((s) => h("li", {}, h("a", { href: s ? `/partners?status=${s}` : "/partners", "aria-current": s === status ? "page" : null },
      s ? label("relstatus", s) : t("common.all"), s && c[s] !== undefined ? h("span", { class: "pill" }, String(c[s])) : null)))));
  const rows = answer.data.map((r) => [
    h("a", { href: `/partners/${r.id}` }, r.partner.name), r.partner.handle, label("role", r.my_role),
    badge("relstatus", r.status),
    r.status === "requested" ? (r.direction === "incoming" ? h("strong", {}, t("partners.awaits_you")) : t("partners.awaits_them")) : "",
    fmtDate(r.updated_at),
  ]);
  show(ctx.main, ctx.title("partners.title"),
    c.incoming_requests ? notice(t("partners.incoming", { n: c.incoming_requests }), "info") : null,
    tabs,
    table([t("field.company"), t("field.handle"), t("partners.my_role"), t("field.status"), "", t("field.updated")], rows, t("partners.none")),
    directory(ctx), can("relationships.manage") ? invite() : null);
}

function directory(ctx) {
  const results = h("div", { id: "directory-results" });
  const q = ctx.query.get("q") || "";
  // A company we already have a relationship with links to it instead of offering a request.
  const search = async (query) => {
    const [found, mine] = await Promise.all([
      get(withQuery("/v1/companies", { q: query, limit: 50 })),
      get(withQuery("/v1/relationships", { limit: 200 })),
    ]);
    const known = new Map(mine.data.map((r) => [r.partner.id, r]));
    const next = (co) => {
      if (co.id === state.me?.company?.id) return t("partners.yours");
      const rel = known.get(co.id);
      if (rel) return h("a", { href: `/partners/${rel.id}`, class: "relationship" }, badge("relstatus", rel.status));
      // Before asking, what tells this company from one of the same name (a warning when its
      // name resembles a partner's).
      const ask = async () => {
        const profile = await get(`/v1/profiles/${encodeURIComponent(co.id)}`).catch(() => null);
        results.replaceChildren(...[whoIsWho(profile), requestForm(co)].filter(Boolean));
      };
      return can("relationships.manage") ? h("button", { type: "button", onclick: ask }, t("partners.request")) : "";
    };
    // What tells the hits apart: each one's verified domain (from its profile).
    const profiles = await Promise.all(found.data.map((co) => get(`/v1/profiles/${encodeURIComponent(co.id)}`).catch(() => null)));
    const domain = (p) => (p?.verified_domain ? h("span", { class: "verified" }, p.verified_domain) : "—");
    const alike = (p) => (p?.resembles?.length ? notice(t("profile.resembles", { names: p.resembles.map((r) => r.name).join(", ") }), "warn") : null);
    results.replaceChildren(table([t("field.company"), t("field.handle"), t("profile.verified_domain"), ""],
      found.data.map((co, i) => [[co.name, alike(profiles[i])], co.handle, domain(profiles[i]), next(co)]), t("partners.no_match")));
  };
  if (q) search(q).catch(() => {});
  return h("section", {}, h("h2", {}, t("partners.directory")),
    form([field(t("partners.search"), "q", { type: "search", value: q })], async (v) => {
      history.replaceState(null, "", withQuery("/partners", { status: ctx.query.get("status"), q: v.q }));
      await search(v.q);
    }, { submit: t("action.search"), class: "inline" }), results);
}

function requestForm(co) {
  return h("section", { class: "panel" }, h("h3", {}, t("partners.request_to", { company: co.name })),
    form([
      field(t("partners.my_role"), "my_role", { kind: "select", options: [["customer", label("role", "customer")], ["supplier", label("role", "supplier")]] }),
      field(t("field.message"), "message", { kind: "textarea" }),
      checkboxes(t("partners.services"), "services", SERVICES.map((s) => [s, label("service", s)]), ["documents", "approvals", "talk", "cards"]),
    ], async (v) => {
      const services = Object.fromEntries(SERVICES.map((s) => [s, v.services.includes(s) ? "requested" : "inactive"]));
      const rel = await post("/v1/relationships", { company_id: co.id, my_role: v.my_role, message: v.message || undefined, services });
      navigate(`/partners/${rel.id}`);
    }, { submit: t("partners.send_request") }));
}

function invite() {
  return h("section", {}, h("h2", {}, t("partners.invite")), h("p", {}, t("partners.invite_intro")),
    form([
      field(t("field.email"), "email", { type: "email", required: true }),
      field(t("field.name"), "name"),
      field(t("field.company_name"), "company_name"),
      field(t("field.message"), "message", { kind: "textarea" }),
    ], async (v, f) => {
      const body = {};
      for (const [k, val] of Object.entries(v)) if (val) body[k] = val;
      await post("/v1/relationships/invitations", body);
      f.replaceWith(notice(t("partners.invited", { email: v.email })));
    }, { submit: t("partners.send_invitation") }));
}

export async function detail(ctx) {
  const rel = await get(`/v1/relationships/${encodeURIComponent(ctx.params.id)}`);
  const profile = await get(`/v1/profiles/${encodeURIComponent(rel.partner.id)}`).catch(() => null);
  if (!ctx.current()) return;
  const manage = can("relationships.manage");
  const rerender = (r) => { show(ctx.main, ...view(ctx, r, manage, rerender), whoIsWho(profile)); };
  rerender(rel);
}

/** What tells the partner apart from a company of the same name: its verified domain, its VAT
 * id's format, its identifiers, and a warning when its name resembles another partner's. */
function whoIsWho(p) {
  if (!p) return null;
  return h("section", { id: "who-is-who" }, h("h2", {}, t("profile.who_is_who")),
    p.resembles.length ? notice(t("profile.resembles", { names: p.resembles.map((r) => `${r.name} (${r.handle})`).join(", ") }), "warn") : null,
    p.logo ? apiImage(p.logo, p.name) : null,
    dl([
      [t("field.handle"), p.handle],
      [t("profile.verified_domain"), p.verified_domain || t("profile.no_verified_domain")],
      [t("profile.legal_name"), p.legal_name || "—"],
      [t("profile.vat_id"), p.vat_id ? `${p.vat_id} · ${t(p.vat_id_format_valid ? "profile.vat_ok" : "profile.vat_bad")}` : "—"],
      [t("profile.identifiers"), p.identifiers.map((i) => `${i.scheme}:${i.id}`).join(", ") || "—"],
      p.places ? [t("profile.billing_address"), (p.places.billing_address && [p.places.billing_address.street, `${p.places.billing_address.postal_code} ${p.places.billing_address.city}`, p.places.billing_address.country].join(", ")) || "—"] : null,
      p.places?.branches?.length ? [t("profile.branches"), p.places.branches.map((a) => `${a.label}: ${a.city}`).join(" · ")] : null,
    ]));
}

function view(ctx, rel, manage, rerender) {
  const id = encodeURIComponent(rel.id);
  const decide = [];
  if (manage && rel.status === "requested" && rel.direction === "incoming") {
    decide.push(h("section", { class: "panel", id: "decide" }, h("h2", {}, t("partners.decide")),
      rel.message ? h("blockquote", {}, rel.message) : null,
      h("div", { class: "actions" }, action(t("partners.approve"), async () => rerender(await post(`/v1/relationships/${id}/approve`)), { class: "primary" })),
      form([field(t("partners.reject_reason"), "reason", { kind: "textarea" })],
        async (v) => rerender(await post(`/v1/relationships/${id}/reject`, v.reason ? { reason: v.reason } : {})),
        { submit: t("partners.reject"), danger: true })));
  }
  const block = [];
  if (manage && rel.status !== "blocked") block.push(action(t("partners.block"), async () => rerender(await post(`/v1/relationships/${id}/block`)), { class: "danger" }));
  if (manage && rel.status === "blocked" && rel.blocked_by_me) block.push(action(t("partners.unblock"), async () => rerender(await post(`/v1/relationships/${id}/unblock`))));
  const supplier = rel.my_role === "supplier";
  const serviceOptions = supplier ? ["enabled", "inactive"] : ["requested", "inactive"];
  const services = h("section", {}, h("h2", {}, t("partners.services")),
    manage && rel.status !== "blocked" ? form(SERVICES.map((s) => field(label("service", s), `services.${s}`, {
      kind: "select", value: rel.services[s],
      options: [...new Set([rel.services[s], ...serviceOptions])].map((o) => [o, label("svcstate", o)]),
    })), async (v) => {
      const services = {};
      for (const s of SERVICES) if (v[`services.${s}`] !== rel.services[s]) services[s] = v[`services.${s}`];
      rerender(await patch(`/v1/relationships/${id}`, { services }));
    }, { submit: t("partners.save_services"), class: "grid" })
      : dl(SERVICES.map((s) => [label("service", s), label("svcstate", rel.services[s])])),
    // Ordering follows the catalogs the supplier enables for the customer: shown, not set.
    h("div", { id: "service-order" }, dl([[label("service", "order"), label("svcstate", rel.services.order || "inactive")]]),
      h("p", { class: "hint" }, t("partners.order_service_hint"))));
  const settings = rel.settings ? settingsForm(rel, manage, rerender) : null;
  return [
    ctx.title("partners.relationship_with", { company: rel.partner.name }),
    dl([
      [t("field.status"), badge("relstatus", rel.status)],
      [t("partners.my_role"), label("role", rel.my_role)],
      [t("field.handle"), rel.partner.handle],
      [t("partners.direction"), label("direction", rel.direction)],
      rel.reject_reason ? [t("partners.reject_reason"), rel.reject_reason] : null,
      [t("field.created"), fmtDate(rel.created_at)],
    ]),
    h("p", { class: "links" },
      h("a", { href: `/mailbox?box=all&partner=${rel.partner.id}` }, t("partners.documents")), " ",
      rel.status === "active" ? h("a", { href: `/mailbox/upload?partner=${rel.partner.id}` }, t("mailbox.upload")) : null, " ",
      rel.status === "active" ? h("a", { href: `/talk/new?partner=${rel.partner.id}` }, t("talk.new")) : null),
    ...decide, services, settings,
    block.length ? h("section", {}, h("h2", {}, t("partners.block_title")), h("div", { class: "actions" }, block)) : null,
  ];
}

const SETTINGS = ["customer_number", "discount_percent", "grouping", "sales_channel", "shipping_terms", "payment_terms", "internal_remark"];
function settingsForm(rel, manage, rerender) {
  const s = rel.settings;
  const fields = SETTINGS.map((k) => field(t(`settings.${k}`), `settings.${k}`, {
    value: s[k] ?? "", kind: k === "internal_remark" ? "textarea" : undefined,
    type: k === "discount_percent" ? "number" : "text", step: k === "discount_percent" ? "any" : undefined,
    inputmode: k === "discount_percent" ? "decimal" : undefined,
    hint: k === "internal_remark" ? t("settings.internal_remark.hint") : undefined,
  }));
  return h("section", { id: "customer-settings" }, h("h2", {}, t("settings.title")), h("p", { class: "hint" }, t("settings.intro")),
    manage ? form(fields, async (v, f) => {
      const settings = {};
      for (const k of SETTINGS) {
        const val = v[`settings.${k}`];
        settings[k] = val === "" ? null : k === "discount_percent" ? Number(val.replace(",", ".")) : val;
      }
      const updated = await patch(`/v1/relationships/${encodeURIComponent(rel.id)}`, { settings });
      rerender(updated);
      document.getElementById("customer-settings")?.prepend(notice(t("common.saved")));
    }, { submit: t("settings.save") }) : dl(SETTINGS.map((k) => [t(`settings.${k}`), s[k]])));
}
