// Invoices (issue 18): the invoices received and sent, with filters kept in the URL and the
// totals per currency over the whole filter; one invoice drawn readably from what the e-invoice
// says (parties, lines, taxes, totals, payment), its checks as warnings, its path (new →
// receipt confirmed → paid, or disputed on the way), and the recipient's actions: confirm
// receipt, dispute with a reason (a conversation with the supplier), mark paid.
// Amounts come as exact decimal texts and are shown digit for digit (fmtAmount).
import { get, getAll, post, download, withQuery, ApiError } from "../api.js";
import { t, tMaybe, fmtDate, fmtDay, fmtAmount, decimalSeparator, locale } from "../i18n.js";
import { h, show, field, form, badge, label, action, dl, notice } from "../ui.js";
import { navigate, can, state } from "../app.js";
import { today, isDay } from "../zones.js";

const DIRECTIONS = ["received", "sent"];
const FILTERS = ["open", "overdue", "disputed", "paid"];

/** The companies I have (or had: blocked) a relationship with, by name, for the partner filter. */
async function myPartners() {
  const rels = await getAll("/v1/relationships");
  const byId = new Map();
  for (const r of rels) if (["active", "blocked"].includes(r.status) && r.partner) byId.set(r.partner.id, r.partner);
  return [...byId.values()].sort((a, b) => (a.name || "").localeCompare(b.name || "", locale()));
}

/** A table with a header row; rows are <tr> elements (their data-* attributes name them for tests and styles). */
function grid(id, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty", id }, empty);
  return h("div", { class: "table-wrap" }, h("table", { id },
    h("thead", {}, h("tr", {}, headers.map(([text, cls]) => h("th", { scope: "col", class: cls || null }, text)))),
    h("tbody", {}, rows)));
}
const num = (content) => h("td", { class: "num" }, content);

function recognitionHint(r) {
  if (!r || r === "recognised") return "";
  return h("span", { class: `recognition recognition-${r}`, "data-recognition": r }, label("recognition", r));
}

function itemRow(inv) {
  return h("tr", { "data-invoice": inv.id, "data-state": inv.state, "data-recognition": inv.recognition, class: inv.overdue ? "overdue" : null },
    h("td", {}, h("a", { href: `/invoices/${inv.id}` }, inv.invoice_number || inv.filename || inv.id),
      inv.kind === "credit_note" ? [" ", h("small", { class: "kind" }, label("invkind", "credit_note"))] : null),
    h("td", {}, inv.partner?.name || "—"),
    h("td", {}, fmtDay(inv.issue_date)),
    h("td", { class: "due" }, fmtDay(inv.due_date), inv.overdue ? [" ", badge("invstate", "overdue")] : null),
    num(fmtAmount(inv.payable, inv.currency)),
    h("td", {}, badge("invstate", inv.state)),
    h("td", {}, inv.format ? label("format", inv.format) : "—"),
    h("td", {}, recognitionHint(inv.recognition)));
}

function totalsTable(totals) {
  if (!totals?.length) return null;
  return h("section", { id: "invoice-totals-section" }, h("h2", {}, t("invoices.totals")),
    grid("invoice-totals", [[t("invoices.currency")], [t("invoices.count"), "num"], [t("invoices.total_payable"), "num"], [t("invoices.open_amount"), "num"]],
      totals.map((x) => h("tr", { "data-currency": x.currency },
        h("td", {}, x.currency), num(String(x.count)), num(fmtAmount(x.payable, x.currency)), num(fmtAmount(x.open, x.currency))))));
}

