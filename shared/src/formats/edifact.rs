//! UN/EDIFACT ORDERS: a small tokenizer for the service string advice (`UNA`, custom separators
//! and the release character) and the segments a listing needs.
//!
//! Only the first ORDERS message of an interchange is summarised; the rest is still tokenised
//! so a cut-off or garbled file is reported. Values are UTF-8 when they are valid UTF-8 and
//! ISO 8859-1 (the `UNOC` character set) otherwise.

use super::{decimal, iso_date, keep_first, Format, OrderSummary, Parsed};

/// The separators of an interchange, from its `UNA` segment or ISO 9735's defaults.
#[derive(Clone, Copy)]
struct Syntax {
    component: u8,
    element: u8,
    decimal: u8,
    release: Option<u8>,
    terminator: u8,
}

impl Syntax {
    const DEFAULT: Self = Self {
        component: b':',
        element: b'+',
        decimal: b'.',
        release: Some(b'?'),
        terminator: b'\'',
    };
}

/// Reads the `UNA` service string advice, if any, and returns the syntax and where the
/// segments begin.
fn syntax(data: &[u8]) -> Option<(Syntax, usize)> {
    let start = data.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &data[start..];
    let Some(una) = rest.strip_prefix(b"UNA") else {
        return rest.starts_with(b"UNB").then_some((Syntax::DEFAULT, start));
    };
    let &[component, element, decimal, release, _reserved, terminator, ..] = una else {
        return None;
    };
    let syntax = Syntax {
        component,
        element,
        decimal,
        release: (release != b' ').then_some(release),
        terminator,
    };
    Some((syntax, start + 9))
}

/// One segment: its tag, then elements of components, with release characters removed.
struct Segment {
    tag: Vec<u8>,
    elements: Vec<Vec<Vec<u8>>>,
}

impl Segment {
    /// Component `c` of data element `e` (both 0-based, after the tag), empty when absent.
    fn get(&self, e: usize, c: usize) -> &[u8] {
        self.elements
            .get(e)
            .and_then(|element| element.get(c))
            .map_or(&[], Vec::as_slice)
    }

    fn text(&self, e: usize, c: usize) -> String {
        text(self.get(e, c))
    }
}

fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Splits the interchange into segments, one at a time.
struct Segments<'a> {
    data: &'a [u8],
    pos: usize,
    syntax: Syntax,
}

impl Segments<'_> {
    fn next_segment(&mut self) -> Parsed<Option<Segment>> {
        while self.data.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let begin = self.pos;
        let s = self.syntax;
        let mut elements: Vec<Vec<Vec<u8>>> = vec![vec![Vec::new()]];
        loop {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(format!(
                    "the last segment {} is not terminated by {}; is the file cut off?",
                    super::quoted(&text(
                        &self.data[begin..begin + 3.min(self.data.len() - begin)]
                    )),
                    char::from(s.terminator)
                ));
            };
            self.pos += 1;
            let element = elements.last_mut();
            if Some(b) == s.release {
                let Some(&escaped) = self.data.get(self.pos) else {
                    return Err("the file ends with a release character".to_owned());
                };
                self.pos += 1;
                push_byte(element, escaped);
            } else if b == s.terminator {
                break;
            } else if b == s.element {
                elements.push(vec![Vec::new()]);
            } else if b == s.component {
                if let Some(element) = element {
                    element.push(Vec::new());
                }
            } else {
                push_byte(element, b);
            }
        }
        let mut elements = elements.into_iter();
        let tag = elements
            .next()
            .and_then(|mut tag| (tag.len() == 1).then(|| tag.remove(0)))
            .filter(|tag| tag.len() == 3 && tag.iter().all(u8::is_ascii_alphanumeric))
            .ok_or_else(|| {
                format!(
                    "segment {} at byte {begin} does not start with a three-letter tag",
                    super::quoted(&text(&self.data[begin..self.pos.min(begin + 20)]))
                )
            })?;
        Ok(Some(Segment {
            tag,
            elements: elements.collect(),
        }))
    }
}

fn push_byte(element: Option<&mut Vec<Vec<u8>>>, b: u8) {
    if let Some(component) = element.and_then(|e| e.last_mut()) {
        component.push(b);
    }
}

/// Is `head` an EDIFACT interchange whose first message is an ORDERS?
pub(super) fn sniff(head: &[u8]) -> Option<Format> {
    let (syntax, pos) = syntax(head)?;
    let mut segments = Segments {
        data: head,
        pos,
        syntax,
    };
    // UNB, optionally UNG, then UNH.
    for _ in 0..3 {
        let segment = segments.next_segment().ok()??;
        if segment.tag == b"UNH" {
            return (segment.get(1, 0) == b"ORDERS").then_some(Format::EdifactOrders);
        }
    }
    None
}

