//! The lines of an order document, for a person and an ERP to read: what [`super::recognise`]
//! only counts. Every format the recogniser knows is read — UBL 2.1 Order and OrderResponse
//! (with the seller's substitutions and promised dates), openTRANS 2.1 ORDER, cXML
//! OrderRequest, EDIFACT ORDERS (the first message; in `super::edifact`) — and an order
//! response's lines are compared with the order's ([`changes`]): what the supplier changed
//! against what was ordered.
//!
//! Amounts and quantities stay the exact decimal texts of the file (`.` as decimal mark).

use serde::{Deserialize, Serialize};

use super::walk::{walk, Attrs, Handler};
use super::{decimal, iso_date, Format, Parsed};

/// One line of an order or an order response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderLine {
    /// The line's number in the file (`1`, `10`, …).
    pub line_id: Option<String>,
    /// The item's name or description.
    pub item: Option<String>,
    /// The supplier's article number.
    pub sku: Option<String>,
    /// The buyer's article number.
    pub buyer_item: Option<String>,
    /// A GTIN or other standard item id, with its scheme (`0160:4006381333931`).
    pub standard_id: Option<String>,
    pub quantity: Option<String>,
    /// The unit as the file writes it (UN/ECE Rec. 20 in UBL: `H87`, `C62`).
    pub unit: Option<String>,
    pub unit_price: Option<String>,
    pub line_total: Option<String>,
    /// The requested (order) or promised (order response) delivery date, `YYYY-MM-DD`.
    pub delivery_date: Option<String>,
    /// An order response's line status (UNCL 1229: `5` accepted, `3` changed, `7` not
    /// accepted), as written.
    pub status: Option<String>,
    /// The item the seller delivers instead (an order response's substitution).
    pub substitute: Option<String>,
}

/// The lines of a document, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderLines {
    pub format: Format,
    pub currency: Option<String>,
    pub lines: Vec<OrderLine>,
}

/// What an order response changed in one line of the order it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineChange {
    pub line_id: Option<String>,
    /// `quantity`, `unit_price`, `delivery_date`, `item` (a substitution), `rejected`, `added`
    /// (a line the order did not have) or `missing` (an ordered line the response leaves out).
    pub what: String,
    /// As ordered, and as answered.
    pub ordered: Option<String>,
    pub answered: Option<String>,
}

/// Reads the lines of a file the recogniser recognised as `format`.
///
/// # Errors
/// Why the file cannot be read (as [`super::recognise`] would say it is malformed).
pub fn read(format: Format, bytes: &[u8]) -> Parsed<OrderLines> {
    match format {
        Format::EdifactOrders => super::edifact::lines(bytes),
        _ => {
            let mut h = Lines {
                format,
                currency: None,
                lines: Vec::new(),
                current: None,
                header_date: None,
            };
            walk(bytes, &mut h)?;
            if let Some(date) = &h.header_date {
                for l in h.lines.iter_mut().filter(|l| l.delivery_date.is_none()) {
                    l.delivery_date = Some(date.clone());
                }
            }
            Ok(OrderLines {
                format,
                currency: h.currency,
                lines: h.lines,
            })
        }
    }
}

/// Sets `slot` to `text` (trimmed) unless it holds something or `text` is blank.
fn first(slot: &mut Option<String>, text: &str) {
    let t = text.trim();
    if slot.is_none() && !t.is_empty() {
        *slot = Some(t.to_owned());
    }
}

/// Collects lines while an XML document streams past.
struct Lines {
    format: Format,
    currency: Option<String>,
    lines: Vec<OrderLine>,
    current: Option<OrderLine>,
    /// UBL Order: the requested date of the whole order, for the lines without their own.
    header_date: Option<String>,
}

