//! Reading a catalog file as it streams in: CSV (a header row naming the columns, `;`, `,` or
//! tab between fields, auto-detected) and BMEcat 2005 (`T_NEW_CATALOG`, `T_UPDATE_PRODUCTS`,
//! `T_UPDATE_PRICES`; BMEcat 1.2's `ARTICLE` too). A [`Feed`] takes the file chunk by chunk
//! and hands out the products read so far, so a file of 100,000 products never sits whole in
//! memory: a CSV feed holds one record, a BMEcat feed one `PRODUCT` element (and the category
//! tree of the header).
//!
//! A row that does not fit is a [`RowError`] naming its row (CSV line or product ordinal), SKU
//! and field; the import goes on. What makes the whole file unreadable (no SKU column, not a
//! BMEcat document) is an [`Error`] naming `file`.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{ProductPatch, ProductText, LANGUAGES};
use crate::formats::walk::predefined_entity;
use crate::quote::{price_e4, quantity_e3};
use crate::{Error, Result};

/// The largest CSV record or BMEcat product element.
pub const MAX_ITEM_BYTES: usize = 256 * 1024;

/// What a row of a file asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Make or change the product with the patch's SKU.
    Upsert(Box<ProductPatch>),
    /// Take the product with this SKU out of the catalog.
    Delete(String),
}

impl Item {
    /// The SKU the row is about.
    #[must_use]
    pub fn sku(&self) -> &str {
        match self {
            Item::Upsert(p) => &p.sku,
            Item::Delete(sku) => sku,
        }
    }
}

/// A row that was refused, for the import's report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// The CSV line (the header is line 1) or the BMEcat product's ordinal (from 1).
    pub row: u64,
    pub sku: Option<String>,
    /// The field or column at fault.
    pub field: String,
    pub detail: String,
}

/// A row read: what it asks, or why it was refused.
pub type Row = std::result::Result<Item, RowError>;

/// A file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Bmecat,
}

impl FileFormat {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Bmecat => "bmecat",
        }
    }

    /// The format a file's first bytes show: XML is BMEcat, anything else CSV.
    #[must_use]
    pub fn sniff(head: &[u8]) -> FileFormat {
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            FileFormat::Bmecat
        } else {
            FileFormat::Csv
        }
    }
}

/// A file read chunk by chunk.
pub enum Feed {
    Csv(Box<CsvFeed>),
    Bmecat(Box<BmecatFeed>),
}

impl Feed {
    #[must_use]
    pub fn new(format: FileFormat) -> Feed {
        match format {
            FileFormat::Csv => Feed::Csv(Box::default()),
            FileFormat::Bmecat => Feed::Bmecat(Box::default()),
        }
    }

    /// Reads `chunk`, adding the rows it completes to `out`.
    ///
    /// # Errors
    /// 422 `file` when the file cannot be read as its format.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Row>) -> Result<()> {
        match self {
            Feed::Csv(f) => f.feed(chunk, out),
            Feed::Bmecat(f) => f.feed(chunk, out),
        }
    }

    /// The file has ended: adds its last rows.
    ///
    /// # Errors
    /// 422 `file` when it ended inside a product or had none of its format's structure.
    pub fn finish(&mut self, out: &mut Vec<Row>) -> Result<()> {
        match self {
            Feed::Csv(f) => f.finish(out),
            Feed::Bmecat(f) => f.finish(out),
        }
    }
}

fn file_error(detail: impl Into<String>) -> Error {
    Error::invalid("file", detail)
}

/// The columns a CSV header may name (lower case; `name`, `description` and `price` are
/// English name, English description and list price).
pub(crate) const CSV_COLUMNS: [&str; 16] = [
    "sku",
    "gtin",
    "name_en",
    "name_de",
    "name_pl",
    "description_en",
    "description_de",
    "description_pl",
    "category",
    "unit",
    "list_price",
    "min_quantity",
    "step_quantity",
    "stock",
    "lead_time_days",
    "action",
];

/// A CSV file: its header decides the columns; a row with `action` = `delete` deletes.
#[derive(Default)]
pub struct CsvFeed {
    /// Bytes held until the first line shows the delimiter.
    head: Vec<u8>,
    reader: Option<csv_core::Reader>,
    /// The column (index into [`CSV_COLUMNS`]) of each field.
    columns: Option<Vec<usize>>,
    record: Vec<u8>,
    ends: Vec<usize>,
    record_len: usize,
    ends_len: usize,
    /// The line the current record started on.
    line: u64,
    too_long: bool,
}

