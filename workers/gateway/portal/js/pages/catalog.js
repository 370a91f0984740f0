// Catalogs and ordering: the catalogs the company keeps (as supplier: import a CSV or BMEcat
// file with its progress and report, enable customers) and those its suppliers enabled for it
// (as customer: search in the person's language at its own prices, a cart kept in this browser,
// lines pasted as SKU;quantity, the order placed into the supplier's inbox), and the history of
// orders placed and received.
import { get, post, put, patch, del, send, download, withQuery } from "../api.js";
import { t, fmtDate, fmtDay, fmtAmount, language } from "../i18n.js";
import { h, show, field, form, checkboxes, table, badge, dl, action, notice } from "../ui.js";
import { navigate, state } from "../app.js";

export async function list(ctx) {
  const [page, rates] = await Promise.all([get("/v1/catalogs"), get("/v1/exchange-rates")]);
  if (!ctx.current()) return;
  const redraw = () => list(ctx);
  const own = page.data.filter((c) => c.side === "supplier");
  const theirs = page.data.filter((c) => c.side === "customer");
  const rows = (cs) => cs.map((c) => [h("a", { href: `/catalogs/${c.id}` }, c.name), c.supplier_name, c.currency, String(c.product_count), fmtDate(c.updated_at)]);
  const head = [t("catalog.name"), t("catalog.supplier"), t("catalog.currency"), t("catalog.products"), t("catalog.updated_at")];
  show(ctx.main, ctx.title("catalog.title"), h("p", { class: "hint" }, t("catalog.intro")),
    h("p", {}, h("a", { href: "/catalog-orders", class: "button", id: "catalog-orders" }, t("catalog.orders"))),
    h("h2", {}, t("catalog.shop")), table(head, rows(theirs), t("catalog.none_enabled")),
    h("h2", {}, t("catalog.own")), table(head, rows(own), t("catalog.none_own")),
    form([
      field(t("catalog.name"), "name", { required: true }),
      field(t("catalog.currency"), "currency", { value: "EUR", required: true }),
    ], async (v) => {
      const made = await post("/v1/catalogs", { name: v.name, currency: v.currency });
      navigate(`/catalogs/${made.id}`);
    }, { submit: t("catalog.create"), class: "catalog-new" }),
    // The supplier's exchange rates: its customers see their prices converted, never the rates.
    h("h2", {}, t("catalog.rates")), h("p", { class: "hint" }, t("catalog.rates_hint")),
    h("div", { id: "catalog-rates" }, table([t("catalog.rate_base"), t("catalog.rate_currency"), t("catalog.rate"), t("catalog.updated_at"), ""],
      rates.data.map((r) => [r.base, r.currency, r.rate, fmtDate(r.updated_at),
        action(t("catalog.rate_remove"), async () => { await put("/v1/exchange-rates", { rates: [{ base: r.base, currency: r.currency, rate: null }] }); redraw(); }, { class: "link" })]),
      t("catalog.no_rates"))),
    form([
      field(t("catalog.rate_base"), "base", { value: own[0]?.currency || "EUR", required: true }),
      field(t("catalog.rate_currency"), "currency", { required: true, placeholder: "PLN" }),
      field(t("catalog.rate"), "rate", { required: true, inputmode: "decimal", placeholder: "4.2875" }),
    ], async (v) => {
      await put("/v1/exchange-rates", { rates: [{ base: v.base, currency: v.currency, rate: v.rate }] });
      redraw();
    }, { submit: t("catalog.rate_save"), class: "catalog-rate" }));
}

export async function detail(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  const c = await get(`/v1/catalogs/${id}`);
  if (!ctx.current()) return;
  if (c.side === "supplier") return supplierView(ctx, id, c);
  return shopView(ctx, id, c);
}

function importReport(i) {
  return h("section", { id: "catalog-import", "data-status": i.status },
    h("h3", {}, t("catalog.import_status", { status: t(`catalog.import_${i.status}`) })),
    dl([
      [t("catalog.rows"), String(i.rows)], [t("catalog.created"), String(i.created)], [t("catalog.updated"), String(i.updated)],
      [t("catalog.deleted"), String(i.deleted)], [t("catalog.refused"), String(i.refused)],
      i.failure ? [t("catalog.failure"), i.failure] : null,
    ]),
    i.errors.length ? table([t("catalog.row"), "SKU", t("catalog.field"), t("catalog.reason")],
      i.errors.map((e) => [String(e.row), e.sku || "", e.field, e.detail])) : null);
}

