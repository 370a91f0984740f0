// Requests for quotes and quotes: the list of those the company received (as supplier) and made
// (as customer), a new request to a supplier (?partner=co_…&thread=thr_…), and one request with
// its status bar, items, every version of the quote, the moves of the caller's side (quote,
// accept, ask for changes, reject, withdraw), the files and the comments of both sides.
import { get, post, send, download, withQuery } from "../api.js";
import { t, fmtDate, fmtDay, person } from "../i18n.js";
import { h, show, field, form, table, badge, dl, action, notice, label } from "../ui.js";
import { navigate } from "../app.js";

const VIEWS = { received: { side: "supplier" }, made: { side: "customer" }, all: {} };
const FINAL = ["accepted", "rejected", "expired", "withdrawn"];

export async function list(ctx) {
  const view = VIEWS[ctx.query.get("view")] ? ctx.query.get("view") : "all";
  const page = await get(withQuery("/v1/quote-requests", { ...VIEWS[view], limit: 100 }));
  if (!ctx.current()) return;
  const count = { received: page.counts.to_quote, made: page.counts.to_decide, all: 0 };
  const tabs = h("nav", { class: "tabs", "aria-label": t("quotes.title") }, h("ul", {},
    Object.keys(VIEWS).map((v) => h("li", {}, h("a", { href: withQuery("/quotes", { view: v }), "aria-current": v === view ? "page" : null, "data-view": v },
      t(`quotes.view_${v}`), count[v] ? h("span", { class: "pill" }, String(count[v])) : null)))));
  show(ctx.main, ctx.title("quotes.title"),
    h("p", {}, h("a", { href: "/quotes/new", class: "button primary", id: "quote-new" }, t("quotes.new"))),
    tabs,
    table([t("quotes.number"), t("quotes.f_title"), t("quotes.status"), t("quotes.partner"), t("quotes.total"), t("quotes.valid_until"), t("quotes.created_at")],
      page.data.map((r) => [
        h("a", { href: `/quotes/${r.id}` }, r.number), r.title, badge("quote_status", r.status),
        r.side === "supplier" ? r.customer.name : r.supplier.name,
        r.latest ? `${r.latest.currency} ${r.latest.total}` : "—", r.latest ? fmtDay(r.latest.valid_until) : "—", fmtDate(r.created_at),
      ]), t("quotes.none")));
}

/** Row i of a table of lines, its fields named as the API names them (lines[0].quantity) so an
 * error shows next to its field; `keys` the columns, `value` what a row starts with. */
function lineRow(i, keys, value = {}) {
  const name = (key) => `lines[${i}].${key}`;
  return h("fieldset", { class: "line", "data-line": String(i) }, h("legend", {}, t("quotes.line", { n: i + 1 })),
    keys.map((k) => field(t(`quotes.l_${k}`), name(k), { value: value[k] ?? "", inputmode: ["quantity", "unit_price"].includes(k) ? "decimal" : undefined })));
}

/** The filled rows of a lines table, in order: each row's fields by key ("" left out). */
function filledLines(v, count, keys) {
  const rows = [];
  for (let i = 0; i < count; i++) {
    const row = {};
    for (const k of keys) if (v[`lines[${i}].${k}`]) row[k] = v[`lines[${i}].${k}`];
    if (row.item || row.quantity) rows.push({ item: "", quantity: "", ...row });
  }
  return rows;
}

/** A table of line rows with an "add a line" button; rows: what the first rows hold. */
function linesEditor(keys, rows, id) {
  const box = h("div", { class: "lines", id }, (rows.length ? rows : [{}, {}]).map((r, i) => lineRow(i, keys, r)));
  const more = action(t("quotes.add_line"), () => { box.append(lineRow(box.children.length, keys)); }, { class: "link" });
  return { box, more };
}

export async function create(ctx) {
  const rels = await get("/v1/relationships?status=active&limit=200");
  if (!ctx.current()) return;
  const suppliers = rels.data.filter((r) => r.my_role === "customer").map((r) => r.partner);
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "/quotes" }, t("quotes.title")));
  if (!suppliers.length) {
    show(ctx.main, crumbs, ctx.title("quotes.new"), notice(t("quotes.no_suppliers"), "info"));
    return;
  }
  const keys = ["item", "quantity", "unit", "note"];
  const lines = linesEditor(keys, [], "request-lines");
  const thread = ctx.query.get("thread");
  show(ctx.main, crumbs, ctx.title("quotes.new"), h("p", { class: "hint" }, t("quotes.intro")),
    form([
      field(t("quotes.supplier"), "partner", { kind: "select", value: ctx.query.get("partner") || "", options: suppliers.map((p) => [p.id, p.name]) }),
      field(t("quotes.f_title"), "title", { required: true }),
      field(t("quotes.text"), "text", { kind: "textarea", rows: 4 }),
      field(t("quotes.desired_date"), "desired_date", { type: "date" }),
      h("h2", {}, t("quotes.items")), lines.box, lines.more,
    ], async (v) => {
      const made = await post("/v1/quote-requests", { partner: v.partner, title: v.title, text: v.text || undefined, desired_date: v.desired_date || undefined,
        thread_id: thread || undefined, lines: filledLines(v, lines.box.children.length, keys) });
      navigate(`/quotes/${made.id}`);
    }, { submit: t("quotes.ask"), class: "quote-request-new" }));
}

