//! Recognises the e-invoices partners send and summarises them for the invoices worker: UBL 2.1
//! Invoice and CreditNote (Peppol BIS Billing 3.0, XRechnung UBL), UN/CEFACT Cross Industry
//! Invoice D16B (XRechnung CII, Factur-X / ZUGFeRD 2 profiles), and ZUGFeRD / Factur-X PDFs that
//! carry such a CII file as an embedded attachment.
//!
//! [`read`] sniffs the start of the file (at most [`SNIFF_BYTES`]): the XML root element and its
//! namespace, or the PDF header. Only a file that sniffs as an e-invoice is parsed in full (up
//! to [`PARSE_MAX_BYTES`]; a PDF is scanned up to [`PDF_MAX_BYTES`]). One that sniffs as an
//! e-invoice but does not parse is [`Reading::Malformed`] with a readable reason; a PDF without an
//! embedded e-invoice is [`Reading::Unknown`], since it is most likely a plain PDF invoice.
//! A recognised invoice is checked (its sums, dates and required fields); the checks add
//! [`Finding`]s and never refuse the invoice.
//!
//! The work is linear in the input and bounded: XML is read with a streaming parser, no DOM is
//! built, document type declarations are never processed and element nesting is limited; the PDF
//! scanner reads objects without following the cross-reference table, and inflates only a
//! bounded number of streams into a bounded number of bytes.

mod check;
mod cii;
mod decimal;
mod pdf;
mod ubl;
mod xml;

#[cfg(test)]
mod testpdf;

use serde::{Deserialize, Serialize};

pub use crate::formats::{PARSE_MAX_BYTES, SNIFF_BYTES};
pub use pdf::PDF_MAX_BYTES;

/// A known e-invoice format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceFormat {
    /// UBL 2.1 Invoice (Peppol BIS Billing 3.0, XRechnung UBL).
    UblInvoice,
    /// UBL 2.1 CreditNote.
    UblCreditNote,
    /// UN/CEFACT Cross Industry Invoice as a plain XML file (XRechnung CII, Factur-X XML).
    Cii,
    /// A Cross Industry Invoice embedded in a PDF (ZUGFeRD 2 / Factur-X, PDF/A-3).
    Zugferd,
}

/// Whether the document asks for money or gives it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    Invoice,
    /// A UBL CreditNote, or a document whose type code is a credit note's (381, …).
    CreditNote,
}

/// What the invoices worker keeps of an e-invoice. Amounts, quantities and rates are exact
/// decimal texts with `.` as decimal mark, as the document writes them (never floats); dates are
/// `YYYY-MM-DD`. Every `Option` is absent when the document does not carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceSummary {
    pub format: InvoiceFormat,
    pub kind: InvoiceKind,
    /// UBL `CustomizationID`; CII `GuidelineSpecifiedDocumentContextParameter/ID`.
    pub profile: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    /// UBL `DueDate` (or `PaymentMeans/PaymentDueDate`); CII `SpecifiedTradePaymentTerms`'s
    /// `DueDateDateTime`.
    pub due_date: Option<String>,
    /// UNTDID 1001 document type code as written: 380, 381, …
    pub type_code: Option<String>,
    /// ISO 4217 code of the document currency.
    pub currency: Option<String>,
    /// The buyer's reference (XRechnung: the Leitweg-ID).
    pub buyer_reference: Option<String>,
    /// The buyer's order number the invoice refers to.
    pub order_reference: Option<String>,
    pub seller: InvoiceParty,
    pub buyer: InvoiceParty,
    /// The invoice lines, at most [`MAX_LINES`] of them.
    pub lines: Vec<InvoiceLine>,
    /// The tax breakdown, one entry per category and rate.
    pub taxes: Vec<TaxBreakdown>,
    /// The sum of the lines' net amounts as stated (`LineExtensionAmount` / `LineTotalAmount`).
    pub line_total: Option<String>,
    /// Document-level allowances as stated.
    pub allowance_total: Option<String>,
    /// Document-level charges as stated.
    pub charge_total: Option<String>,
    /// The total without tax (`TaxExclusiveAmount` / `TaxBasisTotalAmount`).
    pub net_total: Option<String>,
    /// The tax total in the document currency.
    pub tax_total: Option<String>,
    /// The total with tax (`TaxInclusiveAmount` / `GrandTotalAmount`).
    pub gross_total: Option<String>,
    pub prepaid: Option<String>,
    /// The amount due (`PayableAmount` / `DuePayableAmount`).
    pub payable: Option<String>,
    /// The payment terms' text, several notes one a line.
    pub payment_terms: Option<String>,
    /// The seller's account to pay to, without spaces.
    pub iban: Option<String>,
    pub bic: Option<String>,
    /// Only for an invoice read from a PDF: the embedded file's name (`factur-x.xml`,
    /// `zugferd-invoice.xml`, `xrechnung.xml`, …); absent when no file specification names it.
    pub attachment_name: Option<String>,
}

/// The seller or the buyer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceParty {
    pub name: Option<String>,
    /// UBL `EndpointID`, else the first `PartyIdentification/ID`; CII `GlobalID`, else `ID`,
    /// else the electronic address (`URIUniversalCommunication/URIID`).
    pub id: Option<PartyIdentifier>,
    /// UBL `PartyTaxScheme/CompanyID` of the VAT scheme; CII `SpecifiedTaxRegistration/ID`
    /// with `schemeID="VA"`.
    pub vat_id: Option<String>,
    /// One line: street, postcode city, country code.
    pub address: Option<String>,
}

/// An identifier with the scheme it belongs to (ISO 6523 ICD such as `0088` for a GLN, or
/// `EM` for an e-mail address), when the document names one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartyIdentifier {
    pub scheme: Option<String>,
    pub value: String,
}

