//! The XML toolkit of the e-invoice formats: sniffing the root element, a streaming walk over a
//! document with `quick-xml`'s namespace-aware reader, and the pieces UBL and CII share (a
//! party's parts, document-level allowance sums, the small value readers).
//!
//! Elements are identified by their path of local names from the root, so an `ID` inside a
//! party or a line is never taken for the invoice's number. Document type declarations are
//! skipped unread: only XML's five predefined entities and character references are resolved,
//! and any other entity reference is an error, so nothing a DTD declares can expand.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use super::decimal::Dec;
use super::{InvoiceFormat, InvoiceParty, Parsed, PartyIdentifier};
use crate::formats::{decimal, keep_first, line_column, quoted};

const UBL_INVOICE_NS: &[u8] = b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const UBL_CREDIT_NOTE_NS: &[u8] = b"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CII_NS: &[u8] = b"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const ZUGFERD_ONE_NS: &[u8] = b"urn:ferd:CrossIndustryDocument:invoice:1p0";

/// Deepest element nesting accepted; real invoices stay far below it.
const MAX_DEPTH: usize = 256;

/// The root element of an e-invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Root {
    UblInvoice,
    UblCreditNote,
    Cii,
    /// ZUGFeRD 1.0's `CrossIndustryDocument`: recognised, to say it is not read.
    ZugferdOne,
}

impl Root {
    pub(super) fn format(self) -> InvoiceFormat {
        match self {
            Root::UblInvoice => InvoiceFormat::UblInvoice,
            Root::UblCreditNote => InvoiceFormat::UblCreditNote,
            Root::Cii | Root::ZugferdOne => InvoiceFormat::Cii,
        }
    }
}

/// Decides from the root element and its namespace whether `head` is an e-invoice.
pub(super) fn sniff(head: &[u8]) -> Option<Root> {
    let mut reader = NsReader::from_reader(head);
    // Stops at a parse error too: the head may cut the document anywhere.
    while let Ok((resolved, event)) = reader.read_resolved_event() {
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let ns = match resolved {
                    ResolveResult::Bound(Namespace(ns)) => Some(ns),
                    _ => None,
                };
                return match (e.local_name().as_ref(), ns) {
                    (b"Invoice", Some(UBL_INVOICE_NS)) => Some(Root::UblInvoice),
                    (b"CreditNote", Some(UBL_CREDIT_NOTE_NS)) => Some(Root::UblCreditNote),
                    (b"CrossIndustryInvoice", Some(CII_NS)) => Some(Root::Cii),
                    (b"CrossIndustryDocument", Some(ZUGFERD_ONE_NS)) => Some(Root::ZugferdOne),
                    _ => None,
                };
            }
            Event::Text(ref t) if !is_blank(t) => return None,
            Event::Eof | Event::End(_) | Event::CData(_) | Event::GeneralRef(_) => return None,
            _ => {}
        }
    }
    None
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// The attributes the formats read, of the element being opened or closed.
#[derive(Debug, Default)]
pub(super) struct Attrs {
    pub(super) scheme_id: Option<String>,
    pub(super) currency_id: Option<String>,
    pub(super) unit_code: Option<String>,
    /// CII `udt:DateTimeString/@format`.
    pub(super) format: Option<String>,
}

/// What a format does while a document streams past. `path` holds the local names from the
/// root to the element at hand.
pub(super) trait Handler {
    /// An element opens.
    ///
    /// # Errors
    /// Why the document is not one of the format's.
    fn start(&mut self, path: &[&str], attrs: &Attrs) -> Parsed<()>;

    /// An element closes; `text` is its text after its last child element.
    ///
    /// # Errors
    /// Why the value is not acceptable (a number that is none, a date that is none, …).
    fn end(&mut self, path: &[&str], attrs: &Attrs, text: &str) -> Parsed<()>;
}

/// How the document's bytes become text; only encodings that are cheap to decode exactly.
#[derive(Clone, Copy)]
enum Encoding {
    Utf8,
    Latin1,
}

impl Encoding {
    fn from_label(label: &[u8]) -> Parsed<Self> {
        match label.to_ascii_lowercase().as_slice() {
            b"utf-8" | b"utf8" | b"us-ascii" | b"ascii" => Ok(Self::Utf8),
            b"iso-8859-1" | b"latin1" | b"iso_8859-1" | b"l1" => Ok(Self::Latin1),
            other => Err(format!(
                "the encoding \"{}\" is not supported; send UTF-8 or ISO-8859-1",
                String::from_utf8_lossy(other)
            )),
        }
    }

    fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            Self::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_owned),
            Self::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        }
    }
}

/// Walks a whole document, telling `handler` about each element.
///
/// # Errors
/// Where and why the document is not well-formed XML, or what `handler` objected to, as
/// `line L, column C: why`.
pub(super) fn walk(bytes: &[u8], handler: &mut impl Handler) -> Parsed<()> {
    let mut reader = NsReader::from_reader(bytes);
    let mut encoding = Encoding::Utf8;
    let mut names: Vec<String> = Vec::new();
    let mut attrs: Vec<Attrs> = Vec::new();
    let mut text = String::new();
    let mut seen_root = false;
    // Our own findings are placed at the event just read; the parser's at the error it found.
    let located = |offset: u64, why: String| {
        let (line, column) = line_column(bytes, usize::try_from(offset).unwrap_or(usize::MAX));
        format!("line {line}, column {column}: {why}")
    };
    let at = |reader: &NsReader<&[u8]>, why: String| located(reader.buffer_position(), why);
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => return Err(located(reader.error_position(), err.to_string())),
        };
        match event {
            Event::Decl(ref decl) => {
                if let Some(Ok(label)) = decl.encoding() {
                    encoding = Encoding::from_label(&label)?;
                }
            }
            Event::DocType(ref doctype) => {
                if doctype
                    .windows(8)
                    .any(|w| w.eq_ignore_ascii_case(b"<!ENTITY"))
                {
                    return Err(
                        "the document type declaration declares entities, which are not accepted"
                            .to_owned(),
                    );
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if names.is_empty() && seen_root {
                    return Err(at(&reader, "content after the root element".to_owned()));
                }
                if names.len() >= MAX_DEPTH {
                    return Err(at(
                        &reader,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                seen_root = true;
                let name = encoding
                    .decode(e.local_name().as_ref())
                    .ok_or_else(|| at(&reader, "an element name is not valid UTF-8".to_owned()))?;
                names.push(name);
                attrs.push(read_attrs(e, encoding).map_err(|why| at(&reader, why))?);
                text.clear();
                let path: Vec<&str> = names.iter().map(String::as_str).collect();
                let open = attrs.last().map_or(&NO_ATTRS, |a| a);
                handler.start(&path, open).map_err(|why| at(&reader, why))?;
                if matches!(event, Event::Empty(_)) {
                    handler
                        .end(&path, open, "")
                        .map_err(|why| at(&reader, why))?;
                    names.pop();
                    attrs.pop();
                }
            }
            Event::End(_) => {
                let path: Vec<&str> = names.iter().map(String::as_str).collect();
                let open = attrs.last().map_or(&NO_ATTRS, |a| a);
                handler
                    .end(&path, open, &text)
                    .map_err(|why| at(&reader, why))?;
                text.clear();
                names.pop();
                attrs.pop();
            }
            Event::Text(ref t) => {
                if names.is_empty() {
                    if !is_blank(t) {
                        return Err(at(&reader, "text outside the root element".to_owned()));
                    }
                } else {
                    let piece = encoding
                        .decode(t)
                        .ok_or_else(|| at(&reader, "text is not valid UTF-8".to_owned()))?;
                    text.push_str(&piece);
                }
            }
            Event::CData(ref c) => {
                let piece = encoding
                    .decode(c)
                    .ok_or_else(|| at(&reader, "text is not valid UTF-8".to_owned()))?;
                text.push_str(&piece);
            }
            Event::GeneralRef(ref r) => {
                let c = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        _ => return Err(at(&reader, "an invalid character reference".to_owned())),
                    }
                } else {
                    predefined_entity(r).ok_or_else(|| {
                        at(
                            &reader,
                            format!(
                                "the entity &{}; is not one of XML's predefined ones; \
                                 entities declared in a DTD are not expanded",
                                String::from_utf8_lossy(r)
                            ),
                        )
                    })?
                };
                text.push(c);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::PI(_) => {}
        }
    }
    if let Some(open) = names.last() {
        return Err(format!(
            "the document ends before </{open}> is closed; is the file cut off?"
        ));
    }
    if !seen_root {
        return Err("the document has no root element".to_owned());
    }
    Ok(())
}

const NO_ATTRS: Attrs = Attrs {
    scheme_id: None,
    currency_id: None,
    unit_code: None,
    format: None,
};

fn predefined_entity(name: &[u8]) -> Option<char> {
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"apos" => Some('\''),
        b"quot" => Some('"'),
        _ => None,
    }
}

