//! ZUGFeRD 2 / Factur-X: a PDF/A-3 that carries the invoice as a Cross Industry Invoice in an
//! embedded file (`factur-x.xml`, `zugferd-invoice.xml`, `xrechnung.xml`).
//!
//! This is a bounded scanner, not a PDF parser: it reads the file's objects in the order they
//! stand (`N G obj … endobj`) without following the cross-reference table, notes every stream
//! and every file specification (a dictionary with an `/EF` entry, wherever it sits), looks into
//! compressed object streams for file specifications when the plain objects do not name the
//! attachments, and then inflates the embedded files — those typed `/EmbeddedFile` and those a
//! file specification points to — until one is an e-invoice.
//!
//! Bounds: at most [`PDF_MAX_BYTES`] of the file are scanned; each object's syntax is limited in
//! nesting and size; at most [`MAX_EMBEDDED`] embedded files and [`MAX_OBJECT_STREAMS`] object
//! streams are inflated, into at most [`INFLATE_MAX_BYTES`] each in total. Only `/FlateDecode`
//! (without a predictor) and unencoded streams are read; encrypted PDFs are not.

use std::collections::HashMap;
use std::ops::Range;

use memchr::memmem;
use miniz_oxide::inflate::{self, TINFLStatus};

use super::{parse, strip_bom, xml, InvoiceFormat, Reading, PARSE_MAX_BYTES, SNIFF_BYTES};

/// How much of a PDF is scanned; an attachment beyond it is not seen.
pub const PDF_MAX_BYTES: usize = 32 * 1024 * 1024;
/// How many bytes the embedded files may inflate to, together (and again the object streams).
pub(super) const INFLATE_MAX_BYTES: usize = 16 * 1024 * 1024;
/// How many embedded files are inflated and sniffed.
pub(super) const MAX_EMBEDDED: usize = 16;
/// How many compressed object streams are inflated to look for file specifications.
pub(super) const MAX_OBJECT_STREAMS: usize = 256;
/// How many streams are noted; a PDF with more is read as far as these.
const MAX_STREAMS: usize = 65_536;
/// How many file specifications are noted.
const MAX_FILES: usize = 1024;
/// How deep arrays and dictionaries may nest in one object.
const MAX_NESTING: usize = 32;
/// How many values one object may hold.
const MAX_ITEMS: usize = 4096;
/// How many objects one object stream may hold.
const MAX_STREAM_OBJECTS: usize = 10_000;
/// The longest attachment name kept, in characters.
const MAX_NAME_CHARS: usize = 255;

/// The names ZUGFeRD, Factur-X and XRechnung give the embedded invoice.
const INVOICE_NAMES: [&str; 3] = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

/// Does the head of a file say it is a PDF? Readers accept the header within its first KiB.
pub(super) fn is_pdf(head: &[u8]) -> bool {
    memmem::find(&head[..head.len().min(1024)], b"%PDF-").is_some()
}

/// Reads the e-invoice embedded in a PDF: `Recognised` for the first embedded file that is one,
/// `Malformed` when none is and an embedded file that should be (by its name, or by its root
/// element) is not, else `Unknown`.
pub(super) fn read(bytes: &[u8]) -> Reading {
    let pdf = &bytes[..bytes.len().min(PDF_MAX_BYTES)];
    let mut scan = Scan::new(pdf);
    scan.objects();
    let unnamed = |scan: &Scan| {
        let named: Vec<u32> = scan.files.iter().map(|f| f.stream).collect();
        scan.streams
            .iter()
            .any(|s| s.kind == Kind::EmbeddedFile && !named.contains(&s.num))
    };
    if scan.files.is_empty() || unnamed(&scan) {
        scan.object_streams();
    }
    scan.embedded()
}

/// A PDF value, as far as the scanner needs one.
#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Null,
    Bool,
    /// An integer (when it fits) or a real.
    Number(Option<i64>),
    Str(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Vec<(Vec<u8>, Obj)>),
    /// An indirect reference `N G R` (the generation is not needed).
    Ref(u32),
}

