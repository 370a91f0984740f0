//! Writing a catalog out as the files [`super::import`] reads: CSV (the import's columns, `;`
//! between fields, UTF-8 with a byte order mark so that spreadsheets read the umlauts) and
//! BMEcat 2005 (`T_NEW_CATALOG`: the category tree, every product with its texts in English,
//! German and Polish, its order details and its list price with the quantity breaks, then the
//! products' places in the tree).
//!
//! The writers make one piece at a time (the head, one product, one tree mapping), so a worker
//! streams a catalog of any size page by page. What an export leaves out: group and individual
//! prices (they belong to customers, not to the catalog); in BMEcat the stock (BMEcat has no
//! element for it; the CSV has the column); in CSV the list price's breaks (no column for them;
//! BMEcat states them as `LOWER_BOUND`s).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::catalog::PriceRow;
use crate::data::catalogs::{CatalogRow, ProductRow};
use crate::payment::from_e4;
use crate::quote::quantity_text;

/// The CSV columns an export writes: the import's, without the last (`action`).
fn csv_columns() -> &'static [&'static str] {
    let all = &super::import::CSV_COLUMNS;
    &all[..all.len() - 1]
}

/// The CSV file's first line: the byte order mark and the header.
#[must_use]
pub fn csv_head() -> String {
    format!("\u{FEFF}{}\r\n", csv_columns().join(";"))
}

/// One product as a CSV line, in the order of [`csv_columns`].
#[must_use]
pub fn csv_row(p: &ProductRow) -> String {
    let cells: [Option<String>; 15] = [
        Some(p.sku.clone()),
        p.gtin.clone(),
        Some(p.name_en.clone()),
        p.name_de.clone(),
        p.name_pl.clone(),
        p.description_en.clone(),
        p.description_de.clone(),
        p.description_pl.clone(),
        p.category.clone(),
        Some(p.unit.clone()),
        Some(from_e4(p.list_price_e4)),
        Some(quantity_text(p.min_quantity_e3)),
        Some(quantity_text(p.step_quantity_e3)),
        p.stock_e3.map(quantity_text),
        p.lead_time_days.map(|d| d.to_string()),
    ];
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(';');
        }
        if let Some(text) = cell {
            csv_cell(&mut line, text);
        }
    }
    line.push_str("\r\n");
    line
}

