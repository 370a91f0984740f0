// Approvals: the proofs waiting for a decision, one proof with its preview (PDF and images,
// fetched with the token into a blob URL), approve or reject with a comment, its versions.
import { get, post, api, download, withQuery } from "../api.js";
import { t, fmtDate, fmtSize, person } from "../i18n.js";
import { h, show, field, form, table, badge, label, dl, notice } from "../ui.js";

export async function list(ctx) {
  const view = ctx.query.get("for") === "me" ? "me" : ctx.query.get("status") === "pending" ? "pending" : ctx.query.get("all") ? "all" : "me";
  const query = view === "me" ? { for: "me", status: "pending" } : view === "pending" ? { status: "pending" } : {};
  const page = await get(withQuery("/v1/approvals", { ...query, limit: 100 }));
  if (!ctx.current()) return;
  const c = page.counts || {};
  const tabs = h("nav", { class: "tabs", "aria-label": t("approvals.title") }, h("ul", {},
    [["me", "/approvals?for=me", c.to_decide_by_me], ["pending", "/approvals?status=pending", (c.to_decide || 0) + (c.awaiting_partner || 0)], ["all", "/approvals?all=1"]].map(([k, href, n]) =>
      h("li", {}, h("a", { href, "aria-current": k === view ? "page" : null }, t(`approvals.view.${k}`), n ? h("span", { class: "pill" }, String(n)) : null)))));
  show(ctx.main, ctx.title("approvals.title"), tabs,
    table([t("field.file"), t("approvals.version"), t("field.partner"), t("approvals.document"), t("field.status"), t("field.date")],
      page.data.map((a) => [h("a", { href: `/approvals/${a.id}` }, a.filename), `v${a.version}`, a.partner?.name,
        h("a", { href: `/documents/${a.document_id}` }, a.document?.filename || a.document_id), badge("apstatus", a.status), fmtDate(a.requested_at)]),
      t("approvals.none")));
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const apr = await get(`/v1/approvals/${id}`);
  if (!ctx.current()) return;
  draw(ctx, apr);
}

function draw(ctx, a) {
  const id = encodeURIComponent(a.id);
  const preview = h("div", { class: "preview", id: "preview" });
  if (/^(application\/pdf|image\/(png|jpeg|gif|webp|svg\+xml))/.test(a.content_type || "")) {
    api("GET", `/v1/approvals/${id}/content`, { blob: true }).then((blob) => {
      const url = URL.createObjectURL(blob);
      preview.replaceChildren(a.content_type.startsWith("image/") ? h("img", { src: url, alt: a.filename })
        : h("iframe", { src: url, title: a.filename }));
    }).catch(() => preview.replaceChildren(notice(t("approvals.no_preview"), "info")));
  } else preview.replaceChildren(notice(t("approvals.no_preview"), "info"));
  const decideBlock = a.status === "pending" && a.side === "customer" ? h("section", { class: "panel", id: "decide" },
    h("h2", {}, t("approvals.decide")),
    form([field(t("approvals.comment"), "comment", { kind: "textarea", hint: t("approvals.comment.hint") })], async (v, f, submitter) => {
      const decision = submitter?.name === "reject" ? "reject" : "approve";
      const updated = await post(`/v1/approvals/${id}/${decision}`, decision === "reject" ? { comment: v.comment } : (v.comment ? { comment: v.comment } : {}));
      draw(ctx, updated);
    }, { submit: t("approvals.approve"), extra: h("button", { type: "submit", class: "danger", name: "reject", value: "1", id: "reject" }, t("approvals.reject")) }))
    : null;
  if (decideBlock) decideBlock.querySelector("button.primary").id = "approve";
  const d = a.decision;
  show(ctx.main, ctx.title("approvals.proof", { filename: a.filename, version: a.version }),
    dl([
      [t("field.status"), badge("apstatus", a.status)], [t("field.partner"), a.partner?.name],
      [t("approvals.document"), h("a", { href: `/documents/${a.document_id}` }, a.document?.filename || a.document_id)],
      [t("approvals.note"), a.note], [t("approvals.requested"), `${fmtDate(a.requested_at)} · ${person(a.requested_by?.name)}`],
      [t("document.size"), fmtSize(a.size)], [t("document.sha256"), h("code", {}, a.sha256)],
      d ? [t("approvals.decision"), `${label("decision", d.decision)} · ${fmtDate(d.at)} · ${person(d.by?.name)}`] : null,
      d?.comment ? [t("approvals.comment"), d.comment] : null,
      a.superseded_by ? [t("approvals.superseded_by"), h("a", { href: `/approvals/${a.superseded_by}` }, t("approvals.newer"))] : null,
    ]),
    h("p", {}, h("button", { type: "button", onclick: () => download(`/v1/approvals/${id}/content`, a.filename) }, t("document.download")), " ",
      h("a", { href: withQuery("/tasks/new", { about: a.id, label: `${a.filename} (v${a.version})` }), class: "button", id: "approval-task" }, t("tasks.from_here"))),
    decideBlock, preview,
    h("h2", {}, t("approvals.versions")),
    table([t("approvals.version"), t("field.file"), t("field.status"), t("field.date"), t("approvals.comment")], (a.versions || []).map((v) => [
      v.id === a.id ? `v${v.version}` : h("a", { href: `/approvals/${v.id}` }, `v${v.version}`), v.filename, badge("apstatus", v.status), fmtDate(v.requested_at), v.decision?.comment || "",
    ])));
}