/// The attributes of `e` the formats read, decoded and unescaped.
fn read_attrs(e: &BytesStart, encoding: Encoding) -> Parsed<Attrs> {
    let mut attrs = Attrs::default();
    for attr in e.attributes().with_checks(false) {
        let attr = attr.map_err(|err| err.to_string())?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let slot = match attr.key.local_name().as_ref() {
            b"schemeID" => &mut attrs.scheme_id,
            b"currencyID" => &mut attrs.currency_id,
            b"unitCode" => &mut attrs.unit_code,
            b"format" => &mut attrs.format,
            _ => continue,
        };
        let raw = encoding
            .decode(&attr.value)
            .ok_or_else(|| "an attribute value is not valid UTF-8".to_owned())?;
        let value = quick_xml::escape::unescape(&raw)
            .map_err(|err| format!("{err}; entities declared in a DTD are not expanded"))?;
        keep_first(slot, &value);
    }
    Ok(attrs)
}

/// Sets `slot` to the decimal `text` unless it holds one already.
///
/// # Errors
/// `text` is not a decimal number.
pub(super) fn decimal_once(slot: &mut Option<String>, what: &str, text: &str) -> Parsed<()> {
    if slot.is_none() {
        *slot = Some(decimal(what, text)?);
    }
    Ok(())
}

/// An IBAN or BIC as printed (`DE02 1203 …`) without its spaces.
pub(super) fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Adds a line of payment terms.
pub(super) fn add_note(notes: &mut Vec<String>, text: &str) {
    /// Enough for any real terms; more are dropped.
    const MAX_NOTES: usize = 16;
    let text = text.trim();
    if !text.is_empty() && notes.len() < MAX_NOTES {
        notes.push(text.to_owned());
    }
}

/// Reads an `xsd:boolean` charge indicator: `true` for a charge, `false` for an allowance.
///
/// # Errors
/// The text is not a boolean.
pub(super) fn indicator(text: &str) -> Parsed<bool> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(format!(
            "the charge indicator {} is neither true nor false",
            quoted(other)
        )),
    }
}

/// The document-level allowances and charges as they are read, summed exactly.
#[derive(Debug, Default)]
pub(super) struct AllowanceCharges {
    /// The one being read: is it a charge, and its amount.
    charge: Option<bool>,
    amount: Option<String>,
    allowances: Option<Dec>,
    charges: Option<Dec>,
    /// A sum overflowed; neither is reported.
    overflow: bool,
}

impl AllowanceCharges {
    pub(super) fn start(&mut self) {
        self.charge = None;
        self.amount = None;
    }

    /// # Errors
    /// The text is not a boolean.
    pub(super) fn indicator(&mut self, text: &str) -> Parsed<()> {
        self.charge = Some(indicator(text)?);
        Ok(())
    }

    /// # Errors
    /// The text is not a decimal number.
    pub(super) fn amount(&mut self, what: &str, text: &str) -> Parsed<()> {
        decimal_once(&mut self.amount, what, text)
    }

    /// The allowance or charge is complete.
    pub(super) fn end(&mut self) {
        let (Some(charge), Some(amount)) = (self.charge.take(), self.amount.take()) else {
            return;
        };
        let sum = if charge {
            &mut self.charges
        } else {
            &mut self.allowances
        };
        match Dec::parse(&amount).and_then(|a| sum.unwrap_or(Dec::ZERO).add(a)) {
            Some(total) => *sum = Some(total),
            None => self.overflow = true,
        }
    }

    /// The sums of allowances and of charges, each absent when there was none.
    pub(super) fn sums(&self) -> (Option<String>, Option<String>) {
        if self.overflow {
            return (None, None);
        }
        let text = |d: Option<Dec>| d.and_then(Dec::cents).map(super::decimal::money);
        (text(self.allowances), text(self.charges))
    }
}