export async function list(ctx) {
  const q = Object.fromEntries(ctx.query);
  const direction = DIRECTIONS.includes(q.direction) ? q.direction : "received";
  const filters = {
    direction, state: FILTERS.includes(q.state) ? q.state : "", partner: q.partner || "",
    from: isDay(q.from) ? q.from : "", to: isDay(q.to) ? q.to : "",
  };
  const path = withQuery("/v1/invoices", { ...filters, cursor: q.cursor, limit: 50 });
  const [page, partners] = await Promise.all([get(path), myPartners().catch(() => [])]);
  if (!ctx.current()) return;
  if (filters.partner && !partners.some((p) => p.id === filters.partner)) partners.push({ id: filters.partner, name: filters.partner });
  const tabs = h("nav", { class: "tabs", id: "invoice-direction", "aria-label": t("invoices.direction") }, h("ul", {},
    DIRECTIONS.map((d) => h("li", {}, h("a", { href: withQuery("/invoices", { ...filters, direction: d }), "data-direction": d, "aria-current": d === direction ? "page" : null },
      t(`invoices.${d}`))))));
  const filterForm = form([
    h("input", { type: "hidden", name: "direction", value: direction }),
    field(t("field.status"), "state", { kind: "select", value: filters.state, options: [["", t("common.all")], ...FILTERS.map((s) => [s, label("invfilter", s)])] }),
    field(t("field.partner"), "partner", { kind: "select", value: filters.partner, options: [["", t("common.all")], ...partners.map((p) => [p.id, p.name])] }),
    field(t("invoices.from"), "from", { type: "date", value: filters.from }),
    field(t("invoices.to"), "to", { type: "date", value: filters.to }),
  ], async (v) => navigate(withQuery("/invoices", v)), { submit: t("action.filter"), class: "filters" });
  filterForm.id = "invoice-filters";
  const listBox = h("div", { id: "invoice-list" });
  const drawItems = (items) => listBox.replaceChildren(grid("invoices", [
    [t("invoice.number")], [label("role", direction === "received" ? "supplier" : "customer")], [t("invoice.issue_date")], [t("invoice.due_date")],
    [t("invoice.payable"), "num"], [t("field.status")], [t("document.format")], [t("invoice.recognition")],
  ], items.map(itemRow), t("invoices.none")));
  let items = page.data || [];
  drawItems(items);
  // Invoices still being read show their data once the server has read them.
  ctx.poll(async () => {
    if (!items.some((i) => i.recognition === "pending")) return;
    try {
      const again = await get(path);
      if (ctx.current()) { items = again.data || []; drawItems(items); }
    } catch { /* next round */ }
  }, 4000);
  show(ctx.main, ctx.title("invoices.title"), tabs, filterForm, listBox,
    page.next_cursor ? h("p", {}, h("a", { href: withQuery("/invoices", { ...filters, cursor: page.next_cursor }), id: "invoices-more" }, t("common.more"))) : null,
    totalsTable(page.totals));
}

/** The path of an invoice: new → received → paid; disputed between them once it was disputed. */
function invoiceBar(x) {
  const history = x.history || [];
  const reached = new Set(history.map((e) => e.state));
  reached.add(x.state);
  const steps = ["new", "received", ...(reached.has("disputed") ? ["disputed"] : []), "paid"];
  const at = {};
  for (const e of history) if (!at[e.state]) at[e.state] = e.at;
  const here = steps.indexOf(x.state);
  return h("ol", { class: "statusbar", "aria-label": t("document.statusbar") }, steps.map((s, i) => {
    const cls = s === x.state ? "current" : reached.has(s) ? "done" : i < here ? "passed" : "todo";
    return h("li", { class: cls, "data-state": s, "aria-current": s === x.state ? "step" : null },
      h("span", { class: "step" }, label("invstate", s)), at[s] ? h("small", {}, fmtDate(at[s])) : null);
  }));
}

/** "Invoice RE-17" / "Credit note GS-3": the kind and the number (the file's name before it is read). */
const titleParams = (x) => ({ kind: label("invkind", x.kind || "invoice"), number: x.invoice_number || x.filename || x.id });

function party(id, titleKey, p) {
  const ident = p?.id ? [h("span", { class: "value" }, p.id.value), p.id.scheme ? [" ", h("small", { class: "scheme" }, t("party.scheme", { scheme: p.id.scheme }))] : null] : null;
  return h("section", { id, class: "party" }, h("h2", {}, t(titleKey)), dl([
    [t("party.name"), p?.name], [t("party.address"), p?.address], [t("party.id"), ident], [t("party.vat_id"), p?.vat_id],
  ]));
}

const unitLabel = (unit) => (unit ? tMaybe(`unit.${unit}`) || unit : "");
const percent = (rate) => (rate == null || rate === "" ? "—" : t("invoice.percent", { rate: fmtAmount(rate) }));

