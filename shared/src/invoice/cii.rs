//! UN/CEFACT Cross Industry Invoice (D16B, `rsm:CrossIndustryInvoice`), as XRechnung (CII
//! syntax), Factur-X and ZUGFeRD 2 use it in every profile from MINIMUM to EXTENDED.
//!
//! Read: the document context's guideline (the profile), the exchanged document (number, type
//! code, issue date), the lines, the header agreement (buyer reference, seller and buyer, the
//! buyer's order), and the header settlement (currency, payment means, tax breakdown,
//! document-level allowances and charges, payment terms and due date, monetary summation, with
//! the tax total in the invoice currency). Left out: line-level allowances and charges, delivery,
//! referenced documents other than the order, and every other party.

use super::check::Extras;
use super::xml::{self, add_note, compact, decimal_once, AllowanceCharges, Attrs, PartyParts};
use super::{
    is_credit_note_code, InvoiceFormat, InvoiceKind, InvoiceLine, InvoiceSummary, Parsed, Read,
    TaxBreakdown, MAX_LINES,
};
use crate::formats::{iso_date, keep_first, quoted};

/// Breakdown entries and tax totals kept; real invoices have a few rates and one or two totals.
const MAX_TAXES: usize = 64;
const MAX_TAX_TOTALS: usize = 8;

/// Parses a whole Cross Industry Invoice.
///
/// # Errors
/// Where and why the document does not parse.
pub(super) fn parse(bytes: &[u8]) -> Parsed<Read> {
    let mut collector = Collector::default();
    xml::walk(bytes, &mut collector)?;
    Ok(collector.finish())
}

#[derive(Default)]
struct Collector {
    summary: Option<InvoiceSummary>,
    seller: PartyParts,
    buyer: PartyParts,
    in_line: bool,
    lines_cut: bool,
    in_tax: bool,
    /// The `TaxTotalAmount`s with their `currencyID`.
    tax_totals: Vec<(Option<String>, String)>,
    allowance_charges: AllowanceCharges,
    notes: Vec<String>,
    rounding: Option<String>,
}

impl Collector {
    fn summary(&mut self) -> &mut InvoiceSummary {
        self.summary
            .get_or_insert_with(|| InvoiceSummary::empty(InvoiceFormat::Cii))
    }