impl Obj {
    fn get(&self, key: &[u8]) -> Option<&Obj> {
        match self {
            Obj::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Obj::Number(n)) => *n,
            _ => None,
        }
    }

    fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Obj::Name(n)) => Some(n),
            _ => None,
        }
    }
}

fn is_white(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delimiter(b)
}

/// Reads PDF values from `data`, starting at `pos`; `None` for anything it does not take
/// (bad syntax, too deep, too many values). `pos` is where reading stopped either way.
struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    items: usize,
}

impl<'a> Lexer<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Self {
            data,
            pos,
            items: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.data.get(self.pos + ahead).copied()
    }

    /// Skips whitespace and comments.
    fn skip(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(b) = self.peek() {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Obj> {
        self.items += 1;
        if self.items > MAX_ITEMS || depth > MAX_NESTING {
            return None;
        }
        self.skip();
        match self.peek()? {
            b'/' => {
                self.pos += 1;
                Some(Obj::Name(self.name()))
            }
            b'(' => {
                self.pos += 1;
                self.literal().map(Obj::Str)
            }
            b'<' if self.peek_at(1) == Some(b'<') => {
                self.pos += 2;
                let mut entries = Vec::new();
                loop {
                    self.skip();
                    match self.peek()? {
                        b'>' if self.peek_at(1) == Some(b'>') => {
                            self.pos += 2;
                            return Some(Obj::Dict(entries));
                        }
                        b'/' => {
                            self.pos += 1;
                            let key = self.name();
                            let value = self.value(depth + 1)?;
                            entries.push((key, value));
                        }
                        _ => return None,
                    }
                }
            }
            b'<' => {
                self.pos += 1;
                self.hex().map(Obj::Str)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip();
                    if self.peek()? == b']' {
                        self.pos += 1;
                        return Some(Obj::Array(items));
                    }
                    items.push(self.value(depth + 1)?);
                }
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number(),
            b if is_regular(b) => {
                let start = self.pos;
                while self.peek().is_some_and(is_regular) {
                    self.pos += 1;
                }
                match &self.data[start..self.pos] {
                    b"true" | b"false" => Some(Obj::Bool),
                    b"null" => Some(Obj::Null),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A name after its `/`, with `#xx` escapes decoded.
    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(b) = self.peek().filter(|&b| is_regular(b)) {
            self.pos += 1;
            if b == b'#' {
                let hex = (
                    self.peek().and_then(hex_digit),
                    self.peek_at(1).and_then(hex_digit),
                );
                if let (Some(hi), Some(lo)) = hex {
                    self.pos += 2;
                    out.push(hi << 4 | lo);
                    continue;
                }
            }
            out.push(b);
        }
        out
    }

    /// A literal string after its `(`.
    fn literal(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut open = 1usize;
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'(' => {
                    open += 1;
                    out.push(b);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        return Some(out);
                    }
                    out.push(b);
                }
                b'\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0C),
                        b'0'..=b'7' => {
                            let mut code = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        self.pos += 1;
                                        code = code * 8 + u32::from(d - b'0');
                                    }
                                    _ => break,
                                }
                            }
                            out.push(u8::try_from(code & 0xFF).unwrap_or(0));
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                other => out.push(other),
            }
        }
    }

    /// A hexadecimal string after its `<`.
    fn hex(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let b = self.peek()?;
            self.pos += 1;
            if b == b'>' {
                if let Some(hi) = high {
                    out.push(hi << 4);
                }
                return Some(out);
            }
            if is_white(b) {
                continue;
            }
            let digit = hex_digit(b)?;
            match high.take() {
                Some(hi) => out.push(hi << 4 | digit),
                None => high = Some(digit),
            }
        }
    }

    /// A number, or an indirect reference `N G R` that starts with one.
    fn number(&mut self) -> Option<Obj> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'.') {
            self.pos += 1;
        }
        let token = std::str::from_utf8(&self.data[start..self.pos]).ok()?;
        if token.contains('.') {
            return Some(Obj::Number(None));
        }
        let Ok(n) = token.parse::<i64>() else {
            return Some(Obj::Number(None));
        };
        // An unsigned integer may be the first of `N G R`.
        if token.bytes().all(|b| b.is_ascii_digit()) {
            let after = self.pos;
            if let Some(num) = u32::try_from(n).ok().filter(|_| self.reference_follows()) {
                return Some(Obj::Ref(num));
            }
            self.pos = after;
        }
        Some(Obj::Number(Some(n)))
    }

    /// Reads ` G R` after an object number; `pos` is past it when it returns `true`.
    fn reference_follows(&mut self) -> bool {
        let white = |l: &mut Self| {
            let start = l.pos;
            while l.peek().is_some_and(is_white) {
                l.pos += 1;
            }
            l.pos > start
        };
        if !white(self) {
            return false;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits || !white(self) || self.peek() != Some(b'R') {
            return false;
        }
        self.pos += 1;
        self.peek().is_none_or(|b| !is_regular(b))
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// What a stream is, by its `/Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    EmbeddedFile,
    ObjectStream,
    Other,
}

/// A stream as the scanner notes it.
#[derive(Debug)]
struct Stream {
    num: u32,
    kind: Kind,
    /// The `/Filter` names, or why they cannot be read.
    filters: Result<Vec<Vec<u8>>, String>,
    /// Object streams: `/N` and `/First`.
    count: Option<i64>,
    first: Option<i64>,
    /// The raw data; `None` when the file ends inside it.
    data: Option<Range<usize>>,
}

/// A file specification's pointer to an embedded file.
#[derive(Debug)]
struct FileRef {
    name: Option<String>,
    stream: u32,
}

struct Scan<'a> {
    pdf: &'a [u8],
    streams: Vec<Stream>,
    /// Object number to index in `streams`; a later object of the same number wins, as in an
    /// incremental update.
    by_num: HashMap<u32, usize>,
    files: Vec<FileRef>,
}

