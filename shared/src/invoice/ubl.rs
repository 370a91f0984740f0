//! UBL 2.1 Invoice and CreditNote, as Peppol BIS Billing 3.0 and XRechnung (UBL syntax) use
//! them.
//!
//! Read: the header (customization, number, dates, type code, currency, buyer reference, order
//! reference), both parties, the lines (`InvoiceLine` / `CreditNoteLine`), the tax breakdown of
//! the `TaxTotal` in the document currency, document-level allowances and charges, the legal
//! monetary total, payment means (IBAN, BIC, due date) and payment terms. Left out: line-level
//! allowances and charges, sub-lines, delivery, attachments and every other party.

use super::check::Extras;
use super::xml::{self, add_note, compact, decimal_once, AllowanceCharges, Attrs, PartyParts};
use super::{
    is_credit_note_code, InvoiceKind, InvoiceLine, InvoiceSummary, Parsed, Read, TaxBreakdown,
    MAX_LINES,
};
use crate::formats::{iso_date, keep_first};

/// Tax totals and breakdown entries kept; real invoices have one or two, and a few rates.
const MAX_TAX_TOTALS: usize = 8;
const MAX_SUBTOTALS: usize = 64;

/// Parses a whole UBL Invoice (`root` [`xml::Root::UblInvoice`]) or CreditNote.
///
/// # Errors
/// Where and why the document does not parse.
pub(super) fn parse(root: xml::Root, bytes: &[u8]) -> Parsed<Read> {
    let mut collector = Collector::new(root);
    xml::walk(bytes, &mut collector)?;
    Ok(collector.finish())
}

/// One `cac:TaxTotal`.
#[derive(Debug, Default)]
struct TaxTotal {
    currency: Option<String>,
    amount: Option<String>,
    subtotals: Vec<TaxBreakdown>,
}

struct Collector {
    summary: InvoiceSummary,
    /// `InvoiceLine` or `CreditNoteLine`.
    line_element: &'static str,
    seller: PartyParts,
    buyer: PartyParts,
    /// The line being read is kept (fewer than [`MAX_LINES`] came before it).
    in_line: bool,
    lines_cut: bool,
    tax_totals: Vec<TaxTotal>,
    in_tax_total: bool,
    in_subtotal: bool,
    allowance_charges: AllowanceCharges,
    payment_due_date: Option<String>,
    notes: Vec<String>,
    /// `currencyID` of the payable amount, used without a `DocumentCurrencyCode`.
    payable_currency: Option<String>,
    rounding: Option<String>,
}

impl Collector {
    fn new(root: xml::Root) -> Self {
        let credit_note = root == xml::Root::UblCreditNote;
        let mut summary = InvoiceSummary::empty(root.format());
        if credit_note {
            summary.kind = InvoiceKind::CreditNote;
        }
        Self {
            summary,
            line_element: if credit_note {
                "CreditNoteLine"
            } else {
                "InvoiceLine"
            },
            seller: PartyParts::default(),
            buyer: PartyParts::default(),
            in_line: false,
            lines_cut: false,
            tax_totals: Vec::new(),
            in_tax_total: false,
            in_subtotal: false,
            allowance_charges: AllowanceCharges::default(),
            payment_due_date: None,
            notes: Vec::new(),
            payable_currency: None,
            rounding: None,
        }
    }

    fn finish(self) -> Read {
        let mut s = self.summary;
        s.seller = self.seller.finish();
        s.buyer = self.buyer.finish();
        if s.due_date.is_none() {
            s.due_date = self.payment_due_date;
        }
        if s.currency.is_none() {
            s.currency = self.payable_currency;
        }
        if s.type_code.as_deref().is_some_and(is_credit_note_code) {
            s.kind = InvoiceKind::CreditNote;
        }
        if !self.notes.is_empty() {
            s.payment_terms = Some(self.notes.join("\n"));
        }
        // The tax total in the document currency; without one, the first with a breakdown
        // (only that one may carry it), else the first.
        let mut totals = self.tax_totals;
        let chosen = totals
            .iter()
            .position(|t| t.currency.is_some() && t.currency == s.currency)
            .or_else(|| totals.iter().position(|t| !t.subtotals.is_empty()))
            .unwrap_or(0);
        if chosen < totals.len() {
            let mut total = totals.swap_remove(chosen);
            if total.subtotals.is_empty() {
                if let Some(other) = totals.iter_mut().find(|t| !t.subtotals.is_empty()) {
                    total.subtotals = std::mem::take(&mut other.subtotals);
                }
            }
            s.tax_total = total.amount;
            s.taxes = total.subtotals;
        }
        let (allowances, charges) = self.allowance_charges.sums();
        Read {
            summary: s,
            extras: Extras {
                rounding: self.rounding,
                allowances,
                charges,
                lines_cut: self.lines_cut,
            },
        }
    }

