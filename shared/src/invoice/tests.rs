//! The recogniser against the fixtures in `tests/fixtures/invoices/` and PDFs written by
//! [`super::testpdf`].

use super::testpdf::{build, PdfSpec};
use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/invoices/",
            $name
        ))
        .as_slice()
    };
}

const PEPPOL: &[u8] = fixture!("peppol-bis3-invoice.xml");
const CREDIT_NOTE: &[u8] = fixture!("ubl-credit-note.xml");
const XRECHNUNG_UBL: &[u8] = fixture!("xrechnung-ubl-invoice.xml");
const XRECHNUNG_CII: &[u8] = fixture!("xrechnung-cii-invoice.xml");
const TWO_CURRENCIES: &[u8] = fixture!("cii-two-currencies.xml");
const SUMS_OFF: &[u8] = fixture!("ubl-invoice-sums-off.xml");
const INCOMPLETE: &[u8] = fixture!("xrechnung-ubl-incomplete.xml");

/// Every well-formed XML sample, with the format it is in.
pub(super) const SAMPLES: [(InvoiceFormat, &[u8]); 7] = [
    (InvoiceFormat::UblInvoice, PEPPOL),
    (InvoiceFormat::UblCreditNote, CREDIT_NOTE),
    (InvoiceFormat::UblInvoice, XRECHNUNG_UBL),
    (InvoiceFormat::Cii, XRECHNUNG_CII),
    (InvoiceFormat::Cii, TWO_CURRENCIES),
    (InvoiceFormat::UblInvoice, SUMS_OFF),
    (InvoiceFormat::UblInvoice, INCOMPLETE),
];

/// The checked-in PDFs (written by `write_pdf_fixtures`).
const PDF_FACTUR_X: &[u8] = fixture!("zugferd-factur-x.pdf");
const PDF_ZUGFERD: &[u8] = fixture!("zugferd-invoice.pdf");
const PDF_OBJECT_STREAM: &[u8] = fixture!("zugferd-object-stream.pdf");
const PDF_PLAIN: &[u8] = fixture!("plain-invoice.pdf");
const PDF_BROKEN: &[u8] = fixture!("zugferd-broken-xml.pdf");

fn recognised(bytes: &[u8]) -> (InvoiceSummary, Vec<Finding>) {
    match read(bytes) {
        Reading::Recognised { summary, findings } => (summary, findings),
        other => panic!("expected a summary, got {other:?}"),
    }
}

/// The summary of a sample that must have no findings.
fn clean(bytes: &[u8]) -> InvoiceSummary {
    let (summary, findings) = recognised(bytes);
    assert_eq!(findings, vec![], "{:?}", summary.invoice_number);
    summary
}