impl<'a> Scan<'a> {
    fn new(pdf: &'a [u8]) -> Self {
        Self {
            pdf,
            streams: Vec::new(),
            by_num: HashMap::new(),
            files: Vec::new(),
        }
    }

    /// Reads every `N G obj` in the file. Linear: each byte is read by at most one object,
    /// since the scan continues where an object (or its failed reading) ended.
    fn objects(&mut self) {
        let pdf = self.pdf;
        let finder = memmem::Finder::new(b"obj");
        let mut pos = 0;
        while let Some(found) = finder.find(&pdf[pos..]) {
            let at = pos + found;
            pos = at + 3;
            if pdf.get(pos).is_some_and(|&b| is_regular(b)) {
                continue;
            }
            let Some(num) = object_number(pdf, at) else {
                continue;
            };
            let mut lexer = Lexer::new(pdf, pos);
            let value = lexer.value(0);
            pos = pos.max(lexer.pos);
            let Some(value) = value else {
                continue;
            };
            if matches!(value, Obj::Dict(_)) {
                lexer.skip();
                if pdf[lexer.pos..].starts_with(b"stream") {
                    let (data, end) = stream_data(pdf, lexer.pos + 6, value.int(b"Length"));
                    pos = pos.max(end);
                    self.note_stream(num, &value, data);
                }
            }
            self.visit(&value, 0);
        }
    }

    fn note_stream(&mut self, num: u32, dict: &Obj, data: Option<Range<usize>>) {
        if self.streams.len() >= MAX_STREAMS {
            return;
        }
        let kind = match dict.name(b"Type") {
            Some(b"EmbeddedFile") => Kind::EmbeddedFile,
            Some(b"ObjStm") => Kind::ObjectStream,
            _ => Kind::Other,
        };
        self.by_num.insert(num, self.streams.len());
        self.streams.push(Stream {
            num,
            kind,
            filters: filters(dict),
            count: dict.int(b"N"),
            first: dict.int(b"First"),
            data,
        });
    }

