// Tasks: the company's own work items (never shown to a partner). The list with "mine", "my
// teams'" and "all" tabs, a new task (also from a document or a thread: ?about=…), one task with
// its comments and what can be changed, and the teams with their members.
import { get, post, patch, put, del, withQuery } from "../api.js";
import { t, fmtDate, fmtDay, person } from "../i18n.js";
import { h, show, field, form, table, badge, dl, action, notice } from "../ui.js";
import { navigate, can } from "../app.js";

const STATUSES = ["open", "in_progress", "done", "cancelled"];
const VIEWS = { mine: { assignee: "me" }, team: { team: "mine" }, all: {} };

/** Where what a task is about is shown in the portal. */
function aboutLink(about) {
  if (!about) return "—";
  const pages = { document: "documents", approval: "approvals", complaint: "complaints", quote_request: "quotes" };
  const href = pages[about.type] ? `/${pages[about.type]}/${about.id}` : `/talk/${about.thread_id || about.id}`;
  return h("a", { href, "data-about": about.type }, `${t(`tasks.about_${about.type}`)}: ${about.label || about.id}`);
}

const due = (task) => (task.due_on ? h("span", { class: task.overdue ? "due overdue" : "due" }, fmtDay(task.due_on), task.overdue ? ` · ${t("tasks.overdue")}` : "") : "—");

export async function list(ctx) {
  const view = VIEWS[ctx.query.get("view")] ? ctx.query.get("view") : "mine";
  const closed = ctx.query.get("closed") === "true";
  const page = await get(withQuery("/v1/tasks", { ...VIEWS[view], open: closed ? "" : "true", limit: 100 }));
  if (!ctx.current()) return;
  const count = { mine: page.counts.mine, team: page.counts.my_teams, all: page.counts.open };
  const tabs = h("nav", { class: "tabs", "aria-label": t("tasks.title") }, h("ul", {},
    Object.keys(VIEWS).map((v) => h("li", {}, h("a", { href: withQuery("/tasks", { view: v }), "aria-current": v === view ? "page" : null, "data-view": v },
      t(`tasks.view_${v}`), count[v] ? h("span", { class: "pill" }, String(count[v])) : null)))));
  show(ctx.main, ctx.title("tasks.title"),
    h("p", {}, h("a", { href: "/tasks/new", class: "button primary" }, t("tasks.new")), " ", h("a", { href: "/tasks/teams", class: "button" }, t("teams.title"))),
    tabs,
    h("p", {}, h("a", { href: withQuery("/tasks", { view, closed: closed ? "" : "true" }) }, t(closed ? "tasks.only_open" : "tasks.with_closed"))),
    table([t("tasks.f_title"), t("tasks.status"), t("tasks.due_on"), t("tasks.team"), t("tasks.assignee"), t("tasks.about")], page.data.map((task) => [
      h("a", { href: `/tasks/${task.id}` }, task.title), badge("task_status", task.status), due(task),
      task.team?.name || "—", task.assignee ? person(task.assignee.name) : "—", aboutLink(task.about),
    ]), t("tasks.none")));
}

/** The team and assignee choices of a form, from GET /v1/teams. */
function whoFields(teams, task = {}) {
  return [
    field(t("tasks.team"), "team_id", { kind: "select", value: task.team?.id || "", options: [["", t("tasks.no_team")], ...teams.data.map((x) => [x.id, x.name])] }),
    field(t("tasks.assignee"), "assignee_id", { kind: "select", value: task.assignee?.id || "", options: [["", t("tasks.nobody")], ...teams.people.map((p) => [p.id, person(p.name)])] }),
  ];
}