fn malformed(bytes: &[u8]) -> (InvoiceFormat, String) {
    match read(bytes) {
        Reading::Malformed { format, error } => (format, error),
        other => panic!("expected malformed, got {other:?}"),
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

fn id(scheme: Option<&str>, value: &str) -> Option<PartyIdentifier> {
    Some(PartyIdentifier {
        scheme: scheme.map(str::to_owned),
        value: value.to_owned(),
    })
}

fn line(
    id: &str,
    sku: Option<&str>,
    name: &str,
    (quantity, unit): (&str, &str),
    price: &str,
    net: &str,
    rate: &str,
) -> InvoiceLine {
    InvoiceLine {
        id: some(id),
        sku: sku.map(str::to_owned),
        name: some(name),
        quantity: some(quantity),
        unit: some(unit),
        unit_price: some(price),
        net_amount: some(net),
        tax_rate: some(rate),
    }
}

fn tax(rate: &str, taxable: &str, amount: &str) -> TaxBreakdown {
    TaxBreakdown {
        category: some("S"),
        rate: some(rate),
        taxable: some(taxable),
        tax: some(amount),
    }
}

fn codes(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

const PEPPOL_PROFILE: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
const XRECHNUNG_PROFILE: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";

#[test]
fn invoice_peppol_ubl_invoice_is_summarised() {
    assert_eq!(
        clean(PEPPOL),
        InvoiceSummary {
            format: InvoiceFormat::UblInvoice,
            kind: InvoiceKind::Invoice,
            profile: some(PEPPOL_PROFILE),
            invoice_number: some("RE-2024-0412"),
            issue_date: some("2024-04-02"),
            due_date: some("2024-05-02"),
            type_code: some("380"),
            currency: some("EUR"),
            buyer_reference: None,
            order_reference: some("PO-2024-0815"),
            seller: InvoiceParty {
                name: some("Beispiel Werkzeug GmbH"),
                id: id(Some("0088"), "4098765000002"),
                vat_id: some("DE123456789"),
                address: some("Industriestraße 12, 70565 Stuttgart, DE"),
            },
            buyer: InvoiceParty {
                name: some("Muster Bau AG"),
                id: id(Some("0088"), "4012345000009"),
                vat_id: some("DE987654321"),
                address: some("Am Hafen 4, Lagerhaus B, 20457 Hamburg, DE"),
            },
            lines: vec![
                line(
                    "1",
                    Some("SCH-M8-40"),
                    "Schraube M8x40 verzinkt",
                    ("1000", "C62"),
                    "0.12",
                    "120.00",
                    "19"
                ),
                line(
                    "2",
                    Some("DOC-MH-2024"),
                    "Montagehandbuch, gedruckt",
                    ("10", "H87"),
                    "12.50",
                    "125.00",
                    "7"
                ),
                line(
                    "3",
                    Some("KB-200"),
                    "Kabelbinder 200 mm",
                    ("50", "C62"),
                    "1.10",
                    "55.00",
                    "19"
                ),
            ],
            taxes: vec![tax("19", "180.00", "34.20"), tax("7", "125.00", "8.75")],
            line_total: some("300.00"),
            allowance_total: some("10.00"),
            charge_total: some("15.00"),
            net_total: some("305.00"),
            tax_total: some("42.95"),
            gross_total: some("347.95"),
            prepaid: some("100.00"),
            payable: some("247.95"),
            payment_terms: some("Zahlbar innerhalb von 30 Tagen ohne Abzug."),
            iban: some("DE02120300000000202051"),
            bic: some("BYLADEM1001"),
            attachment_name: None,
        }
    );
}

#[test]
fn invoice_ubl_credit_note_is_a_credit_note_in_the_document_currency() {
    let s = clean(CREDIT_NOTE);
    assert_eq!(s.format, InvoiceFormat::UblCreditNote);
    assert_eq!(s.kind, InvoiceKind::CreditNote);
    assert_eq!(s.type_code.as_deref(), Some("381"));
    assert_eq!(s.invoice_number.as_deref(), Some("GS-2024-0031"));
    assert_eq!(
        s.due_date.as_deref(),
        Some("2024-04-24"),
        "from PaymentMeans"
    );
    assert_eq!(s.currency.as_deref(), Some("EUR"));
    // The SEK TaxTotal comes first; the EUR one is taken.
    assert_eq!(s.tax_total.as_deref(), Some("22.80"));
    assert_eq!(s.taxes, vec![tax("19.00", "120.00", "22.80")]);
    assert_eq!(
        s.lines,
        vec![
            line(
                "1",
                Some("ABS-18"),
                "Akku-Bohrschrauber 18 V (Rücknahme)",
                ("2", "C62"),
                "45.00",
                "90.00",
                "19.00"
            ),
            line(
                "2",
                None,
                "Transportkoffer",
                ("1", "H87"),
                "30.00",
                "30.00",
                "19.00"
            ),
        ]
    );
    assert_eq!(
        s.buyer,
        InvoiceParty {
            name: some("Muster Bau AG"),
            id: id(Some("0088"), "4012345000009"),
            vat_id: None,
            address: some("Am Hafen 4, 20457 Hamburg, DE"),
        },
        "the registration name stands in for a missing party name"
    );
    assert_eq!(
        (s.net_total, s.gross_total, s.payable),
        (some("120.00"), some("142.80"), some("142.80"))
    );
    assert_eq!(s.iban.as_deref(), Some("DE89370400440532013000"));
    assert_eq!(s.order_reference, None);
}

#[test]
fn invoice_ubl_type_code_of_a_credit_note_makes_an_invoice_a_credit_note() {
    let text = String::from_utf8(PEPPOL.to_vec()).unwrap().replace(
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
        "<cbc:InvoiceTypeCode>381</cbc:InvoiceTypeCode>",
    );
    let s = clean(text.as_bytes());
    assert_eq!(
        (s.format, s.kind),
        (InvoiceFormat::UblInvoice, InvoiceKind::CreditNote)
    );
}

#[test]
fn invoice_xrechnung_ubl_is_summarised_with_its_buyer_reference() {
    let s = clean(XRECHNUNG_UBL);
    assert_eq!(s.profile.as_deref(), Some(XRECHNUNG_PROFILE));
    assert_eq!(s.buyer_reference.as_deref(), Some("04011000-12345-03"));
    assert_eq!(
        s.seller,
        InvoiceParty {
            name: some("Ingenieurbüro Beispiel"),
            id: id(Some("EM"), "rechnung@ingenieurbuero.example"),
            vat_id: some("DE812345678"),
            address: some("Lindenallee 5, 34117 Kassel, DE"),
        },
        "the VAT id, not the tax number (FC) stated before it"
    );
    assert_eq!(
        s.buyer.name.as_deref(),
        Some("Stadtverwaltung Beispielstadt")
    );
    assert_eq!(
        s.payment_terms.as_deref(),
        Some("Zahlbar innerhalb von 30 Tagen ohne Abzug.\n#SKONTO#TAGE=14#PROZENT=2.00#")
    );
    assert_eq!(s.lines.len(), 2);
    assert_eq!(s.lines[0].unit.as_deref(), Some("HUR"));
    assert_eq!(s.lines[1].sku, None);
    assert_eq!(
        (s.line_total, s.tax_total, s.payable, s.bic),
        (some("1300.00"), some("247.00"), some("1547.00"), None)
    );
    assert_eq!(s.due_date.as_deref(), Some("2024-04-17"));
}

#[test]
fn invoice_xrechnung_cii_is_summarised() {
    assert_eq!(
        clean(XRECHNUNG_CII),
        InvoiceSummary {
            format: InvoiceFormat::Cii,
            kind: InvoiceKind::Invoice,
            profile: some(XRECHNUNG_PROFILE),
            invoice_number: some("471102"),
            issue_date: some("2024-03-15"),
            due_date: some("2024-04-14"),
            type_code: some("380"),
            currency: some("EUR"),
            buyer_reference: some("04011000-12345-34"),
            order_reference: some("B-2024-117"),
            seller: InvoiceParty {
                name: some("Bürobedarf Nord GmbH"),
                id: id(Some("0088"), "4000001123452"),
                vat_id: some("DE298765432"),
                address: some("Holstenstraße 40, 24103 Kiel, DE"),
            },
            buyer: InvoiceParty {
                name: some("Landesamt für Beispielwesen"),
                id: id(None, "K-20931"),
                vat_id: None,
                address: some("Düsternbrooker Weg 70, 24105 Kiel, DE"),
            },
            lines: vec![
                line(
                    "1",
                    Some("TB-100"),
                    "Trennblätter A4, farbig",
                    ("20", "H87"),
                    "9.90",
                    "198.00",
                    "19"
                ),
                line(
                    "2",
                    Some("KOP-80"),
                    "Kopierpapier 80 g, 500 Blatt",
                    ("100", "H87"),
                    "4.15",
                    "415.00",
                    "19"
                ),
                line(
                    "3",
                    None,
                    "Fachbuch Büroorganisation",
                    ("2", "H87"),
                    "24.90",
                    "49.80",
                    "7"
                ),
            ],
            taxes: vec![tax("19", "593.00", "112.67"), tax("7", "49.80", "3.49")],
            line_total: some("662.80"),
            allowance_total: some("20.00"),
            charge_total: some("0.00"),
            net_total: some("642.80"),
            tax_total: some("116.16"),
            gross_total: some("758.96"),
            prepaid: some("0.00"),
            payable: some("758.96"),
            payment_terms: some("Zahlbar bis 14.04.2024 ohne Abzug."),
            iban: some("DE12500105170648489890"),
            bic: some("INGDDEFFXXX"),
            attachment_name: None,
        }
    );
}

#[test]
fn invoice_cii_takes_the_tax_total_in_the_invoice_currency() {
    let s = clean(TWO_CURRENCIES);
    assert_eq!(s.profile.as_deref(), Some("urn:cen.eu:en16931:2017"));
    assert_eq!(s.currency.as_deref(), Some("USD"));
    assert_eq!(
        s.tax_total.as_deref(),
        Some("200.00"),
        "not the EUR one before it"
    );
    assert_eq!(s.taxes, vec![tax("20.00", "1000.00", "200.00")]);
    assert_eq!(
        (s.gross_total, s.prepaid, s.payable),
        (some("1200.00"), some("500.00"), some("700.00"))
    );
    assert_eq!(s.seller.id, id(None, "ATL-EX"));
    assert_eq!(s.seller.vat_id.as_deref(), Some("FR32123456789"));
    assert_eq!(s.buyer.id, id(Some("0060"), "081466849"));
    assert_eq!(
        s.buyer.address.as_deref(),
        Some("350 Fifth Avenue, Suite 4100, 10001 New York, US")
    );
    assert_eq!(
        s.payment_terms.as_deref(),
        Some(
            "Net 30 days.\nLate payment: 3 times the legal interest rate, plus EUR 40 recovery \
             fee."
        )
    );
    assert_eq!(s.due_date.as_deref(), Some("2024-05-05"));
    assert_eq!(s.lines[0].sku.as_deref(), Some("LMP-CU-01"));
    assert_eq!(s.kind, InvoiceKind::Invoice);

    let credit = String::from_utf8(TWO_CURRENCIES.to_vec()).unwrap().replace(
        "<ram:TypeCode>380</ram:TypeCode>",
        "<ram:TypeCode>381</ram:TypeCode>",
    );
    let s = clean(credit.as_bytes());
    assert_eq!(
        (s.format, s.kind, s.type_code.as_deref()),
        (InvoiceFormat::Cii, InvoiceKind::CreditNote, Some("381"))
    );
}

#[test]
fn invoice_sums_that_do_not_add_up_are_found() {
    let (summary, findings) = recognised(SUMS_OFF);
    assert_eq!(summary.invoice_number.as_deref(), Some("RE-2024-0999"));
    let messages: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.code.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            (
                "line_sum_mismatch",
                "the lines add up to 150.00 but the invoice states 140.00 as line total"
            ),
            (
                "net_mismatch",
                "the line total 140.00 less allowances 5.00 plus charges 0.00 is 135.00 but the \
                 invoice states 130.00 as net total"
            ),
            (
                "tax_mismatch",
                "19% tax (category S) on 130.00 is 24.70 but the invoice states 25.00"
            ),
            (
                "tax_breakdown_mismatch",
                "the tax breakdown adds up to 25.00 but the invoice states 24.70 as tax total"
            ),
            (
                "gross_mismatch",
                "the net total 130.00 plus tax 24.70 is 154.70 but the invoice states 155.00 as \
                 gross total"
            ),
            (
                "payable_mismatch",
                "the gross total 155.00 less prepaid 0.00 is 155.00 but the invoice states \
                 150.00 as payable"
            ),
            (
                "due_before_issue",
                "the due date 2024-03-01 is before the issue date 2024-03-28"
            ),
            (
                "missing_field",
                "the invoice has no seller name (seller.name)"
            ),
        ]
    );
}

#[test]
fn invoice_missing_fields_and_the_leitweg_id_are_found() {
    let (summary, findings) = recognised(INCOMPLETE);
    assert_eq!(summary.seller.name, None, "a blank name is no name");
    assert_eq!(
        codes(&findings),
        [
            "missing_field",
            "missing_field",
            "missing_field",
            "missing_field",
            "missing_field",
            "buyer_reference_missing"
        ]
    );
    let fields: Vec<&str> = findings[..5]
        .iter()
        .map(|f| {
            let open = f.message.rfind('(').unwrap();
            &f.message[open + 1..f.message.len() - 1]
        })
        .collect();
    assert_eq!(
        fields,
        [
            "invoice_number",
            "issue_date",
            "currency",
            "seller.name",
            "payable"
        ]
    );
    assert_eq!(
        findings[5].message,
        format!(
            "the invoice follows XRechnung ({XRECHNUNG_PROFILE}) but has no buyer reference \
             (Leitweg-ID)"
        )
    );
}

#[test]
fn invoice_a_rounding_amount_counts_towards_the_payable_amount() {
    let text = String::from_utf8(XRECHNUNG_UBL.to_vec()).unwrap().replace(
        "<cbc:PayableAmount currencyID=\"EUR\">1547.00</cbc:PayableAmount>",
        "<cbc:PayableRoundingAmount currencyID=\"EUR\">0.05</cbc:PayableRoundingAmount>\
         <cbc:PayableAmount currencyID=\"EUR\">1547.05</cbc:PayableAmount>",
    );
    assert_eq!(clean(text.as_bytes()).payable.as_deref(), Some("1547.05"));
}

#[test]
fn invoice_document_allowances_stand_in_for_a_missing_allowance_total() {
    let text = String::from_utf8(PEPPOL.to_vec())
        .unwrap()
        .replace(
            "<cbc:AllowanceTotalAmount currencyID=\"EUR\">10.00</cbc:AllowanceTotalAmount>",
            "",
        )
        .replace(
            "<cbc:ChargeTotalAmount currencyID=\"EUR\">15.00</cbc:ChargeTotalAmount>",
            "",
        );
    let s = clean(text.as_bytes());
    assert_eq!((s.allowance_total, s.charge_total), (None, None));
}

#[test]
fn invoice_broken_samples_are_malformed_with_a_reason() {
    let cases: [(&[u8], InvoiceFormat, &[&str]); 6] = [
        (
            fixture!("broken/ubl-invoice-truncated.xml"),
            InvoiceFormat::UblInvoice,
            &["ends before </OrderLineReference> is closed", "cut off"],
        ),
        (
            fixture!("broken/ubl-credit-note-bad-amount.xml"),
            InvoiceFormat::UblCreditNote,
            &[
                "line 94, ",
                "payable amount \"142,80\" is not a decimal number",
            ],
        ),
        (
            fixture!("broken/cii-bad-date.xml"),
            InvoiceFormat::Cii,
            &[
                "line 20, ",
                "issue date \"15.03.2024\" is not a date in format 102",
            ],
        ),
        (
            fixture!("broken/cii-mismatched.xml"),
            InvoiceFormat::Cii,
            &["line 63, ", "`</ram:PostalTradeAddress>`"],
        ),
        (
            fixture!("broken/cii-entity.xml"),
            InvoiceFormat::Cii,
            &["line 108, ", "&euro;", "not expanded"],
        ),
        (
            b"<?xml version=\"1.0\"?>\n<rsm:CrossIndustryDocument \
              xmlns:rsm=\"urn:ferd:CrossIndustryDocument:invoice:1p0\"><rsm:HeaderExchangedDocument/>\
              </rsm:CrossIndustryDocument>",
            InvoiceFormat::Cii,
            &["ZUGFeRD 1.0", "not read"],
        ),
    ];
    for (bytes, format, needles) in cases {
        let (got, error) = malformed(bytes);
        assert_eq!(got, format, "{error}");
        for needle in needles {
            assert!(
                error.contains(needle),
                "{format:?}: {error:?} lacks {needle:?}"
            );
        }
    }
}

#[test]
fn invoice_unrelated_files_are_unknown() {
    let order = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/formats/ubl-order.xml"
    ));
    let cases: [&[u8]; 9] = [
        b"",
        b"Sehr geehrte Damen und Herren,\nanbei unsere Rechnung.\n",
        br#"{"invoice":{"id":"RE-1","total":"12.50"}}"#,
        order,
        // The right root name in the wrong namespace is not the format.
        br#"<Invoice xmlns="urn:example:invoices"><ID>1</ID></Invoice>"#,
        br#"<CrossIndustryInvoice><ExchangedDocument/></CrossIndustryInvoice>"#,
        b"UNB+UNOC:3+4098765000002:14+4012345000009:14+240312:0930+1'UNH+1+INVOIC:D:96A:UN'",
        b"PK\x03\x04\x14\x00\x00\x00",
        PDF_PLAIN,
    ];
    for bytes in cases {
        assert_eq!(
            read(bytes),
            Reading::Unknown,
            "{}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        );
    }
}

