// The calendar (issue 14): the appointments I may see in a week or a month, each on the day and
// at the time of its LOCATION's clocks (the zone named when it is not the browser's), coloured
// by status, a link to the appointment; and the calendar feeds ("subscribe from URL" in
// Outlook or Google Calendar): create one (its URL shown once), list, revoke.
import { get, getAll, post, del, withQuery } from "../api.js";
import { t, fmtDate, locale } from "../i18n.js";
import { h, show, form, table, action, notice, errorText, label } from "../ui.js";
import { browserZone, rfc3339, localDate, localTime, today, addDays, addMonths, monday, firstOfMonth, isDay, dayDate } from "../zones.js";
import { projectTabs, zoneOf, APPOINTMENT_STATUSES } from "./projects.js";

const dayLabel = (day, opts) => dayDate(day).toLocaleDateString(locale(), { timeZone: "UTC", ...opts });

/** All appointments between from and to (RFC 3339). */
const appointmentsBetween = (from, to) => getAll("/v1/appointments", { from, to });

function event(a, compact) {
  const zone = zoneOf(a);
  const start = localTime(a.starts_at, zone);
  const end = a.ends_at ? localTime(a.ends_at, zone) : "";
  return h("a", { href: `/appointments/${a.id}`, class: `event apt-${a.status}`, "data-appointment": a.id, "data-status": a.status,
    "data-start": `${localDate(a.starts_at, zone)}T${start}`, "data-zone": zone },
  h("span", { class: "time" }, start, end ? h("span", { class: "end" }, `–${end}`) : null), zone !== browserZone() ? h("small", { class: "zone" }, zone) : null,
  h("span", { class: "title" }, a.title),
  compact ? h("span", { class: "visually-hidden" }, label("aptstatus", a.status)) : [
    h("span", { class: "where" }, [a.location?.name, a.location?.city].filter(Boolean).join(" · ")),
    h("span", { class: "state" }, label("aptstatus", a.status)),
    a.staff?.length ? h("ul", { class: "staff" }, a.staff.map((s) => h("li", {}, h("span", { class: "name" }, s.name), s.role ? [" (", h("span", { class: "role" }, s.role), ")"] : null))) : null,
  ]);
}

export async function calendar(ctx) {
  const view = ctx.query.get("view") === "month" ? "month" : "week";
  const anchor = isDay(ctx.query.get("date")) ? ctx.query.get("date") : today();
  let first;
  let last;
  if (view === "week") {
    first = monday(anchor);
    last = addDays(first, 6);
  } else {
    const start = firstOfMonth(anchor);
    first = monday(start);
    last = addDays(monday(addDays(addMonths(start, 1), -1)), 6);
  }
  // A day's margin either side: an appointment counts on the day its location's clocks show.
  const from = rfc3339(Date.parse(`${addDays(first, -1)}T00:00:00Z`));
  const to = rfc3339(Date.parse(`${addDays(last, 2)}T00:00:00Z`));
  const [appointments, feeds] = await Promise.all([appointmentsBetween(from, to), get("/v1/calendar-feeds").catch((error) => ({ error }))]);
  if (!ctx.current()) return;
  const byDay = new Map();
  for (const a of appointments.slice().sort((x, y) => x.starts_at.localeCompare(y.starts_at))) {
    const day = localDate(a.starts_at, zoneOf(a));
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day).push(a);
  }
  const now = today();
  const step = (n) => (view === "week" ? addDays(anchor, 7 * n) : addMonths(firstOfMonth(anchor), n));
  const range = view === "week"
    ? `${dayLabel(first, { day: "numeric", month: "short" })} – ${dayLabel(last, { day: "numeric", month: "short", year: "numeric" })}`
    : dayLabel(firstOfMonth(anchor), { month: "long", year: "numeric" });
  const toolbar = h("div", { class: "cal-toolbar" },
    h("nav", { class: "tabs cal-views", id: "cal-view", "aria-label": t("calendar.view") }, h("ul", {}, ["week", "month"].map((v) =>
      h("li", {}, h("a", { href: withQuery("/calendar", { view: v, date: anchor }), "data-view": v, "aria-current": v === view ? "page" : null }, t(`calendar.${v}`)))))),
    h("div", { class: "actions" },
      h("a", { class: "button", id: "cal-prev", href: withQuery("/calendar", { view, date: step(-1) }) }, "‹ ", t(`calendar.prev_${view}`)),
      h("a", { class: "button", id: "cal-today", href: withQuery("/calendar", { view }) }, t("calendar.today")),
      h("a", { class: "button", id: "cal-next", href: withQuery("/calendar", { view, date: step(1) }) }, t(`calendar.next_${view}`), " ›")),
    h("h2", { id: "cal-range", "data-first": first, "data-last": last }, range));

  const days = [];
  for (let d = first; d <= last; d = addDays(d, 1)) days.push(d);
  const month = anchor.slice(0, 7);
  const grid = view === "week"
    ? h("div", { class: "calendar week", id: "calendar", "data-view": "week" }, days.map((d) => h("section", { class: d === now ? "day today" : "day", "data-day": d },
      h("h3", {}, h("span", { class: "weekday" }, dayLabel(d, { weekday: "long" })), " ", h("span", { class: "date" }, dayLabel(d, { day: "numeric", month: "short" }))),
      (byDay.get(d) || []).length ? h("ol", { class: "events" }, byDay.get(d).map((a) => h("li", {}, event(a, false)))) : h("p", { class: "empty" }, t("calendar.free")))))
    : h("div", { class: "calendar month", id: "calendar", "data-view": "month" },
      days.slice(0, 7).map((d) => h("div", { class: "weekday-head", "aria-hidden": "true" }, dayLabel(d, { weekday: "short" }))),
      days.map((d) => h("section", { class: ["day", d === now ? "today" : "", d.slice(0, 7) === month ? "" : "other-month"].filter(Boolean).join(" "), "data-day": d },
        h("h3", {}, h("span", { class: "visually-hidden" }, dayLabel(d, { weekday: "long" }), " "), h("span", { class: "date" }, dayLabel(d, { day: "numeric" }))),
        (byDay.get(d) || []).length ? h("ol", { class: "events" }, byDay.get(d).map((a) => h("li", {}, event(a, true)))) : null)));

  const zones = new Set(appointments.map(zoneOf));
  const legend = h("ul", { class: "legend", "aria-label": t("calendar.legend") },
    APPOINTMENT_STATUSES.map((s) => h("li", { class: `apt-${s}` }, label("aptstatus", s))));
  show(ctx.main, ctx.title("calendar.title"), projectTabs("/calendar"), toolbar,
    h("p", { class: "hint", id: "cal-zone-hint" }, t([...zones].some((z) => z !== browserZone()) ? "calendar.zones_differ" : "calendar.zones", { zone: browserZone() })),
    grid, appointments.length ? null : h("p", { class: "empty", id: "cal-empty" }, t(`calendar.none_${view}`)), legend,
    feedsSection(feeds));
}

