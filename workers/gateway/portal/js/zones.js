// Time zones for appointments: a time is entered and shown in the LOCATION's zone, whatever the
// browser's. Intl.DateTimeFormat with timeZone gives a zone's wall clock at an instant; from it
// the offset at that instant, and from the offset the instant of a wall clock time (the offset
// of the day itself, so a date after a DST change gets its own offset, not today's).
export const ZONES = ["Europe/Berlin", "Europe/Warsaw", "Europe/Vienna", "Europe/Zurich", "Europe/London", "UTC"];

export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const clocks = new Map();
function clock(zone) {
  if (!clocks.has(zone)) {
    clocks.set(zone, new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }));
  }
  return clocks.get(zone);
}

/** The wall clock of zone at the instant ms: {y, m, d, hh, mm, ss} (numbers). */
export function wallClock(ms, zone) {
  const p = Object.fromEntries(clock(zone).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), hh: Number(p.hour) % 24, mm: Number(p.minute), ss: Number(p.second) };
}

/** The offset of zone from UTC at the instant ms, in minutes (Berlin in winter: 60). */
export function offsetMinutes(ms, zone) {
  const w = wallClock(ms, zone);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm, w.ss);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/**
 * The instant (ms) at which the clocks of zone show date ("YYYY-MM-DD") and time ("HH:MM");
 * null when either does not parse. A time in the hour skipped in spring counts with the offset
 * before the change (02:30 becomes 03:30); one of the hour repeated in autumn is the first.
 */
export function zonedToInstant(date, time, zone) {
  const dm = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
  const tm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time || "");
  if (!dm || !tm) return null;
  const wall = Date.UTC(Number(dm[1]), Number(dm[2]) - 1, Number(dm[3]), Number(tm[1]), Number(tm[2]), Number(tm[3] || 0));
  if (Number.isNaN(wall)) return null;
  // Two candidates: the offset a few hours before and after the wall time; the one whose
  // instant shows that wall time wins (the earlier one when both do, in the repeated hour).
  const before = offsetMinutes(wall - 12 * 3600e3, zone);
  const after = offsetMinutes(wall + 12 * 3600e3, zone);
  for (const off of before === after ? [before] : [Math.max(before, after), Math.min(before, after)]) {
    const ms = wall - off * 60000;
    if (offsetMinutes(ms, zone) === off) return ms;
  }
  return wall - before * 60000; // a skipped time: the offset before the change
}

/** An instant as RFC 3339 in UTC, whole seconds: 2027-07-15T07:30:00Z. */
export const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const pad = (n) => String(n).padStart(2, "0");
/** The date ("YYYY-MM-DD") the clocks of zone show at the instant iso. */
export function localDate(iso, zone) {
  const w = wallClock(Date.parse(iso), zone);
  return `${w.y}-${pad(w.m)}-${pad(w.d)}`;
}
/** The time ("HH:MM") the clocks of zone show at the instant iso. */
export function localTime(iso, zone) {
  const w = wallClock(Date.parse(iso), zone);
  return `${pad(w.hh)}:${pad(w.mm)}`;
}

/** Calendar days as "YYYY-MM-DD", zone-free (computed in UTC). */
export const today = () => { const d = new Date(); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; };
const dayMs = (day) => { const [y, m, d] = day.split("-").map(Number); return Date.UTC(y, m - 1, d); };
const dayOf = (ms) => { const d = new Date(ms); return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`; };
export const addDays = (day, n) => dayOf(dayMs(day) + n * 86400e3);
export function addMonths(day, n) {
  const [y, m] = day.split("-").map(Number);
  return dayOf(Date.UTC(y, m - 1 + n, 1));
}
/** The Monday of day's week. */
export const monday = (day) => addDays(day, -((new Date(dayMs(day)).getUTCDay() + 6) % 7));
export const firstOfMonth = (day) => `${day.slice(0, 7)}-01`;
export const isDay = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s || "") && !Number.isNaN(dayMs(s)) && dayOf(dayMs(s)) === s;
/** A calendar day as a Date at noon UTC, for formatting with timeZone "UTC". */
export const dayDate = (day) => new Date(dayMs(day) + 12 * 3600e3);