#[test]
fn invoice_oversized_files_are_malformed_without_parsing() {
    let mut big = PEPPOL.to_vec();
    big.resize(PARSE_MAX_BYTES + 1, b' ');
    let (format, error) = malformed(&big);
    assert_eq!(format, InvoiceFormat::UblInvoice);
    assert!(error.contains("16 MiB"), "{error}");
}

#[test]
fn invoice_entity_bombs_do_no_expansion() {
    let mut bomb =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Invoice [\n<!ENTITY a \"aaaaaaaaaa\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "a".to_owned()
        } else {
            format!("e{}", i - 1)
        };
        bomb.push_str(&format!(
            "<!ENTITY e{i} \"&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};\">\n"
        ));
    }
    bomb.push_str(
        "]>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\
         <ID>&e9;</ID></Invoice>",
    );
    let (format, error) = malformed(bomb.as_bytes());
    assert_eq!(format, InvoiceFormat::UblInvoice);
    assert!(error.contains("entities"), "{error}");
}

#[test]
fn invoice_nesting_is_bounded() {
    let mut deep =
        String::from("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">");
    deep.push_str(&"<a>".repeat(300));
    let (_, error) = malformed(deep.as_bytes());
    assert!(error.contains("nested deeper than 256"), "{error}");
}

#[test]
fn invoice_lines_beyond_the_limit_are_dropped_and_not_summed() {
    let mut doc = String::from(
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><ID>X</ID>\
         <LegalMonetaryTotal><LineExtensionAmount>1</LineExtensionAmount></LegalMonetaryTotal>",
    );
    for _ in 0..=MAX_LINES {
        doc.push_str("<InvoiceLine><LineExtensionAmount>1</LineExtensionAmount></InvoiceLine>");
    }
    doc.push_str("</Invoice>");
    let (summary, findings) = recognised(doc.as_bytes());
    assert_eq!(summary.lines.len(), MAX_LINES);
    assert!(
        !codes(&findings).contains(&"line_sum_mismatch"),
        "{findings:?}"
    );
}

#[test]
fn invoice_latin1_and_bom_are_read() {
    let mut doc = b"\xEF\xBB\xBF".to_vec();
    doc.extend_from_slice(
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\
          <Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\
          <ID>M\xdcNCHEN-7</ID></Invoice>",
    );
    let (summary, _) = recognised(&doc);
    assert_eq!(summary.invoice_number.as_deref(), Some("MÜNCHEN-7"));
}

#[test]
fn invoice_reading_serialises_with_a_status_tag() {
    let json = serde_json::to_value(read(TWO_CURRENCIES)).unwrap();
    assert_eq!(json["status"], "recognised");
    assert_eq!(json["summary"]["format"], "cii");
    assert_eq!(json["summary"]["kind"], "invoice");
    assert_eq!(json["summary"]["payable"], "700.00");
    assert_eq!(json["summary"]["buyer"]["id"]["scheme"], "0060");
    assert_eq!(json["summary"]["attachment_name"], serde_json::Value::Null);
    assert_eq!(json["findings"], serde_json::json!([]));
    assert_eq!(
        serde_json::to_value(Reading::Unknown).unwrap(),
        serde_json::json!({"status": "unknown"})
    );
    let flagged = Reading::Malformed {
        format: InvoiceFormat::Zugferd,
        error: "x".into(),
    };
    assert_eq!(
        serde_json::to_value(&flagged).unwrap(),
        serde_json::json!({"status": "malformed", "format": "zugferd", "error": "x"})
    );
    let json = serde_json::to_value(read(CREDIT_NOTE)).unwrap();
    assert_eq!(json["summary"]["format"], "ubl_credit_note");
    assert_eq!(json["summary"]["kind"], "credit_note");
    let json = serde_json::to_value(read(SUMS_OFF)).unwrap();
    assert_eq!(json["findings"][0]["code"], "line_sum_mismatch");
    for value in [flagged, read(PEPPOL), read(SUMS_OFF), Reading::Unknown] {
        let text = serde_json::to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<Reading>(&text).unwrap(), value);
    }
}

