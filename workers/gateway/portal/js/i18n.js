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

export const locale = () => ({ en: "en-GB", de: "de-DE", pl: "pl-PL" })[current];
export const fmtDate = (s) => (s ? new Date(s).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" }) : "—");
export function fmtSize(n) {
  if (n == null) return "—";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toLocaleString(locale(), { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}
