// The portal's shell: the router (real links, history API), the header with navigation and the
// language switch, and the boot that picks the language (the user's setting, else the browser's).
import { session, saveSession, get, patch, post, clearSession, whenSignedOut } from "./api.js";
import { t, setLanguage, guessLanguage, language, LANGUAGES } from "./i18n.js";
import { h, show, errorText, notice } from "./ui.js";

// [path pattern, module, export, public (no login needed)]
const ROUTES = [
  ["/login", "auth", "login", true],
  ["/signup", "auth", "signup", true],
  ["/confirm", "auth", "confirm", true],
  ["/forgot-password", "auth", "forgot", true],
  ["/reset-password", "auth", "reset", true],
  ["/accept-invitation", "auth", "accept", true],
  ["/", "dashboard", "dashboard"],
  ["/partners", "partners", "list"],
  ["/partners/:id", "partners", "detail"],
  ["/mailbox", "mailbox", "list"],
  ["/mailbox/upload", "mailbox", "upload"],
  ["/documents/:id", "mailbox", "detail"],
  ["/orders/:id", "mailbox", "order"],
  ["/invoices", "invoices", "list"],
  ["/invoices/:id", "invoices", "detail"],
  ["/approvals", "approvals", "list"],
  ["/approvals/:id", "approvals", "detail"],
  ["/talk", "talk", "list"],
  ["/talk/new", "talk", "start"],
  ["/talk/:id", "talk", "thread"],
  ["/threads/:id", "talk", "thread"], // the link in the info mail about a message
  ["/contacts", "contacts", "contacts"],
  ["/projects", "projects", "list"],
  ["/projects/:id", "projects", "detail"],
  ["/staff", "projects", "staff"],
  ["/appointments/:id", "projects", "appointment"],
  ["/calendar", "calendar", "calendar"],
  ["/tasks", "tasks", "list"],
  ["/tasks/new", "tasks", "create"],
  ["/tasks/teams", "tasks", "teams"],
  ["/tasks/:id", "tasks", "detail"],
  ["/complaints", "complaints", "list"],
  ["/complaints/new", "complaints", "create"],
  ["/complaints/:id", "complaints", "detail"],
  ["/quotes", "quotes", "list"],
  ["/quotes/new", "quotes", "create"],
  ["/quotes/:id", "quotes", "detail"],
  ["/catalogs", "catalog", "list"],
  ["/catalogs/:id", "catalog", "detail"],
  ["/catalog-orders", "catalog", "orders"],
  ["/admin/users", "admin", "users"],
  ["/admin/users/:id", "admin", "user"],
  ["/admin/api-keys", "admin", "apiKeys"],
  ["/admin/connectors", "admin", "connectors"],
  ["/admin/webhooks", "admin", "webhooks"],
  ["/admin/webhooks/:id", "admin", "webhook"],
  ["/admin/audit", "admin", "audit"],
  ["/admin/company", "admin", "company"],
  ["/admin/mail", "admin", "mailOpenings"],
  ["/settings", "admin", "settings"],
];

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, mod, fn, pub] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(":") ? ((params[w.slice(1)] = decodeURIComponent(parts[i])), true) : w === parts[i]))) {
      return { mod, fn, pub, params };
    }
  }
  return null;
}

export const state = { me: null, companies: [] };
export const can = (perm) => Boolean(state.me?.permissions?.includes(perm));

let timers = [];
let renderSeq = 0;

export function navigate(to, replace = false) {
  if (replace) history.replaceState(null, "", to); else history.pushState(null, "", to);
  render();
}

whenSignedOut(() => {
  clearSession();
  state.me = null;
  const here = location.pathname + location.search;
  if (!match(location.pathname)?.pub) navigate(`/login?next=${encodeURIComponent(here)}`, true);
});

async function loadMe() {
  if (!session()) { state.me = null; return; }
  if (state.me) return;
  state.me = await get("/v1/me");
  // The companies the person works for (the switcher shows when there are several).
  state.companies = state.me?.user ? (await get("/v1/me/companies").catch(() => ({ data: [] }))).data : [];
  if (state.me?.user?.language) await setLanguage(state.me.user.language);
}

/** Logs the person in at another of their companies and opens its dashboard. */
export async function switchCompany(companyId) {
  saveSession(await post("/v1/auth/switch", { company_id: companyId }));
  state.me = null;
  navigate("/");
}