/// The Factur-X sample cut off between two elements.
fn cut_cii() -> &'static [u8] {
    let at = TWO_CURRENCIES
        .windows(b"<ram:ApplicableHeaderTradeDelivery/>".len())
        .position(|w| w == b"<ram:ApplicableHeaderTradeDelivery/>")
        .unwrap();
    &TWO_CURRENCIES[..at]
}

fn zugferd(spec: &PdfSpec) -> (InvoiceSummary, Vec<Finding>) {
    recognised(&build(spec))
}

#[test]
fn invoice_zugferd_factur_x_pdf_is_the_embedded_cii() {
    let (summary, findings) = zugferd(&PdfSpec {
        attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
        ..PdfSpec::default()
    });
    assert_eq!(findings, vec![]);
    let mut expected = clean(TWO_CURRENCIES);
    expected.format = InvoiceFormat::Zugferd;
    expected.attachment_name = some("factur-x.xml");
    assert_eq!(summary, expected);
}

#[test]
fn invoice_zugferd_invoice_xml_with_a_utf16_name_and_indirect_length() {
    let (summary, _) = zugferd(&PdfSpec {
        attachment: Some(("zugferd-invoice.xml", XRECHNUNG_CII)),
        utf16_name: true,
        length_ref: true,
        ..PdfSpec::default()
    });
    assert_eq!(summary.format, InvoiceFormat::Zugferd);
    assert_eq!(
        summary.attachment_name.as_deref(),
        Some("zugferd-invoice.xml")
    );
    assert_eq!(summary.invoice_number.as_deref(), Some("471102"));
    assert_eq!(summary.profile.as_deref(), Some(XRECHNUNG_PROFILE));
}

