// Complaints (RMA): the list of those the company received (as supplier) and filed (as
// customer), a new complaint about a document (?document=doc_…) with its lines and photos, and
// one complaint with its status bar, lines, steps and comments, files, and the moves of the
// caller's side.
import { get, post, send, download, withQuery } from "../api.js";
import { t, fmtDate, person } from "../i18n.js";
import { h, show, field, form, table, badge, dl, action, notice, label } from "../ui.js";
import { navigate } from "../app.js";

const REASONS = ["damaged", "wrong_item", "missing", "quality", "other"];
const RESOLUTIONS = ["replacement", "credit_note", "repair", "return"];
const VIEWS = { received: { side: "supplier" }, filed: { side: "customer" }, all: {} };
/** Rows of lines a new complaint starts with; "add line" gives more. */
const FIRST_LINES = 2;

export async function list(ctx) {
  const view = VIEWS[ctx.query.get("view")] ? ctx.query.get("view") : "all";
  const page = await get(withQuery("/v1/complaints", { ...VIEWS[view], limit: 100 }));
  if (!ctx.current()) return;
  const count = { received: page.counts.to_handle, filed: page.counts.open_filed, all: 0 };
  const tabs = h("nav", { class: "tabs", "aria-label": t("complaints.title") }, h("ul", {},
    Object.keys(VIEWS).map((v) => h("li", {}, h("a", { href: withQuery("/complaints", { view: v }), "aria-current": v === view ? "page" : null, "data-view": v },
      t(`complaints.view_${v}`), count[v] ? h("span", { class: "pill" }, String(count[v])) : null)))));
  show(ctx.main, ctx.title("complaints.title"),
    h("p", { class: "hint" }, t("complaints.intro")),
    tabs,
    table([t("complaints.number"), t("complaints.status"), t("complaints.partner"), t("complaints.document"), t("complaints.reason"), t("complaints.created_at")],
      page.data.map((c) => [
        h("a", { href: `/complaints/${c.id}` }, c.number), badge("complaint_status", c.status),
        c.side === "supplier" ? c.customer.name : c.supplier.name,
        h("a", { href: `/documents/${c.document.id}` }, c.document.filename),
        label("complaint_reason", c.reason), fmtDate(c.created_at),
      ]), t("complaints.none")));
}

/** The upload of each chosen file to the complaint, one after the other; the last answer. */
async function uploadFiles(id, files) {
  let last = null;
  for (const file of files || []) {
    last = await send("POST", `/v1/complaints/${id}/files`, file, { "content-type": file.type || "application/octet-stream", "tradepost-filename": encodeURIComponent(file.name) });
  }
  return last;
}

/** Row i of the lines: its fields are named as the API names them (lines[0].quantity), so an
 * error shows next to its field. */
function lineRow(i) {
  const name = (key) => `lines[${i}].${key}`;
  return h("fieldset", { class: "line", "data-line": String(i) }, h("legend", {}, t("complaints.line", { n: i + 1 })),
    field(t("complaints.item"), name("item")),
    field(t("complaints.quantity"), name("quantity"), { inputmode: "decimal" }),
    field(t("complaints.unit"), name("unit"), { placeholder: "pcs" }),
    field(t("complaints.line_note"), name("note")));
}

export async function create(ctx) {
  const docId = ctx.query.get("document") || "";
  const doc = docId ? await get(`/v1/documents/${encodeURIComponent(docId)}`).catch(() => null) : null;
  if (!ctx.current()) return;
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "/complaints" }, t("complaints.title")));
  if (!doc) {
    show(ctx.main, crumbs, ctx.title("complaints.new"), notice(t("complaints.pick_document"), "info"));
    return;
  }
  const lines = h("div", { id: "complaint-lines" }, Array.from({ length: FIRST_LINES }, (_, i) => lineRow(i)));
  const more = action(t("complaints.add_line"), () => { lines.append(lineRow(lines.children.length)); }, { class: "link", id: "complaint-add-line" });
  show(ctx.main, crumbs, ctx.title("complaints.new"),
    dl([[t("complaints.document"), h("a", { href: `/documents/${doc.id}` }, doc.filename)], [t("complaints.partner"), doc.partner.name]]),
    form([
      field(t("complaints.reason"), "reason", { kind: "select", options: REASONS.map((r) => [r, label("complaint_reason", r)]) }),
      field(t("complaints.description"), "description", { kind: "textarea", rows: 4, required: true }),
      h("h2", {}, t("complaints.lines")), h("p", { class: "hint" }, t("complaints.lines_hint")), lines, more,
      field(t("complaints.files"), "files", { type: "file", multiple: true, accept: "image/*,application/pdf" }),
    ], async (v) => {
      // The rows filled in, in order (an empty row between two is left out, so the API's
      // lines[i] is the i-th row only while none is skipped).
      const rows = [];
      for (let i = 0; i < lines.children.length; i++) {
        const at = (key) => v[`lines[${i}].${key}`] || undefined;
        if (at("item") || at("quantity")) rows.push({ item: at("item") || "", quantity: at("quantity") || "", unit: at("unit"), note: at("note") });
      }
      const filed = await post("/v1/complaints", { document_id: doc.id, reason: v.reason, description: v.description, lines: rows });
      await uploadFiles(filed.id, v.files);
      navigate(`/complaints/${filed.id}`);
    }, { submit: t("complaints.file"), class: "complaint-new" }));
}