/// A field, quoted when it holds a separator, a quote or a line break (RFC 4180).
fn csv_cell(out: &mut String, text: &str) {
    if text.contains([';', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// The groups of a catalog's category tree: every category path and each of its ancestors,
/// numbered from 1 in the order of their paths (the root, `0`, is the catalog itself).
#[derive(Debug, Default)]
pub struct Groups {
    ids: BTreeMap<String, u32>,
}

impl Groups {
    /// The tree of `paths` (`Paper/Offset`, …; any order, repeats are fine).
    #[must_use]
    pub fn of<'a>(paths: impl IntoIterator<Item = &'a str>) -> Groups {
        let mut ids = BTreeMap::new();
        for path in paths {
            let mut end = 0;
            for part in path.split('/') {
                end += part.len();
                ids.insert(path[..end].to_owned(), 0);
                end += 1;
            }
        }
        for (n, id) in ids.values_mut().enumerate() {
            *id = u32::try_from(n + 1).unwrap_or(u32::MAX);
        }
        Groups { ids }
    }

    /// The group id of a category path.
    #[must_use]
    pub fn id(&self, path: &str) -> Option<u32> {
        self.ids.get(path).copied()
    }
}

/// The BMEcat document up to the first product: the header and the category tree.
#[must_use]
pub fn bmecat_head(catalog: &CatalogRow, date: &str, groups: &Groups) -> String {
    let mut out = String::with_capacity(1024 + groups.ids.len() * 160);
    let name = escape(catalog.name.as_str());
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <BMECAT version=\"2005\" xmlns=\"http://www.bmecat.org/bmecat/2005\">\n\
         <HEADER>\n<GENERATOR_INFO>Tradepost</GENERATOR_INFO>\n<CATALOG>\n\
         <LANGUAGE default=\"true\">eng</LANGUAGE>\n<LANGUAGE>deu</LANGUAGE>\n\
         <LANGUAGE>pol</LANGUAGE>\n<CATALOG_ID>{id}</CATALOG_ID>\n\
         <CATALOG_VERSION>1.0</CATALOG_VERSION>\n<CATALOG_NAME>{name}</CATALOG_NAME>\n\
         <DATETIME type=\"generation_date\"><DATE>{date}</DATE></DATETIME>\n\
         <CURRENCY>{currency}</CURRENCY>\n</CATALOG>\n\
         <SUPPLIER><SUPPLIER_NAME>{supplier}</SUPPLIER_NAME></SUPPLIER>\n</HEADER>\n\
         <T_NEW_CATALOG>\n<CATALOG_GROUP_SYSTEM>\n<GROUP_SYSTEM_ID>1</GROUP_SYSTEM_ID>\n\
         <CATALOG_STRUCTURE type=\"root\"><GROUP_ID>0</GROUP_ID>\
         <GROUP_NAME>{name}</GROUP_NAME><PARENT_ID>0</PARENT_ID></CATALOG_STRUCTURE>\n",
        id = catalog.id,
        currency = escape(catalog.currency.as_str()),
        supplier = escape(catalog.supplier_name.as_str()),
    );
    for (path, id) in &groups.ids {
        let (parent, own) = match path.rsplit_once('/') {
            Some((parent, own)) => (groups.id(parent).unwrap_or(0), own),
            None => (0, path.as_str()),
        };
        let leaf = !groups
            .ids
            .range(format!("{path}/")..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&format!("{path}/")));
        let _ = writeln!(
            out,
            "<CATALOG_STRUCTURE type=\"{}\"><GROUP_ID>{id}</GROUP_ID>\
             <GROUP_NAME>{}</GROUP_NAME><PARENT_ID>{parent}</PARENT_ID></CATALOG_STRUCTURE>",
            if leaf { "leaf" } else { "node" },
            escape(own),
        );
    }
    out.push_str("</CATALOG_GROUP_SYSTEM>\n");
    out
}

/// One product as a BMEcat 2005 `PRODUCT`, with its list price and the list price's breaks
/// (`breaks`: its price rows without customer or group, any order).
#[must_use]
pub fn bmecat_product(p: &ProductRow, breaks: &[&PriceRow], currency: &str) -> String {
    let mut out = String::with_capacity(1024);
    let _ = write!(
        out,
        "<PRODUCT mode=\"new\">\n<SUPPLIER_PID>{}</SUPPLIER_PID>\n<PRODUCT_DETAILS>\n",
        escape(p.sku.as_str())
    );
    let names = [Some(&p.name_en), p.name_de.as_ref(), p.name_pl.as_ref()];
    let descriptions = [
        p.description_en.as_ref(),
        p.description_de.as_ref(),
        p.description_pl.as_ref(),
    ];
    for (element, texts) in [
        ("DESCRIPTION_SHORT", names),
        ("DESCRIPTION_LONG", descriptions),
    ] {
        for (lang, text) in ["eng", "deu", "pol"].iter().zip(texts) {
            if let Some(text) = text {
                let _ = writeln!(
                    out,
                    "<{element} lang=\"{lang}\">{}</{element}>",
                    escape(text.as_str())
                );
            }
        }
    }
    if let Some(gtin) = &p.gtin {
        let _ = writeln!(
            out,
            "<INTERNATIONAL_PID type=\"gtin\">{}</INTERNATIONAL_PID>",
            escape(gtin.as_str())
        );
    }
    if let Some(days) = p.lead_time_days {
        let _ = writeln!(out, "<DELIVERY_TIME>{days}</DELIVERY_TIME>");
    }
    let unit = escape(p.unit.as_str());
    let _ = write!(
        out,
        "</PRODUCT_DETAILS>\n<PRODUCT_ORDER_DETAILS>\n<ORDER_UNIT>{unit}</ORDER_UNIT>\n\
         <CONTENT_UNIT>{unit}</CONTENT_UNIT>\n<PRICE_QUANTITY>1</PRICE_QUANTITY>\n\
         <QUANTITY_MIN>{}</QUANTITY_MIN>\n<QUANTITY_INTERVAL>{}</QUANTITY_INTERVAL>\n\
         </PRODUCT_ORDER_DETAILS>\n<PRODUCT_PRICE_DETAILS>\n",
        quantity_text(p.min_quantity_e3),
        quantity_text(p.step_quantity_e3),
    );
    let mut prices: Vec<(i64, i64)> = vec![(0, p.list_price_e4)];
    prices.extend(
        breaks
            .iter()
            .filter(|b| b.relationship_id.is_none() && b.grouping.is_none())
            .map(|b| (b.min_quantity_e3, b.price_e4)),
    );
    prices.sort_unstable();
    prices.dedup_by_key(|(from, _)| *from);
    let currency = escape(currency);
    for (from, price) in prices {
        let _ = writeln!(
            out,
            "<PRODUCT_PRICE price_type=\"net_list\"><PRICE_AMOUNT>{}</PRICE_AMOUNT>\
             <PRICE_CURRENCY>{currency}</PRICE_CURRENCY><LOWER_BOUND>{}</LOWER_BOUND>\
             </PRODUCT_PRICE>",
            from_e4(price),
            quantity_text(from.max(p.min_quantity_e3)),
        );
    }
    out.push_str("</PRODUCT_PRICE_DETAILS>\n</PRODUCT>\n");
    out
}