impl Lines {
    /// The element path that holds one line, from the root.
    fn line_path(&self) -> &'static [&'static str] {
        match self.format {
            Format::UblOrder => &["Order", "OrderLine"],
            Format::UblOrderResponse => &["OrderResponse", "OrderLine"],
            Format::OpenTransOrder => &["ORDER", "ORDER_ITEM_LIST", "ORDER_ITEM"],
            Format::CxmlOrderRequest | Format::EdifactOrders => {
                &["cXML", "Request", "OrderRequest", "ItemOut"]
            }
        }
    }
}

impl Handler for Lines {
    fn start(&mut self, path: &[&str], attrs: &Attrs) -> Parsed<()> {
        let line = self.line_path();
        if path == line {
            let mut l = OrderLine::default();
            if self.format == Format::CxmlOrderRequest {
                if let Some(q) = &attrs.quantity {
                    l.quantity = Some(decimal("quantity", q)?);
                }
                l.line_id.clone_from(&attrs.line_number);
            }
            self.current = Some(l);
        }
        if self.format == Format::CxmlOrderRequest && self.currency.is_none() {
            if let (Some(c), Some("Money")) = (&attrs.currency, path.last().copied()) {
                self.currency = Some(c.clone());
            }
        }
        Ok(())
    }

    fn end(&mut self, path: &[&str], attrs: &Attrs, text: &str) -> Parsed<()> {
        let line = self.line_path();
        let ubl = matches!(self.format, Format::UblOrder | Format::UblOrderResponse);
        if ubl && path.len() == 2 && path[1] == "DocumentCurrencyCode" {
            first(&mut self.currency, text);
        }
        if ubl && path.len() == 4 && path[1..] == ["Delivery", "RequestedDeliveryPeriod", "EndDate"]
        {
            self.header_date = Some(iso_date("delivery date", text)?);
        }
        if self.format == Format::OpenTransOrder
            && path == ["ORDER", "ORDER_HEADER", "ORDER_INFO", "CURRENCY"]
        {
            first(&mut self.currency, text);
        }
        if path == line {
            if let Some(l) = self.current.take() {
                self.lines.push(l);
            }
            return Ok(());
        }
        let Some(l) = self.current.as_mut() else {
            return Ok(());
        };
        let rest: Vec<&str> = path.get(line.len()..).unwrap_or(&[]).to_vec();
        match self.format {
            Format::UblOrder | Format::UblOrderResponse => {
                if rest.first() == Some(&"SellerSubstitutedLineItem") {
                    if rest[1..] == ["Item", "Name"] {
                        first(&mut l.substitute, text);
                    }
                    return Ok(());
                }
                let Some((&"LineItem", item)) = rest.split_first() else {
                    return Ok(());
                };
                match item {
                    ["ID"] => first(&mut l.line_id, text),
                    ["LineStatusCode"] => first(&mut l.status, text),
                    ["Quantity"] => {
                        l.quantity = Some(decimal("quantity", text)?);
                        if let Some(u) = &attrs.unit_code {
                            first(&mut l.unit, u);
                        }
                    }
                    ["LineExtensionAmount"] => l.line_total = Some(decimal("line amount", text)?),
                    ["Price", "PriceAmount"] => l.unit_price = Some(decimal("price", text)?),
                    ["Item", "Name"] => first(&mut l.item, text),
                    ["Item", "Description"] if l.item.is_none() => first(&mut l.item, text),
                    ["Item", "SellersItemIdentification", "ID"] => first(&mut l.sku, text),
                    ["Item", "BuyersItemIdentification", "ID"] => first(&mut l.buyer_item, text),
                    ["Item", "StandardItemIdentification", "ID"] => {
                        let scheme = attrs.scheme_id.as_deref().unwrap_or("").trim();
                        let id = text.trim();
                        if !id.is_empty() {
                            first(
                                &mut l.standard_id,
                                &if scheme.is_empty() {
                                    id.to_owned()
                                } else {
                                    format!("{scheme}:{id}")
                                },
                            );
                        }
                    }
                    ["Delivery", period, "EndDate"]
                        if *period == "RequestedDeliveryPeriod"
                            || *period == "PromisedDeliveryPeriod" =>
                    {
                        l.delivery_date = Some(iso_date("delivery date", text)?);
                    }
                    _ => {}
                }
            }
            Format::OpenTransOrder => match rest.as_slice() {
                ["LINE_ITEM_ID"] => first(&mut l.line_id, text),
                ["PRODUCT_ID", "SUPPLIER_PID"] => first(&mut l.sku, text),
                ["PRODUCT_ID", "BUYER_PID"] => first(&mut l.buyer_item, text),
                ["PRODUCT_ID", "INTERNATIONAL_PID"] => first(&mut l.standard_id, text),
                ["PRODUCT_ID", "DESCRIPTION_SHORT"] => first(&mut l.item, text),
                ["QUANTITY"] => l.quantity = Some(decimal("quantity", text)?),
                ["ORDER_UNIT"] => first(&mut l.unit, text),
                ["PRODUCT_PRICE_FIX", "PRICE_AMOUNT"] => {
                    l.unit_price = Some(decimal("price", text)?)
                }
                ["PRICE_LINE_AMOUNT"] => l.line_total = Some(decimal("line amount", text)?),
                ["DELIVERY_DATE", "DELIVERY_END_DATE"] => {
                    l.delivery_date = Some(iso_date("delivery date", text)?);
                }
                _ => {}
            },
            Format::CxmlOrderRequest | Format::EdifactOrders => match rest.as_slice() {
                ["ItemID", "SupplierPartID"] => first(&mut l.sku, text),
                ["ItemID", "BuyerPartID"] => first(&mut l.buyer_item, text),
                ["ItemDetail", "UnitPrice", "Money"] => {
                    l.unit_price = Some(decimal("price", text)?)
                }
                ["ItemDetail", "Description"] => first(&mut l.item, text),
                ["ItemDetail", "UnitOfMeasure"] => first(&mut l.unit, text),
                _ => {}
            },
        }
        Ok(())
    }
}

