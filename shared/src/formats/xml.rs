//! The XML formats: UBL 2.1 Order and OrderResponse, openTRANS 2.1 ORDER and cXML
//! OrderRequest, read with `quick-xml`'s streaming, namespace-aware reader.
//!
//! Fields are found by their path of local names from the root, so an `ID` deep inside a party
//! or a line is never taken for the order's number. The document is read by
//! [`super::walk::walk`], which processes no DTD.

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use super::walk::{is_blank, walk, Attrs, Handler};
use super::{decimal, iso_date, keep_first, Format, OrderSummary, Parsed};

const UBL_ORDER_NS: &[u8] = b"urn:oasis:names:specification:ubl:schema:xsd:Order-2";
const UBL_ORDER_RESPONSE_NS: &[u8] =
    b"urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2";
const OPENTRANS_NS: &[u8] = b"http://www.opentrans.org/XMLSchema/2.1";

/// Decides from the root element (and for cXML its `Request`) which format `head` is in.
pub(super) fn sniff(head: &[u8]) -> Option<Format> {
    let mut reader = NsReader::from_reader(head);
    let mut depth = 0usize;
    let mut cxml = false;
    let mut in_request = false;
    // Stops at a parse error too: the head may cut the document anywhere.
    while let Ok((resolved, event)) = reader.read_resolved_event() {
        let ns = namespace(&resolved);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let local = e.local_name();
                let local = local.as_ref();
                if depth == 0 {
                    match root_format(local, ns)? {
                        Format::CxmlOrderRequest => cxml = true,
                        other => return Some(other),
                    }
                } else if depth == 1 && local == b"Request" {
                    in_request = true;
                } else if depth == 2 && in_request {
                    return (local == b"OrderRequest").then_some(Format::CxmlOrderRequest);
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                } else if depth == 0 {
                    return None;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return None;
                }
                if depth == 1 {
                    in_request = false;
                }
            }
            Event::Text(ref t) if depth == 0 && !is_blank(t) => return None,
            Event::Eof => break,
            _ => {}
        }
    }
    // Undecided when the head ends: a cXML document that names an order request is one.
    let named = head
        .windows(b"<OrderRequest".len())
        .any(|w| w == b"<OrderRequest");
    (cxml && named).then_some(Format::CxmlOrderRequest)
}

/// The format a root element names, or `None` if it is none of ours. cXML is returned for its
/// root too; the caller looks further for its request.
fn root_format(local: &[u8], ns: Option<&[u8]>) -> Option<Format> {
    match (local, ns) {
        (b"Order", Some(UBL_ORDER_NS)) => Some(Format::UblOrder),
        (b"OrderResponse", Some(UBL_ORDER_RESPONSE_NS)) => Some(Format::UblOrderResponse),
        (b"ORDER", Some(OPENTRANS_NS)) => Some(Format::OpenTransOrder),
        (b"cXML", None) => Some(Format::CxmlOrderRequest),
        _ => None,
    }
}

fn namespace<'a>(resolved: &ResolveResult<'a>) -> Option<&'a [u8]> {
    match resolved {
        ResolveResult::Bound(Namespace(ns)) => Some(ns),
        _ => None,
    }
}

/// Parses a whole document already sniffed as `format` and summarises it.
pub(super) fn summarise(format: Format, bytes: &[u8]) -> Parsed<OrderSummary> {
    let mut collector = Collector::new(format);
    walk(bytes, &mut collector)?;
    collector.finish()
}

/// Does `path` (local names from the root) equal `want`?
fn is(path: &[&str], want: &[&str]) -> bool {
    path.len() == want.len() && path.iter().zip(want).all(|(a, b)| a == b)
}

/// Is `path` `prefix` followed by exactly `rest`?
fn is_under(path: &[&str], prefix: &[&str], rest: &[&str]) -> bool {
    path.len() == prefix.len() + rest.len() && is(&path[..prefix.len()], prefix) && {
        path[prefix.len()..].iter().zip(rest).all(|(a, b)| a == b)
    }
}

/// Gathers the summary while the document streams past.
struct Collector {
    summary: OrderSummary,
    /// UBL: `PartyIdentification/ID`s, used when a party has no `EndpointID`.
    buyer_fallback: Option<String>,
    seller_fallback: Option<String>,
    /// UBL: `currencyID` of the payable amount, used without a `DocumentCurrencyCode`.
    amount_currency: Option<String>,
    /// openTRANS: the first `PARTY_ID` and the roles of the `PARTY` being read.
    party_id: Option<String>,
    party_roles: Vec<String>,
    /// openTRANS: `TOTAL_ITEM_NUM`, used when the items themselves are not listed.
    total_item_num: Option<u32>,
}