export async function create(ctx) {
  const teams = await get("/v1/teams");
  if (!ctx.current()) return;
  const about = ctx.query.get("about");
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/tasks" }, t("tasks.title"))), ctx.title("tasks.new"),
    about ? h("p", { class: "hint", "data-about": about }, t("tasks.about"), ": ", ctx.query.get("label") || about) : null,
    form([
      field(t("tasks.f_title"), "title", { required: true, value: ctx.query.get("title") || "" }),
      field(t("tasks.description"), "description", { kind: "textarea", rows: 4 }),
      field(t("tasks.due_on"), "due_on", { type: "date" }),
      ...whoFields(teams),
    ], async (v) => {
      const task = await post("/v1/tasks", { title: v.title, description: v.description || undefined, due_on: v.due_on || undefined,
        team_id: v.team_id || undefined, assignee_id: v.assignee_id || undefined, about: about || undefined });
      navigate(`/tasks/${task.id}`);
    }, { submit: t("tasks.create") }));
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const [task, teams] = await Promise.all([get(`/v1/tasks/${id}`), get("/v1/teams")]);
  if (!ctx.current()) return;
  const changeForm = form([
    field(t("tasks.status"), "status", { kind: "select", value: task.status, options: STATUSES.map((s) => [s, t(`task_status.${s}`)]) }),
    field(t("tasks.due_on"), "due_on", { type: "date", value: task.due_on || "" }),
    ...whoFields(teams, task),
  ], async (v) => {
    await patch(`/v1/tasks/${id}`, { status: v.status, due_on: v.due_on || null, team_id: v.team_id || null, assignee_id: v.assignee_id || null });
    detail(ctx);
  }, { submit: t("action.save"), class: "task-change" });
  const comment = form([field(t("tasks.comment"), "text", { kind: "textarea", rows: 3, required: true })], async (v) => {
    await post(`/v1/tasks/${id}/comments`, { text: v.text });
    detail(ctx);
  }, { submit: t("tasks.comment_send"), class: "task-comment" });
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/tasks" }, t("tasks.title"))), ctx.title("tasks.task", { title: task.title }),
    h("p", {}, badge("task_status", task.status)),
    task.description ? h("p", { class: "text" }, task.description) : null,
    dl([
      [t("tasks.due_on"), due(task)],
      [t("tasks.team"), task.team?.name],
      [t("tasks.assignee"), task.assignee ? person(task.assignee.name) : null],
      [t("tasks.about"), aboutLink(task.about)],
      [t("tasks.created_by"), task.created_by.name ? person(task.created_by.name) : t("tasks.by_api")],
      [t("tasks.created_at"), fmtDate(task.created_at)],
      task.closed_at ? [t("tasks.closed_at"), fmtDate(task.closed_at)] : null,
    ]),
    h("p", { class: "hint" }, t("tasks.internal")),
    h("h2", {}, t("tasks.change")), changeForm,
    h("h2", {}, t("tasks.comments")),
    task.comments.length ? h("ol", { class: "messages", id: "comments" }, task.comments.map((c) => h("li", { "data-id": c.id },
      h("p", { class: "from" }, h("strong", {}, person(c.user.name)), " · ", h("time", { datetime: c.created_at }, fmtDate(c.created_at))),
      h("p", { class: "text" }, c.text)))) : h("p", { class: "empty" }, t("tasks.no_comments")),
    comment);
}

export async function teams(ctx) {
  const list = await get("/v1/teams");
  if (!ctx.current()) return;
  const manage = can("users.manage");
  const redraw = () => teams(ctx);
  const member = (team) => {
    const others = list.people.filter((p) => !team.members.some((m) => m.id === p.id));
    const remove = (m) => action("×", async () => { await del(`/v1/teams/${team.id}/members/${m.id}`); redraw(); }, { class: "link" });
    return h("li", { "data-team": team.id }, h("strong", {}, team.name), " ",
      team.members.length ? team.members.map((m) => h("span", { class: "pill", "data-member": m.id }, person(m.name), manage ? remove(m) : null))
        : h("span", { class: "empty" }, t("teams.no_members")),
      manage && others.length ? form([field(t("teams.add_member"), "user_id", { kind: "select", options: others.map((p) => [p.id, person(p.name)]) })],
        async (v) => { await put(`/v1/teams/${team.id}/members/${v.user_id}`, {}); redraw(); }, { submit: t("teams.add"), class: "team-member" }) : null,
      manage ? action(t("teams.delete"), async () => { await del(`/v1/teams/${team.id}`); redraw(); }, { class: "danger" }) : null);
  };
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/tasks" }, t("tasks.title"))), ctx.title("teams.title"),
    h("p", { class: "hint" }, t("teams.intro")),
    list.data.length ? h("ul", { class: "teams" }, list.data.map(member)) : h("p", { class: "empty" }, t("teams.none")),
    manage ? [h("h2", {}, t("teams.new")), form([field(t("teams.name"), "name", { required: true })], async (v) => {
      await post("/v1/teams", { name: v.name });
      redraw();
    }, { submit: t("teams.create"), class: "team-new" })] : notice(t("teams.manage_hint"), "info"));
}