/** The path of a request: requested → quoted → accepted (or where it ended). */
function quoteBar(r) {
  const reached = new Set(r.history.map((e) => e.status).filter(Boolean));
  reached.add(r.status);
  const end = FINAL.includes(r.status) ? r.status : "accepted";
  const steps = ["requested", "quoted", end];
  const at = {};
  for (const e of r.history) if (e.status) at[e.status] = e.at;
  return h("ol", { class: "statusbar", "aria-label": t("quotes.statusbar") }, steps.map((s) => {
    const cls = s === r.status ? "current" : reached.has(s) ? "done" : "todo";
    return h("li", { class: cls, "data-state": s, "aria-current": s === r.status ? "step" : null },
      h("span", { class: "step" }, label("quote_status", s)), at[s] ? h("small", {}, fmtDate(at[s])) : null);
  }));
}

function version(v) {
  return h("section", { class: "quote-version", "data-version": String(v.version), "data-status": v.status },
    h("h3", {}, t("quotes.version", { n: v.version }), " ", badge("quote_version", v.status)),
    dl([
      [t("quotes.total"), `${v.currency} ${v.total}`],
      [t("quotes.valid_until"), fmtDay(v.valid_until)],
      v.terms ? [t("quotes.terms"), v.terms] : null,
      v.note ? [t("quotes.note"), v.note] : null,
      [t("quotes.by"), v.by_name ? person(v.by_name) : t("quotes.by_api")],
    ]),
    table([t("quotes.l_item"), t("quotes.l_description"), t("quotes.l_quantity"), t("quotes.l_unit"), t("quotes.l_unit_price"), t("quotes.line_total")],
      v.lines.map((l) => [l.item, l.description || "", l.quantity, l.unit || "", l.unit_price, l.total])));
}