impl Collector {
    fn new(format: Format) -> Self {
        Self {
            summary: OrderSummary::empty(format),
            buyer_fallback: None,
            seller_fallback: None,
            amount_currency: None,
            party_id: None,
            party_roles: Vec::new(),
            total_item_num: None,
        }
    }

    fn finish(self) -> Parsed<OrderSummary> {
        let mut s = self.summary;
        if s.buyer_id.is_none() {
            s.buyer_id = self.buyer_fallback;
        }
        if s.seller_id.is_none() {
            s.seller_id = self.seller_fallback;
        }
        if s.currency.is_none() {
            s.currency = self.amount_currency.filter(|c| !c.trim().is_empty());
        }
        if s.line_count == 0 {
            s.line_count = self.total_item_num.unwrap_or(0);
        }
        Ok(s)
    }
}

impl Handler for Collector {
    fn start(&mut self, path: &[&str], attrs: &Attrs) -> Parsed<()> {
        let s = &mut self.summary;
        match s.format {
            Format::UblOrder | Format::UblOrderResponse => {
                if path.len() == 2 && path[1] == "OrderLine" {
                    s.line_count = s.line_count.saturating_add(1);
                }
                if self.amount_currency.is_none() && is_ubl_total(s.format, path) {
                    self.amount_currency.clone_from(&attrs.currency_id);
                }
            }
            Format::OpenTransOrder => {
                if is(
                    path,
                    &["ORDER", "ORDER_HEADER", "ORDER_INFO", "PARTIES", "PARTY"],
                ) {
                    self.party_id = None;
                    self.party_roles.clear();
                }
                if is(path, &["ORDER", "ORDER_ITEM_LIST", "ORDER_ITEM"]) {
                    s.line_count = s.line_count.saturating_add(1);
                }
            }
            Format::CxmlOrderRequest => {
                const HEADER: &[&str] = &["cXML", "Request", "OrderRequest", "OrderRequestHeader"];
                if is(path, HEADER) {
                    if let Some(id) = &attrs.order_id {
                        keep_first(&mut s.order_number, id);
                    }
                    if let Some(date) = &attrs.order_date {
                        s.issue_date = Some(iso_date("order date", date)?);
                    }
                }
                if is_under(path, HEADER, &["Total", "Money"]) {
                    if let Some(currency) = &attrs.currency {
                        keep_first(&mut s.currency, currency);
                    }
                }
                if is(path, &["cXML", "Request", "OrderRequest", "ItemOut"]) {
                    s.line_count = s.line_count.saturating_add(1);
                }
            }
            Format::EdifactOrders => {}
        }
        Ok(())
    }

