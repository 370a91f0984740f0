//! The streaming walk over an XML document that both recognisers use (the order formats in
//! [`super::xml`], the e-invoices in `crate::invoice`): `quick-xml`'s reader, bounded nesting,
//! UTF-8 or ISO-8859-1, and no DTD processing — only XML's five predefined entities and
//! character references are resolved, and any other entity reference is an error, so nothing a
//! DTD declares can expand. A format sees each element's path of local names from the root, the
//! few attributes formats read, and its text; errors come back as `line L, column C: why`.

use quick_xml::events::{BytesStart, Event};
use quick_xml::NsReader;

use super::{keep_first, line_column, Parsed};

/// Deepest element nesting accepted; real documents stay far below it.
const MAX_DEPTH: usize = 256;

pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// The attributes the formats read, of the element being opened or closed.
#[derive(Debug, Default)]
pub(crate) struct Attrs {
    pub(crate) scheme_id: Option<String>,
    pub(crate) currency_id: Option<String>,
    pub(crate) unit_code: Option<String>,
    /// CII `udt:DateTimeString/@format`.
    pub(crate) format: Option<String>,
    /// cXML `OrderRequestHeader/@orderID`, `@orderDate`; `Money/@currency`.
    pub(crate) order_id: Option<String>,
    pub(crate) order_date: Option<String>,
    pub(crate) currency: Option<String>,
    /// cXML `ItemOut/@quantity`, `@lineNumber` (the lines' reader).
    #[cfg(feature = "lines")]
    pub(crate) quantity: Option<String>,
    #[cfg(feature = "lines")]
    pub(crate) line_number: Option<String>,
}

/// What a format does while a document streams past. `path` holds the local names from the
/// root to the element at hand.
pub(crate) trait Handler {
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
pub(crate) fn walk(bytes: &[u8], handler: &mut impl Handler) -> Parsed<()> {
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
    order_id: None,
    order_date: None,
    currency: None,
    #[cfg(feature = "lines")]
    quantity: None,
    #[cfg(feature = "lines")]
    line_number: None,
};

/// XML's five predefined entities (no DTD is read, so no other entity expands).
pub(crate) fn predefined_entity(name: &[u8]) -> Option<char> {
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
            b"orderID" => &mut attrs.order_id,
            b"orderDate" => &mut attrs.order_date,
            b"currency" => &mut attrs.currency,
            #[cfg(feature = "lines")]
            b"quantity" => &mut attrs.quantity,
            #[cfg(feature = "lines")]
            b"lineNumber" => &mut attrs.line_number,
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
