//! The XML toolkit of the e-invoice formats: sniffing the root element, the streaming walk the
//! order formats use too (`crate::formats::walk`), and the pieces UBL and CII share (a
//! party's parts, document-level allowance sums, the small value readers).
//!
//! Elements are identified by their path of local names from the root, so an `ID` inside a
//! party or a line is never taken for the invoice's number. Document type declarations are
//! skipped unread: only XML's five predefined entities and character references are resolved,
//! and any other entity reference is an error, so nothing a DTD declares can expand.

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use super::decimal::Dec;
use super::{InvoiceFormat, InvoiceParty, Parsed, PartyIdentifier};
use crate::formats::walk::is_blank;
pub(super) use crate::formats::walk::{walk, Attrs, Handler};
use crate::formats::{decimal, quoted};

const UBL_INVOICE_NS: &[u8] = b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const UBL_CREDIT_NOTE_NS: &[u8] = b"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CII_NS: &[u8] = b"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const ZUGFERD_ONE_NS: &[u8] = b"urn:ferd:CrossIndustryDocument:invoice:1p0";

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