    /// Notes the file specifications in `value`, however deep.
    fn visit(&mut self, value: &Obj, depth: usize) {
        if depth > MAX_NESTING {
            return;
        }
        match value {
            Obj::Dict(entries) => {
                if let Some(ef @ Obj::Dict(_)) = value.get(b"EF") {
                    let name = [b"UF".as_slice(), b"F"]
                        .iter()
                        .find_map(|key| match value.get(key) {
                            Some(Obj::Str(s)) => Some(text_string(s)),
                            _ => None,
                        })
                        .filter(|n| !n.trim().is_empty());
                    for key in [b"UF".as_slice(), b"F"] {
                        if let Some(&Obj::Ref(stream)) = ef.get(key) {
                            if let Some(known) = self.files.iter_mut().find(|f| f.stream == stream)
                            {
                                if known.name.is_none() {
                                    known.name.clone_from(&name);
                                }
                            } else if self.files.len() < MAX_FILES {
                                self.files.push(FileRef {
                                    name: name.clone(),
                                    stream,
                                });
                            }
                        }
                    }
                }
                for (_, v) in entries {
                    self.visit(v, depth + 1);
                }
            }
            Obj::Array(items) => {
                for v in items {
                    self.visit(v, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Inflates the compressed object streams (bounded) and notes their file specifications.
    fn object_streams(&mut self) {
        let mut budget = Budget(INFLATE_MAX_BYTES);
        let object_streams: Vec<usize> = (0..self.streams.len())
            .filter(|&i| self.streams[i].kind == Kind::ObjectStream)
            .take(MAX_OBJECT_STREAMS)
            .collect();
        for i in object_streams {
            let stream = &self.streams[i];
            let (Some(count), Some(first)) = (stream.count, stream.first) else {
                continue;
            };
            let (Ok(count), Ok(first)) = (usize::try_from(count), usize::try_from(first)) else {
                continue;
            };
            let Ok(data) = budget.decode(self.pdf, stream, INFLATE_MAX_BYTES) else {
                continue;
            };
            let mut header = Lexer::new(&data, 0);
            let mut offsets = Vec::new();
            for _ in 0..count.min(MAX_STREAM_OBJECTS) {
                let (Some(Obj::Number(Some(_))), Some(Obj::Number(Some(offset)))) =
                    (header.value(0), header.value(0))
                else {
                    break;
                };
                header.items = 0;
                match usize::try_from(offset)
                    .ok()
                    .and_then(|o| o.checked_add(first))
                {
                    Some(at) if at < data.len() => offsets.push(at),
                    _ => break,
                }
            }
            // Each object is read within its own span (up to the next offset), which keeps the
            // work linear however the offsets lie.
            offsets.sort_unstable();
            offsets.dedup();
            for (k, &at) in offsets.iter().enumerate() {
                let end = offsets.get(k + 1).copied().unwrap_or(data.len());
                if let Some(value) = Lexer::new(&data[..end], at).value(0) {
                    self.visit(&value, 0);
                }
            }
        }
    }

    /// Tries the embedded files, those with an invoice's name first.
    fn embedded(&self) -> Reading {
        let mut candidates: Vec<(usize, Option<&str>)> = Vec::new();
        let mut missing: Option<&str> = None;
        for file in &self.files {
            match self.by_num.get(&file.stream) {
                Some(&i) => candidates.push((i, file.name.as_deref())),
                None => {
                    if missing.is_none() && file.name.as_deref().is_some_and(is_invoice_name) {
                        missing = file.name.as_deref();
                    }
                }
            }
        }
        for (i, stream) in self.streams.iter().enumerate() {
            if stream.kind == Kind::EmbeddedFile && !candidates.iter().any(|(c, _)| *c == i) {
                candidates.push((i, None));
            }
        }
        candidates.sort_by_key(|(_, name)| !name.is_some_and(is_invoice_name));
        let mut budget = Budget(INFLATE_MAX_BYTES);
        let mut malformed: Option<Reading> = None;
        for (i, name) in candidates.into_iter().take(MAX_EMBEDDED) {
            let named = name.is_some_and(is_invoice_name);
            let label =
                name.map_or_else(|| "embedded file".to_owned(), |n| format!("embedded {n}"));
            let mut flag = |error: String, format: InvoiceFormat| {
                if malformed.is_none() {
                    malformed = Some(Reading::Malformed { format, error });
                }
            };
            let Some(stream) = self.streams.get(i) else {
                continue;
            };
            let data = match budget.decode(self.pdf, stream, PARSE_MAX_BYTES) {
                Ok(data) => data,
                Err(why) => {
                    if named {
                        flag(format!("the {label} {why}"), InvoiceFormat::Zugferd);
                    }
                    continue;
                }
            };
            let xml_bytes = strip_bom(&data);
            let head = &xml_bytes[..xml_bytes.len().min(SNIFF_BYTES)];
            match xml::sniff(head) {
                Some(root) => match parse(root, xml_bytes) {
                    Ok(read) => return read.embedded(name).into_reading(),
                    Err(error) => {
                        let format = match root.format() {
                            InvoiceFormat::Cii => InvoiceFormat::Zugferd,
                            other => other,
                        };
                        flag(format!("in the {label}: {error}"), format);
                    }
                },
                None if named => flag(
                    format!(
                        "the {label} is not a Cross Industry Invoice \
                         (its root element is not rsm:CrossIndustryInvoice)"
                    ),
                    InvoiceFormat::Zugferd,
                ),
                None => {}
            }
        }
        if let Some(reading) = malformed {
            return reading;
        }
        if let Some(name) = missing {
            return Reading::Malformed {
                format: InvoiceFormat::Zugferd,
                error: format!(
                    "the PDF names {name} as an attachment but its data is missing; \
                     is the file cut off?"
                ),
            };
        }
        Reading::Unknown
    }
}

/// Is `name` (a path's last part) one of the names the standards give the embedded invoice?
fn is_invoice_name(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    INVOICE_NAMES.iter().any(|n| base.eq_ignore_ascii_case(n))
}

/// The object number of the `obj` keyword at `at`, read backwards over `N G `.
fn object_number(pdf: &[u8], at: usize) -> Option<u32> {
    let mut i = at;
    let white = |i: &mut usize| {
        let end = *i;
        while *i > 0 && is_white(pdf[*i - 1]) {
            *i -= 1;
        }
        *i < end
    };
    let digits = |i: &mut usize| {
        let end = *i;
        while *i > 0 && end - *i < 10 && pdf[*i - 1].is_ascii_digit() {
            *i -= 1;
        }
        (*i < end).then(|| &pdf[*i..end])
    };
    if !white(&mut i) {
        return None;
    }
    digits(&mut i)?;
    if !white(&mut i) {
        return None;
    }
    let num = digits(&mut i)?;
    if i > 0 && is_regular(pdf[i - 1]) {
        return None;
    }
    std::str::from_utf8(num).ok()?.parse().ok()
}

/// The data of a stream whose `stream` keyword ends at `start`, and where the scan goes on.
/// `/Length` is trusted when it is a direct integer that ends at `endstream`; otherwise the
/// data ends at the next `endstream`.
fn stream_data(pdf: &[u8], start: usize, length: Option<i64>) -> (Option<Range<usize>>, usize) {
    let start = match pdf.get(start..start + 2) {
        Some(b"\r\n") => start + 2,
        Some([b'\n' | b'\r', _]) => start + 1,
        _ => start.min(pdf.len()),
    };
    if let Some(end) = length
        .and_then(|l| usize::try_from(l).ok())
        .and_then(|l| start.checked_add(l))
        .filter(|&end| end <= pdf.len())
    {
        let mut after = end;
        while pdf.get(after).is_some_and(|&b| is_white(b)) {
            after += 1;
        }
        if pdf[after..].starts_with(b"endstream") {
            return (Some(start..end), after + 9);
        }
    }
    match memmem::find(&pdf[start..], b"endstream") {
        Some(found) => {
            let mut end = start + found;
            if end > start && pdf[end - 1] == b'\n' {
                end -= 1;
            }
            if end > start && pdf[end - 1] == b'\r' {
                end -= 1;
            }
            (Some(start..end), start + found + 9)
        }
        None => (None, pdf.len()),
    }
}

/// The `/Filter` of a stream dictionary as a list of names, or why it cannot be read.
fn filters(dict: &Obj) -> Result<Vec<Vec<u8>>, String> {
    let names = match dict.get(b"Filter") {
        None | Some(Obj::Null) => Vec::new(),
        Some(Obj::Name(n)) => vec![n.clone()],
        Some(Obj::Array(items)) => items
            .iter()
            .map(|item| match item {
                Obj::Name(n) => Ok(n.clone()),
                _ => Err("has an unreadable /Filter".to_owned()),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("has an unreadable /Filter".to_owned()),
    };
    let predictor = |parms: &Obj| parms.int(b"Predictor").is_some_and(|p| p > 1);
    let predicted = match dict.get(b"DecodeParms") {
        Some(parms @ Obj::Dict(_)) => predictor(parms),
        Some(Obj::Array(items)) => items.iter().any(predictor),
        _ => false,
    };
    if predicted {
        return Err("uses a predictor, which is not read".to_owned());
    }
    Ok(names)
}

/// What inflating may still produce. Every attempt is charged what it produced (for a failed
/// one, the buffer it filled), kept or not, so streams that unpack to too much or break off use
/// it up as well.
struct Budget(usize);

impl Budget {
    /// The decoded data of `stream`, at most `cap` bytes and at most what is left.
    fn decode(&mut self, pdf: &[u8], stream: &Stream, cap: usize) -> Result<Vec<u8>, String> {
        let limit = self.0.min(cap);
        let too_large = || {
            if limit < cap {
                "together with the other attachments unpacks to more than 16 MiB".to_owned()
            } else {
                "unpacks to more than 16 MiB".to_owned()
            }
        };
        let raw = stream
            .data
            .clone()
            .and_then(|range| pdf.get(range))
            .ok_or_else(|| "is cut off".to_owned())?;
        let filters = stream.filters.as_ref().map_err(Clone::clone)?;
        let (result, spent) = match filters.as_slice() {
            [] if raw.len() > limit => (Err(Failure::TooLarge), 0),
            [] => (Ok(raw.to_vec()), raw.len()),
            [f] if f == b"FlateDecode" || f == b"Fl" => inflate_bounded(raw, limit),
            [f, ..] => {
                return Err(format!(
                    "is encoded with /{}, which is not read",
                    String::from_utf8_lossy(f)
                ))
            }
        };
        self.0 = self.0.saturating_sub(spent);
        result.map_err(|failure| match failure {
            Failure::TooLarge => too_large(),
            Failure::Broken => {
                "does not decompress (is it cut off, or the PDF encrypted?)".to_owned()
            }
        })
    }
}

/// Why inflating failed.
enum Failure {
    TooLarge,
    Broken,
}

/// Inflates zlib data (or raw deflate data, as some writers produce) into at most `limit`
/// bytes; also returns how many bytes were produced along the way.
fn inflate_bounded(raw: &[u8], limit: usize) -> (Result<Vec<u8>, Failure>, usize) {
    if limit == 0 {
        return (Err(Failure::TooLarge), 0);
    }
    let spent = match inflate::decompress_to_vec_zlib_with_limit(raw, limit) {
        Ok(data) => {
            let spent = data.len();
            return (Ok(data), spent);
        }
        Err(err) if err.status == TINFLStatus::HasMoreOutput => {
            return (Err(Failure::TooLarge), err.output.len());
        }
        Err(err) => err.output.len(),
    };
    match inflate::decompress_to_vec_with_limit(raw, limit.saturating_sub(spent)) {
        Ok(data) => {
            let total = spent + data.len();
            (Ok(data), total)
        }
        Err(err) => {
            let failure = if err.status == TINFLStatus::HasMoreOutput {
                Failure::TooLarge
            } else {
                Failure::Broken
            };
            (Err(failure), spent + err.output.len())
        }
    }
}

/// A PDF text string: UTF-16BE with its byte order mark, UTF-8 with its mark, or
/// PDFDocEncoding (read as Latin-1, which it equals for the characters file names use).
fn text_string(bytes: &[u8]) -> String {
    let text: String = if let Some(utf16) = bytes.strip_prefix(b"\xFE\xFF") {
        let units = utf16
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .take(MAX_NAME_CHARS)
            .collect()
    } else if let Some(utf8) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(utf8)
            .chars()
            .take(MAX_NAME_CHARS)
            .collect()
    } else {
        bytes
            .iter()
            .take(MAX_NAME_CHARS)
            .map(|&b| char::from(b))
            .collect()
    };
    text.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &[u8]) -> Option<Obj> {
        Lexer::new(text, 0).value(0)
    }

    fn name(n: &str) -> Obj {
        Obj::Name(n.as_bytes().to_vec())
    }

    #[test]
    fn invoice_pdf_values_are_read() {
        assert_eq!(
            value(b"<< /Type /Filespec /F (factur-x.xml) /EF << /F 12 0 R >> /N [1 -2.5 null true] >>"),
            Some(Obj::Dict(vec![
                (b"Type".to_vec(), name("Filespec")),
                (b"F".to_vec(), Obj::Str(b"factur-x.xml".to_vec())),
                (b"EF".to_vec(), Obj::Dict(vec![(b"F".to_vec(), Obj::Ref(12))])),
                (
                    b"N".to_vec(),
                    Obj::Array(vec![
                        Obj::Number(Some(1)),
                        Obj::Number(None),
                        Obj::Null,
                        Obj::Bool
                    ])
                ),
            ]))
        );
        assert_eq!(value(b"/text#2Fxml"), Some(name("text/xml")));
        assert_eq!(
            value(
                br"(a\(b\) (c) \101\n\
x)"
            ),
            Some(Obj::Str(b"a(b) (c) A\nx".to_vec()))
        );
        assert_eq!(value(b"<48 65 6c6C 6>"), Some(Obj::Str(b"Hell`".to_vec())));
        assert_eq!(
            value(b"[1 0 R 2 0 3]"),
            Some(Obj::Array(vec![
                Obj::Ref(1),
                Obj::Number(Some(2)),
                Obj::Number(Some(0)),
                Obj::Number(Some(3)),
            ]))
        );
        assert_eq!(value(b"12 0 Rx"), Some(Obj::Number(Some(12))));
        for bad in [
            &b"<< /A"[..],
            b"(open",
            b"<4G>",
            b"[1 2",
            b"<< 1 2 >>",
            b"stream",
            b"",
        ] {
            assert_eq!(value(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn invoice_pdf_nesting_and_size_are_bounded() {
        let deep = "[".repeat(MAX_NESTING + 2) + &"]".repeat(MAX_NESTING + 2);
        assert_eq!(value(deep.as_bytes()), None);
        let ok = "[".repeat(MAX_NESTING) + &"]".repeat(MAX_NESTING);
        assert!(value(ok.as_bytes()).is_some());
        let wide = format!("[{}]", "1 ".repeat(MAX_ITEMS + 1));
        assert_eq!(value(wide.as_bytes()), None);
    }

    #[test]
    fn invoice_pdf_object_numbers_are_read_backwards() {
        let pdf = b"%PDF-1.7\n12 0 obj\nx 7 0obj 3 1 obj";
        let at = |needle: &[u8], from: usize| from + memmem::find(&pdf[from..], needle).unwrap();
        assert_eq!(object_number(pdf, at(b"obj", 0)), Some(12));
        assert_eq!(object_number(pdf, at(b"obj", 20)), None);
        assert_eq!(object_number(pdf, at(b"obj", 28)), Some(3));
        assert_eq!(object_number(b"a1 0 obj", 5), None);
    }

    #[test]
    fn invoice_pdf_stream_data_trusts_a_length_that_fits() {
        let pdf = b"stream\r\nabcdef\nendstream endobj";
        assert_eq!(stream_data(pdf, 6, Some(6)), (Some(8..14), 24));
        // A wrong length: the data runs to `endstream`.
        assert_eq!(stream_data(pdf, 6, Some(3)), (Some(8..14), 24));
        assert_eq!(stream_data(pdf, 6, Some(1 << 40)), (Some(8..14), 24));
        assert_eq!(stream_data(b"stream\nabc", 6, Some(3)), (None, 10));
    }

    #[test]
    fn invoice_pdf_text_strings_and_names() {
        assert_eq!(text_string(b"\xFE\xFF\x00f\x00x\x00.\x00x"), "fx.x");
        assert_eq!(text_string(b"\xEF\xBB\xBFr\xC3\xA9"), "ré");
        assert_eq!(text_string(b"r\xE9\n"), "ré");
        assert!(is_invoice_name("Factur-X.xml"));
        assert!(is_invoice_name("C:\\temp\\ZUGFeRD-invoice.xml"));
        assert!(is_invoice_name("xrechnung.xml"));
        assert!(!is_invoice_name("factur-x.xml.pdf"));
    }

    #[test]
    fn invoice_pdf_inflation_is_charged_even_when_it_fails() {
        let data = miniz_oxide::deflate::compress_to_vec_zlib(&[b' '; 2000], 6);
        let stream = Stream {
            num: 1,
            kind: Kind::EmbeddedFile,
            filters: Ok(vec![b"FlateDecode".to_vec()]),
            count: None,
            first: None,
            data: Some(0..data.len()),
        };
        let mut budget = Budget(2500);
        assert_eq!(budget.decode(&data, &stream, 5000).unwrap().len(), 2000);
        assert_eq!(budget.0, 500);
        assert_eq!(
            budget.decode(&data, &stream, 5000).unwrap_err(),
            "together with the other attachments unpacks to more than 16 MiB"
        );
        assert_eq!(budget.0, 0, "the partial output was charged");
        let mut budget = Budget(5000);
        assert_eq!(
            budget.decode(&data, &stream, 1000).unwrap_err(),
            "unpacks to more than 16 MiB"
        );
        assert_eq!(budget.0, 4000);
        let cut = Stream {
            data: Some(0..data.len() / 2),
            ..stream
        };
        let mut budget = Budget(5000);
        assert!(budget
            .decode(&data, &cut, 5000)
            .unwrap_err()
            .contains("does not decompress"));
        assert!(budget.0 < 5000, "what came out before the cut was charged");
    }

    #[test]
    fn invoice_pdf_filters_and_predictors() {
        let dict = |text: &[u8]| value(text).unwrap();
        assert_eq!(filters(&dict(b"<< >>")), Ok(vec![]));
        assert_eq!(
            filters(&dict(b"<< /Filter [/FlateDecode] >>")),
            Ok(vec![b"FlateDecode".to_vec()])
        );
        assert!(filters(&dict(
            b"<< /Filter /FlateDecode /DecodeParms << /Predictor 12 >> >>"
        ))
        .is_err());
        assert!(filters(&dict(b"<< /Filter 5 >>")).is_err());
    }
}