impl CsvFeed {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<Row>) -> Result<()> {
        if self.reader.is_none() {
            self.head.extend_from_slice(chunk);
            let Some(end) = self.head.iter().position(|b| *b == b'\n') else {
                if self.head.len() > MAX_ITEM_BYTES {
                    return Err(file_error("the first line (the header) is too long"));
                }
                return Ok(());
            };
            let first = &self.head[..end];
            let count = |d: u8| first.iter().filter(|b| **b == d).count();
            let delimiter = [b';', b'\t', b',']
                .into_iter()
                .max_by_key(|d| count(*d))
                .unwrap_or(b';');
            self.reader = Some(csv_core::ReaderBuilder::new().delimiter(delimiter).build());
            self.record = vec![0; 4096];
            self.ends = vec![0; 32];
            self.line = 1;
            let head = std::mem::take(&mut self.head);
            return self.parse(&head, out);
        }
        self.parse(chunk, out)
    }

    fn finish(&mut self, out: &mut Vec<Row>) -> Result<()> {
        if self.reader.is_none() {
            if self.head.iter().all(u8::is_ascii_whitespace) {
                return Err(file_error("the file is empty"));
            }
            self.head.push(b'\n');
            return self.feed(&[], out);
        }
        self.parse(&[], out)
    }

    fn parse(&mut self, mut input: &[u8], out: &mut Vec<Row>) -> Result<()> {
        use csv_core::ReadRecordResult as R;
        let at_end = input.is_empty();
        loop {
            let Some(reader) = self.reader.as_mut() else {
                return Ok(());
            };
            let (res, nin, nout, nend) = reader.read_record(
                input,
                &mut self.record[self.record_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[nin..];
            self.record_len += nout;
            self.ends_len += nend;
            match res {
                R::InputEmpty => {
                    if !at_end {
                        return Ok(());
                    }
                }
                R::OutputFull => {
                    if self.record.len() >= MAX_ITEM_BYTES {
                        // Drop what was read of the record; report it once it ends.
                        self.too_long = true;
                        self.record_len = 0;
                        self.ends_len = 0;
                    } else {
                        let len = self.record.len() * 2;
                        self.record.resize(len, 0);
                    }
                }
                R::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                R::Record => {
                    self.record_done(out)?;
                }
                R::End => return Ok(()),
            }
        }
    }

    /// A whole record was read: the header, or a product's row.
    fn record_done(&mut self, out: &mut Vec<Row>) -> Result<()> {
        let record = &self.record[..self.record_len];
        let fields: Vec<&str> = {
            let mut start = 0;
            self.ends[..self.ends_len]
                .iter()
                .map(|&end| {
                    let f = std::str::from_utf8(record.get(start..end).unwrap_or(&[]))
                        .unwrap_or("\u{FFFD}");
                    start = end;
                    f
                })
                .collect()
        };
        let line = self.line;
        // A quoted field may span lines: count the record's newlines for the next one.
        self.line += 1 + record.iter().filter(|b| **b == b'\n').count() as u64;
        self.record_len = 0;
        self.ends_len = 0;
        if std::mem::take(&mut self.too_long) {
            out.push(Err(RowError {
                row: line,
                sku: None,
                field: "row".into(),
                detail: format!("the row is longer than {} KiB", MAX_ITEM_BYTES / 1024),
            }));
            return Ok(());
        }
        let Some(columns) = &self.columns else {
            self.columns = Some(csv_header(&fields)?);
            return Ok(());
        };
        if fields.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        let cell = |name: &str| -> Option<&str> {
            let i = CSV_COLUMNS.iter().position(|c| *c == name)?;
            let at = columns.iter().position(|c| *c == i)?;
            fields.get(at).copied()
        };
        let sku = cell("sku").unwrap_or("").trim();
        let row_error = |e: &Error| RowError {
            row: line,
            sku: (!sku.is_empty()).then(|| sku.to_owned()),
            field: e.field().unwrap_or("row").to_owned(),
            detail: e.detail(),
        };
        if cell("action").is_some_and(|a| a.trim().eq_ignore_ascii_case("delete")) {
            out.push(match super::sku("sku", sku) {
                Ok(s) => Ok(Item::Delete(s)),
                Err(e) => Err(row_error(&e)),
            });
            return Ok(());
        }
        // The figures may use a decimal comma (`12,50`), as German spreadsheets write them.
        let figure = |name: &str| cell(name).map(decimal_comma);
        let (price, min, step, stock) = (
            figure("list_price"),
            figure("min_quantity"),
            figure("step_quantity"),
            figure("stock"),
        );
        let text = ProductText {
            sku,
            gtin: cell("gtin"),
            names: [cell("name_en"), cell("name_de"), cell("name_pl")],
            descriptions: [
                cell("description_en"),
                cell("description_de"),
                cell("description_pl"),
            ],
            category: cell("category"),
            unit: cell("unit"),
            list_price: price.as_deref(),
            min_quantity: min.as_deref(),
            step_quantity: step.as_deref(),
            stock: stock.as_deref(),
            lead_time_days: cell("lead_time_days"),
        };
        out.push(
            ProductPatch::parse("", &text)
                .map(|p| Item::Upsert(Box::new(p)))
                .map_err(|e| row_error(&e)),
        );
        Ok(())
    }
}

/// `12,50` → `12.50` (a figure with a comma and no point).
fn decimal_comma(t: &str) -> String {
    if t.contains(',') && !t.contains('.') {
        t.replace(',', ".")
    } else {
        t.to_owned()
    }
}

/// The column of each header field.
fn csv_header(fields: &[&str]) -> Result<Vec<usize>> {
    let mut columns = Vec::with_capacity(fields.len());
    for f in fields {
        let name = f.trim().trim_start_matches('\u{FEFF}').to_ascii_lowercase();
        let name = match name.as_str() {
            "name" => "name_en",
            "description" => "description_en",
            "price" => "list_price",
            other => other,
        };
        let Some(i) = CSV_COLUMNS.iter().position(|c| *c == name) else {
            return Err(file_error(format!(
                "the header names the unknown column `{}`; the columns are {}",
                f.trim(),
                CSV_COLUMNS.join(", ")
            )));
        };
        if columns.contains(&i) {
            return Err(file_error(format!("the header names `{name}` twice")));
        }
        columns.push(i);
    }
    if !columns.contains(&0) {
        return Err(file_error(
            "the header (the first line) must name the columns, `sku` among them",
        ));
    }
    Ok(columns)
}

/// A BMEcat document: the header (language, transaction, category tree) is kept; each
/// `PRODUCT` (`ARTICLE`) and `PRODUCT_TO_CATALOGGROUP_MAP` element is read when it ends.
#[derive(Default)]
pub struct BmecatFeed {
    buf: Vec<u8>,
    /// Whether the header was read (the first product or map started).
    header_read: bool,
    /// The language of texts without a `lang` attribute: 0 en, 1 de, 2 pl.
    language: usize,
    /// `T_UPDATE_PRICES`: products carry only prices.
    prices_only: bool,
    /// Group id → (name, parent id), from `CATALOG_STRUCTURE`.
    groups: HashMap<String, (String, Option<String>)>,
    ordinal: u64,
    saw_root: bool,
    /// The XML declaration names ISO-8859-1: each element is decoded before it is read.
    latin1: bool,
}

/// The elements read one by one, and the end tags that close them.
const SEGMENTS: [(&[u8], &[u8]); 3] = [
    (b"<PRODUCT", b"</PRODUCT>"),
    (b"<ARTICLE", b"</ARTICLE>"),
    (
        b"<PRODUCT_TO_CATALOGGROUP_MAP",
        b"</PRODUCT_TO_CATALOGGROUP_MAP>",
    ),
];

/// Where the first of the segment start tags begins in `buf` (not `<PRODUCT_DETAILS`).
fn segment_start(buf: &[u8]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (kind, (open, _)) in SEGMENTS.iter().enumerate() {
        let mut from = 0;
        while let Some(at) = memchr::memmem::find(&buf[from..], open).map(|i| i + from) {
            let next = buf.get(at + open.len()).copied();
            if matches!(next, Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/')) {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, kind));
                }
                break;
            }
            if next.is_none() {
                break;
            }
            from = at + 1;
        }
    }
    best
}

