// Projects and appointments (issue 14): an agency (the supplier) plans appointments at its
// customer's locations. The projects with filters and a new one; one project with its
// contacts, the customer's territories (a tree) and locations, its appointments and the form
// to plan one (supplier) or propose one (customer); the agency's staff; one appointment with
// its status bar, staff, the actions of its status and side, and its .ics download.
// Times are entered and shown in the LOCATION's time zone (zones.js).
import { get, getAll, post, patch, put, del, download, withQuery } from "../api.js";
import { t, fmtDate, locale } from "../i18n.js";
import { h, show, field, form, checkboxes, table, badge, label, action, dl, notice, errorText } from "../ui.js";
import { navigate, can, state } from "../app.js";
import { ZONES, browserZone, zonedToInstant, rfc3339, localTime, localDate } from "../zones.js";

export const PROJECT_STATUSES = ["planned", "active", "completed", "cancelled"];
export const APPOINTMENT_STATUSES = ["proposed", "confirmed", "staffed", "done", "rejected", "cancelled"];

/** Whether the caller's company is the project's (or appointment's) supplier, the agency. */
const supplierSide = (p) => (p?.my_role ? p.my_role === "supplier" : Boolean(p?.supplier?.id) && p.supplier.id === state.me?.company?.id);

/** The zone an appointment's times are told in: its own, else its location's. */
export const zoneOf = (a) => a.time_zone || a.location?.time_zone || "UTC";

/** "Thu, 15 Jul 2027, 09:30–11:00" in the appointment's zone; the zone named when it is not the browser's. */
export function when(a, opts = {}) {
  const zone = zoneOf(a);
  const day = (iso) => new Date(iso).toLocaleDateString(locale(), { timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric" });
  const sameDay = !a.ends_at || localDate(a.starts_at, zone) === localDate(a.ends_at, zone);
  const text = sameDay ? `${day(a.starts_at)}, ${localTime(a.starts_at, zone)}–${a.ends_at ? localTime(a.ends_at, zone) : ""}`
    : `${day(a.starts_at)}, ${localTime(a.starts_at, zone)} – ${day(a.ends_at)}, ${localTime(a.ends_at, zone)}`;
  return h("span", { class: "when" }, h("time", { datetime: a.starts_at }, text),
    zone !== browserZone() || opts.zone ? [" ", h("small", { class: "zone" }, zone)] : null);
}

/** The staff of an appointment: name and role, e-mail and phone only when the answer has them. */
export function staffList(staff) {
  if (!staff?.length) return h("p", { class: "empty" }, t("appointment.no_staff"));
  return h("ul", { class: "staff" }, staff.map((s) => h("li", { "data-staff": s.id || null },
    h("strong", { class: "name" }, s.name), s.role ? [" · ", h("span", { class: "role" }, s.role)] : null,
    s.email ? [" · ", h("a", { href: `mailto:${s.email}`, class: "email" }, s.email)] : null,
    s.phone ? [" · ", h("a", { href: `tel:${s.phone.replace(/[^\d+]/g, "")}`, class: "phone" }, s.phone)] : null)));
}

export function projectTabs(current) {
  const tabs = [["/projects", "projects.title", true], ["/staff", "staff.title", can("appointments.manage")], ["/calendar", "calendar.title", true]];
  return h("nav", { class: "tabs", "aria-label": t("projects.title") }, h("ul", {}, tabs.filter((x) => x[2]).map(([href, key]) =>
    h("li", {}, h("a", { href, "aria-current": href === current ? "page" : null }, t(key))))));
}

/** My active relationships in which I am the supplier: [relationship]. */
async function myCustomers() {
  const rels = await get("/v1/relationships?status=active&limit=200");
  return (rels.data || []).filter((r) => r.my_role === "supplier");
}

/** Only the fields that have a value (optional fields left empty are not sent). */
const filled = (v) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== "" && x !== undefined && !(Array.isArray(x) && !x.length)));

