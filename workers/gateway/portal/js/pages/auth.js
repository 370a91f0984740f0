// The pages before login: log in, sign up, confirm (mail link), forgotten password, new
// password (mail link), accept an invitation (mail link; a colleague or a customer company).
import { api, saveSession, post } from "../api.js";
import { t, language } from "../i18n.js";
import { h, show, field, form, notice } from "../ui.js";
import { navigate, state } from "../app.js";

const card = (...children) => h("section", { class: "auth" }, ...children);

export function login(ctx) {
  const next = ctx.query.get("next");
  const safeNext = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  show(ctx.main, card(ctx.title("login.title"),
    ctx.query.get("done") ? notice(t(`login.done.${ctx.query.get("done")}`)) : null,
    form([
      field(t("field.email"), "email", { type: "email", required: true, autocomplete: "username", value: ctx.query.get("email") || "" }),
      field(t("field.password"), "password", { type: "password", required: true, autocomplete: "current-password" }),
    ], async (v) => {
      const answer = await api("POST", "/v1/auth/login", { json: { email: v.email, password: v.password } });
      saveSession(answer);
      state.me = null;
      navigate(safeNext, true);
    }, { submit: t("login.submit") }),
    h("p", {}, h("a", { href: "/forgot-password" }, t("login.forgot"))),
    h("p", {}, t("login.no_account"), " ", h("a", { href: "/signup" }, t("login.signup")))));
}

export function signup(ctx) {
  show(ctx.main, card(ctx.title("signup.title"),
    form([
      field(t("field.company_name"), "company_name", { required: true, autocomplete: "organization" }),
      field(t("field.handle"), "handle", { required: true, hint: t("field.handle.hint") }),
      field(t("field.name"), "name", { required: true, autocomplete: "name" }),
      field(t("field.email"), "email", { type: "email", required: true, autocomplete: "email" }),
      field(t("field.password"), "password", { type: "password", required: true, autocomplete: "new-password", hint: t("field.password.hint") }),
    ], async (v, f) => {
      await post("/v1/auth/signup", { ...v, language: language() });
      f.replaceWith(notice(t("signup.sent", { email: v.email })));
    }, { submit: t("signup.submit") }),
    h("p", {}, t("signup.have_account"), " ", h("a", { href: "/login" }, t("login.submit")))));
}

export async function confirm(ctx) {
  const status = h("div", { role: "status" }, t("confirm.working"));
  show(ctx.main, card(ctx.title("confirm.title"), status));
  try {
    const answer = await post("/v1/auth/confirm", { token: ctx.query.get("token") || "" });
    status.replaceChildren(notice(t("confirm.done")), h("p", {}, h("a", { href: `/login?email=${encodeURIComponent(answer.user.email)}`, class: "button primary" }, t("login.submit"))));
  } catch (err) {
    status.replaceChildren(notice(err.code === "link_invalid" ? t("error.link_invalid") : err.message, "error"),
      h("p", {}, h("a", { href: "/forgot-password" }, t("confirm.new_link"))));
  }
}

export function forgot(ctx) {
  show(ctx.main, card(ctx.title("forgot.title"), h("p", {}, t("forgot.intro")),
    form([field(t("field.email"), "email", { type: "email", required: true, autocomplete: "email" })],
      async (v, f) => { await post("/v1/auth/password-reset", { email: v.email }); f.replaceWith(notice(t("forgot.sent"))); },
      { submit: t("forgot.submit") })));
}

export function reset(ctx) {
  show(ctx.main, card(ctx.title("reset.title"),
    form([field(t("field.new_password"), "password", { type: "password", required: true, autocomplete: "new-password", hint: t("field.password.hint") })],
      async (v) => {
        const answer = await post("/v1/auth/password-reset/confirm", { token: ctx.query.get("token") || "", password: v.password });
        navigate(`/login?done=reset&email=${encodeURIComponent(answer.user.email)}`, true);
      }, { submit: t("reset.submit") })));
}

export function accept(ctx) {
  show(ctx.main, card(ctx.title("accept.title"), h("p", {}, t("accept.intro")),
    form([
      field(t("field.name"), "name", { autocomplete: "name" }),
      field(t("field.password"), "password", { type: "password", required: true, autocomplete: "new-password", hint: t("field.password.hint") }),
      h("fieldset", {}, h("legend", {}, t("accept.company_only")),
        field(t("field.company_name"), "company_name", { autocomplete: "organization" }),
        field(t("field.handle"), "handle", { hint: t("field.handle.hint") })),
    ], async (v) => {
      const body = { token: ctx.query.get("token") || "", language: language() };
      for (const [k, val] of Object.entries(v)) if (val) body[k] = val;
      const answer = await post("/v1/auth/accept-invitation", body);
      navigate(`/login?done=accepted&email=${encodeURIComponent(answer.user.email)}`, true);
    }, { submit: t("accept.submit") })));
}