/// A party's parts as they are read, put together at its end.
#[derive(Debug, Default)]
pub(super) struct PartyParts {
    pub(super) name: Option<String>,
    /// A name to use when there is no `name` (UBL's legal registration name).
    pub(super) other_name: Option<String>,
    pub(super) id: Option<PartyIdentifier>,
    /// Identifiers to use, in this order, when there is no `id`.
    pub(super) other_id: Option<PartyIdentifier>,
    pub(super) last_id: Option<PartyIdentifier>,
    pub(super) vat_id: Option<String>,
    /// A tax registration of no named scheme, used when there is no VAT one.
    pub(super) other_vat_id: Option<String>,
    pub(super) street: Vec<String>,
    pub(super) postcode: Option<String>,
    pub(super) city: Option<String>,
    pub(super) country: Option<String>,
    /// UBL: the `PartyTaxScheme` being read.
    pub(super) tax_company_id: Option<String>,
    pub(super) tax_scheme: Option<String>,
}

impl PartyParts {
    /// An identifier with its scheme, unless `slot` holds one already or `value` is blank.
    pub(super) fn identifier(slot: &mut Option<PartyIdentifier>, attrs: &Attrs, value: &str) {
        let value = value.trim();
        if slot.is_none() && !value.is_empty() {
            *slot = Some(PartyIdentifier {
                scheme: attrs
                    .scheme_id
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                value: value.to_owned(),
            });
        }
    }

    pub(super) fn street(&mut self, text: &str) {
        /// Street lines kept; more are dropped.
        const MAX_STREET: usize = 4;
        let text = text.trim();
        if !text.is_empty() && self.street.len() < MAX_STREET {
            self.street.push(text.to_owned());
        }
    }

    pub(super) fn finish(self) -> InvoiceParty {
        let place = [self.postcode, self.city]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let parts: Vec<String> = self
            .street
            .into_iter()
            .chain((!place.is_empty()).then_some(place))
            .chain(self.country)
            .collect();
        InvoiceParty {
            name: self.name.or(self.other_name),
            id: self.id.or(self.other_id).or(self.last_id),
            vat_id: self.vat_id.or(self.other_vat_id),
            address: (!parts.is_empty()).then(|| parts.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_xml_sniffing_needs_the_root_namespace() {
        let ubl = b"<?xml version=\"1.0\"?>\n<!-- x --><i:Invoice \
            xmlns:i=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">";
        assert_eq!(sniff(ubl), Some(Root::UblInvoice));
        let cn =
            b"<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\"/>";
        assert_eq!(sniff(cn), Some(Root::UblCreditNote));
        let cii = b"<rsm:CrossIndustryInvoice \
            xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\">";
        assert_eq!(sniff(cii), Some(Root::Cii));
        for other in [
            &b"<Invoice/>"[..],
            b"<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"/>",
            b"<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"/>",
            b"junk <CrossIndustryInvoice \
              xmlns=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\"/>",
            b"",
            b"<",
        ] {
            assert_eq!(sniff(other), None, "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn invoice_xml_party_parts_make_one_address_line() {
        let mut parts = PartyParts::default();
        parts.street("Industriestraße 12 ");
        parts.street("Halle 3");
        parts.postcode = Some("70565".into());
        parts.city = Some("Stuttgart".into());
        parts.country = Some("DE".into());
        parts.other_name = Some("Legal GmbH".into());
        let party = parts.finish();
        assert_eq!(
            party.address.as_deref(),
            Some("Industriestraße 12, Halle 3, 70565 Stuttgart, DE")
        );
        assert_eq!(party.name.as_deref(), Some("Legal GmbH"));
        assert_eq!(PartyParts::default().finish(), InvoiceParty::default());
        let only_city = PartyParts {
            city: Some("Wien".into()),
            ..PartyParts::default()
        };
        assert_eq!(only_city.finish().address.as_deref(), Some("Wien"));
    }

    #[test]
    fn invoice_xml_allowances_and_charges_are_summed_exactly() {
        let mut ac = AllowanceCharges::default();
        for (charge, amount) in [("false", "10.10"), ("true", "15"), ("0", "0.20")] {
            ac.start();
            ac.indicator(charge).unwrap();
            ac.amount("amount", amount).unwrap();
            ac.end();
        }
        assert_eq!(ac.sums(), (Some("10.30".into()), Some("15.00".into())));
        assert!(ac.indicator("yes").is_err());
        assert_eq!(AllowanceCharges::default().sums(), (None, None));
    }
}