/// Where the reader is in the interchange.
#[derive(PartialEq, Eq)]
enum Place {
    BeforeMessage,
    /// In the first ORDERS message; `segments` counts from its UNH.
    InOrders {
        reference: Vec<u8>,
        segments: u64,
    },
    /// In another message, or after the summarised one.
    Elsewhere {
        in_message: bool,
    },
    AfterInterchange,
}

/// Parses a whole interchange already sniffed as ORDERS and summarises its first message.
pub(super) fn summarise(data: &[u8]) -> Parsed<OrderSummary> {
    let (syntax, pos) = syntax(data).ok_or("the interchange does not start with UNA or UNB")?;
    let mut segments = Segments { data, pos, syntax };
    let mut summary = OrderSummary::empty(Format::EdifactOrders);
    let mut total_rank = usize::MAX;
    let mut cnt_lines: Option<u32> = None;
    let mut in_lines = false;
    let mut place = Place::BeforeMessage;
    let mut first = true;
    while let Some(segment) = segments.next_segment()? {
        let tag = segment.tag.as_slice();
        if first && tag != b"UNB" {
            return Err("the interchange does not start with a UNB segment".to_owned());
        }
        first = false;
        if place == Place::AfterInterchange {
            return Err("segments follow the UNZ segment".to_owned());
        }
        match (&mut place, tag) {
            (_, b"UNZ") => {
                if matches!(
                    place,
                    Place::InOrders { .. } | Place::Elsewhere { in_message: true }
                ) {
                    return Err(missing_unt());
                }
                place = Place::AfterInterchange;
            }
            (Place::BeforeMessage, b"UNH") => {
                place = Place::InOrders {
                    reference: segment.get(0, 0).to_vec(),
                    segments: 1,
                };
            }
            (Place::Elsewhere { in_message }, b"UNH") => {
                if *in_message {
                    return Err(missing_unt());
                }
                *in_message = true;
            }
            (Place::Elsewhere { in_message }, b"UNT") => *in_message = false,
            (
                Place::InOrders {
                    reference,
                    segments,
                },
                b"UNT",
            ) => {
                *segments += 1;
                let counted = segment.text(0, 0);
                if counted.trim().parse::<u64>().ok() != Some(*segments) {
                    return Err(format!(
                        "UNT counts {} segments but the message has {segments}",
                        super::quoted(&counted)
                    ));
                }
                if segment.get(1, 0) != reference.as_slice() {
                    return Err(format!(
                        "UNT reference {} does not match UNH reference {}",
                        super::quoted(&segment.text(1, 0)),
                        super::quoted(&text(reference))
                    ));
                }
                place = Place::Elsewhere { in_message: false };
            }
            (Place::InOrders { segments, .. }, _) => {
                if tag == b"UNH" {
                    return Err(missing_unt());
                }
                *segments += 1;
                read_orders_segment(
                    &segment,
                    syntax,
                    &mut summary,
                    &mut in_lines,
                    &mut total_rank,
                    &mut cnt_lines,
                )?;
            }
            _ => {}
        }
    }
    match place {
        Place::AfterInterchange => {}
        Place::InOrders { .. } | Place::Elsewhere { in_message: true } => return Err(missing_unt()),
        Place::BeforeMessage | Place::Elsewhere { in_message: false } => {
            return Err(
                "the interchange ends without its UNZ segment; is the file cut off?".to_owned(),
            )
        }
    }
    if summary.line_count == 0 {
        summary.line_count = cnt_lines.unwrap_or(0);
    }
    Ok(summary)
}

fn missing_unt() -> String {
    "the ORDERS message ends without its UNT segment; is the file cut off?".to_owned()
}

/// Total qualifiers, best first: message total, total amount, total of the line items.
const TOTAL_QUALIFIERS: [&[u8]; 3] = [b"86", b"128", b"79"];