function header(path) {
  const top = document.getElementById("top");
  const langSelect = h("select", { id: "language", "aria-label": t("nav.language") },
    LANGUAGES.map((l) => h("option", { value: l, selected: l === language() }, t(`language.${l}`))));
  langSelect.addEventListener("change", async () => {
    const lang = langSelect.value;
    if (state.me?.user) {
      try { state.me.user = (await patch("/v1/me", { language: lang })).user; } catch { /* the choice still applies here */ }
    }
    await setLanguage(lang);
    render();
  });
  const link = (href, key) => {
    const active = href === "/" ? path === "/" : path === href || path.startsWith(href + "/") ||
      (href === "/mailbox" && /^\/(documents|orders)\//.test(path)) || (href === "/talk" && path.startsWith("/threads/")) ||
      (href === "/projects" && path === "/staff") || (href === "/calendar" && path.startsWith("/appointments/")) || (href === "/catalogs" && path === "/catalog-orders") || (href.startsWith("/admin") && path.startsWith("/admin"));
    return h("li", {}, h("a", { href, "aria-current": active ? "page" : null }, t(key)));
  };
  const nav = state.me ? h("nav", { "aria-label": t("nav.main") }, h("ul", {},
    link("/", "nav.dashboard"), link("/partners", "nav.partners"), link("/mailbox", "nav.mailbox"),
    can("documents.receive") || can("documents.send") ? link("/invoices", "nav.invoices") : null,
    link("/approvals", "nav.approvals"), link("/talk", "nav.talk"), link("/projects", "nav.projects"), link("/calendar", "nav.calendar"),
    link("/tasks", "nav.tasks"),
    can("documents.send") || can("documents.receive") ? link("/quotes", "nav.quotes") : null,
    can("complaints") ? link("/complaints", "nav.complaints") : null,
    can("catalog") ? link("/catalogs", "nav.catalogs") : null,
    link("/contacts", "nav.contacts"),
    can("users.manage") ? link("/admin/users", "nav.admin") : can("webhooks.manage") ? link("/admin/webhooks", "nav.admin") : null,
    link("/settings", "nav.settings"))) : null;
  let company = h("small", {}, state.me?.company?.name);
  if (state.companies.length > 1) {
    company = h("select", { id: "company-switch", "aria-label": t("nav.company") },
      state.companies.map((a) => h("option", { value: a.company.id, selected: a.current }, a.company.name)));
    company.addEventListener("change", () => switchCompany(company.value).catch((err) => alert(errorText(err))));
  }
  const who = state.me?.user ? h("div", { class: "who" },
    h("span", {}, state.me.user.name, company),
    h("button", { type: "button", id: "logout", onclick: logout }, t("nav.logout"))) : null;
  document.querySelector(".skip").textContent = t("nav.skip");
  top.replaceChildren(h("div", { class: "bar" }, h("a", { class: "brand", href: "/" }, "Tradepost"), nav, h("div", { class: "tools" }, langSelect, who)));
}

async function logout() {
  const s = session();
  if (s) await post("/v1/auth/logout", { refresh_token: s.refresh }).catch(() => {});
  clearSession();
  state.me = null;
  navigate("/login");
}

export async function render() {
  const seq = ++renderSeq;
  timers.forEach(clearInterval);
  timers = [];
  const main = document.getElementById("main");
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const route = match(path);
  try {
    if (!route?.pub) await loadMe();
  } catch (err) {
    if (seq !== renderSeq) return;
    header(path);
    show(main, notice(errorText(err), "error"));
    return;
  }
  if (seq !== renderSeq) return;
  if (route && !route.pub && !state.me) { navigate(`/login?next=${encodeURIComponent(path + location.search)}`, true); return; }
  header(path);
  if (!route) {
    document.title = `${t("notfound.title")} · Tradepost`;
    show(main, h("h1", { tabindex: -1 }, t("notfound.title")), h("p", {}, h("a", { href: "/" }, t("notfound.home"))));
    return;
  }
  const ctx = {
    params: route.params,
    query: new URLSearchParams(location.search),
    main,
    current: () => seq === renderSeq,
    poll: (fn, ms) => timers.push(setInterval(() => { if (seq === renderSeq && !document.hidden) fn(); }, ms)),
    title(key, params) {
      document.title = `${t(key, params)} · Tradepost`;
      return h("h1", { tabindex: -1 }, t(key, params));
    },
  };
  main.setAttribute("aria-busy", "true");
  try {
    const mod = await import(`./pages/${route.mod}.js`);
    await mod[route.fn](ctx);
  } catch (err) {
    if (seq === renderSeq) show(main, h("h1", { tabindex: -1 }, t("error.title")), notice(errorText(err), "error"));
  } finally {
    if (seq === renderSeq) {
      main.removeAttribute("aria-busy");
      main.dataset.page = `${route.mod}.${route.fn}`;
      if (moved) main.querySelector("h1")?.focus({ preventScroll: true });
      moved = false;
    }
  }
}

let moved = false;
document.addEventListener("click", (e) => {
  const a = e.target.closest("a[href]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/v1/")) return;
  e.preventDefault();
  moved = true;
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => render());

await setLanguage(session()?.user?.language || guessLanguage());
render();