    fn finish(mut self) -> Read {
        let mut s = self
            .summary
            .take()
            .unwrap_or_else(|| InvoiceSummary::empty(InvoiceFormat::Cii));
        s.seller = self.seller.finish();
        s.buyer = self.buyer.finish();
        if s.type_code.as_deref().is_some_and(is_credit_note_code) {
            s.kind = InvoiceKind::CreditNote;
        }
        if !self.notes.is_empty() {
            s.payment_terms = Some(self.notes.join("\n"));
        }
        let chosen = self
            .tax_totals
            .iter()
            .position(|(currency, _)| currency.is_some() && *currency == s.currency)
            .unwrap_or(0);
        if chosen < self.tax_totals.len() {
            let (currency, amount) = self.tax_totals.swap_remove(chosen);
            if s.currency.is_none() {
                s.currency = currency;
            }
            s.tax_total = Some(amount);
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
}

const TRANSACTION: &str = "SupplyChainTradeTransaction";

impl xml::Handler for Collector {
    fn start(&mut self, path: &[&str], _attrs: &Attrs) -> Parsed<()> {
        let Some(rel) = path.get(1..) else {
            return Ok(());
        };
        match rel {
            [TRANSACTION, "IncludedSupplyChainTradeLineItem"] => {
                let lines = &mut self.summary().lines;
                let keep = lines.len() < MAX_LINES;
                if keep {
                    lines.push(InvoiceLine::default());
                }
                self.in_line = keep;
                self.lines_cut |= !keep;
            }
            [TRANSACTION, "ApplicableHeaderTradeSettlement", "ApplicableTradeTax"] => {
                let taxes = &mut self.summary().taxes;
                let keep = taxes.len() < MAX_TAXES;
                if keep {
                    taxes.push(TaxBreakdown::default());
                }
                self.in_tax = keep;
            }
            [TRANSACTION, "ApplicableHeaderTradeSettlement", "SpecifiedTradeAllowanceCharge"] => {
                self.allowance_charges.start();
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, path: &[&str], attrs: &Attrs, text: &str) -> Parsed<()> {
        let Some(rel) = path.get(1..) else {
            return Ok(());
        };
        match rel {
            ["ExchangedDocumentContext", "GuidelineSpecifiedDocumentContextParameter", "ID"] => {
                keep_first(&mut self.summary().profile, text);
            }
            ["ExchangedDocument", "ID"] => keep_first(&mut self.summary().invoice_number, text),
            ["ExchangedDocument", "TypeCode"] => keep_first(&mut self.summary().type_code, text),
            ["ExchangedDocument", "IssueDateTime", "DateTimeString"] => {
                self.summary().issue_date = Some(date("issue date", attrs, text)?);
            }
            [TRANSACTION, "IncludedSupplyChainTradeLineItem", field @ ..] if self.in_line => {
                if let Some(line) = self.summary().lines.last_mut() {
                    line_field(line, field, attrs, text)?;
                }
            }
            [TRANSACTION, "ApplicableHeaderTradeAgreement", rest @ ..] => match rest {
                ["BuyerReference"] => keep_first(&mut self.summary().buyer_reference, text),
                ["SellerTradeParty", field @ ..] => party(&mut self.seller, field, attrs, text),
                ["BuyerTradeParty", field @ ..] => party(&mut self.buyer, field, attrs, text),
                ["BuyerOrderReferencedDocument", "IssuerAssignedID"] => {
                    keep_first(&mut self.summary().order_reference, text);
                }
                _ => {}
            },
            [TRANSACTION, "ApplicableHeaderTradeSettlement", rest @ ..] => {
                self.settlement(rest, attrs, text)?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl Collector {
    /// A field of `ram:ApplicableHeaderTradeSettlement`.
    fn settlement(&mut self, rest: &[&str], attrs: &Attrs, text: &str) -> Parsed<()> {
        const MEANS: &str = "SpecifiedTradeSettlementPaymentMeans";
        const CHARGE: &str = "SpecifiedTradeAllowanceCharge";
        match rest {
            ["InvoiceCurrencyCode"] => keep_first(&mut self.summary().currency, text),
            [MEANS, "PayeePartyCreditorFinancialAccount", "IBANID"] => {
                keep_first(&mut self.summary().iban, &compact(text));
            }
            [MEANS, "PayeeSpecifiedCreditorFinancialInstitution", "BICID"] => {
                keep_first(&mut self.summary().bic, &compact(text));
            }
            ["ApplicableTradeTax", field] => {
                let in_tax = self.in_tax;
                if let Some(tax) = self.summary().taxes.last_mut().filter(|_| in_tax) {
                    match *field {
                        "CalculatedAmount" => decimal_once(&mut tax.tax, "tax amount", text)?,
                        "BasisAmount" => decimal_once(&mut tax.taxable, "taxable amount", text)?,
                        "CategoryCode" => keep_first(&mut tax.category, text),
                        "RateApplicablePercent" => decimal_once(&mut tax.rate, "tax rate", text)?,
                        _ => {}
                    }
                }
            }
            [CHARGE, "ChargeIndicator", "Indicator"] => self.allowance_charges.indicator(text)?,
            [CHARGE, "ActualAmount"] => {
                self.allowance_charges
                    .amount("allowance or charge amount", text)?;
            }
            [CHARGE] => self.allowance_charges.end(),
            ["SpecifiedTradePaymentTerms", "Description"] => add_note(&mut self.notes, text),
            ["SpecifiedTradePaymentTerms", "DueDateDateTime", "DateTimeString"]
                if self.summary().due_date.is_none() =>
            {
                self.summary().due_date = Some(date("due date", attrs, text)?);
            }
            ["SpecifiedTradeSettlementHeaderMonetarySummation", field] => {
                if *field == "TaxTotalAmount" {
                    if self.tax_totals.len() < MAX_TAX_TOTALS {
                        let amount = crate::formats::decimal("tax total", text)?;
                        let currency = attrs
                            .currency_id
                            .as_deref()
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned);
                        self.tax_totals.push((currency, amount));
                    }
                    return Ok(());
                }
                if *field == "RoundingAmount" {
                    return decimal_once(&mut self.rounding, "rounding amount", text);
                }
                let s = self.summary();
                let (slot, what) = match *field {
                    "LineTotalAmount" => (&mut s.line_total, "line total"),
                    "ChargeTotalAmount" => (&mut s.charge_total, "charge total"),
                    "AllowanceTotalAmount" => (&mut s.allowance_total, "allowance total"),
                    "TaxBasisTotalAmount" => (&mut s.net_total, "tax basis total"),
                    "GrandTotalAmount" => (&mut s.gross_total, "grand total"),
                    "TotalPrepaidAmount" => (&mut s.prepaid, "prepaid amount"),
                    "DuePayableAmount" => (&mut s.payable, "due payable amount"),
                    _ => return Ok(()),
                };
                decimal_once(slot, what, text)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// A field of `ram:SellerTradeParty` / `ram:BuyerTradeParty`.
fn party(p: &mut PartyParts, field: &[&str], attrs: &Attrs, text: &str) {
    match field {
        ["GlobalID"] => PartyParts::identifier(&mut p.id, attrs, text),
        ["ID"] => PartyParts::identifier(&mut p.other_id, &Attrs::default(), text),
        ["URIUniversalCommunication", "URIID"] => {
            PartyParts::identifier(&mut p.last_id, attrs, text);
        }
        ["Name"] => keep_first(&mut p.name, text),
        ["PostalTradeAddress", "LineOne" | "LineTwo" | "LineThree"] => p.street(text),
        ["PostalTradeAddress", "PostcodeCode"] => keep_first(&mut p.postcode, text),
        ["PostalTradeAddress", "CityName"] => keep_first(&mut p.city, text),
        ["PostalTradeAddress", "CountryID"] => keep_first(&mut p.country, text),
        ["SpecifiedTaxRegistration", "ID"] => match attrs.scheme_id.as_deref().map(str::trim) {
            Some("VA") => keep_first(&mut p.vat_id, text),
            Some(_) => {}
            None => keep_first(&mut p.other_vat_id, text),
        },
        _ => {}
    }
}

/// A field of `ram:IncludedSupplyChainTradeLineItem`.
fn line_field(l: &mut InvoiceLine, field: &[&str], attrs: &Attrs, text: &str) -> Parsed<()> {
    match field {
        ["AssociatedDocumentLineDocument", "LineID"] => keep_first(&mut l.id, text),
        ["SpecifiedTradeProduct", "SellerAssignedID"] => keep_first(&mut l.sku, text),
        ["SpecifiedTradeProduct", "Name"] => keep_first(&mut l.name, text),
        ["SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount"] => {
            decimal_once(&mut l.unit_price, "net price", text)?;
        }
        ["SpecifiedLineTradeDelivery", "BilledQuantity"] => {
            decimal_once(&mut l.quantity, "billed quantity", text)?;
            keep_first(&mut l.unit, attrs.unit_code.as_deref().unwrap_or(""));
        }
        ["SpecifiedLineTradeSettlement", "ApplicableTradeTax", "RateApplicablePercent"] => {
            decimal_once(&mut l.tax_rate, "line tax rate", text)?;
        }
        ["SpecifiedLineTradeSettlement", "SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount"] => {
            decimal_once(&mut l.net_amount, "line total amount", text)?
        }
        _ => {}
    }
    Ok(())
}

/// A `udt:DateTimeString` as `YYYY-MM-DD`: format 102 is `YYYYMMDD`; without a format an ISO
/// date is accepted too.
fn date(what: &str, attrs: &Attrs, text: &str) -> Parsed<String> {
    let trimmed = text.trim();
    let format = attrs.format.as_deref().map(str::trim);
    match format {
        None | Some("102") => {
            let digits = trimmed.len() == 8 && trimmed.bytes().all(|b| b.is_ascii_digit());
            if digits {
                let iso = format!("{}-{}-{}", &trimmed[..4], &trimmed[4..6], &trimmed[6..]);
                if crate::time::is_iso_date(&iso) {
                    return Ok(iso);
                }
            } else if format.is_none() {
                return iso_date(what, trimmed);
            }
            Err(format!(
                "{what} {} is not a date in format 102 (YYYYMMDD)",
                quoted(text)
            ))
        }
        Some(other) => Err(format!(
            "{what} uses date format {}; only format 102 (YYYYMMDD) is read",
            quoted(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(format: Option<&str>) -> Attrs {
        Attrs {
            format: format.map(str::to_owned),
            ..Attrs::default()
        }
    }

    #[test]
    fn invoice_cii_dates_are_format_102() {
        assert_eq!(
            date("issue date", &attrs(Some("102")), " 20240315 ").unwrap(),
            "2024-03-15"
        );
        assert_eq!(
            date("issue date", &attrs(None), "2024-03-15").unwrap(),
            "2024-03-15"
        );
        assert_eq!(
            date("issue date", &attrs(None), "20240315").unwrap(),
            "2024-03-15"
        );
        for bad in ["20240230", "2024-03-15", "15.03.2024", "", "2024031"] {
            let err = date("issue date", &attrs(Some("102")), bad).unwrap_err();
            assert!(err.contains("format 102"), "{bad}: {err}");
        }
        let err = date("due date", &attrs(Some("610")), "202403").unwrap_err();
        assert_eq!(
            err,
            "due date uses date format \"610\"; only format 102 (YYYYMMDD) is read"
        );
    }
}
