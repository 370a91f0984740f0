// DOM helpers: elements built with textContent (never HTML from data), forms whose API errors
// appear next to the field they name, tables, badges and the document status bar.
import { ApiError } from "./api.js";
import { t, tMaybe, fmtDate } from "./i18n.js";

/** h("a", {href: "/x", class: "btn"}, "text", child…): an element; on* attributes are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** The text of an API error in the user's language: by its code, else the API's detail. */
export function errorText(err) {
  if (err instanceof ApiError) return tMaybe("error." + err.code) || err.detail || t("error.generic");
  return t("error.network");
}

/** Replaces el's content with children (nested arrays flattened; null, undefined, false skipped). */
export function show(el, ...children) {
  const f = document.createDocumentFragment();
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) f.append(c instanceof Node ? c : String(c));
  el.replaceChildren(f);
}

let fieldSeq = 0;
/** A labelled form field. kind: input type, "select" (options [[value, label]]), "textarea". */
export function field(label, name, opts = {}) {
  const id = `f-${name.replace(/[^\w-]/g, "_")}-${++fieldSeq}`;
  let control;
  const common = { id, name, required: opts.required, autocomplete: opts.autocomplete, "data-field": name };
  if (opts.kind === "select") {
    control = h("select", common, (opts.options || []).map(([v, l]) =>
      h("option", { value: v, selected: String(opts.value ?? "") === String(v) }, l)));
  } else if (opts.kind === "textarea") {
    control = h("textarea", { ...common, rows: opts.rows || 3 });
    control.value = opts.value ?? "";
  } else {
    control = h("input", { ...common, type: opts.type || "text", value: opts.value ?? "",
      placeholder: opts.placeholder, min: opts.min, max: opts.max, step: opts.step,
      multiple: opts.multiple, accept: opts.accept, inputmode: opts.inputmode });
  }
  return h("div", { class: "field" }, h("label", { for: id }, label), opts.hint ? h("small", { class: "hint" }, opts.hint) : null, control);
}

/** A fieldset of checkboxes named name, one per [value, label]; checked: the values ticked. */
export function checkboxes(legend, name, options, checked = []) {
  return h("fieldset", { class: "checks", "data-field": name }, h("legend", {}, legend),
    options.map(([v, l]) => h("label", {}, h("input", { type: "checkbox", name, value: v, checked: checked.includes(v) }), " ", l)));
}

/**
 * A form that runs onSubmit(values, form, submitter) and shows an API error next to the field the problem
 * names (else above the buttons). values: the form's fields; a checkbox group gives an array.
 */
export function form(children, onSubmit, opts = {}) {
  const status = h("p", { class: "form-error", role: "alert", hidden: true });
  const f = h("form", { novalidate: true, class: opts.class || "" }, children, status,
    h("div", { class: "actions" }, h("button", { type: "submit", class: opts.danger ? "danger" : "primary" }, opts.submit || t("action.save")), opts.extra || null));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(f);
    const buttons = [...f.querySelectorAll("button[type=submit]")];
    buttons.forEach((b) => { b.disabled = true; });
    f.setAttribute("aria-busy", "true");
    try {
      await onSubmit(values(f), f, e.submitter);
    } catch (err) {
      showError(f, err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      f.removeAttribute("aria-busy");
    }
  });
  return f;
}

export function values(f) {
  const out = {};
  for (const el of f.elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") {
      if (!Array.isArray(out[el.name])) out[el.name] = [];
      if (el.checked) out[el.name].push(el.value);
    } else if (el.type === "file") out[el.name] = el.files;
    else out[el.name] = el.value.trim();
  }
  return out;
}

function clearErrors(f) {
  f.querySelectorAll(".field-error").forEach((e) => e.remove());
  f.querySelectorAll("[aria-invalid]").forEach((e) => { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
  const status = f.querySelector(".form-error");
  status.hidden = true;
  status.textContent = "";
}

/** Shows err next to the field it names (settings.x, items[2] count for their field), else on the form. */
export function showError(f, err) {
  const text = errorText(err);
  const name = err instanceof ApiError ? err.field : null;
  let target = null;
  if (name) {
    const candidates = [name, name.replace(/\[\d+\]$/, ""), name.split(".").pop(), name.split(/[.[]/)[0]];
    for (const c of candidates) {
      target = f.querySelector(`[data-field="${CSS.escape(c)}"]`);
      if (target) break;
    }
  }
  if (target) {
    const msg = h("p", { class: "field-error", id: `${target.id || "e"}-error-${++fieldSeq}` }, text);
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", msg.id);
    target.after(msg);
    target.focus();
  } else {
    const status = f.querySelector(".form-error");
    status.textContent = text;
    status.hidden = false;
  }
}

/** A notice (role=status) shown at the top of a container. */
export function notice(text, kind = "ok") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** A button that runs fn and shows an error beside itself; busy while it runs. */
export function action(label, fn, opts = {}) {
  const b = h("button", { type: "button", class: opts.class || "", id: opts.id }, label);
  b.addEventListener("click", async () => {
    b.disabled = true;
    b.parentElement?.querySelectorAll(":scope > .field-error").forEach((e) => e.remove());
    try { await fn(); } catch (err) { b.after(h("p", { class: "field-error", role: "alert" }, errorText(err))); } finally { b.disabled = false; }
  });
  return b;
}

export function table(headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty || t("common.empty"));
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}

/** A translated enum value: label("status", "new") → t("status.new"), falling back to the value. */
export const label = (group, value) => (value == null ? "—" : tMaybe(`${group}.${value}`) || value);
export const badge = (group, value) => h("span", { class: `badge ${group}-${value}` }, label(group, value));

export function dl(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

/** The path a document travels; the status bar marks the steps reached. */
const PATH = ["new", "downloaded", "imported", "accepted", "in_progress", "shipped", "delivered", "completed"];
export function statusBar(doc) {
  const reached = new Set((doc.history || []).map((e) => e.status));
  reached.add(doc.status);
  const steps = PATH.includes(doc.status) || doc.status === "held" ? [...(doc.status === "held" ? ["held"] : []), ...PATH] : [...PATH.filter((s) => reached.has(s)), doc.status];
  const at = Object.fromEntries((doc.history || []).map((e) => [e.status, e.at]));
  const here = steps.indexOf(doc.status);
  return h("ol", { class: "statusbar", "aria-label": t("document.statusbar") },
    steps.map((s, i) => {
      // passed: a step the document went past without a report of its own (new → shipped).
      const cls = s === doc.status ? "current" : reached.has(s) ? "done" : i < here ? "passed" : "todo";
      return h("li", { class: cls, "data-status": s, "aria-current": s === doc.status ? "step" : null },
        h("span", { class: "step" }, label("status", s)), at[s] ? h("small", {}, fmtDate(at[s])) : null);
    }));
}