    fn line(&mut self) -> Option<&mut InvoiceLine> {
        if self.in_line {
            self.summary.lines.last_mut()
        } else {
            None
        }
    }

    fn subtotal(&mut self) -> Option<&mut TaxBreakdown> {
        if self.in_tax_total && self.in_subtotal {
            self.tax_totals.last_mut()?.subtotals.last_mut()
        } else {
            None
        }
    }
}

impl xml::Handler for Collector {
    fn start(&mut self, path: &[&str], _attrs: &Attrs) -> Parsed<()> {
        let Some(rel) = path.get(1..) else {
            return Ok(());
        };
        match rel {
            [line] if *line == self.line_element => {
                self.in_line = self.summary.lines.len() < MAX_LINES;
                if self.in_line {
                    self.summary.lines.push(InvoiceLine::default());
                } else {
                    self.lines_cut = true;
                }
            }
            ["TaxTotal"] => {
                self.in_tax_total = self.tax_totals.len() < MAX_TAX_TOTALS;
                if self.in_tax_total {
                    self.tax_totals.push(TaxTotal::default());
                }
            }
            ["TaxTotal", "TaxSubtotal"] => {
                self.in_subtotal = false;
                if let Some(total) = self.tax_totals.last_mut().filter(|_| self.in_tax_total) {
                    if total.subtotals.len() < MAX_SUBTOTALS {
                        total.subtotals.push(TaxBreakdown::default());
                        self.in_subtotal = true;
                    }
                }
            }
            ["AllowanceCharge"] => self.allowance_charges.start(),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, path: &[&str], attrs: &Attrs, text: &str) -> Parsed<()> {
        let Some(rel) = path.get(1..) else {
            return Ok(());
        };
        let s = &mut self.summary;
        match rel {
            ["CustomizationID"] => keep_first(&mut s.profile, text),
            ["ID"] => keep_first(&mut s.invoice_number, text),
            ["IssueDate"] => s.issue_date = Some(iso_date("issue date", text)?),
            ["DueDate"] => s.due_date = Some(iso_date("due date", text)?),
            ["InvoiceTypeCode" | "CreditNoteTypeCode"] => keep_first(&mut s.type_code, text),
            ["DocumentCurrencyCode"] => keep_first(&mut s.currency, text),
            ["BuyerReference"] => keep_first(&mut s.buyer_reference, text),
            ["OrderReference", "ID"] => keep_first(&mut s.order_reference, text),
            ["AccountingSupplierParty", "Party", rest @ ..] => {
                party(&mut self.seller, rest, attrs, text)
            }
            ["AccountingCustomerParty", "Party", rest @ ..] => {
                party(&mut self.buyer, rest, attrs, text)
            }
            ["PaymentMeans", "PaymentDueDate"] if self.payment_due_date.is_none() => {
                self.payment_due_date = Some(iso_date("payment due date", text)?);
            }
            ["PaymentMeans", "PayeeFinancialAccount", "ID"] => {
                keep_first(&mut s.iban, &compact(text))
            }
            ["PaymentMeans", "PayeeFinancialAccount", "FinancialInstitutionBranch", "ID"] => {
                keep_first(&mut s.bic, &compact(text));
            }
            ["PaymentTerms", "Note"] => add_note(&mut self.notes, text),
            ["AllowanceCharge", "ChargeIndicator"] => self.allowance_charges.indicator(text)?,
            ["AllowanceCharge", "Amount"] => {
                self.allowance_charges
                    .amount("allowance or charge amount", text)?;
            }
            ["AllowanceCharge"] => self.allowance_charges.end(),
            ["TaxTotal", "TaxAmount"] => {
                if let Some(total) = self.tax_totals.last_mut().filter(|_| self.in_tax_total) {
                    decimal_once(&mut total.amount, "tax amount", text)?;
                    keep_first(
                        &mut total.currency,
                        attrs.currency_id.as_deref().unwrap_or(""),
                    );
                }
            }
            ["TaxTotal", "TaxSubtotal", field @ ..] => {
                if let Some(sub) = self.subtotal() {
                    match field {
                        ["TaxableAmount"] => {
                            decimal_once(&mut sub.taxable, "taxable amount", text)?
                        }
                        ["TaxAmount"] => decimal_once(&mut sub.tax, "tax amount", text)?,
                        ["TaxCategory", "ID"] => keep_first(&mut sub.category, text),
                        ["TaxCategory", "Percent"] | ["Percent"] => {
                            decimal_once(&mut sub.rate, "tax rate", text)?;
                        }
                        _ => {}
                    }
                }
            }
            ["LegalMonetaryTotal", field] => {
                let (slot, what) = match *field {
                    "LineExtensionAmount" => (&mut s.line_total, "line total"),
                    "TaxExclusiveAmount" => (&mut s.net_total, "tax exclusive amount"),
                    "TaxInclusiveAmount" => (&mut s.gross_total, "tax inclusive amount"),
                    "AllowanceTotalAmount" => (&mut s.allowance_total, "allowance total"),
                    "ChargeTotalAmount" => (&mut s.charge_total, "charge total"),
                    "PrepaidAmount" => (&mut s.prepaid, "prepaid amount"),
                    "PayableRoundingAmount" => (&mut self.rounding, "rounding amount"),
                    "PayableAmount" => {
                        keep_first(
                            &mut self.payable_currency,
                            attrs.currency_id.as_deref().unwrap_or(""),
                        );
                        (&mut s.payable, "payable amount")
                    }
                    _ => return Ok(()),
                };
                decimal_once(slot, what, text)?;
            }
            [line, field @ ..] if *line == self.line_element => {
                if let Some(l) = self.line() {
                    line_field(l, field, attrs, text)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A field of `cac:Party`.
fn party(p: &mut PartyParts, rest: &[&str], attrs: &Attrs, text: &str) {
    match rest {
        ["EndpointID"] => PartyParts::identifier(&mut p.id, attrs, text),
        ["PartyIdentification", "ID"] => PartyParts::identifier(&mut p.other_id, attrs, text),
        ["PartyName", "Name"] => keep_first(&mut p.name, text),
        ["PartyLegalEntity", "RegistrationName"] => keep_first(&mut p.other_name, text),
        ["PartyTaxScheme", "CompanyID"] => keep_first(&mut p.tax_company_id, text),
        ["PartyTaxScheme", "TaxScheme", "ID"] => keep_first(&mut p.tax_scheme, text),
        ["PartyTaxScheme"] => {
            let company = p.tax_company_id.take().unwrap_or_default();
            match p.tax_scheme.take() {
                Some(scheme) if scheme.eq_ignore_ascii_case("VAT") => {
                    keep_first(&mut p.vat_id, &company);
                }
                Some(_) => {}
                None => keep_first(&mut p.other_vat_id, &company),
            }
        }
        ["PostalAddress", "StreetName" | "AdditionalStreetName"]
        | ["PostalAddress", "AddressLine", "Line"] => p.street(text),
        ["PostalAddress", "PostalZone"] => keep_first(&mut p.postcode, text),
        ["PostalAddress", "CityName"] => keep_first(&mut p.city, text),
        ["PostalAddress", "Country", "IdentificationCode"] => keep_first(&mut p.country, text),
        _ => {}
    }
}

/// A field of `cac:InvoiceLine` / `cac:CreditNoteLine`.
fn line_field(l: &mut InvoiceLine, field: &[&str], attrs: &Attrs, text: &str) -> Parsed<()> {
    match field {
        ["ID"] => keep_first(&mut l.id, text),
        ["InvoicedQuantity" | "CreditedQuantity"] => {
            decimal_once(&mut l.quantity, "quantity", text)?;
            keep_first(&mut l.unit, attrs.unit_code.as_deref().unwrap_or(""));
        }
        ["LineExtensionAmount"] => decimal_once(&mut l.net_amount, "line amount", text)?,
        ["Item", "Name"] => keep_first(&mut l.name, text),
        ["Item", "SellersItemIdentification", "ID"] => keep_first(&mut l.sku, text),
        ["Item", "ClassifiedTaxCategory", "Percent"] => {
            decimal_once(&mut l.tax_rate, "line tax rate", text)?;
        }
        ["Price", "PriceAmount"] => decimal_once(&mut l.unit_price, "price", text)?,
        _ => {}
    }
    Ok(())
}