impl BmecatFeed {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<Row>) -> Result<()> {
        self.buf.extend_from_slice(chunk);
        loop {
            let Some((start, kind)) = segment_start(&self.buf) else {
                if !self.header_read && self.buf.len() > 16 * 1024 * 1024 {
                    return Err(file_error(
                        "no PRODUCT in the first 16 MiB of the BMEcat file",
                    ));
                }
                if self.header_read && self.buf.len() > MAX_ITEM_BYTES {
                    // Between products: keep only a tail that may hold a start tag's beginning.
                    let keep = self.buf.len() - 64;
                    self.buf.drain(..keep);
                }
                return Ok(());
            };
            if !self.header_read {
                let head = self.buf[..start].to_vec();
                self.read_header(&head)?;
                self.header_read = true;
            }
            let close = SEGMENTS[kind].1;
            let Some(end) = memchr::memmem::find(&self.buf[start..], close) else {
                if self.buf.len() - start > MAX_ITEM_BYTES {
                    return Err(file_error(format!(
                        "a product element is longer than {} KiB",
                        MAX_ITEM_BYTES / 1024
                    )));
                }
                if start > 0 {
                    self.buf.drain(..start);
                }
                return Ok(());
            };
            let end = start + end + close.len();
            let segment: Vec<u8> = if self.latin1 {
                self.buf[start..end]
                    .iter()
                    .map(|&b| char::from(b))
                    .collect::<String>()
                    .into_bytes()
            } else {
                self.buf[start..end].to_vec()
            };
            self.buf.drain(..end);
            if kind == 2 {
                if let Some(row) = self.read_map(&segment) {
                    out.push(row);
                }
            } else {
                self.ordinal += 1;
                out.push(self.read_product(&segment));
            }
        }
    }

    fn finish(&mut self, _out: &mut Vec<Row>) -> Result<()> {
        if !self.header_read {
            let head = std::mem::take(&mut self.buf);
            self.read_header(&head)?;
            if !self.saw_root {
                return Err(file_error(
                    "the file is not a BMEcat document (no BMECAT element)",
                ));
            }
        }
        Ok(())
    }

    /// The header: the root, the language, the transaction, the category tree.
    fn read_header(&mut self, head: &[u8]) -> Result<()> {
        let declaration = head.split(|b| *b == b'>').next().unwrap_or(&[]);
        let declaration = String::from_utf8_lossy(declaration).to_ascii_lowercase();
        self.latin1 = declaration.starts_with("<?xml")
            && (declaration.contains("iso-8859-1") || declaration.contains("latin1"));
        let decoded: Vec<u8>;
        let head = if self.latin1 {
            decoded = head
                .iter()
                .map(|&b| char::from(b))
                .collect::<String>()
                .into_bytes();
            decoded.as_slice()
        } else {
            head
        };
        let mut r = Reader::from_reader(head);
        let mut path: Vec<Vec<u8>> = Vec::new();
        let mut group: (Option<String>, Option<String>, Option<String>) = (None, None, None);
        let mut language_named = false;
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) => {
                    let name = e.local_name().as_ref().to_vec();
                    if path.is_empty() {
                        if name != b"BMECAT" {
                            return Err(file_error(
                                "the file is not a BMEcat document (its root is not BMECAT)",
                            ));
                        }
                        self.saw_root = true;
                    }
                    if name == b"T_UPDATE_PRICES" {
                        self.prices_only = true;
                    }
                    if name == b"CATALOG_STRUCTURE" {
                        group = (None, None, None);
                    }
                    path.push(name);
                }
                Ok(Event::End(_)) => {
                    if path.last().map(Vec::as_slice) == Some(b"CATALOG_STRUCTURE") {
                        if let (Some(id), Some(name)) = (group.0.take(), group.1.take()) {
                            self.groups.insert(id, (name, group.2.take()));
                        }
                    }
                    path.pop();
                }
                Ok(Event::Text(t)) => {
                    let text = t.decode().map(|c| c.trim().to_owned()).unwrap_or_default();
                    match path.last().map(Vec::as_slice) {
                        // A catalog in several languages names its default first.
                        Some(b"LANGUAGE")
                            if !language_named && path.iter().any(|p| p == b"CATALOG") =>
                        {
                            if let Some(l) = language(&text) {
                                self.language = l;
                                language_named = true;
                            }
                        }
                        Some(b"GROUP_ID") => group.0 = Some(text),
                        Some(b"GROUP_NAME") if group.1.is_none() => group.1 = Some(text),
                        Some(b"PARENT_ID") => group.2 = Some(text),
                        _ => {}
                    }
                }
                Ok(Event::Eof) => return Ok(()),
                // The head ends inside an open element (the first PRODUCT's parent): fine.
                Err(_) => return Ok(()),
                Ok(_) => {}
            }
        }
    }

    /// The path of a group's names from the root: `Paper/Offset`.
    fn category(&self, id: &str) -> Option<String> {
        let mut names = Vec::new();
        let mut at = Some(id.to_owned());
        while let Some(id) = at.take() {
            let Some((name, parent)) = self.groups.get(&id) else {
                break;
            };
            // The root group of a tree (parent 0 or none) is left out when it names the tree.
            names.push(name.clone());
            at = parent.clone().filter(|p| p != "0" && p != &id);
            if names.len() > 20 {
                break;
            }
        }
        names.reverse();
        (!names.is_empty()).then(|| names.join("/"))
    }

    /// `PRODUCT_TO_CATALOGGROUP_MAP`: a product's category.
    fn read_map(&self, segment: &[u8]) -> Option<Row> {
        let texts = element_texts(segment).ok()?;
        let sku = texts
            .iter()
            .find(|t| t.name == "PROD_ID" || t.name == "ART_ID")?;
        let group = texts.iter().find(|t| t.name == "CATALOG_GROUP_ID")?;
        let category = self.category(&group.text)?;
        Some(Ok(Item::Upsert(Box::new(ProductPatch {
            sku: sku.text.clone(),
            category: Some(category),
            ..ProductPatch::default()
        }))))
    }

    /// A `PRODUCT` (`ARTICLE`) element.
    fn read_product(&self, segment: &[u8]) -> Row {
        let row = self.ordinal;
        let texts = match element_texts(segment) {
            Ok(t) => t,
            Err(detail) => {
                return Err(RowError {
                    row,
                    sku: None,
                    field: "PRODUCT".into(),
                    detail,
                })
            }
        };
        let first = |names: &[&str]| {
            texts
                .iter()
                .find(|t| names.contains(&t.name.as_str()))
                .map(|t| t.text.as_str())
        };
        let sku = first(&["SUPPLIER_PID", "SUPPLIER_AID"]).unwrap_or("");
        let fail = |field: &str, detail: String| RowError {
            row,
            sku: (!sku.is_empty()).then(|| sku.to_owned()),
            field: field.to_owned(),
            detail,
        };
        if texts
            .first()
            .and_then(|t| t.mode.as_deref())
            .is_some_and(|m| m == "delete")
        {
            return super::sku("SUPPLIER_PID", sku)
                .map(Item::Delete)
                .map_err(|e| fail("SUPPLIER_PID", e.detail()));
        }
        let mut names: [Option<&str>; 3] = [None; 3];
        let mut descriptions: [Option<&str>; 3] = [None; 3];
        for t in &texts {
            let lang = t
                .lang
                .as_deref()
                .and_then(language)
                .unwrap_or(self.language);
            let slot = match t.name.as_str() {
                "DESCRIPTION_SHORT" => &mut names[lang],
                "DESCRIPTION_LONG" => &mut descriptions[lang],
                _ => continue,
            };
            slot.get_or_insert(t.text.as_str());
        }
        let gtin = texts
            .iter()
            .find(|t| {
                t.name == "EAN"
                    || (t.name == "INTERNATIONAL_PID"
                        && t.kind.as_deref().is_some_and(|k| {
                            k.eq_ignore_ascii_case("gtin") || k.eq_ignore_ascii_case("ean")
                        }))
            })
            .map(|t| t.text.as_str());
        // The list price: the `net_list` prices (else those of the first price's type), per
        // PRICE_QUANTITY units; the one from the lowest LOWER_BOUND is the list price, the
        // others its quantity breaks.
        let per = first(&["PRICE_QUANTITY"]).unwrap_or("1");
        let scale = match price_scale(&texts, per) {
            Ok(s) => s,
            Err(detail) => return Err(fail("PRICE_AMOUNT", detail)),
        };
        let list_price = scale.first().map(|(_, p)| crate::payment::from_e4(*p));
        let lead_time = first(&["DELIVERY_TIME"]).map(|d| d.split('.').next().unwrap_or(d));
        let text = if self.prices_only {
            ProductText {
                sku,
                list_price: list_price.as_deref(),
                ..ProductText::default()
            }
        } else {
            ProductText {
                sku,
                gtin,
                names,
                descriptions,
                category: None,
                unit: first(&["ORDER_UNIT"]),
                list_price: list_price.as_deref(),
                min_quantity: first(&["QUANTITY_MIN"]),
                step_quantity: first(&["QUANTITY_INTERVAL"]),
                stock: None,
                lead_time_days: lead_time,
            }
        };
        let mut patch = ProductPatch::parse("", &text)
            .map_err(|e| fail(&bmecat_field(e.field().unwrap_or("PRODUCT")), e.detail()))?;
        if !scale.is_empty() {
            patch.list_breaks = Some(scale[1..].to_vec());
        }
        Ok(Item::Upsert(Box::new(patch)))
    }
}