async function supplierView(ctx, id, c) {
  const redraw = () => detail(ctx);
  const rels = await get("/v1/relationships?status=active&limit=200");
  if (!ctx.current()) return;
  const customers = rels.data.filter((r) => r.my_role === "supplier").map((r) => r.partner);
  const enabled = new Set(c.customers.map((x) => x.company_id));
  const progress = h("div", { id: "catalog-progress" }, c.latest_import ? importReport(c.latest_import) : null);
  const products = h("div", { id: "catalog-products" });
  const termsBox = h("div", { id: "catalog-terms" });
  // A customer's ordering terms: a block with its reason, a credit limit, its currency, the
  // addresses it may have goods delivered to (blocks of lines, the first the default).
  const editTerms = async (x) => {
    const tm = await get(`/v1/order-terms/${x.company_id}`);
    show(termsBox, h("h3", {}, t("catalog.terms_for", { name: x.name })), form([
      checkboxes(t("catalog.order_block"), "order_block", [["yes", t("catalog.order_block_on")]], tm.order_block ? ["yes"] : []),
      field(t("catalog.block_reason"), "block_reason", { value: tm.block_reason || "" }),
      field(t("catalog.credit_limit"), "credit_limit", { value: tm.credit_limit || "", inputmode: "decimal" }),
      field(t("catalog.terms_currency"), "currency", { value: tm.currency || "", placeholder: c.currency, hint: t("catalog.terms_currency_hint") }),
      field(t("catalog.delivery_addresses"), "delivery_addresses", { kind: "textarea", rows: 6, value: tm.delivery_addresses.join("\n\n"), hint: t("catalog.delivery_addresses_hint") }),
    ], async (v) => {
      await put(`/v1/order-terms/${x.company_id}`, {
        order_block: v.order_block.includes("yes"), block_reason: v.block_reason || null,
        credit_limit: v.credit_limit || null, currency: v.currency || null,
        delivery_addresses: v.delivery_addresses.split(/\n\s*\n/).map((a) => a.trim()).filter(Boolean),
      });
      show(termsBox, notice(t("catalog.terms_saved", { name: x.name })));
    }, { class: "catalog-terms" }));
  };
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/catalogs" }, t("catalog.title"))),
    ctx.title("catalog.catalog", { name: c.name }),
    dl([[t("catalog.currency"), c.currency], [t("catalog.products"), String(c.product_count)], [t("catalog.updated_at"), fmtDate(c.updated_at)]]),
    form([field(t("catalog.order_format"), "order_format", { kind: "select", value: c.order_format,
      hint: t("catalog.order_format_hint"), options: [["ubl", t("catalog.format_ubl")], ["opentrans", t("catalog.format_opentrans")]] })],
    async (v) => { await patch(`/v1/catalogs/${id}`, { order_format: v.order_format }); redraw(); }, { class: "catalog-format" }),
    h("h2", {}, t("catalog.import")), h("p", { class: "hint" }, t("catalog.import_hint")),
    form([field(t("catalog.file"), "file", { type: "file", required: true, accept: ".csv,.xml,text/csv,application/xml" })], async (v) => {
      const file = v.file?.[0];
      if (!file) return;
      // The import reports its progress while the file streams in: follow it.
      let running = true;
      const follow = async () => {
        while (running) {
          await new Promise((r) => setTimeout(r, 1000));
          const now = await get(`/v1/catalogs/${id}`).catch(() => null);
          if (running && now?.latest_import?.status === "running") show(progress, importReport(now.latest_import));
        }
      };
      follow();
      try {
        const report = await send("POST", `/v1/catalogs/${id}/imports`, file,
          { "content-type": file.type || "application/octet-stream", "tradepost-filename": encodeURIComponent(file.name) });
        running = false;
        show(progress, importReport(report));
      } finally { running = false; }
      productList(products, id, c, "");
    }, { submit: t("catalog.import_submit"), class: "catalog-import" }),
    progress,
    h("p", { id: "catalog-export" }, t("catalog.export"), " ",
      action(t("catalog.export_csv"), () => download(`/v1/catalogs/${id}/export?format=csv`, `${c.name}.csv`), { class: "link export-csv" }), " ",
      action(t("catalog.export_bmecat"), () => download(`/v1/catalogs/${id}/export?format=bmecat`, `${c.name}.xml`), { class: "link export-bmecat" })),
    h("h2", {}, t("catalog.customers")),
    h("div", { id: "catalog-customers" }, table([t("catalog.customer"), t("catalog.enabled_at"), ""], c.customers.map((x) => [x.name, fmtDate(x.enabled_at),
      h("span", {}, action(t("catalog.terms"), () => editTerms(x), { class: "link terms" }), " ",
        action(t("catalog.disable"), async () => { await del(`/v1/catalogs/${id}/customers/${x.company_id}`); redraw(); }, { class: "link" }))]), t("catalog.no_customers"))),
    termsBox,
    customers.filter((p) => !enabled.has(p.id)).length ? form([
      field(t("catalog.customer"), "partner", { kind: "select", options: customers.filter((p) => !enabled.has(p.id)).map((p) => [p.id, p.name]) }),
    ], async (v) => { await put(`/v1/catalogs/${id}/customers/${v.partner}`); redraw(); }, { submit: t("catalog.enable"), class: "catalog-enable" }) : null,
    h("h2", {}, t("catalog.products")), searchForm(products, id, c), products);
  productList(products, id, c, "");
}

