// The mailbox: inbox and outbox with filters, upload for a partner (drag and drop, progress,
// multipart for big files), one document (summary, download, acknowledge, status reports, the
// status bar, its proofs) and the documents of one order.
import { get, post, send, download, withQuery, newKey, ApiError } from "../api.js";
import { t, fmtDate, fmtDay, fmtSize, fmtAmount } from "../i18n.js";
import { h, show, field, form, table, badge, label, action, dl, notice, statusBar } from "../ui.js";
import { navigate, can } from "../app.js";

export const TYPES = ["order", "order_response", "quote", "invoice", "delivery_note", "rfq", "complaint", "other"];
const STATUSES = ["held", "new", "downloaded", "imported", "accepted", "rejected", "in_progress", "shipped", "delivered", "completed", "cancelled", "discarded"];
const REPORTS = ["accepted", "rejected", "in_progress", "shipped", "delivered", "completed"];
// Files over 100 MiB (the single-upload limit) go up in parts; the browser tests lower the
// threshold through localStorage to exercise the multipart path with a small file.
const MULTIPART_OVER = Number(localStorage.getItem("tp.multipart_over")) || 100 * 1024 * 1024;

async function activePartners(service) {
  const rels = await get("/v1/relationships?status=active&limit=200");
  return rels.data.filter((r) => !service || r.services[service] === "enabled").map((r) => r.partner);
}

function docRows(docs) {
  return docs.map((d) => [
    fmtDate(d.created_at), label("box", d.box), d.partner?.name,
    label("doctype", d.type), h("a", { href: `/documents/${d.id}` }, d.filename), d.reference || "", badge("status", d.status),
  ]);
}
const docHeaders = () => [t("field.date"), t("mailbox.box"), t("field.partner"), t("field.type"), t("field.file"), t("field.reference"), t("field.status")];

export async function list(ctx) {
  const q = Object.fromEntries(ctx.query);
  const box = q.box || "inbox";
  const filters = { box, partner: q.partner, type: q.type, status: q.status, reference: q.reference, limit: 50 };
  const [page, partners] = await Promise.all([get(withQuery("/v1/documents", { ...filters, cursor: q.cursor })), activePartners().catch(() => [])]);
  if (!ctx.current()) return;
  const tabs = h("nav", { class: "tabs", "aria-label": t("mailbox.box") }, h("ul", {},
    ["inbox", "outbox", "all"].map((b) => h("li", {}, h("a", { href: withQuery("/mailbox", { box: b }), "aria-current": b === box ? "page" : null },
      t(`mailbox.${b}`), b === "inbox" && page.counts?.new ? h("span", { class: "pill" }, String(page.counts.new)) : null)))));
  const filterForm = form([
    h("input", { type: "hidden", name: "box", value: box }),
    field(t("field.partner"), "partner", { kind: "select", value: q.partner, options: [["", t("common.all")], ...partners.map((p) => [p.id, p.name])] }),
    field(t("field.type"), "type", { kind: "select", value: q.type, options: [["", t("common.all")], ...TYPES.map((x) => [x, label("doctype", x)])] }),
    field(t("field.status"), "status", { kind: "select", value: q.status, options: [["", t("common.all")], ...STATUSES.map((x) => [x, label("status", x)])] }),
    field(t("field.reference"), "reference", { value: q.reference }),
  ], async (v) => navigate(withQuery("/mailbox", v)), { submit: t("action.filter"), class: "filters" });
  show(ctx.main, ctx.title("mailbox.title"),
    h("p", {}, can("documents.send") ? h("a", { href: "/mailbox/upload", class: "button primary" }, t("mailbox.upload")) : null),
    page.counts?.held ? notice(t("mailbox.held", { n: page.counts.held }), "info") : null,
    tabs, filterForm, table(docHeaders(), docRows(page.data), t("mailbox.empty")),
    page.next_cursor ? h("p", {}, h("a", { href: withQuery("/mailbox", { ...q, cursor: page.next_cursor }) }, t("common.more"))) : null);
}