export async function list(ctx) {
  const q = { status: ctx.query.get("status") || "", customer: ctx.query.get("customer") || "" };
  const [page, customers] = await Promise.all([
    get(withQuery("/v1/projects", { ...q, cursor: ctx.query.get("cursor"), limit: 100 })),
    myCustomers().catch(() => []),
  ]);
  if (!ctx.current()) return;
  const withService = customers.filter((r) => r.services?.appointments === "enabled");
  const filters = form([
    field(t("field.status"), "status", { kind: "select", value: q.status, options: [["", t("common.all")], ...PROJECT_STATUSES.map((s) => [s, label("prjstatus", s)])] }),
    customers.length ? field(t("project.customer"), "customer", { kind: "select", value: q.customer, options: [["", t("common.all")], ...customers.map((r) => [r.partner.id, r.partner.name])] }) : null,
  ], async (v) => navigate(withQuery("/projects", v)), { submit: t("action.filter"), class: "filters" });
  filters.id = "project-filters";
  const rows = (page.data || []).map((p) => {
    const mineSupplier = supplierSide(p);
    return [
      h("a", { href: `/projects/${p.id}`, "data-project": p.id }, p.name),
      (mineSupplier ? p.customer : p.supplier)?.name || "—",
      label("role", mineSupplier ? "supplier" : "customer"),
      [p.starts_on || "…", " – ", p.ends_on || "…"],
      badge("prjstatus", p.status),
      fmtDate(p.updated_at),
    ];
  });
  const creating = can("appointments.manage") && customers.length ? h("section", { id: "new-project" }, h("h2", {}, t("project.new")),
    withService.length ? form([
      field(t("project.customer"), "customer", { kind: "select", options: withService.map((r) => [r.partner.id, `${r.partner.name} (${r.partner.handle})`]) }),
      field(t("project.name"), "name", { required: true }),
      field(t("project.starts_on"), "starts_on", { type: "date" }),
      field(t("project.ends_on"), "ends_on", { type: "date" }),
      field(t("project.status"), "status", { kind: "select", value: "planned", options: PROJECT_STATUSES.map((s) => [s, label("prjstatus", s)]) }),
      field(t("project.description"), "description", { kind: "textarea" }),
    ], async (v) => {
      const created = await post("/v1/projects", filled(v));
      navigate(`/projects/${created.id}`);
    }, { submit: t("project.create"), class: "grid" })
      : notice(t("project.no_customers"), "info")) : null;
  show(ctx.main, ctx.title("projects.title"), projectTabs("/projects"), filters,
    table([t("project.name"), t("field.partner"), t("projects.my_side"), t("project.period"), t("field.status"), t("field.updated")], rows, t("projects.none")),
    page.next_cursor ? h("p", {}, h("a", { href: withQuery("/projects", { ...q, cursor: page.next_cursor }) }, t("common.more"))) : null,
    creating);
}

/** A section that draws itself from its loader and can be drawn anew after a change. */
function section(id, titleKey, draw) {
  const el = h("section", { id, class: "block" });
  const redraw = async () => {
    try {
      const content = await draw(redraw);
      el.replaceChildren(h("h2", {}, t(titleKey)), content);
    } catch (err) {
      el.replaceChildren(h("h2", {}, t(titleKey)), notice(errorText(err), "error"));
    }
  };
  el.redraw = redraw;
  return el;
}

