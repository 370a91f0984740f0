// The dashboard: what waits for me, each a link to the list behind it (the lists' counts).
import { get } from "../api.js";
import { t } from "../i18n.js";
import { h, show } from "../ui.js";
import { state, can } from "../app.js";

export async function dashboard(ctx) {
  const tiles = [
    ["dashboard.new_documents", "/v1/documents?box=inbox&status=new&limit=1", (r) => r.counts.new, "/mailbox?box=inbox&status=new"],
    ["dashboard.pending_approvals", "/v1/approvals?for=me&status=pending&limit=1", (r) => r.counts.to_decide_by_me, "/approvals?for=me"],
    ["dashboard.unread_messages", "/v1/threads?limit=1", (r) => r.counts.unread_messages, "/talk?unread=true"],
    ["dashboard.open_requests", "/v1/relationships?status=requested&limit=1", (r) => r.counts.incoming_requests, "/partners?status=requested"],
    // The company's own open tasks: the person's, and their teams'.
    ["dashboard.my_tasks", "/v1/tasks?open=true&limit=1", (r) => r.counts.mine, "/tasks?view=mine"],
    ["dashboard.team_tasks", "/v1/tasks?open=true&limit=1", (r) => r.counts.my_teams, "/tasks?view=team"],
    // Requests for quotes: received and not quoted yet; quotes waiting for my company's decision.
    can("documents.send") || can("documents.receive") ? ["dashboard.quotes_to_prepare", "/v1/quote-requests?limit=1", (r) => r.counts.to_quote, "/quotes?view=received"] : null,
    can("documents.send") || can("documents.receive") ? ["dashboard.quotes_to_decide", "/v1/quote-requests?limit=1", (r) => r.counts.to_decide, "/quotes?view=made"] : null,
    // Complaints: those received to handle, those filed still open.
    can("complaints") ? ["dashboard.complaints_to_handle", "/v1/complaints?limit=1", (r) => r.counts.to_handle, "/complaints?view=received"] : null,
    can("complaints") ? ["dashboard.complaints_filed", "/v1/complaints?limit=1", (r) => r.counts.open_filed, "/complaints?view=filed"] : null,
    // The invoices to pay: the count over the whole filter, summed over the currencies.
    can("documents.receive") ? ["dashboard.open_invoices", "/v1/invoices?direction=received&state=open&limit=1",
      (r) => (r.totals || []).reduce((n, x) => n + (Number(x.count) || 0), 0), "/invoices?state=open"] : null,
  ].filter(Boolean);
  const results = await Promise.allSettled(tiles.map(([, path]) => get(path)));
  if (!ctx.current()) return;
  show(ctx.main, ctx.title("dashboard.title"),
    h("p", { class: "lead" }, t("dashboard.hello", { name: state.me.user?.name || "", company: state.me.company?.name || "" })),
    h("ul", { class: "tiles" }, tiles.map(([key, , count, href], i) => {
      const r = results[i];
      const n = r.status === "fulfilled" ? count(r.value) ?? 0 : null;
      return h("li", {}, h("a", { href, class: n ? "tile hot" : "tile", "data-tile": key.split(".")[1] },
        h("strong", { class: "count" }, n === null ? "—" : String(n)), h("span", {}, t(key))));
    })),
    h("p", {}, h("a", { href: "/mailbox/upload", class: "button primary" }, t("mailbox.upload")), " ",
      h("a", { href: "/talk/new", class: "button" }, t("talk.new"))));
}