function feedsSection(feeds) {
  const shown = h("div", { id: "feed-new" });
  const listBox = h("div", { id: "feed-list" });
  const revoke = (f) => {
    const b = action(t("feed.revoke"), async () => {
      if (!confirm(t("feed.revoke_confirm"))) return;
      await del(`/v1/calendar-feeds/${encodeURIComponent(f.id)}`);
      drawList(await get("/v1/calendar-feeds").catch((error) => ({ error })));
    }, { class: "danger" });
    b.dataset.action = "revoke-feed";
    return b;
  };
  const drawList = (list) => {
    if (list.error) { listBox.replaceChildren(notice(errorText(list.error), "error")); return; }
    const rows = (list.data || []).map((f) => h("tr", { "data-feed": f.id, "data-revoked": f.revoked_at ? "true" : "false" },
      h("td", {}, fmtDate(f.created_at)),
      h("td", {}, f.revoked_at ? t("feed.revoked_at", { at: fmtDate(f.revoked_at) }) : t("feed.active")),
      h("td", {}, f.revoked_at ? "" : revoke(f))));
    listBox.replaceChildren(rows.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, [t("field.created"), t("field.status"), ""].map((x) => h("th", { scope: "col" }, x)))), h("tbody", {}, rows)))
      : h("p", { class: "empty" }, t("feed.none")));
  };
  drawList(feeds);
  const create = form([], async () => {
    const created = await post("/v1/calendar-feeds");
    const url = created.url && created.url.startsWith("/") ? location.origin + created.url : created.url;
    const copied = h("span", { class: "hint", role: "status" });
    shown.replaceChildren(h("section", { class: "panel secret" }, h("h3", {}, t("feed.created")),
      h("p", {}, t("feed.shown_once")), h("p", {}, h("code", { id: "feed-url" }, url || "")),
      h("div", { class: "actions" }, h("button", { type: "button", id: "feed-copy", onclick: async () => {
        try { await navigator.clipboard.writeText(url); copied.textContent = t("feed.copied"); } catch { copied.textContent = t("feed.copy_by_hand"); }
      } }, t("action.copy")), copied),
      h("ul", { class: "how" }, h("li", {}, t("feed.how_outlook")), h("li", {}, t("feed.how_google")), h("li", {}, t("feed.how_apple")))));
    shown.querySelector("h3").setAttribute("tabindex", "-1");
    shown.querySelector("h3").focus();
    drawList(await get("/v1/calendar-feeds").catch((error) => ({ error })));
  }, { submit: t("feed.create") });
  create.id = "feed-create";
  return h("section", { id: "feeds" }, h("h2", {}, t("feed.title")), h("p", {}, t("feed.intro")), h("p", { class: "hint" }, t("feed.privacy")),
    shown, create, h("h3", {}, t("feed.list")), listBox);
}