fn read_orders_segment(
    segment: &Segment,
    syntax: Syntax,
    summary: &mut OrderSummary,
    in_lines: &mut bool,
    total_rank: &mut usize,
    cnt_lines: &mut Option<u32>,
) -> Parsed<()> {
    match segment.tag.as_slice() {
        b"BGM" => keep_first(&mut summary.order_number, &segment.text(1, 0)),
        b"DTM" if !*in_lines && segment.get(0, 0) == b"137" && summary.issue_date.is_none() => {
            summary.issue_date = Some(edifact_date(&segment.text(0, 1), &segment.text(0, 2))?);
        }
        b"NAD" if !*in_lines => match segment.get(0, 0) {
            b"BY" => keep_first(&mut summary.buyer_id, &segment.text(1, 0)),
            b"SU" => keep_first(&mut summary.seller_id, &segment.text(1, 0)),
            _ => {}
        },
        b"CUX" if !*in_lines => keep_first(&mut summary.currency, &segment.text(0, 1)),
        b"LIN" => {
            *in_lines = true;
            summary.line_count = summary.line_count.saturating_add(1);
        }
        b"UNS" => *in_lines = false,
        b"MOA" => {
            let qualifier = segment.get(0, 0);
            if let Some(rank) = TOTAL_QUALIFIERS.iter().position(|q| *q == qualifier) {
                if rank < *total_rank {
                    let mut amount = segment.get(0, 1).to_vec();
                    if syntax.decimal != b'.' {
                        for b in &mut amount {
                            if *b == syntax.decimal {
                                *b = b'.';
                            }
                        }
                    }
                    summary.total = Some(decimal("total", &text(&amount))?);
                    *total_rank = rank;
                }
            }
        }
        b"CNT" if segment.get(0, 0) == b"2" => {
            let count = segment.text(0, 1);
            let n = count.trim().parse::<u32>().map_err(|_| {
                format!(
                    "CNT+2 line count {} is not a whole number",
                    super::quoted(&count)
                )
            })?;
            *cnt_lines = Some(n);
        }
        _ => {}
    }
    Ok(())
}

/// A `DTM` value in format 102 (`CCYYMMDD`), 203 (`CCYYMMDDHHMM`) or 204 (with seconds) as
/// `YYYY-MM-DD`.
fn edifact_date(value: &str, format: &str) -> Parsed<String> {
    let value = value.trim();
    let digits = match format.trim() {
        "102" | "" => value.len() == 8,
        "203" => value.len() == 12,
        "204" => value.len() == 14,
        other => {
            return Err(format!(
                "DTM+137 date format {} is not supported (use 102, 203 or 204)",
                super::quoted(other)
            ))
        }
    };
    match value.get(..8) {
        Some(d) if digits && value.bytes().all(|b| b.is_ascii_digit()) => iso_date(
            "order date",
            &format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8]),
        ),
        _ => Err(format!("order date {} is not a date", super::quoted(value))),
    }
}

/// A decimal of an interchange with its decimal mark made `.`.
#[cfg(feature = "lines")]
fn edi_decimal(syntax: Syntax, what: &str, bytes: &[u8]) -> Parsed<String> {
    let mut b = bytes.to_vec();
    if syntax.decimal != b'.' {
        for c in &mut b {
            if *c == syntax.decimal {
                *c = b'.';
            }
        }
    }
    decimal(what, &text(&b))
}

