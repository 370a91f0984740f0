// Talk: threads with unread counts, one thread with its messages and a reply form, and a new
// thread with a partner company, one of its contacts, or about a document.
import { get, post, send, download, withQuery, retrySafePost, ApiError } from "../api.js";
import { t, fmtDate, person } from "../i18n.js";
import { h, show, field, form, table, notice } from "../ui.js";
import { navigate, can } from "../app.js";

export async function list(ctx) {
  const unread = ctx.query.get("unread") === "true";
  const page = await get(withQuery("/v1/threads", { unread: unread ? "true" : "", limit: 100 }));
  if (!ctx.current()) return;
  const tabs = h("nav", { class: "tabs", "aria-label": t("talk.title") }, h("ul", {},
    h("li", {}, h("a", { href: "/talk", "aria-current": unread ? null : "page" }, t("common.all"))),
    h("li", {}, h("a", { href: "/talk?unread=true", "aria-current": unread ? "page" : null }, t("talk.unread"),
      page.counts?.unread_threads ? h("span", { class: "pill" }, String(page.counts.unread_threads)) : null))));
  show(ctx.main, ctx.title("talk.title"), h("p", {}, h("a", { href: "/talk/new", class: "button primary" }, t("talk.new"))), tabs,
    table([t("talk.subject"), t("field.partner"), t("talk.unread"), t("talk.last")], page.data.map((th) => [
      h("a", { href: `/talk/${th.id}`, class: th.unread_count ? "unread" : null }, th.subject), th.partner?.name,
      th.unread_count ? h("span", { class: "pill", "data-unread": th.unread_count }, String(th.unread_count)) : "",
      fmtDate(th.last_message_at),
    ]), t("talk.none")));
}

function attachField() {
  return field(t("talk.attachments"), "attachments", { type: "file", multiple: true });
}
async function uploadAttachments(files) {
  const ids = [];
  for (const file of files || []) {
    const att = await send("POST", "/v1/attachments", file, { "content-type": file.type || "application/octet-stream", "tradepost-filename": encodeURIComponent(file.name) });
    ids.push(att.id);
  }
  return ids;
}

export async function start(ctx) {
  const rels = await get("/v1/relationships?status=active&limit=200");
  if (!ctx.current()) return;
  const partners = rels.data.filter((r) => r.services.talk === "enabled").map((r) => r.partner);
  const chosen = ctx.query.get("partner") || partners[0]?.id || "";
  const contacts = chosen ? await get(withQuery("/v1/contacts", { company_id: chosen, limit: 200 })).catch(() => ({ data: [] })) : { data: [] };
  if (!ctx.current()) return;
  const documentId = ctx.query.get("document");
  const partnerField = field(t("field.partner"), "partner", { kind: "select", value: chosen, options: partners.map((p) => [p.id, p.name]) });
  const toField = field(t("talk.to"), "to", { kind: "select", value: ctx.query.get("to"), options: [["", t("talk.to_company")], ...contacts.data.map((c) => [c.user_id, c.card.name])] });
  // Another partner: only its contacts change; what was typed stays.
  partnerField.querySelector("select").addEventListener("change", async (e) => {
    history.replaceState(null, "", withQuery("/talk/new", { partner: e.target.value, document: documentId }));
    const list = await get(withQuery("/v1/contacts", { company_id: e.target.value, limit: 200 })).catch(() => ({ data: [] }));
    toField.querySelector("select").replaceChildren(...[["", t("talk.to_company")], ...list.data.map((c) => [c.user_id, c.card.name])]
      .map(([v, l]) => h("option", { value: v }, l)));
  });
  const openThread = retrySafePost();
  show(ctx.main, ctx.title("talk.new"),
    partners.length ? form([
      partnerField,
      toField,
      documentId ? h("p", { class: "hint" }, t("talk.about_document"), " ", h("a", { href: `/documents/${documentId}` }, documentId)) : null,
      field(t("talk.subject"), "subject", { required: true }),
      field(t("talk.text"), "text", { kind: "textarea", rows: 5, required: true }),
      attachField(),
    ], async (v) => {
      const attachments = await uploadAttachments(v.attachments);
      const thread = await openThread("/v1/threads", { partner: v.partner, to: v.to || undefined, subject: v.subject, text: v.text,
        document_id: documentId || undefined, attachments: attachments.length ? attachments : undefined }, v.text);
      navigate(`/talk/${thread.id}`);
    }, { submit: t("talk.send") }) : notice(t("talk.no_partners"), "info"));
}

export async function thread(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const [th, page] = await Promise.all([get(`/v1/threads/${id}`), get(`/v1/threads/${id}/messages?limit=200`)]);
  if (!ctx.current()) return;
  const list = h("ol", { class: "messages", id: "messages", "aria-live": "polite" });
  let newest = null;
  const drawMessages = (msgs) => {
    newest = msgs[0]?.id || null;
    list.replaceChildren(...msgs.slice().reverse().map((m) => h("li", { class: m.mine ? "mine" : "theirs", "data-id": m.id },
      h("p", { class: "from" }, h("strong", {}, person(m.from?.user?.name)), " · ", m.from?.company?.name || "", " · ", h("time", { datetime: m.created_at }, fmtDate(m.created_at))),
      h("p", { class: "text" }, m.text),
      m.mine ? null : h("p", {}, h("a", { href: withQuery("/tasks/new", { about: m.id, label: `${th.subject}: ${m.text.slice(0, 60)}` }), class: "task-from-message" }, t("tasks.from_message"))),
      m.attachments?.length ? h("ul", { class: "attachments" }, m.attachments.map((a) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => download(`/v1/attachments/${a.id}/content`, a.filename) }, a.filename)))) : null)));
    if (newest) post(`/v1/threads/${id}/read`, { up_to: newest }).catch(() => {});
  };
  drawMessages(page.data);
  ctx.poll(async () => {
    try { const p = await get(`/v1/threads/${id}/messages?limit=200`); if ((p.data[0]?.id || null) !== newest) drawMessages(p.data); } catch { /* next round */ }
  }, 4000);
  const sendReply = retrySafePost();
  const reply = form([field(t("talk.reply"), "text", { kind: "textarea", rows: 4, required: true }), attachField()], async (v, f) => {
    if (!v.text) throw new ApiError(422, { code: "text_missing", field: "text" });
    const attachments = await uploadAttachments(v.attachments);
    await sendReply(`/v1/threads/${id}/messages`, { text: v.text, attachments: attachments.length ? attachments : undefined }, v.text);
    f.reset();
    drawMessages((await get(`/v1/threads/${id}/messages?limit=200`)).data);
  }, { submit: t("talk.send"), class: "reply" });
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/talk" }, t("talk.title"))), ctx.title("talk.thread", { subject: th.subject }),
    h("p", { class: "hint" }, t("talk.with", { company: th.partner?.name || "" }),
      th.to_user ? ` · ${t("talk.to")}: ${th.to_user.name}` : "",
      th.document_id ? [" · ", h("a", { href: `/documents/${th.document_id}` }, t("talk.document"))] : null),
    h("p", {}, h("a", { href: withQuery("/tasks/new", { about: th.id, label: th.subject }), class: "button", id: "thread-task" }, t("tasks.from_here")),
      th.partner && can("documents.send") ? [" ", h("a", { href: withQuery("/quotes/new", { partner: th.partner.id, thread: th.id }), class: "button", id: "thread-quote" }, t("quotes.new"))] : null),
    list, reply);
}