export async function upload(ctx) {
  const partners = await activePartners("documents");
  if (!ctx.current()) return;
  const progress = h("progress", { max: 100, value: 0, hidden: true, id: "upload-progress" });
  const progressText = h("span", { class: "hint", "aria-live": "polite" });
  const fileField = field(t("field.file"), "file", { type: "file", required: true });
  const input = fileField.querySelector("input");
  const chosen = h("p", { class: "hint" });
  input.addEventListener("change", () => { chosen.textContent = input.files[0] ? `${input.files[0].name} (${fmtSize(input.files[0].size)})` : ""; });
  const drop = h("div", { class: "dropzone", "data-field": "body" }, h("p", {}, t("mailbox.drop")), fileField, chosen);
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; input.dispatchEvent(new Event("change")); }
  });
  const onProgress = (sent, total) => {
    progress.hidden = false;
    progress.value = total ? Math.round((sent / total) * 100) : 0;
    progressText.textContent = `${fmtSize(sent)} / ${fmtSize(total)}`;
  };
  show(ctx.main, ctx.title("mailbox.upload"),
    partners.length ? form([
      field(t("field.partner"), "recipient", { kind: "select", value: ctx.query.get("partner"), options: partners.map((p) => [p.id, p.name]) }),
      field(t("field.type"), "type", { kind: "select", value: ctx.query.get("type") || "order", options: TYPES.map((x) => [x, label("doctype", x)]) }),
      field(t("field.reference"), "reference", { value: ctx.query.get("reference") || "" }),
      ctx.query.get("in_reply_to") ? h("input", { type: "hidden", name: "in_reply_to", value: ctx.query.get("in_reply_to") }) : null,
      drop, h("p", {}, progress, " ", progressText),
    ], async (v) => {
      const file = input.files[0];
      if (!file) throw new ApiError(422, { code: "file_missing", field: "file" });
      const doc = file.size > MULTIPART_OVER ? await multipart(v, file, onProgress) : await send("POST", "/v1/documents", file, {
        "content-type": file.type || "application/octet-stream",
        "tradepost-recipient": v.recipient, "tradepost-type": v.type,
        "tradepost-filename": encodeURIComponent(file.name),
        "tradepost-reference": v.reference, "tradepost-in-reply-to": v.in_reply_to,
        "idempotency-key": newKey(),
      }, onProgress);
      navigate(`/documents/${doc.id}`);
    }, { submit: t("mailbox.send") }) : notice(t("mailbox.no_partners"), "info"));
}

