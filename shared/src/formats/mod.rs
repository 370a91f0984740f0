//! Recognises the order formats partners upload and summarises them for listings: UBL 2.1
//! Order and OrderResponse (Peppol BIS), openTRANS 2.1 ORDER, cXML OrderRequest and EDIFACT
//! ORDERS.
//!
//! [`recognise`] first sniffs the start of the file (at most [`SNIFF_BYTES`]): the XML root
//! element and its namespace, or the EDIFACT service segments. Only a file that sniffs as one of
//! the formats is parsed in full (up to [`PARSE_MAX_BYTES`]); one that sniffs as a format but does
//! not parse is [`Recognition::Malformed`] with a readable reason, so it can be stored and flagged.
//!
//! The work is linear in the input and bounded: XML is read with a streaming parser, no DOM is
//! built, document type declarations are never processed (so no entity can expand), and element
//! nesting is limited.

mod edifact;
#[cfg(feature = "lines")]
pub mod lines;
pub(crate) mod walk;
mod xml;

use serde::{Deserialize, Serialize};

/// How much of a file is looked at to decide which format it is.
pub const SNIFF_BYTES: usize = 64 * 1024;
/// The largest file that is parsed; a larger one in a known format is reported as malformed.
pub const PARSE_MAX_BYTES: usize = 16 * 1024 * 1024;

/// A known order format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// UBL 2.1 Order (Peppol BIS Ordering).
    UblOrder,
    /// UBL 2.1 OrderResponse (Peppol BIS Order Agreement / Order Response).
    UblOrderResponse,
    /// openTRANS 2.1 ORDER.
    OpenTransOrder,
    /// cXML OrderRequest.
    CxmlOrderRequest,
    /// UN/EDIFACT ORDERS message.
    EdifactOrders,
}

/// What a listing shows about an order document. Every field but `format` and `line_count` is
/// absent when the document does not carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderSummary {
    pub format: Format,
    /// The document's own number (for an OrderResponse: the response's id).
    pub order_number: Option<String>,
    /// The issue date as ISO 8601 `YYYY-MM-DD` (the date part of a date-time).
    pub issue_date: Option<String>,
    pub buyer_id: Option<String>,
    pub seller_id: Option<String>,
    /// ISO 4217 code as written in the document.
    pub currency: Option<String>,
    /// The payable total as an exact decimal text with `.` as decimal mark, never a float.
    pub total: Option<String>,
    /// Number of order lines.
    pub line_count: u32,
}

/// What the checks on a recognised file found that does not fit (`party_unknown`: a buyer or
/// seller id that belongs to neither company of the relationship).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummaryWarning {
    /// `party_unknown`.
    pub code: String,
    /// `buyer` or `seller`.
    pub party: String,
    /// The id as the file writes it.
    pub id: String,
}

/// An order summary as the API answers it: the recogniser's summary and, once the database
/// checked it against the two companies' identifiers (`d1-migrations/0017_party_check.sql`),
/// its warnings. The schema of the answer; the workers pass the stored JSON on as it is.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummaryOut {
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// Present once checked (when at least one of the two companies declared party
    /// identifiers); empty when everything matched.
    pub warnings: Option<Vec<SummaryWarning>>,
}

impl OrderSummary {
    /// A summary of `format` with nothing found yet.
    #[must_use]
    pub fn empty(format: Format) -> OrderSummary {
        OrderSummary {
            format,
            order_number: None,
            issue_date: None,
            buyer_id: None,
            seller_id: None,
            currency: None,
            total: None,
            line_count: 0,
        }
    }
}

/// The outcome of [`recognise`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Recognition {
    /// Not one of the known formats.
    Unknown,
    /// A known format, parsed and summarised.
    Recognised(OrderSummary),
    /// Looks like `format` but does not parse; `error` says why, for a person to read.
    Malformed { format: Format, error: String },
}

impl Recognition {
    /// The stored columns of a recognised file: its format, its summary (JSON), the parse error.
    #[must_use]
    pub fn columns(&self) -> (Option<String>, Option<String>, Option<String>) {
        let name = |f: &Format| {
            serde_json::to_value(f)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        };
        match self {
            Self::Unknown => (None, None, None),
            Self::Recognised(summary) => (
                name(&summary.format),
                serde_json::to_string(summary).ok(),
                None,
            ),
            Self::Malformed { format, error } => (name(format), None, Some(error.clone())),
        }
    }
}