/** The path of a complaint: received → under review → accepted or rejected → closed. */
function complaintBar(c) {
  const reached = new Set(c.history.map((e) => e.status).filter(Boolean));
  reached.add(c.status);
  const decision = reached.has("rejected") ? "rejected" : "accepted";
  const steps = ["received", "under_review", decision, "closed"];
  const at = {};
  for (const e of c.history) if (e.status && !at[e.status]) at[e.status] = e.at;
  return h("ol", { class: "statusbar", "aria-label": t("complaints.statusbar") }, steps.map((s) => {
    const cls = s === c.status ? "current" : reached.has(s) ? "done" : "todo";
    return h("li", { class: cls, "data-state": s, "aria-current": s === c.status ? "step" : null },
      h("span", { class: "step" }, label("complaint_status", s)), at[s] ? h("small", {}, fmtDate(at[s])) : null);
  }));
}

/** The moves the caller's side may make now. */
function moves(c, id, redraw) {
  const move = (body) => post(`/v1/complaints/${id}/moves`, body).then(redraw);
  const open = ["received", "under_review"].includes(c.status);
  if (c.side === "customer") {
    return open ? [form([field(t("complaints.withdraw_note"), "note", { kind: "textarea", rows: 2 })],
      (v) => move({ move: "withdraw", note: v.note || undefined }), { submit: t("complaints.withdraw"), class: "complaint-withdraw", danger: true })] : [];
  }
  const out = [];
  if (c.status === "received") out.push(h("p", {}, action(t("complaints.review"), () => move({ move: "review" }), { class: "primary", id: "complaint-review" })));
  if (open) {
    out.push(form([
      field(t("complaints.resolution"), "resolution", { kind: "select", options: RESOLUTIONS.map((r) => [r, label("complaint_resolution", r)]) }),
      field(t("complaints.decision_note"), "note", { kind: "textarea", rows: 2 }),
    ], (v) => move({ move: "accept", resolution: v.resolution, note: v.note || undefined }), { submit: t("complaints.accept"), class: "complaint-accept" }));
    out.push(form([field(t("complaints.reject_reason"), "note", { kind: "textarea", rows: 2, required: true })],
      (v) => move({ move: "reject", note: v.note }), { submit: t("complaints.reject"), class: "complaint-reject", danger: true }));
  }
  if (["accepted", "rejected"].includes(c.status)) out.push(h("p", {}, action(t("complaints.close"), () => move({ move: "close" }), { id: "complaint-close" })));
  return out;
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const c = await get(`/v1/complaints/${id}`);
  if (!ctx.current()) return;
  const redraw = () => detail(ctx);
  const partner = c.side === "supplier" ? c.customer : c.supplier;
  const who = (e) => h("strong", {}, e.by_name ? person(e.by_name) : t("complaints.by_api"), " · ", t(`complaints.side_${e.side}`));
  const history = h("ol", { class: "messages", id: "complaint-history" }, c.history.map((e) => h("li", { "data-id": e.id, "data-status": e.status || "" },
    h("p", { class: "from" }, who(e), " · ", h("time", { datetime: e.at }, fmtDate(e.at))),
    e.status ? h("p", {}, badge("complaint_status", e.status)) : null,
    e.text ? h("p", { class: "text" }, e.text) : null)));
  const files = c.files.length ? h("ul", { id: "complaint-files" }, c.files.map((f) => h("li", { "data-file": f.id },
    action(f.filename, () => download(`/v1/complaints/${id}/files/${f.id}`, f.filename), { class: "link" }), " · ", who(f)))) : h("p", { class: "empty" }, t("complaints.no_files"));
  const closed = c.status === "closed";
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/complaints" }, t("complaints.title"))),
    ctx.title("complaints.complaint", { number: c.number }),
    h("p", { class: "actions" },
      h("a", { href: `/documents/${c.document.id}`, class: "button" }, t("complaints.document")),
      h("a", { href: withQuery("/tasks/new", { about: c.id, label: c.number, title: t("complaints.task_title", { number: c.number }) }), class: "button", id: "complaint-task" }, t("tasks.from_here"))),
    h("h2", {}, t("complaints.statusbar")), complaintBar(c),
    dl([
      [t("complaints.partner"), partner.name],
      [t("complaints.reason"), label("complaint_reason", c.reason)],
      [t("complaints.filed_by"), c.filed_by_name ? person(c.filed_by_name) : t("complaints.by_api")],
      [t("complaints.created_at"), fmtDate(c.created_at)],
      c.resolution ? [t("complaints.resolution"), label("complaint_resolution", c.resolution)] : null,
      c.decision_note ? [t("complaints.decision_note"), c.decision_note] : null,
    ]),
    h("p", { class: "text", id: "complaint-description" }, c.description),
    c.lines.length ? table([t("complaints.item"), t("complaints.quantity"), t("complaints.unit"), t("complaints.line_note")],
      c.lines.map((l) => [l.item, l.quantity, l.unit || "", l.note || ""])) : null,
    ...moves(c, id, redraw),
    h("h2", {}, t("complaints.history")), history,
    closed ? null : form([field(t("complaints.comment"), "text", { kind: "textarea", rows: 3, required: true })], async (v) => {
      await post(`/v1/complaints/${id}/comments`, { text: v.text });
      redraw();
    }, { submit: t("complaints.comment_send"), class: "complaint-comment" }),
    h("h2", {}, t("complaints.files")), files,
    closed ? null : form([field(t("complaints.add_files"), "files", { type: "file", multiple: true, required: true })], async (v) => {
      await uploadFiles(id, v.files);
      redraw();
    }, { submit: t("complaints.upload"), class: "complaint-files" }));
}