/// One invoice line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceLine {
    pub id: Option<String>,
    /// The seller's item id.
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: Option<String>,
    /// UN/ECE recommendation 20 code as written (`C62`, `H87`, …).
    pub unit: Option<String>,
    /// The net price per unit (per the price's base quantity, as stated).
    pub unit_price: Option<String>,
    pub net_amount: Option<String>,
    /// Percent, e.g. `19`.
    pub tax_rate: Option<String>,
}

/// One entry of the tax breakdown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaxBreakdown {
    /// UNCL 5305 category code (`S`, `Z`, `E`, `AE`, …).
    pub category: Option<String>,
    /// Percent, e.g. `19`.
    pub rate: Option<String>,
    pub taxable: Option<String>,
    pub tax: Option<String>,
}

/// Something the checks noticed about a recognised invoice; it is still recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    /// Stable: `line_sum_mismatch`, `net_mismatch`, `tax_mismatch`, `tax_breakdown_mismatch`,
    /// `gross_mismatch`, `payable_mismatch`, `due_before_issue`, `missing_field`,
    /// `buyer_reference_missing`.
    pub code: String,
    /// In English, naming the values.
    pub message: String,
}

/// The outcome of [`read`].
// The summary is not boxed: the shape is the shared contract, and a reading is made once per
// document, never held in bulk.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Reading {
    /// Not an e-invoice (for example a plain PDF invoice).
    Unknown,
    /// An e-invoice, parsed, summarised and checked.
    Recognised {
        summary: InvoiceSummary,
        findings: Vec<Finding>,
    },
    /// Looks like `format` but does not parse; `error` says why, for a person to read.
    Malformed {
        format: InvoiceFormat,
        error: String,
    },
}

/// The most lines a summary keeps; the sums of a longer invoice's lines are not checked.
pub const MAX_LINES: usize = 10_000;

/// Recognises an e-invoice in `bytes`, summarises and checks it.
///
/// Never panics and does bounded work on any input: sniffing reads at most [`SNIFF_BYTES`]; an
/// XML file larger than [`PARSE_MAX_BYTES`] is not parsed (it is `Malformed`), and of a PDF at
/// most [`PDF_MAX_BYTES`] are scanned.
#[must_use]
pub fn read(bytes: &[u8]) -> Reading {
    let bytes = strip_bom(bytes);
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if let Some(root) = xml::sniff(head) {
        if bytes.len() > PARSE_MAX_BYTES {
            return Reading::Malformed {
                format: root.format(),
                error: format!(
                    "the file is {} bytes; only files up to 16 MiB are read",
                    bytes.len()
                ),
            };
        }
        return match parse(root, bytes) {
            Ok(read) => read.into_reading(),
            Err(error) => Reading::Malformed {
                format: root.format(),
                error,
            },
        };
    }
    if pdf::is_pdf(head) {
        return pdf::read(bytes);
    }
    Reading::Unknown
}

/// Why a sniffed document does not parse; becomes [`Reading::Malformed`]'s `error`.
type Parsed<T> = crate::formats::Parsed<T>;

/// A parsed document: its summary and what the checks need beyond it.
struct Read {
    summary: InvoiceSummary,
    extras: check::Extras,
}

impl Read {
    /// The same document read out of a PDF's attachment named `name`: a Cross Industry Invoice
    /// becomes ZUGFeRD / Factur-X.
    fn embedded(mut self, name: Option<&str>) -> Self {
        self.summary.attachment_name = name.map(str::to_owned);
        if self.summary.format == InvoiceFormat::Cii {
            self.summary.format = InvoiceFormat::Zugferd;
        }
        self
    }

    /// The checked reading.
    fn into_reading(self) -> Reading {
        let findings = check::findings(&self.summary, &self.extras);
        Reading::Recognised {
            summary: self.summary,
            findings,
        }
    }
}

/// Parses a whole XML document whose root was sniffed as `root`.
fn parse(root: xml::Root, bytes: &[u8]) -> Parsed<Read> {
    match root {
        xml::Root::UblInvoice | xml::Root::UblCreditNote => ubl::parse(root, bytes),
        xml::Root::Cii => cii::parse(bytes),
        xml::Root::ZugferdOne => Err("this is a ZUGFeRD 1.0 invoice (CrossIndustryDocument), \
             which is not read; ZUGFeRD 2 and Factur-X (CrossIndustryInvoice) are"
            .to_owned()),
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

impl InvoiceSummary {
    /// A summary of `format` with nothing found yet.
    fn empty(format: InvoiceFormat) -> InvoiceSummary {
        InvoiceSummary {
            format,
            kind: InvoiceKind::Invoice,
            profile: None,
            invoice_number: None,
            issue_date: None,
            due_date: None,
            type_code: None,
            currency: None,
            buyer_reference: None,
            order_reference: None,
            seller: InvoiceParty::default(),
            buyer: InvoiceParty::default(),
            lines: Vec::new(),
            taxes: Vec::new(),
            line_total: None,
            allowance_total: None,
            charge_total: None,
            net_total: None,
            tax_total: None,
            gross_total: None,
            prepaid: None,
            payable: None,
            payment_terms: None,
            iban: None,
            bic: None,
            attachment_name: None,
        }
    }
}

/// Is `code` (UNTDID 1001) one of the credit note types EN 16931 allows?
fn is_credit_note_code(code: &str) -> bool {
    matches!(
        code.trim(),
        "81" | "83" | "261" | "262" | "296" | "308" | "381" | "396" | "420" | "458" | "532"
    )
}

#[cfg(test)]
mod tests;