/** Files over 100 MiB: POST /v1/uploads, the parts one after another, then complete. */
async function multipart(v, file, onProgress) {
  const up = await post("/v1/uploads", { recipient: v.recipient, type: v.type, filename: file.name,
    content_type: file.type || "application/octet-stream", reference: v.reference || undefined, in_reply_to: v.in_reply_to || undefined });
  const size = Math.min(up.part_size_max, Math.max(up.part_size_min, 16 * 1024 * 1024));
  const count = Math.ceil(file.size / size);
  for (let n = 1; n <= count; n++) {
    const part = file.slice((n - 1) * size, Math.min(n * size, file.size));
    await send("PUT", `/v1/uploads/${up.id}/parts/${n}`, part, {}, (sent) => onProgress((n - 1) * size + sent, file.size));
  }
  return post(`/v1/uploads/${up.id}/complete`);
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  let doc = await get(`/v1/documents/${id}`);
  if (!ctx.current()) return;
  const bar = h("div", { id: "status" });
  const history = h("div", { id: "history" });
  const facts = h("div");
  const drawStatus = (d) => {
    doc = d;
    bar.replaceChildren(statusBar(d));
    facts.replaceChildren(summary(d));
    history.replaceChildren(table([t("field.date"), t("field.status"), t("document.by"), t("document.note"), t("document.carrier"), t("document.tracking")],
      d.history.map((e) => [fmtDate(e.at), badge("status", e.status), label("by", e.by), e.note || e.reason || e.reference || "", e.carrier || "", e.tracking_number || ""])));
  };
  drawStatus(doc);
  ctx.poll(async () => { try { const d = await get(`/v1/documents/${id}`); if (d.updated_at !== doc.updated_at || d.history.length !== doc.history.length) drawStatus(d); } catch { /* next round */ } }, 4000);
  const inbox = doc.box === "inbox";
  const actions = [];
  if (inbox && can("documents.receive")) {
    actions.push(h("section", { class: "panel" }, h("h2", {}, t("document.ack")),
      form([field(t("document.your_reference"), "reference")], async (v) => drawStatus(await post(`/v1/documents/${id}/ack`, v.reference ? { reference: v.reference } : {})), { submit: t("document.ack") })));
    actions.push(h("section", { class: "panel", id: "report" }, h("h2", {}, t("document.report")),
      form([
        field(t("field.status"), "status", { kind: "select", options: REPORTS.map((s) => [s, label("status", s)]) }),
        field(t("document.note"), "note", { kind: "textarea", rows: 2 }),
        field(t("document.reason"), "reason", { hint: t("document.reason.hint") }),
        field(t("document.carrier"), "carrier"),
        field(t("document.tracking"), "tracking_number"),
      ], async (v) => {
        const body = {};
        for (const [k, val] of Object.entries(v)) if (val) body[k] = val;
        drawStatus(await post(`/v1/documents/${id}/status`, body));
      }, { submit: t("document.report_submit") })));
  }
  if (!inbox && ["held", "new"].includes(doc.status) && can("documents.send")) {
    actions.push(h("section", {}, action(t("document.cancel"), async () => drawStatus(await post(`/v1/documents/${id}/cancel`)), { class: "danger" })));
  }
  const proofs = h("section", { id: "proofs" });
  loadProofs(doc, proofs).catch(() => proofs.remove());
  const lines = h("section", { id: "document-lines" });
  if (doc.format) loadLines(id, lines).catch(() => lines.remove());
  show(ctx.main, ctx.title("document.title", { filename: doc.filename }),
    h("p", { class: "actions" },
      action(t("document.download"), async () => { await download(`/v1/documents/${id}/content`, doc.filename); drawStatus(await get(`/v1/documents/${id}`)); }, { class: "primary" }),
      h("a", { href: `/orders/${doc.order_id}`, class: "button" }, t("document.order")),
      doc.type === "invoice" ? h("a", { href: `/invoices/${doc.id}`, class: "button", id: "document-invoice" }, t("document.invoice")) : null,
      h("a", { href: withQuery("/talk/new", { partner: doc.partner.id, document: doc.id }), class: "button" }, t("document.talk")),
      h("a", { href: withQuery("/tasks/new", { about: doc.id, label: doc.filename }), class: "button", id: "document-task" }, t("tasks.from_here")),
      complaintSlot(doc),
      inbox && doc.type === "order" ? h("a", { href: withQuery("/mailbox/upload", { partner: doc.partner.id, type: "order_response", in_reply_to: doc.id, reference: doc.reference }), class: "button" }, t("document.reply")) : null),
    h("h2", {}, t("document.statusbar")), bar, facts, lines, ...actions,
    h("h2", {}, t("document.history")), history, proofs);
}

/** The lines of a recognised order (or order response, with what it changed in the order). */
async function loadLines(id, box) {
  const l = await get(`/v1/documents/${id}/lines`);
  const money = (x) => (x ? fmtAmount(x, l.currency) : "");
  show(box, h("h2", {}, t("document.lines")),
    table([t("document.line_no"), t("document.line_item"), t("document.line_sku"), t("document.line_quantity"), t("document.line_unit"),
      t("document.line_price"), t("document.line_total"), t("document.line_date")],
    l.lines.map((x) => [x.line_id || "", x.substitute ? [x.item || "", h("br"), h("em", {}, x.substitute)] : x.item || "", x.sku || x.buyer_item || x.standard_id || "",
      x.quantity || "", x.unit || "", money(x.unit_price), money(x.line_total), x.delivery_date ? fmtDay(x.delivery_date) : ""])),
    l.order_document_id ? [h("h3", {}, t("document.changes")), l.changes.length
      ? h("div", { id: "document-changes" }, table([t("document.line_no"), t("document.change_what"), t("document.change_ordered"), t("document.change_answered")],
        l.changes.map((c) => [c.line_id || "", label("line_change", c.what), c.ordered || "—", c.answered || "—"])))
      : h("p", { id: "document-changes" }, t("document.no_changes"))] : null);
}