/// Recognises a known order format in `bytes` and summarises it.
///
/// Never panics and does bounded work on any input: sniffing reads at most [`SNIFF_BYTES`], and a
/// file larger than [`PARSE_MAX_BYTES`] is not parsed (it is `Malformed` if it sniffs as a
/// format).
#[must_use]
pub fn recognise(bytes: &[u8]) -> Recognition {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(format) = sniff(bytes) else {
        return Recognition::Unknown;
    };
    if bytes.len() > PARSE_MAX_BYTES {
        return Recognition::Malformed {
            format,
            error: format!(
                "the file is {} bytes; only files up to 16 MiB are read",
                bytes.len()
            ),
        };
    }
    let parsed = match format {
        Format::EdifactOrders => edifact::summarise(bytes),
        _ => xml::summarise(format, bytes),
    };
    match parsed {
        Ok(summary) => Recognition::Recognised(summary),
        Err(error) => Recognition::Malformed { format, error },
    }
}

/// Which known format the start of a file looks like, reading at most [`SNIFF_BYTES`] of it.
/// Lets a caller that streams a file decide early whether keeping it for [`recognise`] is worth it.
#[must_use]
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    xml::sniff(head).or_else(|| edifact::sniff(head))
}

/// Why a recognised document does not parse; becomes [`Recognition::Malformed`]'s `error`.
pub(crate) type Parsed<T> = std::result::Result<T, String>;

/// Checks an amount is a plain decimal (`-`? digits, optionally `.` digits, as in `xsd:decimal`)
/// and returns it trimmed with a leading `+` dropped.
pub(crate) fn decimal(what: &str, text: &str) -> Parsed<String> {
    let trimmed = text.trim();
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok =
        digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()) && unsigned.len() <= 40;
    if !ok {
        return Err(format!("{what} {} is not a decimal number", quoted(text)));
    }
    Ok(trimmed.strip_prefix('+').unwrap_or(trimmed).to_owned())
}

/// Checks a date or date-time starts with a valid `YYYY-MM-DD` and returns that date.
pub(crate) fn iso_date(what: &str, text: &str) -> Parsed<String> {
    let trimmed = text.trim();
    let date = trimmed.get(..10).unwrap_or(trimmed);
    let rest_ok = trimmed.len() == 10 || trimmed[date.len()..].starts_with(['T', 'Z', '+', '-']);
    if date.len() == 10 && rest_ok && crate::time::is_iso_date(date) {
        Ok(date.to_owned())
    } else {
        Err(format!("{what} {} is not a date", quoted(text)))
    }
}

/// A document's value quoted for an error message, shortened so a huge value stays readable.
pub(crate) fn quoted(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() > MAX {
        let short: String = text.chars().take(MAX).collect();
        format!("\"{short}…\"")
    } else {
        format!("\"{text}\"")
    }
}

/// Keeps the first non-blank value seen for a field, trimmed.
pub(crate) fn keep_first(slot: &mut Option<String>, value: &str) {
    let value = value.trim();
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value.to_owned());
    }
}