#[test]
fn invoice_zugferd_filespec_inside_an_object_stream_is_found() {
    for typed in [true, false] {
        let (summary, _) = zugferd(&PdfSpec {
            attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
            object_stream: true,
            typed,
            ..PdfSpec::default()
        });
        assert_eq!(summary.format, InvoiceFormat::Zugferd, "typed: {typed}");
        assert_eq!(summary.attachment_name.as_deref(), Some("factur-x.xml"));
        assert_eq!(summary.payable.as_deref(), Some("700.00"));
    }
}

#[test]
fn invoice_zugferd_embedded_file_without_a_file_specification_is_read_unnamed() {
    let pdf = build(&PdfSpec {
        attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
        ..PdfSpec::default()
    });
    let at = pdf.windows(4).position(|w| w == b"/EF ").unwrap();
    let mut pdf = pdf;
    pdf[at + 1..at + 3].copy_from_slice(b"XX");
    let (summary, _) = recognised(&pdf);
    assert_eq!(summary.format, InvoiceFormat::Zugferd);
    assert_eq!(summary.attachment_name, None);
    assert_eq!(summary.invoice_number.as_deref(), Some("FA-2024-00987"));
}

#[test]
fn invoice_zugferd_uncompressed_and_ubl_attachments_are_read() {
    let (summary, _) = zugferd(&PdfSpec {
        attachment: Some(("xrechnung.xml", XRECHNUNG_CII)),
        compressed: false,
        ..PdfSpec::default()
    });
    assert_eq!(summary.attachment_name.as_deref(), Some("xrechnung.xml"));
    // UBL is not what ZUGFeRD embeds, but it is an e-invoice: it keeps its own format.
    let (summary, _) = zugferd(&PdfSpec {
        attachment: Some(("invoice.xml", PEPPOL)),
        ..PdfSpec::default()
    });
    assert_eq!(summary.format, InvoiceFormat::UblInvoice);
    assert_eq!(summary.attachment_name.as_deref(), Some("invoice.xml"));
}

