// The text catalogues: one JSON file per language under /i18n/, loaded once; every text the
// portal shows comes from there through t().
export const LANGUAGES = ["en", "de", "pl"];
let texts = {};
let current = "en";

/** The language to start with before the user's own setting is known. */
export function guessLanguage() {
  const saved = localStorage.getItem("tp.lang");
  if (LANGUAGES.includes(saved)) return saved;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const short = String(l).slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(short)) return short;
  }
  return "en";
}

export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = "en";
  if (lang === current && Object.keys(texts).length) return;
  const res = await fetch(`/i18n/${lang}.json`);
  texts = await res.json();
  current = lang;
  localStorage.setItem("tp.lang", lang);
  document.documentElement.lang = lang;
}

export const language = () => current;

/** The text for key, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const text = texts[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** The text for key if the catalogue has one, else undefined. */
export const tMaybe = (key, params) => (key in texts ? t(key, params) : undefined);

/** A person's name as the API gives it; an erased person ("Former user") in the page's language. */
export const person = (name) => (name === "Former user" ? t("former_user") : name || "");

export const locale = () => ({ en: "en-GB", de: "de-DE", pl: "pl-PL" })[current];
export const fmtDate = (s) => (s ? new Date(s).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" }) : "—");
export function fmtSize(n) {
  if (n == null) return "—";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toLocaleString(locale(), { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}

/** A calendar day as documents state it ("YYYY-MM-DD") in the user's language, never shifted by a time zone. */
export function fmtDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || "");
  if (!m) return day || "—";
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12)).toLocaleDateString(locale(), { timeZone: "UTC", dateStyle: "medium" });
}

/**
 * An exact decimal text as the API sends amounts and quantities ("1234.50") in the user's
 * language, with its currency when given. Intl places the sign, the grouping and the currency;
 * the digits stay the document's own (the whole part as a BigInt, the fraction as written), so
 * nothing is rounded or padded. A text that is no plain decimal is shown as it is.
 */
export function fmtAmount(text, currency) {
  if (text === undefined || text === null || text === "") return "—";
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(String(text).trim());
  const code = /^[A-Z]{3}$/.test(currency || "") ? currency : null;
  if (!m) return currency ? `${text} ${currency}` : String(text);
  const [, sign, whole, frac = ""] = m;
  const digits = frac ? 1 : 0;
  const opts = { minimumFractionDigits: digits, maximumFractionDigits: digits };
  const nf = new Intl.NumberFormat(locale(), code ? { ...opts, style: "currency", currency: code } : opts);
  const n = BigInt(whole);
  // -0.50 keeps its sign: format -1 and put the zero back.
  const parts = nf.formatToParts(sign === "-" ? (n === 0n ? -1n : -n) : n);
  const out = parts.map((p) => (p.type === "integer" && n === 0n ? "0" : p.type === "fraction" ? frac : p.value)).join("");
  return code || !currency ? out : `${out} ${currency}`;
}

/** The decimal separator of the user's language ("," in German and Polish). */
export const decimalSeparator = () => new Intl.NumberFormat(locale()).formatToParts(1.5).find((p) => p.type === "decimal")?.value || ".";