/// 1-based line and column of a byte offset, for error messages.
pub(crate) fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/formats/",
                $name
            ))
            .as_slice()
        };
    }

    /// Every well-formed sample, with the format it is in.
    pub(super) const SAMPLES: [(Format, &[u8]); 5] = [
        (Format::UblOrder, fixture!("ubl-order.xml")),
        (Format::UblOrderResponse, fixture!("ubl-order-response.xml")),
        (Format::OpenTransOrder, fixture!("opentrans-order.xml")),
        (Format::CxmlOrderRequest, fixture!("cxml-order-request.xml")),
        (Format::EdifactOrders, fixture!("edifact-orders.edi")),
    ];

    fn summary(bytes: &[u8]) -> OrderSummary {
        match recognise(bytes) {
            Recognition::Recognised(summary) => summary,
            other => panic!("expected a summary, got {other:?}"),
        }
    }

    fn malformed(bytes: &[u8]) -> (Format, String) {
        match recognise(bytes) {
            Recognition::Malformed { format, error } => (format, error),
            other => panic!("expected malformed, got {other:?}"),
        }
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn formats_ubl_order_is_summarised() {
        assert_eq!(
            summary(fixture!("ubl-order.xml")),
            OrderSummary {
                format: Format::UblOrder,
                order_number: some("PO-2024-0815"),
                issue_date: some("2024-03-12"),
                buyer_id: some("4012345000009"),
                seller_id: some("4098765000002"),
                currency: some("EUR"),
                total: some("769.45"),
                line_count: 3,
            }
        );
    }

    #[test]
    fn formats_ubl_order_response_is_summarised() {
        assert_eq!(
            summary(fixture!("ubl-order-response.xml")),
            OrderSummary {
                format: Format::UblOrderResponse,
                order_number: some("OR-77120"),
                issue_date: some("2024-03-13"),
                buyer_id: some("DE123456789"),
                seller_id: some("4098765000002"),
                currency: some("EUR"),
                total: some("892.50"),
                line_count: 2,
            }
        );
    }

    #[test]
    fn formats_opentrans_order_is_summarised() {
        assert_eq!(
            summary(fixture!("opentrans-order.xml")),
            OrderSummary {
                format: Format::OpenTransOrder,
                order_number: some("B-2024-00412"),
                issue_date: some("2024-03-12"),
                buyer_id: some("4012345000009"),
                seller_id: some("4098765000002"),
                currency: some("EUR"),
                total: some("1187.20"),
                line_count: 2,
            }
        );
    }

    #[test]
    fn formats_cxml_order_request_is_summarised() {
        assert_eq!(
            summary(fixture!("cxml-order-request.xml")),
            OrderSummary {
                format: Format::CxmlOrderRequest,
                order_number: some("4500012345"),
                issue_date: some("2024-03-12"),
                buyer_id: some("AN01000012345"),
                seller_id: some("AN01000098765"),
                currency: some("EUR"),
                total: some("2310.00"),
                line_count: 3,
            }
        );
    }

    #[test]
    fn formats_edifact_orders_is_summarised() {
        assert_eq!(
            summary(fixture!("edifact-orders.edi")),
            OrderSummary {
                format: Format::EdifactOrders,
                order_number: some("PO+2024/0815"),
                issue_date: some("2024-03-12"),
                buyer_id: some("4012345000009"),
                seller_id: some("4098765000002"),
                currency: some("EUR"),
                total: some("769.45"),
                line_count: 3,
            }
        );
    }

    #[test]
    fn formats_broken_samples_are_malformed_with_a_reason() {
        let cases: [(&[u8], Format, &[&str]); 7] = [
            (
                fixture!("broken/ubl-order-truncated.xml"),
                Format::UblOrder,
                &["ends before </LineItem> is closed", "cut off"],
            ),
            (
                fixture!("broken/ubl-order-response-bad-total.xml"),
                Format::UblOrderResponse,
                &["line 36, ", "total \"892,50 EUR\" is not a decimal number"],
            ),
            (
                fixture!("broken/opentrans-order-bad-total.xml"),
                Format::OpenTransOrder,
                &["line 82, ", "total \"ca. 1200\" is not a decimal number"],
            ),
            (
                fixture!("broken/cxml-order-request-mismatched.xml"),
                Format::CxmlOrderRequest,
                &["line 13, ", "`</Credentials>`"],
            ),
            (
                fixture!("broken/edifact-orders-no-unt.edi"),
                Format::EdifactOrders,
                &["without its UNT segment"],
            ),
            (
                fixture!("broken/edifact-orders-bad-total.edi"),
                Format::EdifactOrders,
                &["total \"769,45\" is not a decimal number"],
            ),
            (
                fixture!("broken/opentrans-order-entity.xml"),
                Format::OpenTransOrder,
                &["line 24, ", "&nbsp;", "not expanded"],
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
    fn formats_unrelated_files_are_unknown() {
        let cases: [&[u8]; 9] = [
            b"",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            b"Hallo Frau Berger,\nanbei unsere Bestellung vom 12.03.\nGruss\n",
            br#"{"order":{"id":"PO-1","total":"12.50"}}"#,
            fixture!("ubl-invoice.xml"),
            // The right root name in the wrong namespace is not the format.
            br#"<Order xmlns="urn:example:orders"><ID>1</ID></Order>"#,
            br#"<ORDER xmlns="http://www.opentrans.org/XMLSchema/1.0"><ORDER_HEADER/></ORDER>"#,
            // cXML that is not an order request.
            br#"<cXML><Header/><Request><ConfirmationRequest/></Request></cXML>"#,
            // EDIFACT, but an invoice.
            b"UNB+UNOC:3+4098765000002:14+4012345000009:14+240312:0930+1'UNH+1+INVOIC:D:96A:UN'",
        ];
        for bytes in cases {
            assert_eq!(
                recognise(bytes),
                Recognition::Unknown,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn formats_oversized_files_are_malformed_without_parsing() {
        let mut big = SAMPLES[0].1.to_vec();
        big.resize(PARSE_MAX_BYTES + 1, b' ');
        let (format, error) = malformed(&big);
        assert_eq!(format, Format::UblOrder);
        assert!(error.contains("16 MiB"), "{error}");
    }

    #[test]
    fn formats_entity_bombs_do_no_expansion() {
        let mut bomb = String::from(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE ORDER [\n<!ENTITY a \"aaaaaaaaaa\">\n",
        );
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
            "]>\n<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\"><ORDER_HEADER>\
             <ORDER_INFO><ORDER_ID>&e9;</ORDER_ID></ORDER_INFO></ORDER_HEADER></ORDER>",
        );
        let (format, error) = malformed(bomb.as_bytes());
        assert_eq!(format, Format::OpenTransOrder);
        assert!(error.contains("entities"), "{error}");
    }

    #[test]
    fn formats_recognition_serialises_with_a_status_tag() {
        let json = serde_json::to_value(recognise(SAMPLES[4].1)).unwrap();
        assert_eq!(json["status"], "recognised");
        assert_eq!(json["format"], "edifact_orders");
        assert_eq!(json["total"], "769.45");
        assert_eq!(json["line_count"], 3);
        assert_eq!(
            serde_json::to_value(Recognition::Unknown).unwrap(),
            serde_json::json!({"status": "unknown"})
        );
        let flagged = Recognition::Malformed {
            format: Format::CxmlOrderRequest,
            error: "x".into(),
        };
        let json = serde_json::to_value(&flagged).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "malformed", "format": "cxml_order_request", "error": "x"})
        );
        for value in [flagged, recognise(SAMPLES[0].1), Recognition::Unknown] {
            let text = serde_json::to_string(&value).unwrap();
            assert_eq!(serde_json::from_str::<Recognition>(&text).unwrap(), value);
        }
    }

    #[test]
    fn formats_decimals_and_dates_are_checked_exactly() {
        assert_eq!(decimal("total", " 1648.360 ").unwrap(), "1648.360");
        assert_eq!(decimal("total", "+5").unwrap(), "5");
        assert_eq!(decimal("total", "-0.5").unwrap(), "-0.5");
        assert_eq!(decimal("total", ".5").unwrap(), ".5");
        for bad in ["", ".", "1,5", "1.2.3", "1e3", "EUR 5", "--1", "NaN"] {
            assert!(decimal("total", bad).is_err(), "{bad}");
        }
        assert_eq!(iso_date("date", "2024-03-12").unwrap(), "2024-03-12");
        assert_eq!(
            iso_date("date", "2024-03-12T09:30:00+01:00").unwrap(),
            "2024-03-12"
        );
        for bad in [
            "",
            "12.03.2024",
            "2024-02-30",
            "2024-03-123",
            "2024-03-12 x",
        ] {
            assert!(iso_date("date", bad).is_err(), "{bad}");
        }
    }

    mod properties {
        use super::super::*;
        use super::SAMPLES;
        use proptest::prelude::*;

        /// The trimmed length: cutting only trailing whitespace may leave a complete document.
        fn content_len(bytes: &[u8]) -> usize {
            bytes
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |i| i + 1)
        }

        fn format_of(recognition: &Recognition) -> Option<Format> {
            match recognition {
                Recognition::Unknown => None,
                Recognition::Recognised(summary) => Some(summary.format),
                Recognition::Malformed { format, .. } => Some(*format),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn formats_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let first = recognise(&bytes);
                prop_assert_eq!(recognise(&bytes), first);
            }

            #[test]
            fn formats_service_prefixes_with_noise_never_panic(
                prefix in prop::sample::select(vec![
                    "UNA:+.? 'UNB+", "UNB+UNOC:3+", "UNA", "UNAabcdef", "UNB+x'UNH+1+ORDERS:",
                    "<?xml version=\"1.0\"?><cXML><Request><OrderRequest>",
                    "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\">",
                    "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\"><!DOCTYPE",
                ]),
                tail in proptest::collection::vec(any::<u8>(), 0..512),
            ) {
                let mut bytes = prefix.as_bytes().to_vec();
                bytes.extend(tail);
                let _ = recognise(&bytes);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            #[test]
            fn formats_truncated_samples_are_never_recognised(sample in 0..SAMPLES.len(), cut in any::<prop::sample::Index>()) {
                let (format, bytes) = SAMPLES[sample];
                let cut = cut.index(content_len(bytes));
                let result = recognise(&bytes[..cut]);
                prop_assert!(!matches!(result, Recognition::Recognised(_)), "{:?}", result);
                prop_assert!(format_of(&result).is_none_or(|f| f == format), "{:?}", result);
            }

            #[test]
            fn formats_flipped_samples_keep_their_format_or_become_unknown(
                sample in 0..SAMPLES.len(),
                flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            ) {
                let (format, bytes) = SAMPLES[sample];
                let mut bytes = bytes.to_vec();
                for (at, value) in flips {
                    let at = at.index(bytes.len());
                    bytes[at] = value;
                }
                let result = recognise(&bytes);
                prop_assert!(format_of(&result).is_none_or(|f| f == format), "{:?}", result);
                if let Recognition::Malformed { error, .. } = &result {
                    prop_assert!(!error.is_empty());
                }
            }
        }
    }
}