#[test]
fn invoice_pdfs_without_an_embedded_invoice_are_unknown() {
    assert_eq!(read(&build(&PdfSpec::default())), Reading::Unknown);
    let other = build(&PdfSpec {
        attachment: Some(("lieferschein.csv", b"Pos;Artikel;Menge\n1;SCH-M8-40;1000\n")),
        ..PdfSpec::default()
    });
    assert_eq!(read(&other), Reading::Unknown);
    let order = build(&PdfSpec {
        attachment: Some((
            "order.xml",
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/formats/ubl-order.xml"
            )),
        )),
        ..PdfSpec::default()
    });
    assert_eq!(read(&order), Reading::Unknown);
}

#[test]
fn invoice_zugferd_with_a_broken_attachment_is_malformed() {
    let (format, error) = malformed(&build(&PdfSpec {
        attachment: Some(("factur-x.xml", cut_cii())),
        ..PdfSpec::default()
    }));
    assert_eq!(format, InvoiceFormat::Zugferd);
    assert!(
        error.starts_with("in the embedded factur-x.xml: "),
        "{error}"
    );
    assert!(error.contains("cut off"), "{error}");

    let (format, error) = malformed(&build(&PdfSpec {
        attachment: Some(("factur-x.xml", b"Rechnung 4711, bitte zahlen")),
        ..PdfSpec::default()
    }));
    assert_eq!(format, InvoiceFormat::Zugferd);
    assert!(error.contains("not a Cross Industry Invoice"), "{error}");

    // An unnamed file that merely is not XML is some other attachment.
    let spec = PdfSpec {
        attachment: Some(("notes.txt", b"Rechnung 4711")),
        ..PdfSpec::default()
    };
    assert_eq!(read(&build(&spec)), Reading::Unknown);
}