/// A product's place in the category tree.
#[must_use]
pub fn bmecat_map(sku: &str, group: u32) -> String {
    format!(
        "<PRODUCT_TO_CATALOGGROUP_MAP><PROD_ID>{}</PROD_ID>\
         <CATALOG_GROUP_ID>{group}</CATALOG_GROUP_ID></PRODUCT_TO_CATALOGGROUP_MAP>\n",
        escape(sku)
    )
}

/// The end of the BMEcat document.
pub const BMECAT_TAIL: &str = "</T_NEW_CATALOG>\n</BMECAT>\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::import::{Feed, FileFormat, Item, Row};
    use crate::ids::{CatalogId, CompanyId, ProductId};
    use crate::time::Time;

    fn product(sku: &str, category: Option<&str>) -> ProductRow {
        ProductRow {
            id: ProductId::new(chrono::DateTime::UNIX_EPOCH).unwrap(),
            sku: sku.to_owned(),
            gtin: Some("4006381333931".to_owned()),
            name_en: "Offset paper A4; 80 g \"white\"".to_owned(),
            name_de: Some("Offsetpapier A4 weiß & matt".to_owned()),
            name_pl: Some("Papier offsetowy <A4>".to_owned()),
            description_en: Some("Two lines\nof text".to_owned()),
            description_de: None,
            description_pl: None,
            category: category.map(str::to_owned),
            unit: "PK".to_owned(),
            list_price_e4: 125_000,
            min_quantity_e3: 2000,
            step_quantity_e3: 500,
            stock_e3: Some(1_234_500),
            lead_time_days: Some(3),
            updated_at: Time(chrono::DateTime::UNIX_EPOCH),
        }
    }

    fn catalog() -> CatalogRow {
        CatalogRow {
            id: CatalogId::new(chrono::DateTime::UNIX_EPOCH).unwrap(),
            supplier_id: CompanyId::new(chrono::DateTime::UNIX_EPOCH).unwrap(),
            supplier_name: "Papier & Druck GmbH".to_owned(),
            name: "Papier <2027>".to_owned(),
            currency: "EUR".to_owned(),
            order_format: crate::quote::OrderFormat::Ubl,
            product_count: 2,
            created_at: Time(chrono::DateTime::UNIX_EPOCH),
            updated_at: Time(chrono::DateTime::UNIX_EPOCH),
        }
    }

    fn read(format: FileFormat, file: &str) -> Vec<Row> {
        let mut feed = Feed::new(format);
        let mut rows = Vec::new();
        for chunk in file.as_bytes().chunks(7) {
            feed.feed(chunk, &mut rows).unwrap();
        }
        feed.finish(&mut rows).unwrap();
        rows
    }

    fn upsert(row: &Row) -> &crate::catalog::ProductPatch {
        match row {
            Ok(Item::Upsert(p)) => p,
            other => panic!("not an upsert: {other:?}"),
        }
    }

    #[test]
    fn a_csv_export_reads_back_as_the_same_products() {
        let p = product("A-1", Some("Paper/Offset"));
        let file = format!("{}{}", csv_head(), csv_row(&p));
        let rows = read(FileFormat::Csv, &file);
        assert_eq!(rows.len(), 1);
        let got = upsert(&rows[0]);
        assert_eq!(got.sku, "A-1");
        assert_eq!(got.names[0].as_deref(), Some(p.name_en.as_str()));
        assert_eq!(got.names[1], p.name_de);
        assert_eq!(got.names[2], p.name_pl);
        assert_eq!(got.descriptions[0], p.description_en);
        assert_eq!(got.category.as_deref(), Some("Paper/Offset"));
        assert_eq!(got.unit.as_deref(), Some("PK"));
        assert_eq!(got.list_price_e4, Some(125_000));
        assert_eq!(got.min_quantity_e3, Some(2000));
        assert_eq!(got.step_quantity_e3, Some(500));
        assert_eq!(got.stock_e3, Some(1_234_500));
        assert_eq!(got.lead_time_days, Some(3));
        assert_eq!(got.gtin.as_deref(), Some("4006381333931"));
    }

    #[test]
    fn a_bmecat_export_reads_back_with_its_tree_and_texts() {
        let groups = Groups::of(["Paper/Offset", "Paper/Offset", "Toner"]);
        assert_eq!(
            (
                groups.id("Paper"),
                groups.id("Paper/Offset"),
                groups.id("Toner")
            ),
            (Some(1), Some(2), Some(3))
        );
        let a = product("A-1", Some("Paper/Offset"));
        let b = product("B&2", None);
        let brk = PriceRow {
            product_id: a.id.to_string(),
            relationship_id: None,
            grouping: None,
            min_quantity_e3: 100_000,
            price_e4: 110_000,
        };
        let file = format!(
            "{}{}{}{}{}",
            bmecat_head(&catalog(), "2026-12-04", &groups),
            bmecat_product(&a, &[&brk], "EUR"),
            bmecat_product(&b, &[], "EUR"),
            bmecat_map("A-1", 2),
            BMECAT_TAIL
        );
        assert!(file.contains("<LOWER_BOUND>100</LOWER_BOUND>"), "{file}");
        assert!(file.contains("type=\"node\"><GROUP_ID>1<"), "{file}");
        assert!(file.contains("type=\"leaf\"><GROUP_ID>2<"), "{file}");
        let rows = read(FileFormat::Bmecat, &file);
        assert_eq!(rows.len(), 3, "{rows:?}");
        let got = upsert(&rows[0]);
        assert_eq!(got.sku, "A-1");
        assert_eq!(got.names[0].as_deref(), Some(a.name_en.as_str()));
        assert_eq!(got.names[1], a.name_de);
        assert_eq!(got.names[2], a.name_pl);
        assert_eq!(got.descriptions[0], a.description_en);
        assert_eq!(got.unit.as_deref(), Some("PK"));
        assert_eq!(got.list_price_e4, Some(125_000));
        assert_eq!(got.min_quantity_e3, Some(2000));
        assert_eq!(got.step_quantity_e3, Some(500));
        assert_eq!(got.lead_time_days, Some(3));
        assert_eq!(got.list_breaks, Some(vec![(100_000, 110_000)]));
        assert_eq!(upsert(&rows[1]).sku, "B&2");
        assert_eq!(upsert(&rows[1]).list_breaks, Some(Vec::new()));
        let map = upsert(&rows[2]);
        assert_eq!(
            (map.sku.as_str(), map.category.as_deref()),
            ("A-1", Some("Paper/Offset"))
        );
    }
}