    fn end(&mut self, path: &[&str], _attrs: &Attrs, text: &str) -> Parsed<()> {
        let s = &mut self.summary;
        match s.format {
            Format::UblOrder | Format::UblOrderResponse => {
                let root = path.first().copied().unwrap_or("");
                let party =
                    |role: &str, rest: &[&str]| is_under(path, &[root, role, "Party"], rest);
                if is(path, &[root, "ID"]) {
                    keep_first(&mut s.order_number, text);
                } else if is(path, &[root, "IssueDate"]) {
                    s.issue_date = Some(iso_date("issue date", text)?);
                } else if is(path, &[root, "DocumentCurrencyCode"]) {
                    keep_first(&mut s.currency, text);
                } else if party("BuyerCustomerParty", &["EndpointID"]) {
                    keep_first(&mut s.buyer_id, text);
                } else if party("BuyerCustomerParty", &["PartyIdentification", "ID"]) {
                    keep_first(&mut self.buyer_fallback, text);
                } else if party("SellerSupplierParty", &["EndpointID"]) {
                    keep_first(&mut s.seller_id, text);
                } else if party("SellerSupplierParty", &["PartyIdentification", "ID"]) {
                    keep_first(&mut self.seller_fallback, text);
                } else if is_ubl_total(s.format, path) && s.total.is_none() {
                    s.total = Some(decimal("total", text)?);
                }
            }
            Format::OpenTransOrder => {
                const INFO: &[&str] = &["ORDER", "ORDER_HEADER", "ORDER_INFO"];
                const PARTY: &[&str] = &["ORDER", "ORDER_HEADER", "ORDER_INFO", "PARTIES", "PARTY"];
                const REFS: &[&str] = &[
                    "ORDER",
                    "ORDER_HEADER",
                    "ORDER_INFO",
                    "ORDER_PARTIES_REFERENCE",
                ];
                if is_under(path, INFO, &["ORDER_ID"]) {
                    keep_first(&mut s.order_number, text);
                } else if is_under(path, INFO, &["ORDER_DATE"]) {
                    s.issue_date = Some(iso_date("order date", text)?);
                } else if is_under(path, INFO, &["CURRENCY"]) {
                    keep_first(&mut s.currency, text);
                } else if is_under(path, PARTY, &["PARTY_ID"]) {
                    keep_first(&mut self.party_id, text);
                } else if is_under(path, PARTY, &["PARTY_ROLE"]) {
                    self.party_roles.push(text.trim().to_owned());
                } else if is(path, PARTY) {
                    if let Some(id) = self.party_id.take() {
                        for role in &self.party_roles {
                            match role.as_str() {
                                "buyer" => keep_first(&mut s.buyer_id, &id),
                                "supplier" => keep_first(&mut s.seller_id, &id),
                                _ => {}
                            }
                        }
                    }
                } else if is_under(path, REFS, &["BUYER_IDREF"]) {
                    keep_first(&mut self.buyer_fallback, text);
                } else if is_under(path, REFS, &["SUPPLIER_IDREF"]) {
                    keep_first(&mut self.seller_fallback, text);
                } else if is(path, &["ORDER", "ORDER_SUMMARY", "TOTAL_AMOUNT"]) {
                    s.total = Some(decimal("total", text)?);
                } else if is(path, &["ORDER", "ORDER_SUMMARY", "TOTAL_ITEM_NUM"]) {
                    let n = text.trim().parse::<u32>().map_err(|_| {
                        format!(
                            "TOTAL_ITEM_NUM {} is not a whole number",
                            super::quoted(text)
                        )
                    })?;
                    self.total_item_num = Some(n);
                }
            }
            Format::CxmlOrderRequest => {
                let identity =
                    |side: &str| is(path, &["cXML", "Header", side, "Credential", "Identity"]);
                if identity("From") {
                    keep_first(&mut s.buyer_id, text);
                } else if identity("To") {
                    keep_first(&mut s.seller_id, text);
                } else if is(
                    path,
                    &[
                        "cXML",
                        "Request",
                        "OrderRequest",
                        "OrderRequestHeader",
                        "Total",
                        "Money",
                    ],
                ) {
                    s.total = Some(decimal("total", text)?);
                }
            }
            Format::EdifactOrders => {}
        }
        Ok(())
    }
}

fn is_ubl_total(format: Format, path: &[&str]) -> bool {
    match format {
        Format::UblOrder => is(
            path,
            &["Order", "AnticipatedMonetaryTotal", "PayableAmount"],
        ),
        Format::UblOrderResponse => is(
            path,
            &["OrderResponse", "LegalMonetaryTotal", "PayableAmount"],
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{recognise, Recognition};
    use super::*;

    #[test]
    fn formats_xml_latin1_declaration_is_decoded() {
        let mut doc: Vec<u8> = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\
            <ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" version=\"2.1\">\
            <ORDER_HEADER><ORDER_INFO><ORDER_ID>M\xdcNCHEN-1</ORDER_ID></ORDER_INFO></ORDER_HEADER>\
            <ORDER_SUMMARY><TOTAL_ITEM_NUM>4</TOTAL_ITEM_NUM><TOTAL_AMOUNT>10</TOTAL_AMOUNT>\
            </ORDER_SUMMARY></ORDER>"
            .to_vec();
        let Recognition::Recognised(summary) = recognise(&doc) else {
            panic!("{:?}", recognise(&doc));
        };
        assert_eq!(summary.order_number.as_deref(), Some("MÜNCHEN-1"));
        assert_eq!(summary.line_count, 4, "TOTAL_ITEM_NUM without items");
        // The same bytes declared as UTF-8 are not UTF-8.
        let declared = b"ISO-8859-1";
        let at = doc
            .windows(declared.len())
            .position(|w| w == declared)
            .unwrap();
        doc.splice(at..at + declared.len(), b"UTF-8".iter().copied());
        assert!(matches!(
            recognise(&doc),
            Recognition::Malformed { format: Format::OpenTransOrder, ref error }
                if error.contains("not valid UTF-8")
        ));
    }

    #[test]
    fn formats_xml_sniffing_needs_the_root_namespace_and_cxml_request() {
        let ubl = b"<o:Order xmlns:o=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"/>";
        assert_eq!(sniff(ubl), Some(Format::UblOrder));
        assert_eq!(sniff(b"<Order/>"), None);
        assert_eq!(
            sniff(b"junk <Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"/>"),
            None
        );
        let cxml = b"<cXML><Header><From/></Header><Request><OrderRequest>";
        assert_eq!(sniff(cxml), Some(Format::CxmlOrderRequest));
        assert_eq!(sniff(b"<cXML><Response><Status/></Response></cXML>"), None);
        assert_eq!(
            sniff(b"<cXML><Message><PunchOutOrderMessage/></Message></cXML>"),
            None
        );
    }
}
