// Contacts: my business card, sending it to a partner, the cards received, vCard download.
import { get, put, post, download } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { h, show, field, form, table, notice } from "../ui.js";

const CARD = ["name", "title", "company", "email", "phone", "mobile", "street", "postal_code", "city", "country"];

export async function contacts(ctx) {
  const [card, received, rels] = await Promise.all([
    get("/v1/cards/me").catch(() => null), get("/v1/contacts?limit=200"), get("/v1/relationships?status=active&limit=200"),
  ]);
  if (!ctx.current()) return;
  const partners = rels.data.filter((r) => r.services.cards === "enabled").map((r) => r.partner);
  const cardForm = card ? form(CARD.map((k) => field(t(`card.${k}`), k, { value: card[k] ?? "", type: k === "email" ? "email" : k.includes("phone") || k === "mobile" ? "tel" : "text" })),
    async (v, f) => {
      const body = {};
      for (const k of CARD) body[k] = v[k] === "" ? null : v[k];
      await put("/v1/cards/me", body);
      f.before(notice(t("common.saved")));
    }, { submit: t("card.save"), class: "grid" }) : null;
  const sendForm = card && partners.length ? form([field(t("field.partner"), "company_id", { kind: "select", options: partners.map((p) => [p.id, p.name]) })],
    async (v, f) => { await post("/v1/cards/me/send", { company_id: v.company_id }); f.before(notice(t("card.sent"))); }, { submit: t("card.send"), class: "inline" }) : null;
  show(ctx.main, ctx.title("contacts.title"),
    card ? h("section", {}, h("h2", {}, t("card.mine")), cardForm, sendForm ? [h("h3", {}, t("card.send")), sendForm] : null) : null,
    h("section", {}, h("h2", {}, t("contacts.received")),
      table([t("card.name"), t("field.company"), t("card.email"), t("card.phone"), t("field.date"), ""], received.data.map((c) => [
        c.card.name, c.from_company?.name, c.card.email || "", c.card.phone || c.card.mobile || "", fmtDate(c.received_at),
        h("span", { class: "actions" },
          h("button", { type: "button", onclick: () => download(`/v1/contacts/${c.id}/vcard`, `${c.card.name}.vcf`) }, t("contacts.vcard")),
          h("a", { href: `/talk/new?partner=${c.from_company?.id}&to=${c.user_id}` }, t("contacts.write"))),
      ]), t("contacts.none"))));
}