/// What `answered` (an order response's lines) changed against `ordered` (the order's), line
/// by line id (else by position).
#[must_use]
pub fn changes(ordered: &[OrderLine], answered: &[OrderLine]) -> Vec<LineChange> {
    let key = |l: &OrderLine, i: usize| l.line_id.clone().unwrap_or_else(|| format!("#{}", i + 1));
    let same_number = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => crate::payment::to_e4(a) == crate::payment::to_e4(b) || a == b,
        _ => true,
    };
    let mut out = Vec::new();
    let change =
        |l: &OrderLine, what: &str, ordered: Option<String>, answered: Option<String>| LineChange {
            line_id: l.line_id.clone(),
            what: what.to_owned(),
            ordered,
            answered,
        };
    for (i, a) in answered.iter().enumerate() {
        let k = key(a, i);
        let Some(o) = ordered
            .iter()
            .enumerate()
            .find(|(j, o)| key(o, *j) == k)
            .map(|(_, o)| o)
        else {
            out.push(change(
                a,
                "added",
                None,
                a.item.clone().or_else(|| a.sku.clone()),
            ));
            continue;
        };
        if a.status.as_deref().map(str::trim) == Some("7") {
            out.push(change(a, "rejected", o.quantity.clone(), None));
            continue;
        }
        if !same_number(&o.quantity, &a.quantity) {
            out.push(change(
                a,
                "quantity",
                o.quantity.clone(),
                a.quantity.clone(),
            ));
        }
        if !same_number(&o.unit_price, &a.unit_price) {
            out.push(change(
                a,
                "unit_price",
                o.unit_price.clone(),
                a.unit_price.clone(),
            ));
        }
        if a.delivery_date.is_some() && o.delivery_date != a.delivery_date {
            out.push(change(
                a,
                "delivery_date",
                o.delivery_date.clone(),
                a.delivery_date.clone(),
            ));
        }
        if let Some(s) = &a.substitute {
            out.push(change(
                a,
                "item",
                o.item.clone().or_else(|| a.item.clone()),
                Some(s.clone()),
            ));
        }
    }
    for (j, o) in ordered.iter().enumerate() {
        let k = key(o, j);
        if !answered.iter().enumerate().any(|(i, a)| key(a, i) == k) {
            out.push(change(o, "missing", o.quantity.clone(), None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/formats/",
                $name
            ))
        };
    }

    #[test]
    fn every_format_gives_its_lines() {
        let ubl = read(Format::UblOrder, fixture!("ubl-order.xml")).unwrap();
        assert_eq!(ubl.currency.as_deref(), Some("EUR"));
        assert!(!ubl.lines.is_empty());
        assert!(
            ubl.lines
                .iter()
                .all(|l| l.quantity.is_some() && l.item.is_some()),
            "{ubl:?}"
        );
        let ot = read(Format::OpenTransOrder, fixture!("opentrans-order.xml")).unwrap();
        assert!(
            !ot.lines.is_empty() && ot.lines[0].quantity.is_some(),
            "{ot:?}"
        );
        let cxml = read(Format::CxmlOrderRequest, fixture!("cxml-order-request.xml")).unwrap();
        assert_eq!(cxml.lines.len(), 3, "{cxml:?}");
        assert_eq!(
            (
                cxml.lines[0].sku.as_deref(),
                cxml.lines[0].quantity.as_deref(),
                cxml.lines[0].unit_price.as_deref()
            ),
            (Some("KAT-A4-48S"), Some("1000"), Some("1.85"))
        );
        assert_eq!(cxml.lines[0].line_id.as_deref(), Some("1"));
        assert_eq!(cxml.currency.as_deref(), Some("EUR"));
        let edi = read(Format::EdifactOrders, fixture!("edifact-orders.edi")).unwrap();
        assert_eq!(edi.lines.len(), 3, "{edi:?}");
        assert_eq!(
            edi.lines[0].item.as_deref(),
            Some("Flyer DIN A5: 4/4-farbig, 135 g/m\u{b2} matt")
        );
        assert_eq!(
            (
                edi.lines[0].quantity.as_deref(),
                edi.lines[0].unit_price.as_deref(),
                edi.lines[0].line_total.as_deref()
            ),
            (Some("5000"), Some("0.052"), Some("260.00"))
        );
        assert_eq!(
            edi.lines[0].standard_id.as_deref(),
            Some("EN:4098765100017")
        );
        assert_eq!(edi.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn an_order_response_says_what_changed() {
        let resp = read(Format::UblOrderResponse, fixture!("ubl-order-response.xml")).unwrap();
        assert_eq!(resp.lines.len(), 2);
        assert_eq!(
            resp.lines[0].substitute.as_deref(),
            Some("Broschüre DIN A4, 16 Seiten, 170 g/m² statt 150 g/m²")
        );
        let ordered = vec![
            OrderLine {
                line_id: Some("1".into()),
                item: Some("Broschüre DIN A4".into()),
                quantity: Some("600".into()),
                unit_price: Some("1.2".into()),
                ..OrderLine::default()
            },
            OrderLine {
                line_id: Some("2".into()),
                quantity: Some("100".into()),
                unit_price: Some("1.50".into()),
                ..OrderLine::default()
            },
            OrderLine {
                line_id: Some("3".into()),
                quantity: Some("1".into()),
                ..OrderLine::default()
            },
        ];
        let c = changes(&ordered, &resp.lines);
        let whats: Vec<(&str, &str)> = c
            .iter()
            .map(|c| (c.line_id.as_deref().unwrap_or(""), c.what.as_str()))
            .collect();
        assert_eq!(
            whats,
            [("1", "quantity"), ("1", "item"), ("3", "missing")],
            "{c:?}"
        );
        assert_eq!(
            (c[0].ordered.as_deref(), c[0].answered.as_deref()),
            (Some("600"), Some("500"))
        );
    }
}