/** The moves the caller's side may make now. */
function moves(r, id, redraw) {
  const out = [];
  const current = r.quotes.find((v) => v.status === "current");
  if (r.side === "supplier" && ["requested", "quoted"].includes(r.status)) {
    const keys = ["item", "description", "quantity", "unit", "unit_price"];
    const start = (current || r.quotes[0])?.lines || r.lines.map((l) => ({ item: l.item, quantity: l.quantity, unit: l.unit }));
    const lines = linesEditor(keys, start, "quote-lines");
    const last = r.quotes[0];
    out.push(h("h2", {}, t(r.quotes.length ? "quotes.send_version" : "quotes.send")), form([
      field(t("quotes.currency"), "currency", { value: last?.currency || "EUR" }),
      field(t("quotes.valid_until"), "valid_until", { type: "date", required: true }),
      field(t("quotes.terms"), "terms", { kind: "textarea", rows: 2, value: last?.terms || "" }),
      field(t("quotes.note"), "note", { kind: "textarea", rows: 2 }),
      lines.box, lines.more,
    ], async (v) => {
      await post(`/v1/quote-requests/${id}/quotes`, { currency: v.currency, valid_until: v.valid_until, terms: v.terms || undefined, note: v.note || undefined,
        lines: filledLines(v, lines.box.children.length, keys) });
      redraw();
    }, { submit: t("quotes.send_submit"), class: "quote-send" }));
  }
  if (r.side === "customer" && r.status === "quoted" && current) {
    out.push(h("h2", {}, t("quotes.decide")),
      form([field(t("quotes.reference"), "reference", { hint: t("quotes.reference_hint") })], async (v) => {
        await post(`/v1/quote-requests/${id}/accept`, { version: current.version, reference: v.reference || undefined });
        redraw();
      }, { submit: t("quotes.accept", { n: current.version }), class: "quote-accept" }),
      form([field(t("quotes.changes_reason"), "reason", { kind: "textarea", rows: 2, required: true })], async (v) => {
        await post(`/v1/quote-requests/${id}/changes`, { reason: v.reason });
        redraw();
      }, { submit: t("quotes.changes"), class: "quote-changes" }),
      form([field(t("quotes.reject_reason"), "reason", { kind: "textarea", rows: 2, required: true })], async (v) => {
        await post(`/v1/quote-requests/${id}/reject`, { reason: v.reason });
        redraw();
      }, { submit: t("quotes.reject"), class: "quote-reject", danger: true }));
  }
  if (r.side === "customer" && ["requested", "quoted"].includes(r.status)) {
    out.push(h("p", {}, action(t("quotes.withdraw"), async () => { await post(`/v1/quote-requests/${id}/withdraw`, {}); redraw(); }, { class: "danger", id: "quote-withdraw" })));
  }
  return out;
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const r = await get(`/v1/quote-requests/${id}`);
  if (!ctx.current()) return;
  const redraw = () => detail(ctx);
  const partner = r.side === "supplier" ? r.customer : r.supplier;
  const history = h("ol", { class: "messages", id: "quote-history" }, r.history.map((e) => h("li", { "data-id": e.id, "data-status": e.status || "" },
    h("p", { class: "from" }, h("strong", {}, e.by_name ? person(e.by_name) : e.status === "expired" ? t("quotes.by_system")
      : t("quotes.by_api"), e.status === "expired" ? "" : ` · ${t(`quotes.side_${e.side}`)}`), " · ",
      h("time", { datetime: e.at }, fmtDate(e.at))),
    e.status ? h("p", {}, badge("quote_status", e.status), e.version ? ` · ${t("quotes.version", { n: e.version })}` : "") : null,
    e.text ? h("p", { class: "text" }, e.text) : null)));
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/quotes" }, t("quotes.title"))),
    ctx.title("quotes.request", { number: r.number, title: r.title }),
    h("p", { class: "actions" },
      r.order_document_id ? h("a", { href: `/documents/${r.order_document_id}`, class: "button primary", id: "quote-order" }, t("quotes.order")) : null,
      r.thread_id ? h("a", { href: `/talk/${r.thread_id}`, class: "button" }, t("quotes.thread")) : null,
      h("a", { href: withQuery("/tasks/new", { about: r.id, label: `${r.number}: ${r.title}`, title: t(r.side === "supplier" ? "quotes.task_title" : "quotes.task_title_customer", { number: r.number }) }), class: "button", id: "quote-task" }, t("tasks.from_here"))),
    h("h2", {}, t("quotes.statusbar")), quoteBar(r),
    dl([
      [t("quotes.partner"), partner.name],
      [t("quotes.requested_by"), r.requested_by_name ? person(r.requested_by_name) : t("quotes.by_api")],
      [t("quotes.desired_date"), r.desired_date ? fmtDay(r.desired_date) : null],
      [t("quotes.created_at"), fmtDate(r.created_at)],
      r.reason ? [t("quotes.reason"), r.reason] : null,
    ]),
    r.text ? h("p", { class: "text", id: "quote-text" }, r.text) : null,
    r.lines.length ? [h("h2", {}, t("quotes.items")), table([t("quotes.l_item"), t("quotes.l_quantity"), t("quotes.l_unit"), t("quotes.l_note")],
      r.lines.map((l) => [l.item, l.quantity, l.unit || "", l.note || ""]))] : null,
    r.quotes.length ? [h("h2", {}, t("quotes.quotes")), h("div", { id: "quote-versions" }, r.quotes.map(version))] : null,
    ...moves(r, id, redraw),
    h("h2", {}, t("quotes.files")),
    r.files.length ? h("ul", { id: "quote-files" }, r.files.map((f) => h("li", { "data-file": f.id },
      action(f.filename, () => download(`/v1/quote-requests/${id}/files/${f.id}`, f.filename), { class: "link" }), " · ",
      f.by_name ? person(f.by_name) : t("quotes.by_api"), " · ", t(`quotes.side_${f.side}`)))) : h("p", { class: "empty" }, t("quotes.no_files")),
    FINAL.includes(r.status) ? null : form([field(t("quotes.add_files"), "files", { type: "file", multiple: true, required: true })], async (v) => {
      for (const file of v.files || []) {
        await send("POST", `/v1/quote-requests/${id}/files`, file, { "content-type": file.type || "application/octet-stream", "tradepost-filename": encodeURIComponent(file.name) });
      }
      redraw();
    }, { submit: t("quotes.upload"), class: "quote-files" }),
    h("h2", {}, t("quotes.history")), history,
    FINAL.includes(r.status) ? null : form([field(t("quotes.comment"), "text", { kind: "textarea", rows: 3, required: true })], async (v) => {
      await post(`/v1/quote-requests/${id}/comments`, { text: v.text });
      redraw();
    }, { submit: t("quotes.comment_send"), class: "quote-comment" }));
}