function searchForm(box, id, c) {
  return form([field(t("catalog.search"), "q", { type: "search" })], async (v) => productList(box, id, c, v.q),
    { submit: t("catalog.search_submit"), class: "catalog-search" });
}

async function productList(box, id, c, q, onAdd) {
  const page = await get(withQuery(`/v1/catalogs/${id}/products`, { q, lang: language(), limit: 50 }));
  const head = ["SKU", t("catalog.product"), t("catalog.category"), t("catalog.unit"), t("catalog.list_price")];
  if (onAdd) head.push(t("catalog.your_price"), t("catalog.availability"), "");
  show(box, table(head, page.data.map((p) => {
    const row = [p.sku, h("span", { title: p.description || "" }, p.name), p.category || "", p.unit, fmtAmount(p.list_price, c.currency)];
    if (onAdd) {
      const qty = h("input", { type: "text", inputmode: "decimal", value: p.min_quantity, size: 5, "aria-label": t("catalog.quantity"), name: `qty-${p.sku}` });
      row.push(h("strong", { class: "your-price" }, fmtAmount(p.price, page.price_currency || c.currency)),
        t(`catalog.avail_${p.availability}`, { days: p.lead_time_days ?? "" }),
        h("span", { class: "add", "data-sku": p.sku }, qty, action(t("catalog.add"), () => onAdd(p.sku, qty.value), { class: "link" })));
    }
    return row;
  }), t("catalog.no_products")));
  // What the list shows now, for a reader (and a test) to tell one search's answer from another's.
  box.setAttribute("data-q", q || "");
}

/** The cart of one catalog, kept in this browser: [{sku, quantity}]. */
function cartStore(id) {
  const key = `tradepost.cart.${id}`;
  return {
    read: () => { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch { return []; } },
    write: (lines) => localStorage.setItem(key, JSON.stringify(lines)),
  };
}