/** "File a complaint" for the customer of the document's relationship who holds complaints. */
function complaintSlot(doc) {
  const slot = h("span", { class: "slot" });
  if (can("complaints")) {
    get(`/v1/relationships/${doc.relationship_id}`).then((r) => {
      if (r.my_role === "customer") slot.append(h("a", { href: withQuery("/complaints/new", { document: doc.id }), class: "button", id: "document-complaint" }, t("complaints.from_here")));
    }).catch(() => slot.remove());
  }
  return slot;
}

function summary(d) {
  const s = d.summary;
  return h("div", { class: "cols" },
    dl([
      [t("field.partner"), d.partner?.name], [t("mailbox.box"), label("box", d.box)], [t("field.type"), label("doctype", d.type)],
      [t("field.status"), badge("status", d.status)], [t("field.reference"), d.reference], [t("document.recipient_reference"), d.recipient_reference],
      [t("settings.customer_number"), d.customer_number], [t("document.size"), fmtSize(d.size)], [t("field.date"), fmtDate(d.created_at)],
      [t("document.downloaded_at"), fmtDate(d.downloaded_at)], [t("document.sha256"), h("code", {}, d.sha256)],
    ]),
    s ? h("div", {}, h("h2", {}, t("document.summary")), dl([
      [t("document.format"), label("format", s.format)], [t("document.order_number"), s.order_number], [t("document.issue_date"), s.issue_date],
      [t("document.buyer"), s.buyer_id], [t("document.seller"), s.seller_id],
      [t("document.total"), s.total ? `${s.total} ${s.currency || ""}` : null], [t("document.lines"), s.line_count],
    ]), (s.warnings || []).map((w) => notice(t(`document.warning.${w.code}`, { party: t(`document.${w.party}`), id: w.id }), "warn"))) : d.parse_error ? notice(t("document.parse_error", { error: d.parse_error }), "info") : null);
}

async function loadProofs(doc, into) {
  const list = await get(withQuery("/v1/approvals", { document_id: doc.id, limit: 50 }));
  const rows = list.data.map((a) => [h("a", { href: `/approvals/${a.id}` }, `v${a.version} · ${a.filename}`), badge("apstatus", a.status), fmtDate(a.requested_at)]);
  // Proofs come from the supplier: the side that received an order, or sent anything else.
  const supplierSide = list.data.length ? list.data[0].side === "supplier" : (doc.box === "inbox") === (doc.type === "order");
  const fileField = field(t("field.file"), "file", { type: "file", required: true, accept: "application/pdf,image/*" });
  show(into, h("h2", {}, t("approvals.title")), table([t("field.file"), t("field.status"), t("field.date")], rows, t("approvals.none")),
    can("documents.send") && supplierSide ? h("details", {}, h("summary", {}, t("approvals.attach")), form([
      fileField, field(t("approvals.note"), "note", { kind: "textarea", rows: 2 }),
    ], async (v) => {
      const file = v.file[0];
      if (!file) throw new ApiError(422, { code: "file_missing", field: "file" });
      const apr = await send("POST", `/v1/documents/${encodeURIComponent(doc.id)}/proofs`, file, {
        "content-type": file.type || "application/octet-stream", "tradepost-filename": encodeURIComponent(file.name),
        "tradepost-note": v.note ? encodeURIComponent(v.note) : "",
      });
      navigate(`/approvals/${apr.id}`);
    }, { submit: t("approvals.attach") })) : null);
}

export async function order(ctx) {
  const docs = await get(withQuery("/v1/documents", { order: ctx.params.id, box: "all", limit: 200 }));
  if (!ctx.current()) return;
  show(ctx.main, ctx.title("order.title"), table(docHeaders(), docRows(docs.data), t("mailbox.empty")));
}
