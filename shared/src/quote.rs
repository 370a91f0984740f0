//! Requests for quotes and quotes: a customer asks its supplier for a quote (free-form: a title,
//! a text, the items and quantities wanted, a desired date); the supplier answers with a quote
//! (lines with prices, a validity date, terms), in versions: a new version supersedes the
//! current one, as a proof does. The customer accepts the current quote (which places the
//! order as a standard order file in the supplier's inbox), rejects it saying why, or asks for
//! changes; it may withdraw the request before it is decided. A quote whose validity passed
//! expires (a cron). The statuses, the moves between them, who may make each, the numbers and
//! the sums — pure, like every rule of the domain.

use crate::relationship::PartyRole;
use crate::{Error, Result};

/// Most lines one request or quote has.
pub const MAX_LINES: usize = 200;
/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest text, terms, note, reason, comment.
pub const MAX_TEXT: usize = 4000;
/// Longest item text (SKU, GTIN or a description).
pub const MAX_ITEM: usize = 200;

named_enum! {
    /// Where a request for a quote stands.
    QuoteStatus, "quote status" {
        /// Asked for (again, after the customer asked for changes): the supplier's turn.
        Requested = "requested",
        /// The supplier's current quote waits for the customer.
        Quoted = "quoted",
        /// The customer accepted the current quote; its order is in the supplier's inbox (final).
        Accepted = "accepted",
        /// The customer rejected the quote, saying why (final).
        Rejected = "rejected",
        /// The current quote's validity passed before the customer decided (final).
        Expired = "expired",
        /// The customer took the request back (final).
        Withdrawn = "withdrawn",
    }
}

impl QuoteStatus {
    /// Whether nothing more happens to it.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Accepted | Self::Rejected | Self::Expired | Self::Withdrawn
        )
    }
}

named_enum! {
    /// Where one version of a supplier's quote stands.
    VersionStatus, "quote version status" {
        /// The newest version, waiting for the customer.
        Current = "current",
        /// A newer version replaced it.
        Superseded = "superseded",
        /// The customer accepted it (its order was placed).
        Accepted = "accepted",
        /// The customer rejected it, or asked for changes.
        Rejected = "rejected",
        /// Its validity passed before the customer decided.
        Expired = "expired",
    }
}

named_enum! {
    /// A move of a request for a quote.
    QuoteMove, "quote move" {
        /// The supplier sends a quote (a new version supersedes the current one).
        Quote = "quote",
        /// The customer accepts the current quote.
        Accept = "accept",
        /// The customer rejects the current quote.
        Reject = "reject",
        /// The customer asks for a new version.
        RequestChanges = "request_changes",
        /// The customer takes the request back.
        Withdraw = "withdraw",
        /// The validity of the current quote passed (the cron).
        Expire = "expire",
    }
}

/// The status after `m` by `side`, from `status`.
///
/// # Errors
/// 403 `supplier_only` / `customer_only` for a move of the other side; 409
/// `invalid_transition` naming the status for a move that does not fit it.
pub fn transition(status: QuoteStatus, m: QuoteMove, side: PartyRole) -> Result<QuoteStatus> {
    use QuoteMove as M;
    use QuoteStatus as S;
    match (m, side) {
        (M::Quote, PartyRole::Customer) => {
            return Err(Error::forbidden(
                "supplier_only",
                "only the supplier sends quotes",
            ))
        }
        (M::Accept | M::Reject | M::RequestChanges | M::Withdraw, PartyRole::Supplier) => {
            return Err(Error::forbidden(
                "customer_only",
                "only the customer decides about a quote or withdraws its request",
            ))
        }
        _ => {}
    }
    let next = match (status, m) {
        (S::Requested | S::Quoted, M::Quote) => S::Quoted,
        (S::Quoted, M::Accept) => S::Accepted,
        (S::Quoted, M::Reject) => S::Rejected,
        (S::Quoted, M::RequestChanges) => S::Requested,
        (S::Requested | S::Quoted, M::Withdraw) => S::Withdrawn,
        (S::Quoted, M::Expire) => S::Expired,
        _ => {
            return Err(Error::conflict(
                "invalid_transition",
                format!(
                    "a request for a quote that is {} cannot be moved by {}",
                    status.as_str(),
                    m.as_str()
                ),
            ))
        }
    };
    Ok(next)
}