/** Territories as a tree: [{territory, depth}] in the tree's order. */
function treeOrder(territories) {
  const children = new Map();
  const known = new Set(territories.map((x) => x.id));
  for (const x of territories) {
    const parent = x.parent_id && known.has(x.parent_id) ? x.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(x);
  }
  const out = [];
  const walk = (parent, depth) => {
    for (const x of (children.get(parent) || []).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({ territory: x, depth });
      if (depth < 20) walk(x.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}
const treeOptions = (territories) => treeOrder(territories).map(({ territory, depth }) => [territory.id, `${"\u2002\u2002".repeat(depth)}${territory.name}`]);

function treeList(territories) {
  const children = new Map();
  const known = new Set(territories.map((x) => x.id));
  for (const x of territories) {
    const parent = x.parent_id && known.has(x.parent_id) ? x.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(x);
  }
  const branch = (parent, depth) => {
    const kids = (children.get(parent) || []).sort((a, b) => a.name.localeCompare(b.name));
    if (!kids.length || depth > 20) return null;
    return h("ul", { class: depth ? null : "tree" }, kids.map((x) => h("li", { "data-territory": x.id },
      h("span", { class: "name" }, x.name), branch(x.id, depth + 1))));
  };
  return branch(null, 0);
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  let project = await get(`/v1/projects/${id}`);
  if (!ctx.current()) return;
  const agency = supplierSide(project);
  const customerId = project.customer?.id;
  // What several sections share, loaded again when one of them changed it.
  let territories = [];
  let locations = [];
  const loadTerritories = async () => { territories = await getAll("/v1/territories", { customer: customerId }); };
  const loadLocations = async () => { locations = await getAll("/v1/locations", { customer: customerId }); };
  await Promise.all([loadTerritories().catch(() => {}), loadLocations().catch(() => {})]);
  if (!ctx.current()) return;
  const territoryName = (tid) => territories.find((x) => x.id === tid)?.name || "—";

  const facts = h("div", { id: "project-facts" });
  const drawFacts = (p) => facts.replaceChildren(dl([
    [t("field.status"), badge("prjstatus", p.status)],
    [t("project.supplier"), p.supplier?.name], [t("project.customer"), p.customer?.name],
    [t("project.period"), [p.starts_on || "…", " – ", p.ends_on || "…"]],
    p.description ? [t("project.description"), h("span", { class: "text" }, p.description)] : null,
    [t("field.updated"), fmtDate(p.updated_at)],
  ]));
  drawFacts(project);
  facts.dataset.status = project.status;

  const edit = agency ? h("details", { id: "project-edit" }, h("summary", {}, t("project.edit")), form([
    field(t("project.name"), "name", { value: project.name }),
    field(t("project.status"), "status", { kind: "select", value: project.status, options: PROJECT_STATUSES.map((s) => [s, label("prjstatus", s)]) }),
    field(t("project.starts_on"), "starts_on", { type: "date", value: project.starts_on || "" }),
    field(t("project.ends_on"), "ends_on", { type: "date", value: project.ends_on || "" }),
    field(t("project.description"), "description", { kind: "textarea", value: project.description || "" }),
  ], async (v, f) => {
    const body = {};
    for (const k of ["name", "status", "starts_on", "ends_on", "description"]) {
      const was = project[k] ?? "";
      if (v[k] !== was) body[k] = v[k] === "" && k !== "name" ? null : v[k];
    }
    if (Object.keys(body).length) project = await patch(`/v1/projects/${id}`, body);
    drawFacts(project);
    facts.dataset.status = project.status;
    f.querySelectorAll(".notice").forEach((n) => n.remove());
    f.prepend(notice(t("common.saved")));
  }, { class: "grid" })) : null;

  // Appointments of the project, and planning (agency) or proposing (customer) one.
  const appointments = section("project-appointments", "project.appointments", async () => {
    const page = await get(withQuery("/v1/appointments", { project: project.id, limit: 200 }));
    const list = (page.data || []).slice().sort((a, b) => a.starts_at.localeCompare(b.starts_at));
    if (!list.length) return h("p", { class: "empty" }, t("project.no_appointments"));
    return h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, [t("appointment.when"), t("appointment.title_field"), t("appointment.location"), t("field.status"), t("appointment.staff")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, list.map((a) => h("tr", { "data-appointment": a.id, "data-status": a.status },
        h("td", {}, when(a)), h("td", {}, h("a", { href: `/appointments/${a.id}` }, a.title)),
        h("td", {}, a.location?.name || "—"), h("td", {}, badge("aptstatus", a.status)),
        h("td", {}, (a.staff || []).map((s) => `${s.name}${s.role ? ` (${s.role})` : ""}`).join(", ")))))));
  });

  const plan = section("plan", agency ? "appointment.plan" : "appointment.propose", async () => {
    if (!locations.length) return h("p", { class: "empty" }, t(agency ? "appointment.no_locations" : "appointment.no_locations_customer"));
    const zoneHint = h("p", { class: "hint wide", id: "plan-zone" });
    const locField = field(t("appointment.location"), "location_id", { kind: "select",
      options: locations.map((l) => [l.id, [l.name, l.city].filter(Boolean).join(" · ")]) });
    const select = locField.querySelector("select");
    const zoneOfLocation = () => locations.find((l) => l.id === select.value)?.time_zone || "UTC";
    const tellZone = () => {
      zoneHint.textContent = t("appointment.times_in", { zone: zoneOfLocation() });
      zoneHint.dataset.zone = zoneOfLocation();
    };
    select.addEventListener("change", tellZone);
    tellZone();
    const instant = (date, time) => {
      const ms = zonedToInstant(date, time, zoneOfLocation());
      return ms === null ? undefined : rfc3339(ms);
    };
    return h("div", {}, agency ? h("p", { class: "hint" }, t("appointment.plan_hint")) : h("p", { class: "hint" }, t("appointment.propose_hint")),
      form([
        locField,
        field(t("appointment.date"), "date", { type: "date" }),
        field(t("appointment.starts"), "starts_at", { type: "time" }),
        field(t("appointment.ends"), "ends_at", { type: "time" }),
        zoneHint,
        field(t("appointment.title_field"), "title", { required: true }),
        field(t("appointment.note"), "note", { kind: "textarea", rows: 2 }),
      ], async (v) => {
        const apt = await post("/v1/appointments", filled({
          project_id: project.id, location_id: v.location_id,
          starts_at: instant(v.date, v.starts_at), ends_at: instant(v.date, v.ends_at),
          title: v.title, note: v.note,
        }));
        navigate(`/appointments/${apt.id}`);
      }, { submit: t(agency ? "appointment.plan_submit" : "appointment.propose_submit"), class: "grid" }));
  });

  const contacts = section("contacts", "project.contacts", async (redraw) => {
    const list = await get(`/v1/projects/${id}/contacts`);
    const rows = (list.data || []).map((c) => ({ ...c, person: c.user || { id: c.user_id, name: c.name, email: c.email } })).map((c) => h("tr", { "data-contact": c.person.id },
      h("td", { class: "name" }, c.person.name || "—"), h("td", { class: "email" }, c.person.email || ""),
      h("td", {}, c.territories?.length ? c.territories.map((x) => x.name).join(", ") : t("contact.all_territories")),
      h("td", {}, agency ? action(t("contact.remove"), async () => {
        if (!confirm(t("contact.remove_confirm", { name: c.person.name || c.person.email }))) return;
        await del(`/v1/projects/${id}/contacts/${encodeURIComponent(c.person.id)}`);
        await redraw();
      }, { class: "danger" }) : "")));
    const assign = agency ? form([
      field(t("field.email"), "email", { type: "email", required: true, hint: t("contact.email_hint") }),
      territories.length ? checkboxes(t("contact.territories"), "territory_ids", treeOptions(territories)) : null,
      territories.length ? h("p", { class: "hint" }, t("contact.territories_hint")) : null,
    ], async (v) => {
      await post(`/v1/projects/${id}/contacts`, filled({ email: v.email, territory_ids: v.territory_ids }));
      await redraw();
    }, { submit: t("contact.assign") }) : null;
    return h("div", {}, rows.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, [t("card.name"), t("field.email"), t("contact.territories"), ""].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows))) : h("p", { class: "empty" }, t("contact.none")),
    assign ? h("h3", {}, t("contact.assign_title")) : null, assign);
  });

  let locationsSection = null;
  const territoriesSection = section("territories", "territory.title", async () => {
    await loadTerritories();
    const add = agency ? form([
      field(t("territory.name"), "name", { required: true }),
      field(t("territory.parent"), "parent_id", { kind: "select", options: [["", t("territory.top")], ...treeOptions(territories)] }),
    ], async (v) => {
      await post("/v1/territories", filled({ customer: customerId, name: v.name, parent_id: v.parent_id }));
      await territoriesSection.redraw();
      // The territory is offered to the contacts and the locations too.
      contacts.redraw();
      locationsSection?.redraw();
    }, { submit: t("territory.add"), class: "inline" }) : null;
    return h("div", {}, territories.length ? treeList(territories) : h("p", { class: "empty" }, t("territory.none")),
      add ? h("h3", {}, t("territory.add")) : null, add);
  });

  locationsSection = section("locations", "location.title", async () => {
    await loadLocations();
    const rows = locations.map((l) => h("tr", { "data-location": l.id, "data-time-zone": l.time_zone },
      h("td", { class: "name" }, l.name), h("td", {}, [l.street, [l.postal_code, l.city].filter(Boolean).join(" ")].filter(Boolean).join(", ")),
      h("td", {}, l.country || ""), h("td", { class: "zone" }, l.time_zone || ""), h("td", {}, l.territory_id ? territoryName(l.territory_id) : "—")));
    const defaultZone = ZONES.includes(browserZone()) ? browserZone() : "Europe/Berlin";
    const add = agency ? form([
      field(t("location.name"), "name", { required: true }),
      field(t("card.street"), "street"),
      field(t("card.postal_code"), "postal_code"),
      field(t("card.city"), "city", { required: true }),
      field(t("location.country"), "country", { required: true, placeholder: "DE", hint: t("location.country_hint") }),
      field(t("location.time_zone"), "time_zone", { kind: "select", value: defaultZone, options: ZONES.map((z) => [z, z]) }),
      field(t("location.territory"), "territory_id", { kind: "select", options: [["", t("location.no_territory")], ...treeOptions(territories)] }),
    ], async (v) => {
      await post("/v1/locations", filled({ customer: customerId, ...v, country: v.country.toUpperCase() }));
      await locationsSection.redraw();
      plan.redraw();
    }, { submit: t("location.add"), class: "grid" }) : null;
    return h("div", {}, rows.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, [t("location.name"), t("location.address"), t("location.country"), t("location.time_zone"), t("location.territory")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows))) : h("p", { class: "empty" }, t("location.none")),
    add ? h("h3", {}, t("location.add")) : null, add);
  });

  await Promise.all([appointments.redraw(), plan.redraw(), contacts.redraw(), territoriesSection.redraw(), locationsSection.redraw()]);
  if (!ctx.current()) return;
  // The customer's people may not see the contacts, territories or locations: such a section
  // is left out for them.
  const shown = (el) => (agency || !el.querySelector(".notice.error") ? el : null);
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/projects" }, t("projects.title"))),
    ctx.title("project.title", { name: project.name }),
    h("p", { class: "hint" }, t(agency ? "project.you_supplier" : "project.you_customer", { company: (agency ? project.customer : project.supplier)?.name || "" }),
      agency && can("appointments.manage") ? [" ", h("a", { href: "/staff" }, t("staff.manage"))] : null),
    facts, edit, appointments, plan, shown(contacts),
    h("div", { class: "cols" }, shown(territoriesSection), shown(locationsSection)));
}