function linesTable(s, currency) {
  return h("section", { id: "invoice-lines-section" }, h("h2", {}, t("invoice.lines")),
    grid("invoice-lines", [[t("line.position")], [t("line.sku")], [t("line.description")], [t("line.quantity"), "num"], [t("line.unit_price"), "num"],
      [t("line.net_amount"), "num"], [t("line.tax_rate"), "num"]],
    (s.lines || []).map((l, i) => h("tr", { "data-line": l.id || String(i + 1) },
      h("td", {}, l.id || String(i + 1)), h("td", { class: "sku" }, l.sku || ""), h("td", { class: "text" }, l.name || ""),
      num(l.quantity ? [fmtAmount(l.quantity), l.unit ? [" ", h("abbr", { title: l.unit }, unitLabel(l.unit))] : null] : "—"),
      num(fmtAmount(l.unit_price, currency)), num(fmtAmount(l.net_amount, currency)), num(percent(l.tax_rate)))),
    t("invoice.no_lines")));
}

function taxesTable(s, currency) {
  if (!s.taxes?.length) return null;
  return h("section", { id: "invoice-taxes-section" }, h("h2", {}, t("invoice.taxes")),
    grid("invoice-taxes", [[t("tax.category")], [t("tax.rate"), "num"], [t("tax.taxable"), "num"], [t("tax.tax"), "num"]],
      s.taxes.map((x) => h("tr", {},
        h("td", {}, x.category ? [tMaybe(`taxcat.${x.category}`) || x.category, " ", h("small", { class: "code" }, `(${x.category})`)] : "—"),
        num(percent(x.rate)), num(fmtAmount(x.taxable, currency)), num(fmtAmount(x.tax, currency))))));
}

function sums(s, currency) {
  const rows = [["line_total", s.line_total], ["allowances", s.allowance_total], ["charges", s.charge_total], ["net", s.net_total],
    ["tax", s.tax_total], ["gross", s.gross_total], ["prepaid", s.prepaid], ["payable", s.payable]]
    .filter(([k, v]) => k === "payable" || (v !== undefined && v !== null && v !== ""));
  return h("section", { id: "invoice-sums-section", class: "sums-block" }, h("h2", {}, t("invoice.totals")),
    h("dl", { class: "facts sums", id: "invoice-sums" }, rows.map(([k, v]) => [
      h("dt", { class: k === "payable" ? "payable" : null }, t(`total.${k}`)),
      h("dd", { class: k === "payable" ? "payable" : null, "data-total": k }, fmtAmount(v, currency))])));
}

/** IBAN in groups of four, as printed on paper (the characters as the document has them). */
const grouped = (iban) => iban.replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");

function findings(x) {
  const list = x.findings || [];
  if (!list.length) return null;
  return h("section", { id: "invoice-findings", class: "findings", role: "note" }, h("h2", {}, t("invoice.findings")),
    h("ul", {}, list.map((f) => {
      const text = tMaybe(`finding.${f.code}`);
      return h("li", { "data-finding": f.code }, text || f.message, text && f.message ? h("small", { lang: "en" }, f.message) : null);
    })));
}

/** Who made a step: a company's name (ours or the partner's), or Tradepost itself. */
function byWhom(x, by) {
  if (by === "system") return t("invoice.by_system");
  const mine = (x.direction === "received") === (by === "recipient");
  return mine ? state.me?.company?.name || label("invside", by) : x.partner?.name || label("invside", by);
}