/// The lines of the interchange's first ORDERS message (`LIN`, `PIA`, `IMD`, `QTY+21`,
/// `PRI+AAA`, `MOA+203`, `DTM+2`), and its currency (`CUX`). Tolerant of what real files do:
/// a missing `UNT` or `UNZ`, or a last segment without its terminator, ends the lines there.
///
/// # Errors
/// No `UNA`/`UNB` start, or a figure that is no decimal.
#[cfg(feature = "lines")]
pub(super) fn lines(data: &[u8]) -> Parsed<super::lines::OrderLines> {
    use super::lines::{OrderLine, OrderLines};
    let (syntax, pos) = syntax(data).ok_or("the interchange does not start with UNA or UNB")?;
    let mut segments = Segments { data, pos, syntax };
    let mut out = OrderLines {
        format: Format::EdifactOrders,
        currency: None,
        lines: Vec::new(),
    };
    let mut in_orders = false;
    let mut line: Option<OrderLine> = None;
    // A cut-off last segment ends the lines read so far.
    while let Ok(Some(segment)) = segments.next_segment() {
        let tag = segment.tag.as_slice();
        if tag == b"UNH" {
            if in_orders {
                break;
            }
            in_orders = true;
            continue;
        }
        if !in_orders {
            continue;
        }
        match tag {
            b"UNT" | b"UNS" | b"UNZ" => break,
            b"CUX" if line.is_none() => keep_first(&mut out.currency, &segment.text(0, 1)),
            b"LIN" => {
                out.lines.extend(line.take());
                let mut l = OrderLine::default();
                keep_first(&mut l.line_id, &segment.text(0, 0));
                let id = segment.text(2, 0);
                if !id.trim().is_empty() {
                    let kind = segment.text(2, 1);
                    l.standard_id = Some(if kind.trim().is_empty() {
                        id.trim().to_owned()
                    } else {
                        format!("{}:{}", kind.trim(), id.trim())
                    });
                }
                line = Some(l);
            }
            _ => {
                let Some(l) = line.as_mut() else {
                    continue;
                };
                match (tag, segment.get(0, 0)) {
                    (b"PIA", _) => {
                        // Each element after the function names an id and its kind.
                        for e in 1..segment.elements.len() {
                            match segment.get(e, 1) {
                                b"SA" => keep_first(&mut l.sku, &segment.text(e, 0)),
                                b"BP" | b"IN" => keep_first(&mut l.buyer_item, &segment.text(e, 0)),
                                _ => {}
                            }
                        }
                    }
                    (b"IMD", _) => keep_first(&mut l.item, &segment.text(2, 3)),
                    (b"QTY", b"21") => {
                        l.quantity = Some(edi_decimal(syntax, "quantity", segment.get(0, 1))?);
                        keep_first(&mut l.unit, &segment.text(0, 2));
                    }
                    (b"PRI", b"AAA") => {
                        l.unit_price = Some(edi_decimal(syntax, "price", segment.get(0, 1))?);
                    }
                    (b"MOA", b"203") => {
                        l.line_total = Some(edi_decimal(syntax, "line amount", segment.get(0, 1))?);
                    }
                    (b"DTM", b"2") => {
                        l.delivery_date =
                            Some(edifact_date(&segment.text(0, 1), &segment.text(0, 2))?);
                    }
                    _ => {}
                }
            }
        }
    }
    out.lines.extend(line);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{recognise, Recognition};
    use super::*;

    #[test]
    fn formats_edifact_custom_separators_and_release_character() {
        // Components `|`, elements `*`, decimal comma, release `\`, segments end with `~`.
        let data = "UNA|*,\\ ~UNB*UNOC|3*BUYER*SELLER*240312|0930*7~UNH*M1*ORDERS|D|01B|UN~\
                    BGM*220*A\\*B\\~1*9~DTM*137|202403121030|203~NAD*BY*DE-77\\|1||91~\
                    NAD*SU*S-9||92~CUX*2|EUR|9~LIN*1~LIN*2~UNS*S~MOA*128|1234,5~\
                    UNT*11*M1~UNZ*1*7~";
        let Recognition::Recognised(summary) = recognise(data.as_bytes()) else {
            panic!("{:?}", recognise(data.as_bytes()));
        };
        assert_eq!(summary.order_number.as_deref(), Some("A*B~1"));
        assert_eq!(summary.issue_date.as_deref(), Some("2024-03-12"));
        assert_eq!(summary.buyer_id.as_deref(), Some("DE-77|1"));
        assert_eq!(summary.seller_id.as_deref(), Some("S-9"));
        assert_eq!(summary.currency.as_deref(), Some("EUR"));
        assert_eq!(summary.total.as_deref(), Some("1234.5"));
        assert_eq!(summary.line_count, 2);
    }

    #[test]
    fn formats_edifact_line_count_falls_back_to_cnt() {
        let data = b"UNB+UNOA:2+B+S+240312:0930+1'UNH+1+ORDERS:D:96A:UN'BGM+220+77'\
                     CNT+2:12'UNT+4+1'UNZ+1+1'";
        let Recognition::Recognised(summary) = recognise(data) else {
            panic!("{:?}", recognise(data));
        };
        assert_eq!(summary.line_count, 12);
        assert_eq!(summary.total, None);
    }

    #[test]
    fn formats_edifact_envelope_errors_are_named() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"UNB+UNOA:2+B+S+240312:0930+1'UNH+1+ORDERS:D:96A:UN'BGM+220+77'UNT+9+1'UNZ+1+1'",
                "UNT counts \"9\" segments but the message has 3",
            ),
            (
                b"UNB+UNOA:2+B+S+240312:0930+1'UNH+1+ORDERS:D:96A:UN'BGM+220+77'UNT+3+2'UNZ+1+1'",
                "UNT reference \"2\" does not match UNH reference \"1\"",
            ),
            (
                b"UNB+UNOA:2+B+S+240312:0930+1'UNH+1+ORDERS:D:96A:UN'BGM+220+77'UNT+3+1'",
                "without its UNZ segment",
            ),
            (
                b"UNB+UNOA:2+B+S+240312:0930+1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+1",
                "not terminated",
            ),
            (
                b"UNB+UNOA:2+B+S+240312:0930+1'UNH+1+ORDERS:D:96A:UN'DTM+137:20240231:102'\
                  UNT+3+1'UNZ+1+1'",
                "order date \"2024-02-31\" is not a date",
            ),
        ];
        for (data, needle) in cases {
            match recognise(data) {
                Recognition::Malformed { format, error } => {
                    assert_eq!(format, Format::EdifactOrders);
                    assert!(error.contains(needle), "{error:?} lacks {needle:?}");
                }
                other => panic!("expected malformed, got {other:?}"),
            }
        }
    }
}