export async function staff(ctx) {
  const listBox = h("div", { id: "staff-list" });
  const drawList = async () => {
    const list = { data: await getAll("/v1/staff") };
    listBox.replaceChildren(list.data.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, [t("staff.name"), t("staff.role"), t("field.email"), t("card.phone")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, list.data.map((s) => h("tr", { "data-staff": s.id },
        h("td", { class: "name" }, s.name), h("td", { class: "role" }, s.role || ""), h("td", {}, s.email || ""), h("td", {}, s.phone || "")))))) : h("p", { class: "empty" }, t("staff.none")));
  };
  await drawList();
  if (!ctx.current()) return;
  const add = form([
    field(t("staff.name"), "name", { required: true }),
    field(t("staff.role"), "role", { required: true, hint: t("staff.role_hint") }),
    field(t("field.email"), "email", { type: "email" }),
    field(t("card.phone"), "phone", { type: "tel" }),
  ], async (v, f) => {
    await post("/v1/staff", filled(v));
    f.reset();
    await drawList();
  }, { submit: t("staff.add"), class: "grid" });
  show(ctx.main, ctx.title("staff.title"), projectTabs("/staff"), h("p", {}, t("staff.intro")), listBox,
    h("section", { id: "new-staff" }, h("h2", {}, t("staff.add")), add));
}