/** Turns an amount typed in the user's way ("1.234,50", "1,234.50", "326,89") into the API's ("1234.50"); other text goes as typed, for the API to judge. */
function plainDecimal(text) {
  const s = String(text).replace(/[\s\u00a0\u202f']/g, "");
  if (/^[+-]?\d{1,3}(\.\d{3})*,\d+$/.test(s) || /^[+-]?\d+,\d+$/.test(s)) return s.replace(/\./g, "").replace(",", ".");
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return s.replace(/,/g, "");
  return s;
}
/** An API decimal for an input the user edits: the decimal separator of their language, the digits as they are. */
const typedDecimal = (text) => (text ? String(text).replace(".", decimalSeparator()) : "");

function actionsFor(x, draw) {
  if (x.direction !== "received") {
    return h("p", { class: "hint", id: "invoice-sender-hint" }, t("invoice.sender_view"));
  }
  if (!can("documents.receive")) return null;
  const id = encodeURIComponent(x.id);
  const out = [];
  if (x.state === "new") {
    const b = action(t("invoice.confirm_receipt"), async () => draw(await post(`/v1/invoices/${id}/received`)), { class: "primary" });
    b.dataset.action = "received";
    out.push(h("div", { class: "actions", id: "invoice-received" }, b));
  }
  if (["new", "received"].includes(x.state)) {
    const f = form([
      field(t("invoice.dispute_reason"), "reason", { kind: "textarea", rows: 3, required: true, hint: t("invoice.dispute_hint") }),
    ], async (v) => {
      if (!v.reason) throw new ApiError(422, { code: "reason_missing", field: "reason" });
      draw(await post(`/v1/invoices/${id}/dispute`, { reason: v.reason }));
    }, { submit: t("invoice.dispute_submit"), danger: true });
    f.querySelector("button[type=submit]").dataset.action = "dispute";
    out.push(h("section", { id: "invoice-dispute" }, h("h3", {}, t("invoice.dispute")), f));
  }
  if (["new", "received", "disputed"].includes(x.state)) {
    const f = form([
      field(t("invoice.paid_on"), "paid_on", { type: "date", value: today(), required: true }),
      field(t("invoice.amount"), "amount", { value: typedDecimal(x.payable), inputmode: "decimal", required: true, hint: x.currency || null }),
      field(t("invoice.reference"), "reference", { hint: t("invoice.reference_hint") }),
    ], async (v) => {
      const body = { paid_on: v.paid_on, amount: plainDecimal(v.amount) };
      if (v.reference) body.reference = v.reference;
      draw(await post(`/v1/invoices/${id}/paid`, body));
    }, { submit: t("invoice.mark_paid"), class: "grid" });
    f.querySelector("button[type=submit]").dataset.action = "paid";
    out.push(h("section", { id: "invoice-paid" }, h("h3", {}, t("invoice.mark_paid")), f));
  }
  return out.length ? h("section", { id: "invoice-actions", class: "panel" }, h("h2", {}, t("invoice.actions")), out) : null;
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  let inv = await get(`/v1/invoices/${id}`);
  if (!ctx.current()) return;
  const heading = ctx.title("invoice.title", titleParams(inv));
  const box = h("div", { id: "invoice" });
  let drawn = 0;
  const draw = (x) => {
    inv = x;
    drawn += 1;
    heading.textContent = t("invoice.title", titleParams(x));
    document.title = `${heading.textContent} · Tradepost`;
    Object.assign(box.dataset, { state: x.state, recognition: x.recognition, overdue: String(Boolean(x.overdue)), direction: x.direction });
    const s = x.summary;
    const currency = x.currency || s?.currency || null;
    const orderId = x.order?.id || x.order_id;
    const orderRef = s?.order_reference || x.order?.order_number;
    const pay = x.payment;
    show(box,
      x.recognition === "pending" ? notice(t("invoice.pending"), "info") : null,
      x.recognition === "unstructured" ? notice(t("invoice.unstructured"), "info") : null,
      x.recognition === "malformed" || x.parse_error
        ? h("p", { class: "notice warn", role: "status", id: "invoice-parse-error" }, t("invoice.parse_error", { error: x.parse_error || "—" })) : null,
      invoiceBar(x),
      h("div", { class: "cols" },
        dl([
          [t("field.type"), label("invkind", x.kind || "invoice")],
          [t("field.status"), [badge("invstate", x.state), x.overdue ? [" ", badge("invstate", "overdue")] : null]],
          [t("invoice.number"), x.invoice_number],
          [label("role", x.direction === "received" ? "supplier" : "customer"), x.partner?.name],
          [t("invoice.issue_date"), fmtDay(x.issue_date)],
          [t("invoice.due_date"), h("span", { class: x.overdue ? "due overdue" : "due" }, fmtDay(x.due_date))],
          [t("invoice.payable"), h("strong", { id: "invoice-payable" }, fmtAmount(x.payable, currency))],
          x.thread_id ? [t("invoice.conversation"), h("a", { href: `/talk/${x.thread_id}`, id: "dispute-thread" }, t("invoice.thread"))] : null,
        ]),
        dl([
          [t("document.format"), x.format ? label("format", x.format) : "—"],
          [t("invoice.recognition"), label("recognition", x.recognition)],
          s?.profile ? [t("invoice.profile"), h("code", {}, s.profile)] : null,
          s?.type_code ? [t("invoice.type_code"), s.type_code] : null,
          s?.buyer_reference ? [t("invoice.buyer_reference"), s.buyer_reference] : null,
          s?.attachment_name ? [t("invoice.attachment"), s.attachment_name] : null,
          [t("field.file"), x.filename],
          [t("invoice.arrived_at"), fmtDate(x.arrived_at)],
        ])),
      h("p", { class: "actions" },
        action(t("document.download"), () => download(`/v1/documents/${id}/content`, x.filename), { class: "primary" }),
        h("a", { href: `/documents/${x.id}`, class: "button", id: "invoice-document" }, t("invoice.document"))),
      findings(x),
      s ? [
        h("div", { class: "cols" }, party("invoice-seller", "invoice.seller", s.seller), party("invoice-buyer", "invoice.buyer", s.buyer)),
        linesTable(s, currency),
        taxesTable(s, currency), sums(s, currency),
        s.payment_terms || s.iban || s.bic ? h("section", { id: "invoice-payment-info" }, h("h2", {}, t("invoice.payment_info")), dl([
          s.payment_terms ? [t("invoice.payment_terms"), h("span", { class: "text" }, s.payment_terms)] : null,
          s.iban ? [t("invoice.iban"), h("code", {}, grouped(s.iban))] : null,
          s.bic ? [t("invoice.bic"), h("code", {}, s.bic)] : null,
        ])) : null,
      ] : null,
      orderRef || orderId ? h("section", { id: "invoice-order" }, h("h2", {}, t("invoice.order")),
        orderRef ? dl([[t("invoice.order_reference"), orderRef]]) : null,
        orderId ? h("p", {}, h("a", { href: `/documents/${orderId}`, "data-order": orderId, class: "button" }, t("invoice.order_link", { number: x.order?.order_number || orderRef || "" }).trim()))
          : h("p", { class: "hint" }, t("invoice.no_order"))) : null,
      pay ? h("section", { id: "invoice-payment" }, h("h2", {}, t("invoice.payment")), dl([
        [t("invoice.paid_on"), fmtDay(pay.paid_on)], [t("invoice.amount"), fmtAmount(pay.amount, currency)], [t("invoice.reference"), pay.reference],
      ])) : null,
      actionsFor(x, draw),
      h("h2", {}, t("invoice.history")),
      grid("invoice-history", [[t("field.date")], [t("field.status")], [t("document.by")], [t("document.note")]],
        (x.history || []).map((e) => h("tr", { "data-state": e.state },
          h("td", {}, fmtDate(e.at)), h("td", {}, badge("invstate", e.state)), h("td", {}, byWhom(x, e.by)), h("td", { class: "text" }, e.note || ""))),
        t("common.empty")));
  };
  draw(inv);
  // The server reads a new invoice in the background, and its cron flags it overdue: the page
  // follows, unless someone is typing into one of its forms.
  const sign = (x) => [x.recognition, x.state, x.overdue, (x.history || []).length].join("|");
  ctx.poll(async () => {
    const before = drawn;
    try {
      const x = await get(`/v1/invoices/${id}`);
      // An answer an action overtook (drawn meanwhile) is older than the page.
      if (ctx.current() && before === drawn && sign(x) !== sign(inv) && !box.querySelector("#invoice-actions")?.contains(document.activeElement)) draw(x);
    } catch { /* next round */ }
  }, 4000);
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: withQuery("/invoices", { direction: inv.direction === "sent" ? "sent" : "" }) }, t("invoices.title"))),
    heading, box);
}