/// The number of a supplier's `seq`-th request for a quote, made in `year`: `RFQ-2027-00042`.
#[must_use]
pub fn number(year: i32, seq: u64) -> String {
    format!("RFQ-{year}-{seq:05}")
}

/// A quantity: a positive decimal with at most three places, in thousandths (`2.5` → 2500).
///
/// # Errors
/// A 422 naming `field`.
pub fn quantity_e3(field: &str, text: &str) -> Result<i64> {
    let t = text.trim();
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let bad = || {
        Error::invalid(
            field,
            "must be a positive number with at most three decimals, such as 2 or 0.5",
        )
    };
    if !digits(whole)
        || whole.len() > 9
        || (t.contains('.') && !digits(fraction))
        || fraction.len() > 3
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<3}").parse().map_err(|_| bad())?;
    let e3 = whole * 1000 + fraction;
    if e3 > 0 {
        Ok(e3)
    } else {
        Err(bad())
    }
}

/// A price: zero or more, with at most four decimals, in ten-thousandths (`12.5` → 125000).
///
/// # Errors
/// A 422 naming `field`.
pub fn price_e4(field: &str, text: &str) -> Result<i64> {
    crate::payment::to_e4(text)
        .filter(|p| *p >= 0 && *p < 1_000_000_000_000_000)
        .ok_or_else(|| {
            Error::invalid(
                field,
                "must be an amount of zero or more with at most four decimals, such as 12.50",
            )
        })
}

/// The total of a line, `quantity × unit price`, in ten-thousandths, rounded half up.
#[must_use]
pub fn line_total_e4(quantity_e3: i64, price_e4: i64) -> i64 {
    let exact = i128::from(quantity_e3) * i128::from(price_e4);
    i64::try_from((exact + 500) / 1000).unwrap_or(i64::MAX)
}

/// A quantity in thousandths as text: `2500` → `2.5`, `2000` → `2`.
#[must_use]
pub fn quantity_text(e3: i64) -> String {
    crate::payment::plain_decimal(e3, 3)
}

/// A currency code: three capital letters (ISO 4217), trimmed and upper-cased.
///
/// # Errors
/// A 422 naming `field`.
pub fn currency(field: &str, text: &str) -> Result<String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::invalid(
            field,
            "must be a three-letter currency code (ISO 4217), such as EUR or PLN",
        ))
    }
}

/// A line of an order Tradepost writes (an accepted quote's, a catalog order's).
pub struct OrderLine<'a> {
    /// The item's name.
    pub item: &'a str,
    /// The supplier's article number (`cac:SellersItemIdentification`) and the GTIN
    /// (`cac:StandardItemIdentification`, scheme 0160), when known.
    pub sku: Option<&'a str>,
    pub gtin: Option<&'a str>,
    pub description: Option<&'a str>,
    pub quantity_e3: i64,
    pub unit: Option<&'a str>,
    pub unit_price_e4: i64,
    pub total_e4: i64,
}