/// A product's price scale: `(from quantity, unit price)` of its `net_list` prices (else of
/// the first price's type), by quantity, the first being the list price. A price without a
/// `LOWER_BOUND` holds from 1; of two from one quantity, the first counts.
fn price_scale(texts: &[Text], per: &str) -> std::result::Result<Vec<(i64, i64)>, String> {
    let amounts: Vec<&Text> = texts.iter().filter(|t| t.name == "PRICE_AMOUNT").collect();
    let wanted = if amounts
        .iter()
        .any(|t| t.price_type.as_deref() == Some("net_list"))
    {
        Some("net_list")
    } else {
        amounts.first().and_then(|t| t.price_type.as_deref())
    };
    let mut scale = Vec::new();
    for t in amounts.iter().filter(|t| t.price_type.as_deref() == wanted) {
        let from = match texts
            .iter()
            .find(|b| b.name == "LOWER_BOUND" && b.price.is_some() && b.price == t.price)
        {
            Some(b) => quantity_e3("LOWER_BOUND", &b.text).map_err(|e| e.detail())?,
            None => 1000,
        };
        scale.push((from, per_unit(&t.text, per)?));
    }
    scale.sort_by_key(|(from, _)| *from);
    scale.dedup_by_key(|(from, _)| *from);
    Ok(scale)
}