#[test]
fn invoice_zugferd_inflation_is_bounded() {
    // 20 MiB of spaces after a CII root deflate to a few KiB.
    let mut bomb = TWO_CURRENCIES.to_vec();
    bomb.resize(20 * 1024 * 1024, b' ');
    let (format, error) = malformed(&build(&PdfSpec {
        attachment: Some(("factur-x.xml", &bomb)),
        ..PdfSpec::default()
    }));
    assert_eq!(format, InvoiceFormat::Zugferd);
    assert!(error.contains("more than 16 MiB"), "{error}");
}

#[test]
fn invoice_zugferd_cut_off_before_the_attachment_data_is_malformed() {
    let pdf = build(&PdfSpec {
        attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
        ..PdfSpec::default()
    });
    let at = pdf
        .windows(b"/Type /EmbeddedFile".len())
        .position(|w| w == b"/Type /EmbeddedFile")
        .unwrap();
    let (format, error) = malformed(&pdf[..at]);
    assert_eq!(format, InvoiceFormat::Zugferd);
    assert!(error.contains("factur-x.xml"), "{error}");
}

#[test]
fn invoice_checked_in_pdfs_read_as_expected() {
    let (s, findings) = recognised(PDF_FACTUR_X);
    assert_eq!(
        (s.format, s.attachment_name.as_deref(), findings.len()),
        (InvoiceFormat::Zugferd, Some("factur-x.xml"), 0)
    );
    let (s, _) = recognised(PDF_ZUGFERD);
    assert_eq!(s.attachment_name.as_deref(), Some("zugferd-invoice.xml"));
    assert_eq!(s.buyer_reference.as_deref(), Some("04011000-12345-34"));
    let (s, _) = recognised(PDF_OBJECT_STREAM);
    assert_eq!(s.attachment_name.as_deref(), Some("factur-x.xml"));
    assert_eq!(read(PDF_PLAIN), Reading::Unknown);
    let (format, error) = malformed(PDF_BROKEN);
    assert_eq!(format, InvoiceFormat::Zugferd);
    assert_eq!(
        error,
        "in the embedded factur-x.xml: the document ends before </SupplyChainTradeTransaction> \
         is closed; is the file cut off?"
    );
}