/// An order Tradepost writes for a customer (an accepted quote's, a catalog order's), as the
/// customer sends it to the supplier.
pub struct OrderFile<'a> {
    /// The order's number: the customer's own reference, else the request's number.
    pub id: &'a str,
    /// `YYYY-MM-DD`.
    pub issue_date: &'a str,
    pub currency: &'a str,
    /// The quote it accepts: `RFQ-2027-00042-v2`.
    pub quotation: Option<&'a str>,
    pub buyer: &'a str,
    pub seller: &'a str,
    /// The parties' ids in an openTRANS file (`PARTY_ID`): the supplier's number for the
    /// customer, say (UBL files name the parties only).
    pub buyer_id: Option<&'a str>,
    pub seller_id: Option<&'a str>,
    pub note: Option<&'a str>,
    pub desired_date: Option<&'a str>,
    /// Where the goods go, as lines of text.
    pub delivery_address: Option<&'a str>,
    pub lines: &'a [OrderLine<'a>],
    pub total_e4: i64,
}

named_enum! {
    /// The format Tradepost writes an order file in: the one the supplier's ERP imports.
    OrderFormat, "order format" {
        /// Peppol BIS Ordering 3 (UBL 2.1 Order).
        Ubl = "ubl",
        /// openTRANS 2.1 ORDER.
        Opentrans = "opentrans",
    }
}

/// An order file written, with what the recogniser reads in it.
pub struct WrittenOrder {
    /// The order's number (the document's reference).
    pub reference: String,
    pub bytes: Vec<u8>,
    pub summary: crate::formats::OrderSummary,
}

impl WrittenOrder {
    /// `o` written in `format`.
    #[must_use]
    pub fn of(o: &OrderFile<'_>, format: OrderFormat) -> WrittenOrder {
        match format {
            OrderFormat::Ubl => WrittenOrder::ubl(o),
            OrderFormat::Opentrans => WrittenOrder::opentrans(o),
        }
    }

    /// `o` as a Peppol BIS Order (a worker that writes only these does not carry the others).
    #[must_use]
    pub fn ubl(o: &OrderFile<'_>) -> WrittenOrder {
        WrittenOrder {
            reference: o.id.to_owned(),
            bytes: order_xml(o).into_bytes(),
            summary: order_summary(o, crate::formats::Format::UblOrder, (None, None)),
        }
    }

    /// `o` as an openTRANS 2.1 ORDER.
    #[must_use]
    pub fn opentrans(o: &OrderFile<'_>) -> WrittenOrder {
        let (buyer, seller) = party_ids(o);
        WrittenOrder {
            reference: o.id.to_owned(),
            bytes: order_opentrans(o).into_bytes(),
            summary: order_summary(
                o,
                crate::formats::Format::OpenTransOrder,
                (Some(buyer), Some(seller)),
            ),
        }
    }
}

/// What the recogniser reads in the file [`WrittenOrder::of`] writes
/// (`shared::formats::recognise`, tested), so the worker that writes it stores its summary
/// without carrying the recogniser.
fn order_summary(
    o: &OrderFile<'_>,
    format: crate::formats::Format,
    (buyer_id, seller_id): (Option<&str>, Option<&str>),
) -> crate::formats::OrderSummary {
    crate::formats::OrderSummary {
        format,
        order_number: Some(o.id.trim().to_owned()).filter(|n| !n.is_empty()),
        issue_date: Some(o.issue_date.to_owned()),
        buyer_id: buyer_id.map(str::to_owned),
        seller_id: seller_id.map(str::to_owned),
        currency: Some(o.currency.to_owned()),
        total: Some(crate::payment::from_e4(o.total_e4)),
        line_count: u32::try_from(o.lines.len()).unwrap_or(u32::MAX),
    }
}

/// `text` with the five XML special characters escaped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// The UN/ECE Recommendation 20 code of a unit as a person writes it (`pcs` → `H87`); `C62`
/// ("one") for anything else.
fn unit_code(unit: Option<&str>) -> String {
    let unit = unit.map(str::trim).unwrap_or("");
    let code = match unit.to_ascii_lowercase().as_str() {
        "pcs" | "pc" | "piece" | "pieces" | "stk" | "stück" | "szt" | "szt." => "H87",
        "kg" => "KGM",
        "g" => "GRM",
        "m" => "MTR",
        "m2" | "m²" => "MTK",
        "l" => "LTR",
        "h" | "hour" | "hours" | "std" => "HUR",
        "set" | "sets" => "SET",
        // Already a code of UN/ECE Recommendation 20 (`C62`, `PK`, `BX`), as catalogs give them.
        _ if (2..=3).contains(&unit.len()) && unit.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            return unit.to_ascii_uppercase();
        }
        _ => "C62",
    };
    code.to_owned()
}