// One appointment: the path proposed → confirmed → staffed → done; rejected and cancelled end it.
const PATH = ["proposed", "confirmed", "staffed", "done"];
function appointmentBar(a) {
  const history = a.history || [];
  const reached = new Set(history.map((e) => e.status));
  reached.add(a.status);
  const steps = PATH.includes(a.status) ? PATH : [...PATH.filter((s) => reached.has(s)), a.status];
  const at = {};
  for (const e of history) at[e.status] = e.at;
  const here = steps.indexOf(a.status);
  return h("ol", { class: "statusbar", "aria-label": t("appointment.statusbar") }, steps.map((s, i) => {
    const cls = s === a.status ? "current" : reached.has(s) ? "done" : i < here ? "passed" : "todo";
    return h("li", { class: cls, "data-status": s, "aria-current": s === a.status ? "step" : null },
      h("span", { class: "step" }, label("aptstatus", s)), at[s] ? h("small", {}, fmtDate(at[s])) : null);
  }));
}

export async function appointment(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  let apt = await get(`/v1/appointments/${id}`);
  // The side: the answer says it (my_role); else the project's supplier tells.
  const agency = supplierSide(apt.my_role ? apt : await get(`/v1/projects/${encodeURIComponent(apt.project.id)}`).catch(() => null));
  if (!ctx.current()) return;
  const box = h("div", { id: "appointment", "data-appointment": apt.id });
  const draw = async (a) => {
    apt = a;
    box.dataset.status = a.status;
    const zone = zoneOf(a);
    const elsewhere = zone !== browserZone();
    const actions = await actionsFor(a);
    const ics = action(t("appointment.ics"), () => download(`/v1/appointments/${id}/ics`, `${(a.title || a.id).replace(/[\\/:*?"<>|]+/g, "_")}.ics`), { class: "link" });
    ics.id = "apt-ics";
    show(box,
      h("h2", {}, t("appointment.statusbar")), appointmentBar(a),
      dl([
        [t("field.status"), badge("aptstatus", a.status)],
        [t("appointment.when"), when(a, { zone: true })],
        elsewhere ? [t("appointment.your_time", { zone: browserZone() }), h("span", { class: "yours" }, `${fmtDate(a.starts_at)} – ${fmtDate(a.ends_at)}`)] : null,
        [t("appointment.location"), [a.location?.name, a.location?.city, a.location?.country].filter(Boolean).join(", ")],
        [t("appointment.project"), h("a", { href: `/projects/${a.project.id}` }, a.project.name)],
        a.proposed_by ? [t("appointment.proposed_by"), a.proposed_by.name] : null,
        a.description ? [t("appointment.description"), h("span", { class: "text" }, a.description)] : null,
        a.note ? [t("appointment.note"), h("span", { class: "text note" }, a.note)] : null,
        a.reason ? [t("appointment.reason"), h("span", { class: "text reason" }, a.reason)] : null,
      ]),
      h("section", { id: "apt-staff" }, h("h2", {}, t("appointment.staff")), staffList(a.staff)),
      actions.length ? h("section", { id: "apt-actions", class: "panel" }, h("h2", {}, t("appointment.actions")), actions) : null,
      h("p", { class: "actions" }, ics),
      h("h2", {}, t("appointment.history")),
      table([t("field.date"), t("field.status"), t("appointment.by_side"), t("appointment.note")], (a.history || []).map((e) => [
        fmtDate(e.at), badge("aptstatus", e.status), [label("role", e.by || e.by_side), e.person?.name ? ` · ${e.person.name}` : ""],
        [e.note, e.reason].filter(Boolean).join(" · "),
      ])));
  };
  const tag = (el, name) => { (el.matches("button") ? el : el.querySelector("button[type=submit]")).dataset.action = name; return el; };
  const reasonForm = (name, submit, required, danger) => tag(form([
    field(t("appointment.reason"), "reason", { kind: "textarea", rows: 2, required, hint: required ? null : t("appointment.reason_optional") }),
  ], async (v) => draw(await post(`/v1/appointments/${id}/${name}`, filled({ reason: v.reason }))), { submit, danger, class: `apt-${name}` }), name);
  const actionsFor = async (a) => {
    const out = [];
    // Done once it has started, cancelled before (the API's rule; a stale page gets its 409).
    const started = Date.parse(a.starts_at) <= Date.now();
    const open = ["proposed", "confirmed", "staffed"].includes(a.status) && !started;
    if (agency && a.status === "proposed") {
      out.push(h("div", { class: "actions" }, tag(action(t("appointment.confirm"), async () => draw(await post(`/v1/appointments/${id}/confirm`)), { class: "primary" }), "confirm")));
      out.push(h("h3", {}, t("appointment.reject")), reasonForm("reject", t("appointment.reject"), true, true));
    }
    if (agency && ["confirmed", "staffed"].includes(a.status)) {
      const people = await getAll("/v1/staff").catch(() => []);
      const chosen = (a.staff || []).map((s) => s.id).filter(Boolean);
      out.push(h("h3", {}, t("appointment.staffing")), people.length ? tag(form([
        checkboxes(t("appointment.choose_staff"), "staff_ids", people.map((s) => [s.id, `${s.name}${s.role ? ` · ${s.role}` : ""}`]), chosen),
      ], async (v) => draw(await put(`/v1/appointments/${id}/staff`, { staff_ids: v.staff_ids })), { submit: t("appointment.save_staff"), class: "apt-staff" }), "staff")
        : h("p", { class: "empty" }, t("appointment.no_staff_yet"), " ", h("a", { href: "/staff" }, t("staff.manage"))));
    }
    if (agency && a.status === "staffed" && started) {
      out.push(h("div", { class: "actions" }, tag(action(t("appointment.done"), async () => draw(await post(`/v1/appointments/${id}/done`)), { class: "primary" }), "done")));
    }
    if (open) out.push(h("h3", {}, t("appointment.cancel")), reasonForm("cancel", t("appointment.cancel"), false, true));
    return out;
  };
  await draw(apt);
  if (!ctx.current()) return;
  // The other side may confirm, staff or cancel meanwhile.
  ctx.poll(async () => {
    try {
      const a = await get(`/v1/appointments/${id}`);
      if (a.updated_at !== apt.updated_at || a.status !== apt.status) {
        if (!box.contains(document.activeElement)) await draw(a);
      }
    } catch { /* next round */ }
  }, 5000);
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/calendar" }, t("calendar.title")), " · ", h("a", { href: `/projects/${apt.project.id}` }, apt.project.name)),
    ctx.title("appointment.heading", { title: apt.title }), box);
}