/// Writes the checked-in PDFs: `cargo test -p tradepost-shared write_pdf_fixtures -- --ignored`.
#[test]
#[ignore = "writes tests/fixtures/invoices/*.pdf"]
fn write_pdf_fixtures() {
    let files: [(&str, PdfSpec); 5] = [
        (
            "zugferd-factur-x.pdf",
            PdfSpec {
                attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
                ..PdfSpec::default()
            },
        ),
        (
            "zugferd-invoice.pdf",
            PdfSpec {
                attachment: Some(("zugferd-invoice.xml", XRECHNUNG_CII)),
                utf16_name: true,
                length_ref: true,
                ..PdfSpec::default()
            },
        ),
        (
            "zugferd-object-stream.pdf",
            PdfSpec {
                attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
                object_stream: true,
                typed: false,
                ..PdfSpec::default()
            },
        ),
        ("plain-invoice.pdf", PdfSpec::default()),
        (
            "zugferd-broken-xml.pdf",
            PdfSpec {
                attachment: Some(("factur-x.xml", cut_cii())),
                ..PdfSpec::default()
            },
        ),
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/invoices");
    for (name, spec) in files {
        std::fs::write(format!("{dir}/{name}"), build(&spec)).unwrap();
    }
}

mod properties {
    use super::super::*;
    use super::{build, PdfSpec, SAMPLES, TWO_CURRENCIES};
    use proptest::prelude::*;

    /// The trimmed length: cutting only trailing whitespace may leave a complete document.
    fn content_len(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1)
    }

    fn format_of(reading: &Reading) -> Option<InvoiceFormat> {
        match reading {
            Reading::Unknown => None,
            Reading::Recognised { summary, .. } => Some(summary.format),
            Reading::Malformed { format, .. } => Some(*format),
        }
    }

    fn zugferd_pdf() -> Vec<u8> {
        build(&PdfSpec {
            attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
            ..PdfSpec::default()
        })
    }

    fn object_stream_pdf() -> Vec<u8> {
        build(&PdfSpec {
            attachment: Some(("factur-x.xml", TWO_CURRENCIES)),
            object_stream: true,
            typed: false,
            ..PdfSpec::default()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn invoice_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let first = read(&bytes);
            prop_assert_eq!(read(&bytes), first);
        }

        #[test]
        fn invoice_prefixes_with_noise_never_panic(
            prefix in prop::sample::select(vec![
                "%PDF-1.7\n",
                "%PDF-1.4\n1 0 obj\n<< /Type /Filespec /F (factur-x.xml) /EF << /F 2 0 R >> >>\nendobj\n2 0 obj\n<< /Type /EmbeddedFile /Filter /FlateDecode /Length ",
                "%PDF-1.5\n3 0 obj << /Type /ObjStm /N 2 /First 8 /Filter /FlateDecode >> stream\n",
                "%PDF-1.7\n5 0 obj << /Type /EmbeddedFile >> stream\n",
                "<?xml version=\"1.0\"?><Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">",
                "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\"><CreditNoteLine>",
                "<?xml version=\"1.0\"?><rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\"><rsm:SupplyChainTradeTransaction>",
                "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><!DOCTYPE",
            ]),
            tail in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let mut bytes = prefix.as_bytes().to_vec();
            bytes.extend(tail);
            let _ = read(&bytes);
        }

        #[test]
        fn invoice_pdf_with_deflated_noise_never_panics(noise in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let pdf = build(&PdfSpec { attachment: Some(("factur-x.xml", &noise)), ..PdfSpec::default() });
            let reading = read(&pdf);
            prop_assert!(format_of(&reading).is_none_or(|f| f == InvoiceFormat::Zugferd), "{:?}", reading);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn invoice_truncated_samples_are_never_recognised(sample in 0..SAMPLES.len(), cut in any::<prop::sample::Index>()) {
            let (format, bytes) = SAMPLES[sample];
            let cut = cut.index(content_len(bytes));
            let reading = read(&bytes[..cut]);
            prop_assert!(!matches!(reading, Reading::Recognised { .. }), "{:?}", reading);
            prop_assert!(format_of(&reading).is_none_or(|f| f == format), "{:?}", reading);
        }

        #[test]
        fn invoice_truncated_pdfs_never_panic(layout in 0..2usize, cut in any::<prop::sample::Index>()) {
            let pdf = if layout == 0 { zugferd_pdf() } else { object_stream_pdf() };
            let cut = cut.index(pdf.len() + 1);
            let reading = read(&pdf[..cut]);
            prop_assert!(format_of(&reading).is_none_or(|f| f == InvoiceFormat::Zugferd), "{:?}", reading);
        }

        #[test]
        fn invoice_flipped_samples_keep_their_format_or_become_unknown(
            sample in 0..SAMPLES.len(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let (format, bytes) = SAMPLES[sample];
            let mut bytes = bytes.to_vec();
            for (at, value) in flips {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            let reading = read(&bytes);
            prop_assert!(format_of(&reading).is_none_or(|f| f == format), "{:?}", reading);
            if let Reading::Malformed { error, .. } = &reading {
                prop_assert!(!error.is_empty());
            }
        }

        #[test]
        fn invoice_flipped_pdfs_never_panic(
            layout in 0..2usize,
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let mut pdf = if layout == 0 { zugferd_pdf() } else { object_stream_pdf() };
            for (at, value) in flips {
                let at = at.index(pdf.len());
                pdf[at] = value;
            }
            let _ = read(&pdf);
        }
    }

    /// Every fixture cut at every position (PDFs at every 7th) returns.
    #[test]
    fn invoice_every_truncation_of_every_fixture_returns() {
        for (format, bytes) in SAMPLES {
            for cut in 0..content_len(bytes) {
                let reading = read(&bytes[..cut]);
                assert!(
                    !matches!(reading, Reading::Recognised { .. }),
                    "{format:?} cut at {cut}: {reading:?}"
                );
            }
        }
        for pdf in [zugferd_pdf(), object_stream_pdf()] {
            for cut in (0..=pdf.len()).step_by(7) {
                let _ = read(&pdf[..cut]);
            }
        }
    }
}