/// The order as a UBL 2.1 Order (Peppol BIS Ordering 3), naming the quote it accepts
/// (`cac:QuotationDocumentReference`): what the supplier's ERP reads like any other order.
#[must_use]
pub fn order_xml(o: &OrderFile<'_>) -> String {
    use crate::payment::from_e4;
    let cur = xml(o.currency);
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\" \
         xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" \
         xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">\n\
         \x20 <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:order:3</cbc:CustomizationID>\n\
         \x20 <cbc:ProfileID>urn:fdc:peppol.eu:poacc:bis:ordering:3</cbc:ProfileID>\n",
    );
    x.push_str(&format!("  <cbc:ID>{}</cbc:ID>\n", xml(o.id)));
    x.push_str(&format!(
        "  <cbc:IssueDate>{}</cbc:IssueDate>\n  <cbc:OrderTypeCode>220</cbc:OrderTypeCode>\n",
        xml(o.issue_date)
    ));
    if let Some(note) = o.note {
        x.push_str(&format!("  <cbc:Note>{}</cbc:Note>\n", xml(note)));
    }
    x.push_str(&format!(
        "  <cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode>\n"
    ));
    if let Some(quotation) = o.quotation {
        x.push_str(&format!(
            "  <cac:QuotationDocumentReference>\n    <cbc:ID>{}</cbc:ID>\n  </cac:QuotationDocumentReference>\n",
            xml(quotation)
        ));
    }
    for (tag, name) in [
        ("BuyerCustomerParty", o.buyer),
        ("SellerSupplierParty", o.seller),
    ] {
        x.push_str(&format!(
            "  <cac:{tag}>\n    <cac:Party>\n      <cac:PartyName>\n        <cbc:Name>{}</cbc:Name>\n\
             \x20     </cac:PartyName>\n    </cac:Party>\n  </cac:{tag}>\n",
            xml(name)
        ));
    }
    if o.desired_date.is_some() || o.delivery_address.is_some() {
        x.push_str("  <cac:Delivery>\n");
        if let Some(address) = o.delivery_address {
            x.push_str("    <cac:DeliveryLocation>\n      <cac:Address>\n");
            for line in address.lines().map(str::trim).filter(|l| !l.is_empty()) {
                x.push_str(&format!(
                    "        <cac:AddressLine>\n          <cbc:Line>{}</cbc:Line>\n        </cac:AddressLine>\n",
                    xml(line)
                ));
            }
            x.push_str("      </cac:Address>\n    </cac:DeliveryLocation>\n");
        }
        if let Some(date) = o.desired_date {
            x.push_str(&format!(
                "    <cac:RequestedDeliveryPeriod>\n      <cbc:EndDate>{}</cbc:EndDate>\n\
                 \x20   </cac:RequestedDeliveryPeriod>\n",
                xml(date)
            ));
        }
        x.push_str("  </cac:Delivery>\n");
    }
    let total = from_e4(o.total_e4);
    x.push_str(&format!(
        "  <cac:AnticipatedMonetaryTotal>\n\
         \x20   <cbc:LineExtensionAmount currencyID=\"{cur}\">{total}</cbc:LineExtensionAmount>\n\
         \x20   <cbc:PayableAmount currencyID=\"{cur}\">{total}</cbc:PayableAmount>\n\
         \x20 </cac:AnticipatedMonetaryTotal>\n"
    ));
    for (i, l) in o.lines.iter().enumerate() {
        let description = l
            .description
            .map(|d| format!("        <cbc:Description>{}</cbc:Description>\n", xml(d)))
            .unwrap_or_default();
        let ids = l
            .sku
            .map(|sku| {
                format!(
                    "        <cac:SellersItemIdentification>\n          <cbc:ID>{}</cbc:ID>\n\
                     \x20       </cac:SellersItemIdentification>\n",
                    xml(sku)
                )
            })
            .unwrap_or_default()
            + &l.gtin
                .map(|gtin| {
                    format!(
                        "        <cac:StandardItemIdentification>\n          \
                         <cbc:ID schemeID=\"0160\">{}</cbc:ID>\n\
                         \x20       </cac:StandardItemIdentification>\n",
                        xml(gtin)
                    )
                })
                .unwrap_or_default();
        x.push_str(&format!(
            "  <cac:OrderLine>\n    <cac:LineItem>\n      <cbc:ID>{}</cbc:ID>\n\
             \x20     <cbc:Quantity unitCode=\"{}\">{}</cbc:Quantity>\n\
             \x20     <cbc:LineExtensionAmount currencyID=\"{cur}\">{}</cbc:LineExtensionAmount>\n\
             \x20     <cac:Price>\n        <cbc:PriceAmount currencyID=\"{cur}\">{}</cbc:PriceAmount>\n\
             \x20     </cac:Price>\n      <cac:Item>\n{description}\
             \x20       <cbc:Name>{}</cbc:Name>\n{ids}      </cac:Item>\n    </cac:LineItem>\n  </cac:OrderLine>\n",
            i + 1,
            unit_code(l.unit),
            quantity_text(l.quantity_e3),
            from_e4(l.total_e4),
            from_e4(l.unit_price_e4),
            xml(l.item),
        ));
    }
    x.push_str("</Order>\n");
    x
}