async function shopView(ctx, id, c) {
  const store = cartStore(id);
  const products = h("div", { id: "shop-products" });
  const cartBox = h("div", { id: "cart" });
  const pasteBad = h("div", { id: "paste-bad" });
  // A line added again adds its quantity; `draw` false leaves the drawing to the caller.
  const add = (sku, quantity, draw = true) => {
    const lines = store.read();
    const qty = quantity.trim().replace(",", ".");
    const at = lines.find((l) => l.sku === sku);
    if (at) at.quantity = String(Number(at.quantity) + Number(qty));
    else lines.push({ sku, quantity: qty });
    store.write(lines);
    if (draw) drawCart();
  };
  // Only the newest drawing shows: an older answer that comes late is dropped.
  let drawing = 0;
  const drawCart = async () => {
    const mine = ++drawing;
    const lines = store.read();
    if (!lines.length) { show(cartBox, h("p", { class: "empty" }, t("catalog.cart_empty"))); return; }
    const priced = await post(withQuery(`/v1/catalogs/${id}/cart`, { lang: language() }), { lines });
    if (mine !== drawing || !ctx.current()) return;
    const terms = c.terms || { delivery_addresses: [] };
    show(cartBox,
      table(["SKU", t("catalog.product"), t("catalog.quantity"), t("catalog.unit"), t("catalog.unit_price"), t("catalog.line_total"), ""],
        priced.lines.map((l) => [l.sku, l.name, l.quantity, l.unit, fmtAmount(l.unit_price, priced.currency), fmtAmount(l.line_total, priced.currency),
          action(t("catalog.remove"), () => { store.write(store.read().filter((x) => x.sku !== l.sku)); drawCart(); }, { class: "link" })])),
      priced.problems.length ? h("ul", { class: "problems", id: "cart-problems" }, priced.problems.map((p) => h("li", {}, `${p.sku || ""}: ${p.detail}`))) : null,
      h("p", { class: "total", id: "cart-total" }, t("catalog.total"), " ", h("strong", {}, fmtAmount(priced.total, priced.currency))),
      priced.blocked ? notice(terms.order_block ? t("catalog.blocked", { reason: terms.block_reason || "" })
        : t("catalog.over_limit", { limit: fmtAmount(terms.credit_limit, priced.currency) }), "error") : null,
      form([
        field(t("catalog.reference"), "reference", { hint: t("catalog.reference_hint") }),
        field(t("catalog.requested_date"), "requested_date", { type: "date" }),
        terms.delivery_addresses.length
          ? field(t("catalog.delivery_address"), "delivery_address", { kind: "select", options: terms.delivery_addresses.map((a) => [a, a.split("\n").join(", ")]) })
          : field(t("catalog.delivery_address"), "delivery_address", { kind: "textarea", rows: 3 }),
        field(t("catalog.note"), "note", { kind: "textarea", rows: 2 }),
      ], async (v) => {
        const placed = await post(withQuery(`/v1/catalogs/${id}/orders`, { lang: language() }), {
          lines: store.read(), reference: v.reference || undefined, requested_date: v.requested_date || undefined,
          delivery_address: v.delivery_address || undefined, note: v.note || undefined });
        store.write([]);
        navigate(`/documents/${placed.document_id}`);
      }, { submit: t("catalog.place_order"), class: "catalog-order" }));
  };
  const terms = c.terms;
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/catalogs" }, t("catalog.title"))),
    ctx.title("catalog.catalog", { name: c.name }),
    dl([[t("catalog.supplier"), c.supplier_name], terms?.shipping_terms ? [t("catalog.shipping_terms"), terms.shipping_terms] : null,
      terms?.payment_terms ? [t("catalog.payment_terms"), terms.payment_terms] : null,
      terms?.credit_limit ? [t("catalog.credit_limit"), fmtAmount(terms.credit_limit, terms.currency || c.currency)] : null]),
    terms?.order_block ? notice(t("catalog.blocked", { reason: terms.block_reason || "" }), "error") : null,
    h("div", { class: "shop" },
      h("section", {}, h("h2", {}, t("catalog.products")), form([field(t("catalog.search"), "q", { type: "search" })],
        async (v) => productList(products, id, c, v.q, add), { submit: t("catalog.search_submit"), class: "shop-search" }), products),
      h("section", {}, h("h2", {}, t("catalog.cart")), cartBox,
        form([field(t("catalog.paste"), "paste", { kind: "textarea", rows: 4, hint: t("catalog.paste_hint") })], async (v, f) => {
          const bad = [];
          for (const line of (v.paste || "").split("\n")) {
            const m = line.trim().match(/^(.+?)[;\t, ]\s*([0-9.,]+)$/);
            if (m) add(m[1].trim(), m[2], false); else if (line.trim()) bad.push(line.trim());
          }
          f.reset();
          drawCart();
          show(pasteBad, bad.length ? notice(t("catalog.paste_bad", { lines: bad.join(" | ") }), "error") : null);
        }, { submit: t("catalog.paste_add"), class: "cart-paste" }), pasteBad)));
  productList(products, id, c, "", add);
  drawCart();
}

export async function orders(ctx) {
  const page = await get("/v1/catalog-orders?limit=100");
  if (!ctx.current()) return;
  const me = state.me?.company?.id;
  show(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "/catalogs" }, t("catalog.title"))), ctx.title("catalog.orders"),
    table([t("catalog.number"), t("catalog.partner"), t("catalog.status"), t("catalog.total"), t("catalog.requested_date"), t("catalog.placed_at")],
      page.data.map((o) => [h("a", { href: `/documents/${o.document_id}` }, o.number),
        o.customer_id === me ? o.supplier_name : o.customer_name, badge("status", o.status),
        fmtAmount(o.total, o.currency), o.requested_date ? fmtDay(o.requested_date) : "—", fmtDate(o.created_at)]), t("catalog.no_orders")));
}