/// Our field's name in BMEcat, for a row's error.
fn bmecat_field(field: &str) -> String {
    match field {
        "sku" => "SUPPLIER_PID",
        "gtin" => "INTERNATIONAL_PID",
        "unit" => "ORDER_UNIT",
        "list_price" => "PRICE_AMOUNT",
        "min_quantity" => "QUANTITY_MIN",
        "step_quantity" => "QUANTITY_INTERVAL",
        "lead_time_days" => "DELIVERY_TIME",
        f if f.starts_with("name_") => "DESCRIPTION_SHORT",
        f if f.starts_with("description_") => "DESCRIPTION_LONG",
        f => f,
    }
    .to_owned()
}

/// A price for `per` units as the price of one, exact to four decimals (rounded half up).
fn per_unit(amount: &str, per: &str) -> std::result::Result<i64, String> {
    let a = price_e4("PRICE_AMOUNT", amount).map_err(|e| e.detail())?;
    let q = quantity_e3("PRICE_QUANTITY", per).map_err(|e| e.detail())?;
    let unit = (i128::from(a) * 1000 + i128::from(q) / 2) / i128::from(q);
    Ok(i64::try_from(unit).unwrap_or(i64::MAX))
}

/// A language code of BMEcat (ISO 639-2: `deu`, `ger`, `eng`, `pol`) or ISO 639-1.
fn language(code: &str) -> Option<usize> {
    let i = match code.trim().to_ascii_lowercase().as_str() {
        "en" | "eng" => 0,
        "de" | "deu" | "ger" => 1,
        "pl" | "pol" => 2,
        _ => return None,
    };
    debug_assert!(i < LANGUAGES.len());
    Some(i)
}