/// The parties' ids in an openTRANS file: as given, else their roles.
fn party_ids<'a>(o: &OrderFile<'a>) -> (&'a str, &'a str) {
    (
        o.buyer_id.unwrap_or("buyer"),
        o.seller_id.unwrap_or("supplier"),
    )
}

/// The same order as an openTRANS 2.1 ORDER (the German ERPs' order format): the parties
/// with their ids, the requested delivery date, the delivery address as the `delivery` party's,
/// the note as a `REMARKS`, each line with its SKU, GTIN, name, quantity, unit, fixed price
/// and line amount, and the total.
pub fn order_opentrans(o: &OrderFile<'_>) -> String {
    use crate::payment::from_e4;
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" \
         xmlns:bmecat=\"http://www.bmecat.org/bmecat/2005\" version=\"2.1\" type=\"standard\">\n\
         <ORDER_HEADER>\n<CONTROL_INFO><GENERATOR_INFO>Tradepost</GENERATOR_INFO></CONTROL_INFO>\n\
         <ORDER_INFO>\n",
    );
    x.push_str(&format!(
        "<ORDER_ID>{}</ORDER_ID>\n<ORDER_DATE>{}</ORDER_DATE>\n",
        xml(o.id),
        xml(o.issue_date)
    ));
    if let Some(date) = o.desired_date {
        let date = xml(date);
        x.push_str(&format!(
            "<DELIVERY_DATE type=\"optional\"><DELIVERY_START_DATE>{date}</DELIVERY_START_DATE>\
             <DELIVERY_END_DATE>{date}</DELIVERY_END_DATE></DELIVERY_DATE>\n"
        ));
    }
    x.push_str("<PARTIES>\n");
    let (buyer_id, seller_id) = party_ids(o);
    for (role, id, name) in [
        ("buyer", buyer_id, o.buyer),
        ("supplier", seller_id, o.seller),
    ] {
        x.push_str(&format!(
            "<PARTY><bmecat:PARTY_ID type=\"supplier_specific\">{}</bmecat:PARTY_ID>\
             <PARTY_ROLE>{role}</PARTY_ROLE><ADDRESS><bmecat:NAME>{}</bmecat:NAME></ADDRESS></PARTY>\n",
            xml(id),
            xml(name)
        ));
    }
    if let Some(address) = o.delivery_address {
        let mut lines = address.lines().map(str::trim).filter(|l| !l.is_empty());
        x.push_str(
            "<PARTY><bmecat:PARTY_ID type=\"buyer_specific\">delivery</bmecat:PARTY_ID>\
             <PARTY_ROLE>delivery</PARTY_ROLE><ADDRESS>",
        );
        if let Some(name) = lines.next() {
            x.push_str(&format!("<bmecat:NAME>{}</bmecat:NAME>", xml(name)));
        }
        for line in lines {
            x.push_str(&format!(
                "<bmecat:ADDRESS_REMARKS>{}</bmecat:ADDRESS_REMARKS>",
                xml(line)
            ));
        }
        x.push_str("</ADDRESS></PARTY>\n");
    }
    x.push_str(&format!(
        "</PARTIES>\n<ORDER_PARTIES_REFERENCE><bmecat:BUYER_IDREF type=\"supplier_specific\">{}\
         </bmecat:BUYER_IDREF><bmecat:SUPPLIER_IDREF type=\"supplier_specific\">{}\
         </bmecat:SUPPLIER_IDREF>{}</ORDER_PARTIES_REFERENCE>\n<bmecat:CURRENCY>{}</bmecat:CURRENCY>\n",
        xml(buyer_id),
        xml(seller_id),
        if o.delivery_address.is_some() {
            "<SHIPMENT_PARTIES_REFERENCE><DELIVERY_IDREF type=\"buyer_specific\">delivery\
             </DELIVERY_IDREF></SHIPMENT_PARTIES_REFERENCE>"
        } else {
            ""
        },
        xml(o.currency)
    ));
    if let Some(quotation) = o.quotation {
        x.push_str(&format!(
            "<REMARKS type=\"quotation\">{}</REMARKS>\n",
            xml(quotation)
        ));
    }
    if let Some(note) = o.note {
        x.push_str(&format!(
            "<REMARKS type=\"order\">{}</REMARKS>\n",
            xml(note)
        ));
    }
    x.push_str("</ORDER_INFO>\n</ORDER_HEADER>\n<ORDER_ITEM_LIST>\n");
    for (i, l) in o.lines.iter().enumerate() {
        x.push_str(&format!(
            "<ORDER_ITEM>\n<LINE_ITEM_ID>{}</LINE_ITEM_ID>\n<PRODUCT_ID>",
            i + 1
        ));
        if let Some(sku) = l.sku {
            x.push_str(&format!(
                "<bmecat:SUPPLIER_PID>{}</bmecat:SUPPLIER_PID>",
                xml(sku)
            ));
        }
        if let Some(gtin) = l.gtin {
            x.push_str(&format!(
                "<bmecat:INTERNATIONAL_PID type=\"gtin\">{}</bmecat:INTERNATIONAL_PID>",
                xml(gtin)
            ));
        }
        x.push_str(&format!(
            "<bmecat:DESCRIPTION_SHORT>{}</bmecat:DESCRIPTION_SHORT>",
            xml(l.item)
        ));
        if let Some(d) = l.description {
            x.push_str(&format!(
                "<bmecat:DESCRIPTION_LONG>{}</bmecat:DESCRIPTION_LONG>",
                xml(d)
            ));
        }
        x.push_str(&format!(
            "</PRODUCT_ID>\n<QUANTITY>{}</QUANTITY>\n<bmecat:ORDER_UNIT>{}</bmecat:ORDER_UNIT>\n\
             <PRODUCT_PRICE_FIX><bmecat:PRICE_AMOUNT>{}</bmecat:PRICE_AMOUNT></PRODUCT_PRICE_FIX>\n\
             <PRICE_LINE_AMOUNT>{}</PRICE_LINE_AMOUNT>\n</ORDER_ITEM>\n",
            quantity_text(l.quantity_e3),
            unit_code(l.unit),
            from_e4(l.unit_price_e4),
            from_e4(l.total_e4)
        ));
    }
    x.push_str(&format!(
        "</ORDER_ITEM_LIST>\n<ORDER_SUMMARY><TOTAL_ITEM_NUM>{}</TOTAL_ITEM_NUM>\
         <TOTAL_AMOUNT>{}</TOTAL_AMOUNT></ORDER_SUMMARY>\n</ORDER>\n",
        o.lines.len(),
        from_e4(o.total_e4)
    ));
    x
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_supplier_quotes_the_customer_decides() {
        use QuoteMove as M;
        use QuoteStatus as S;
        let sup = PartyRole::Supplier;
        let cus = PartyRole::Customer;
        assert_eq!(transition(S::Requested, M::Quote, sup).unwrap(), S::Quoted);
        assert_eq!(
            transition(S::Quoted, M::Quote, sup).unwrap(),
            S::Quoted,
            "a new version"
        );
        assert_eq!(transition(S::Quoted, M::Accept, cus).unwrap(), S::Accepted);
        assert_eq!(transition(S::Quoted, M::Reject, cus).unwrap(), S::Rejected);
        assert_eq!(
            transition(S::Quoted, M::RequestChanges, cus).unwrap(),
            S::Requested
        );
        assert_eq!(
            transition(S::Requested, M::Withdraw, cus).unwrap(),
            S::Withdrawn
        );
        assert_eq!(transition(S::Quoted, M::Expire, sup).unwrap(), S::Expired);
        let code = |e: Error| e.problem().code;
        assert_eq!(
            code(transition(S::Quoted, M::Accept, sup).unwrap_err()),
            "customer_only"
        );
        assert_eq!(
            code(transition(S::Requested, M::Quote, cus).unwrap_err()),
            "supplier_only"
        );
        for (status, m, side) in [
            (S::Requested, M::Accept, cus),
            (S::Accepted, M::Quote, sup),
            (S::Expired, M::Accept, cus),
            (S::Withdrawn, M::Withdraw, cus),
            (S::Requested, M::Expire, sup),
        ] {
            let e = transition(status, m, side).unwrap_err();
            assert_eq!(
                (e.problem().status, e.problem().code),
                (409, "invalid_transition".to_owned())
            );
        }
        assert!(S::Expired.is_final() && !S::Quoted.is_final());
    }

    #[test]
    fn numbers_quantities_and_sums() {
        assert_eq!(number(2027, 7), "RFQ-2027-00007");
        assert_eq!(quantity_e3("q", " 2.5 ").unwrap(), 2500);
        assert_eq!(quantity_e3("q", "100").unwrap(), 100_000);
        for bad in ["0", "0.000", "-1", "1,5", "1.", ".5", "1.2345", "", "x"] {
            assert_eq!(
                quantity_e3("q", bad)
                    .unwrap_err()
                    .problem()
                    .field
                    .as_deref(),
                Some("q"),
                "{bad}"
            );
        }
        assert_eq!(price_e4("p", "12.5").unwrap(), 125_000);
        assert_eq!(price_e4("p", "0").unwrap(), 0);
        assert!(price_e4("p", "-1").is_err() && price_e4("p", "1.23456").is_err());
        // 2.5 × 12.3333 = 30.83325 → 30.8333 (half up at the fourth place).
        assert_eq!(line_total_e4(2500, 123_333), 308_333);
        assert_eq!(quantity_text(2500), "2.5");
        assert_eq!(quantity_text(20_000), "20");
        assert_eq!(currency("c", " eur ").unwrap(), "EUR");
        assert!(currency("c", "EURO").is_err());
    }

    #[test]
    fn an_accepted_quote_is_an_order_the_recogniser_reads() {
        let lines = [
            OrderLine {
                item: "Flyer A5 <4/4>",
                sku: None,
                gtin: None,
                description: Some("135 g & matt"),
                quantity_e3: 5_000_000,
                unit: Some("pcs"),
                unit_price_e4: 520,
                total_e4: line_total_e4(5_000_000, 520),
            },
            OrderLine {
                item: "Setup",
                sku: Some("SETUP"),
                gtin: Some("4006381333931"),
                description: None,
                quantity_e3: 1000,
                unit: None,
                unit_price_e4: 450_000,
                total_e4: 450_000,
            },
        ];
        let order = OrderFile {
            id: "RFQ-2027-00001",
            issue_date: "2027-03-01",
            currency: "EUR",
            quotation: Some("RFQ-2027-00001-v2"),
            buyer: "Buchhandlung Nord & Co",
            seller: "Druckerei Weber KG",
            buyer_id: Some("K-10233"),
            seller_id: None,
            note: Some("Lieferung an Tor 2"),
            desired_date: Some("2027-03-20"),
            delivery_address: Some("Buchhandlung Nord\nTor 2\n20095 Hamburg"),
            lines: &lines,
            total_e4: 2_600_000 + 450_000,
        };
        let written = WrittenOrder::of(&order, OrderFormat::Ubl);
        let file = String::from_utf8(written.bytes.clone()).unwrap();
        assert!(
            file.contains("<cbc:Name>Flyer A5 &lt;4/4&gt;</cbc:Name>"),
            "{file}"
        );
        assert!(file
            .contains("<cac:QuotationDocumentReference>\n    <cbc:ID>RFQ-2027-00001-v2</cbc:ID>"));
        assert!(file.contains("<cbc:Quantity unitCode=\"H87\">5000</cbc:Quantity>"));
        assert!(file.contains("<cbc:PriceAmount currencyID=\"EUR\">0.052</cbc:PriceAmount>"));
        assert!(
            file.contains("<cbc:ID schemeID=\"0160\">4006381333931</cbc:ID>"),
            "{file}"
        );
        assert!(file.contains("<cbc:Line>Tor 2</cbc:Line>"), "{file}");
        match crate::formats::recognise(file.as_bytes()) {
            crate::formats::Recognition::Recognised(summary) => {
                assert_eq!(summary.order_number.as_deref(), Some("RFQ-2027-00001"));
                assert_eq!(summary.currency.as_deref(), Some("EUR"));
                assert_eq!(summary.total.as_deref(), Some("305.00"));
                assert_eq!(summary.line_count, 2);
                assert_eq!(summary, written.summary, "what the worker stores");
            }
            other => panic!("not recognised: {other:?}"),
        }

        // The same order in openTRANS, for a supplier whose ERP imports that.
        let written = WrittenOrder::of(&order, OrderFormat::Opentrans);
        let file = String::from_utf8(written.bytes.clone()).unwrap();
        assert!(
            file.contains(
                "<bmecat:DESCRIPTION_SHORT>Flyer A5 &lt;4/4&gt;</bmecat:DESCRIPTION_SHORT>"
            ),
            "{file}"
        );
        assert!(file.contains("<REMARKS type=\"quotation\">RFQ-2027-00001-v2</REMARKS>"));
        assert!(file.contains("<bmecat:ADDRESS_REMARKS>20095 Hamburg</bmecat:ADDRESS_REMARKS>"));
        match crate::formats::recognise(file.as_bytes()) {
            crate::formats::Recognition::Recognised(summary) => {
                assert_eq!(summary.buyer_id.as_deref(), Some("K-10233"));
                assert_eq!(summary.seller_id.as_deref(), Some("supplier"));
                assert_eq!(summary, written.summary, "what the worker stores");
            }
            other => panic!("not recognised: {other:?}"),
        }
    }
}