/// A text element of a product, with the attributes that matter.
struct Text {
    name: String,
    text: String,
    lang: Option<String>,
    /// `type` of INTERNATIONAL_PID.
    kind: Option<String>,
    /// `price_type` of the PRODUCT_PRICE this PRICE_AMOUNT is in.
    price_type: Option<String>,
    /// Which PRODUCT_PRICE (from 1) the element is in, if any.
    price: Option<u32>,
    /// `mode` of the PRODUCT element (only on the first entry).
    mode: Option<String>,
}

/// Every element with text in `segment` (UTF-8), in the order they close; the first entry is
/// the root's (with its `mode`).
fn element_texts(segment: &[u8]) -> std::result::Result<Vec<Text>, String> {
    struct Open {
        name: String,
        lang: Option<String>,
        kind: Option<String>,
        text: String,
    }
    let mut r = Reader::from_reader(segment);
    let mut out = vec![Text {
        name: String::new(),
        text: String::new(),
        lang: None,
        kind: None,
        price_type: None,
        price: None,
        mode: None,
    }];
    let mut stack: Vec<Open> = Vec::new();
    let mut price_type: Option<String> = None;
    let (mut prices, mut price) = (0_u32, None);
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &[u8]| {
        e.attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == name)
            .and_then(|a| {
                let raw = String::from_utf8_lossy(&a.value).into_owned();
                quick_xml::escape::unescape(&raw)
                    .ok()
                    .map(|v| v.trim().to_owned())
            })
    };
    let bad = |e: &dyn std::fmt::Display| format!("the element is not well-formed XML: {e}");
    loop {
        match r.read_event().map_err(|e| bad(&e))? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.is_empty() {
                    out[0].mode = attr(&e, b"mode");
                }
                if name == "PRODUCT_PRICE" || name == "ARTICLE_PRICE" {
                    price_type = attr(&e, b"price_type");
                    prices += 1;
                    price = Some(prices);
                }
                stack.push(Open {
                    name,
                    lang: attr(&e, b"lang"),
                    kind: attr(&e, b"type"),
                    text: String::new(),
                });
            }
            Event::End(_) => {
                if let Some(open) = stack.pop() {
                    if open.name == "PRODUCT_PRICE" || open.name == "ARTICLE_PRICE" {
                        price = None;
                    }
                    let text = open.text.trim();
                    if !text.is_empty() {
                        out.push(Text {
                            text: text.to_owned(),
                            name: open.name,
                            lang: open.lang,
                            kind: open.kind,
                            price_type: price_type.clone(),
                            price,
                            mode: None,
                        });
                    }
                }
            }
            Event::Text(t) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&t.decode().map_err(|e| bad(&e))?);
                }
            }
            Event::CData(t) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    predefined_entity(&r)
                };
                let c = c.ok_or_else(|| {
                    format!(
                        "the entity &{}; is not one of XML's predefined ones",
                        String::from_utf8_lossy(&r)
                    )
                })?;
                if let Some(open) = stack.last_mut() {
                    open.text.push(c);
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn read(format: FileFormat, file: &[u8], chunk: usize) -> Result<Vec<Row>> {
        let mut feed = Feed::new(format);
        let mut out = Vec::new();
        for c in file.chunks(chunk) {
            feed.feed(c, &mut out)?;
        }
        feed.finish(&mut out)?;
        Ok(out)
    }

    fn upserts(rows: &[Row]) -> Vec<&ProductPatch> {
        rows.iter()
            .filter_map(|r| match r {
                Ok(Item::Upsert(p)) => Some(p.as_ref()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn csv_in_any_chunking_with_semicolons_quotes_and_decimal_commas() {
        let file = "sku;name_en;name_de;list_price;min_quantity;action\n\
                    PAP-1;\"Paper; white\";\"Papier\nweiß\";12,50;10;\n\
                    PAP-2;Card;;-3;;\n\
                    ;;;;;\n\
                    PAP-3;;;;;delete\n"
            .as_bytes();
        for chunk in [1, 3, 7, 1000] {
            let rows = read(FileFormat::Csv, file, chunk).unwrap();
            assert_eq!(rows.len(), 3, "chunk {chunk}: {rows:?}");
            let p = upserts(&rows)[0];
            assert_eq!(p.names[0].as_deref(), Some("Paper; white"));
            assert_eq!(p.names[1].as_deref(), Some("Papier\nweiß"));
            assert_eq!(p.list_price_e4, Some(125_000));
            assert_eq!(p.min_quantity_e3, Some(10_000));
            let e = rows[1].as_ref().unwrap_err();
            assert_eq!((e.row, e.field.as_str()), (4, "list_price"), "{e:?}");
            assert_eq!(e.sku.as_deref(), Some("PAP-2"));
            assert_eq!(rows[2], Ok(Item::Delete("PAP-3".into())));
        }
    }

    #[test]
    fn csv_headers_name_known_columns_and_the_sku() {
        let e = read(FileFormat::Csv, b"sku,colour\nA,red\n", 100).unwrap_err();
        assert!(format!("{e:?}").contains("colour"), "{e:?}");
        assert!(read(FileFormat::Csv, b"name,price\nA,1\n", 100).is_err());
        let rows = read(FileFormat::Csv, b"SKU,Name,Price\nA,Alpha,1.5", 100).unwrap();
        assert_eq!(upserts(&rows)[0].list_price_e4, Some(15_000));
        assert!(read(FileFormat::Csv, b"", 100).is_err());
    }

    const BMECAT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<BMECAT version="2005" xmlns="http://www.bmecat.org/bmecat/2005">
  <HEADER>
    <CATALOG><LANGUAGE>deu</LANGUAGE><CATALOG_ID>P-2027</CATALOG_ID><CATALOG_VERSION>1.0</CATALOG_VERSION></CATALOG>
    <SUPPLIER><SUPPLIER_NAME>Druckerei</SUPPLIER_NAME></SUPPLIER>
  </HEADER>
  <T_NEW_CATALOG>
    <CATALOG_GROUP_SYSTEM>
      <CATALOG_STRUCTURE type="root"><GROUP_ID>1</GROUP_ID><GROUP_NAME>Papier</GROUP_NAME><PARENT_ID>0</PARENT_ID></CATALOG_STRUCTURE>
      <CATALOG_STRUCTURE type="leaf"><GROUP_ID>11</GROUP_ID><GROUP_NAME>Offset</GROUP_NAME><PARENT_ID>1</PARENT_ID></CATALOG_STRUCTURE>
    </CATALOG_GROUP_SYSTEM>
    <PRODUCT mode="new">
      <SUPPLIER_PID>PAP-A4-80</SUPPLIER_PID>
      <PRODUCT_DETAILS>
        <DESCRIPTION_SHORT>Offsetpapier A4 80 g</DESCRIPTION_SHORT>
        <DESCRIPTION_SHORT lang="eng">Offset paper A4 80 g &amp; more</DESCRIPTION_SHORT>
        <DESCRIPTION_LONG><![CDATA[Weiß, <holzfrei>]]></DESCRIPTION_LONG>
        <INTERNATIONAL_PID type="gtin">4006381333931</INTERNATIONAL_PID>
        <DELIVERY_TIME>3</DELIVERY_TIME>
      </PRODUCT_DETAILS>
      <PRODUCT_ORDER_DETAILS>
        <ORDER_UNIT>PK</ORDER_UNIT><CONTENT_UNIT>C62</CONTENT_UNIT>
        <PRICE_QUANTITY>10</PRICE_QUANTITY><QUANTITY_MIN>5</QUANTITY_MIN><QUANTITY_INTERVAL>5</QUANTITY_INTERVAL>
      </PRODUCT_ORDER_DETAILS>
      <PRODUCT_PRICE_DETAILS>
        <PRODUCT_PRICE price_type="net_customer"><PRICE_AMOUNT>1.00</PRICE_AMOUNT></PRODUCT_PRICE>
        <PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>45.00</PRICE_AMOUNT><PRICE_CURRENCY>EUR</PRICE_CURRENCY></PRODUCT_PRICE>
      </PRODUCT_PRICE_DETAILS>
    </PRODUCT>
    <PRODUCT mode="new"><SUPPLIER_PID>BAD</SUPPLIER_PID><PRODUCT_DETAILS><DESCRIPTION_SHORT>X</DESCRIPTION_SHORT><INTERNATIONAL_PID type="gtin">123</INTERNATIONAL_PID></PRODUCT_DETAILS></PRODUCT>
    <PRODUCT mode="delete"><SUPPLIER_PID>OLD-1</SUPPLIER_PID></PRODUCT>
    <PRODUCT_TO_CATALOGGROUP_MAP><PROD_ID>PAP-A4-80</PROD_ID><CATALOG_GROUP_ID>11</CATALOG_GROUP_ID></PRODUCT_TO_CATALOGGROUP_MAP>
  </T_NEW_CATALOG>
</BMECAT>
"#;

    #[test]
    fn bmecat_products_in_any_chunking() {
        for chunk in [1, 5, 64, 100_000] {
            let rows = read(FileFormat::Bmecat, BMECAT.as_bytes(), chunk).unwrap();
            assert_eq!(rows.len(), 4, "chunk {chunk}: {rows:?}");
            let p = upserts(&rows)[0];
            assert_eq!(p.sku, "PAP-A4-80");
            assert_eq!(p.names[1].as_deref(), Some("Offsetpapier A4 80 g"));
            assert_eq!(p.names[0].as_deref(), Some("Offset paper A4 80 g & more"));
            assert_eq!(p.descriptions[1].as_deref(), Some("Weiß, <holzfrei>"));
            assert_eq!(p.gtin.as_deref(), Some("4006381333931"));
            assert_eq!(p.list_price_e4, Some(45_000), "45.00 per 10");
            assert_eq!(p.unit.as_deref(), Some("PK"));
            assert_eq!(
                (p.min_quantity_e3, p.step_quantity_e3),
                (Some(5_000), Some(5_000))
            );
            assert_eq!(p.lead_time_days, Some(3));
            let e = rows[1].as_ref().unwrap_err();
            assert_eq!((e.row, e.field.as_str()), (2, "INTERNATIONAL_PID"));
            assert_eq!(rows[2], Ok(Item::Delete("OLD-1".into())));
            assert_eq!(upserts(&rows)[1].category.as_deref(), Some("Papier/Offset"));
        }
    }

    #[test]
    fn bmecat_price_updates_and_strangers() {
        let update = r#"<BMECAT version="2005"><HEADER><CATALOG><LANGUAGE>eng</LANGUAGE></CATALOG></HEADER>
            <T_UPDATE_PRICES prev_version="1"><PRODUCT mode="update"><SUPPLIER_PID>A</SUPPLIER_PID>
            <PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>2.5</PRICE_AMOUNT></PRODUCT_PRICE></PRODUCT_PRICE_DETAILS>
            </PRODUCT></T_UPDATE_PRICES></BMECAT>"#;
        let rows = read(FileFormat::Bmecat, update.as_bytes(), 13).unwrap();
        let p = upserts(&rows)[0];
        assert_eq!((p.list_price_e4, p.names[0].as_ref()), (Some(25_000), None));
        assert!(read(
            FileFormat::Bmecat,
            b"<ORDER><PRODUCT></PRODUCT></ORDER>",
            10
        )
        .is_err());
        assert!(read(FileFormat::Bmecat, b"<BMECAT><HEADER/></BMECAT>", 10)
            .unwrap()
            .is_empty());
        assert_eq!(
            FileFormat::sniff(b"\xEF\xBB\xBF  <?xml"),
            FileFormat::Bmecat
        );
        assert_eq!(FileFormat::sniff(b"sku;name"), FileFormat::Csv);
    }
}
