//! Catalogs: a supplier's products, what one customer pays for them, and whether a quantity
//! may be ordered. The importers of CSV and BMEcat files are in [`import`], the exporters in
//! [`export`].
//!
//! Amounts are exact integers in ten-thousandths (`_e4`) and quantities in thousandths (`_e3`),
//! as in [`crate::quote`]. A customer's unit price is found in this order:
//! 1. its individual price for the product (the break with the largest quantity not above the
//!    ordered one), as agreed — no discount on top;
//! 2. else its group's price (the supplier's `grouping` of the relationship), less the
//!    relationship's `discount_percent`;
//! 3. else the list price (or its break), less the relationship's `discount_percent`.
//!
//! The discount is taken in hundredths of a percent (`12.5` → 1250) and the discounted price is
//! rounded half up to four decimals; a line's total is `quantity × unit price`, rounded half up
//! to four decimals ([`crate::quote::line_total_e4`]).

pub mod export;
pub mod import;

use serde::{Deserialize, Serialize};

use crate::quote::{price_e4, quantity_e3};
use crate::validate;
use crate::{Error, Result};

/// Longest SKU, GTIN, unit and category.
pub const MAX_SKU: usize = 64;
pub const MAX_NAME: usize = 300;
pub const MAX_DESCRIPTION: usize = 8000;
pub const MAX_CATEGORY: usize = 300;
/// Most products one `PUT …/products` call takes.
pub const MAX_BATCH: usize = 500;
/// Most lines of one order.
pub const MAX_ORDER_LINES: usize = 500;

/// The languages a product's texts are kept in.
pub const LANGUAGES: [&str; 3] = ["en", "de", "pl"];

/// Where a customer's unit price comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// The list price, less the relationship's discount if any.
    List,
    /// The price of the customer's group, less the relationship's discount if any.
    Group,
    /// The customer's own agreed price.
    Individual,
}

/// A price besides the list price, as stored: for a group, for one customer, or a list break.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PriceRow {
    pub product_id: String,
    /// Set for a customer's individual price.
    pub relationship_id: Option<String>,
    /// Set for a group price.
    pub grouping: Option<String>,
    pub min_quantity_e3: i64,
    pub price_e4: i64,
}

/// A customer's price for one unit at one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub unit_price_e4: i64,
    pub source: PriceSource,
}

/// Who asks for a price: the relationship, its group, its discount in hundredths of a percent.
#[derive(Debug, Clone, Default)]
pub struct Buyer {
    pub relationship_id: String,
    pub grouping: Option<String>,
    pub discount_bp: i64,
}

impl Buyer {
    /// The discount of a relationship's `discount_percent` (a REAL column) in hundredths of a
    /// percent, between 0 and 100 %.
    #[must_use]
    pub fn discount_bp(percent: Option<f64>) -> i64 {
        #[allow(clippy::cast_possible_truncation)]
        percent
            .filter(|p| p.is_finite())
            .map_or(0, |p| ((p * 100.0).round() as i64).clamp(0, 10_000))
    }
}

/// `price` less `bp` hundredths of a percent, rounded half up to four decimals.
#[must_use]
pub fn discounted(price_e4: i64, bp: i64) -> i64 {
    if bp == 0 {
        return price_e4;
    }
    let exact = i128::from(price_e4) * i128::from(10_000 - bp);
    i64::try_from((exact + 5_000) / 10_000).unwrap_or(i64::MAX)
}

/// A price in another currency: one unit of the catalog's currency is `rate_e6` millionths of
/// `currency` (the supplier's rate); a converted price is rounded half up to the cent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: String,
    pub rate_e6: i64,
}

impl Rate {
    /// `price_e4` in the rate's currency, rounded half up to two decimals.
    #[must_use]
    pub fn convert(&self, price_e4: i64) -> i64 {
        // e4 × e6 / 1e6 = e4; to cents: / 100 with half up, then back to e4.
        let exact = i128::from(price_e4) * i128::from(self.rate_e6);
        let cents = (exact + 50_000_000 * exact.signum()) / 100_000_000;
        i64::try_from(cents * 100).unwrap_or(i64::MAX)
    }
}

/// A rate as given: a positive decimal with at most six places (`4.2875`), as millionths.
///
/// # Errors
/// A 422 naming `field`.
pub fn rate_e6(field: &str, text: &str) -> Result<i64> {
    let bad = || {
        Error::invalid(
            field,
            "must be a positive decimal with at most six places, such as 4.2875",
        )
    };
    crate::payment::to_scaled(text, 6)
        .filter(|r| *r > 0)
        .ok_or_else(bad)
}

/// Millionths as a decimal text: `4287500` → `4.2875`.
#[must_use]
pub fn rate_text(rate_e6: i64) -> String {
    crate::payment::plain_decimal(rate_e6, 6)
}

/// The break of `rows` (of one kind) that applies to `quantity`: the largest minimum not above it.
fn best_break<'a>(
    rows: impl Iterator<Item = &'a PriceRow>,
    quantity_e3: i64,
) -> Option<&'a PriceRow> {
    rows.filter(|r| r.min_quantity_e3 <= quantity_e3)
        .max_by_key(|r| r.min_quantity_e3)
}

/// The unit price `buyer` pays for `quantity` of a product listed at `list_e4` with the extra
/// price rows `rows` (any kind, of that product; another customer's are ignored).
#[must_use]
pub fn price_for(buyer: &Buyer, list_e4: i64, rows: &[PriceRow], quantity_e3: i64) -> Priced {
    let own = rows
        .iter()
        .filter(|r| r.relationship_id.as_deref() == Some(buyer.relationship_id.as_str()));
    if let Some(r) = best_break(own, quantity_e3) {
        return Priced {
            unit_price_e4: r.price_e4,
            source: PriceSource::Individual,
        };
    }
    if let Some(group) = &buyer.grouping {
        let of_group = rows
            .iter()
            .filter(|r| r.grouping.as_deref() == Some(group.as_str()));
        if let Some(r) = best_break(of_group, quantity_e3) {
            return Priced {
                unit_price_e4: discounted(r.price_e4, buyer.discount_bp),
                source: PriceSource::Group,
            };
        }
    }
    let list = rows
        .iter()
        .filter(|r| r.relationship_id.is_none() && r.grouping.is_none());
    let base = best_break(list, quantity_e3).map_or(list_e4, |r| r.price_e4.min(list_e4));
    Priced {
        unit_price_e4: discounted(base, buyer.discount_bp),
        source: PriceSource::List,
    }
}

/// The price rows `buyer` may see: the list breaks, its group's and its own — never another
/// customer's individual price or another group's.
#[must_use]
pub fn visible_to<'a>(buyer: &Buyer, rows: &'a [PriceRow]) -> Vec<&'a PriceRow> {
    rows.iter()
        .filter(|r| match (&r.relationship_id, &r.grouping) {
            (Some(rel), _) => rel == &buyer.relationship_id,
            (None, Some(g)) => buyer.grouping.as_deref() == Some(g.as_str()),
            (None, None) => true,
        })
        .collect()
}

/// Whether `quantity` may be ordered of a product sold from `min` in steps of `step`; the
/// error names `field` and says what would do.
///
/// # Errors
/// 422 naming `field` when it is below the minimum or off the steps.
pub fn check_quantity(field: &str, quantity_e3: i64, min_e3: i64, step_e3: i64) -> Result<()> {
    use crate::quote::quantity_text as q;
    if quantity_e3 < min_e3 {
        return Err(Error::invalid(
            field,
            format!("at least {} must be ordered", q(min_e3)),
        ));
    }
    if step_e3 > 0 && quantity_e3 % step_e3 != 0 {
        return Err(Error::invalid(
            field,
            format!("must be a multiple of {}", q(step_e3)),
        ));
    }
    Ok(())
}

/// A product as given by a caller or a file, checked; `None` keeps what is stored (a new
/// product needs `name_en` and `list_price_e4`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPatch {
    pub sku: String,
    pub gtin: Option<String>,
    /// en, de, pl.
    pub names: [Option<String>; 3],
    pub descriptions: [Option<String>; 3],
    pub category: Option<String>,
    pub unit: Option<String>,
    pub list_price_e4: Option<i64>,
    pub min_quantity_e3: Option<i64>,
    pub step_quantity_e3: Option<i64>,
    pub stock_e3: Option<i64>,
    pub lead_time_days: Option<i64>,
    /// The list price's quantity breaks, `(from quantity, price)`: given, they replace the
    /// stored ones (a BMEcat file states a product's whole price scale).
    pub list_breaks: Option<Vec<(i64, i64)>>,
}

/// The texts of a product's fields as given, before they are checked (empty: not given).
#[derive(Debug, Clone, Default)]
pub struct ProductText<'a> {
    pub sku: &'a str,
    pub gtin: Option<&'a str>,
    pub names: [Option<&'a str>; 3],
    pub descriptions: [Option<&'a str>; 3],
    pub category: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub list_price: Option<&'a str>,
    pub min_quantity: Option<&'a str>,
    pub step_quantity: Option<&'a str>,
    pub stock: Option<&'a str>,
    pub lead_time_days: Option<&'a str>,
}

/// A SKU: 1 to 64 characters without control characters.
///
/// # Errors
/// 422 naming `field`.
pub fn sku(field: &str, text: &str) -> Result<String> {
    let s = validate::text(field, text, 1, MAX_SKU)?;
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(s)
}

/// A GTIN (EAN/UPC): 8, 12, 13 or 14 digits with a right check digit.
///
/// # Errors
/// 422 naming `field`.
pub fn gtin(field: &str, text: &str) -> Result<String> {
    let t = text.trim();
    let digits: Vec<u32> = t.chars().filter_map(|c| c.to_digit(10)).collect();
    let bad = || {
        Error::invalid(
            field,
            "must be a GTIN of 8, 12, 13 or 14 digits with its check digit",
        )
    };
    if digits.len() != t.len() || ![8, 12, 13, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    if (10 - sum % 10) % 10 == check[0] {
        Ok(t.to_owned())
    } else {
        Err(bad())
    }
}

fn given(t: Option<&str>) -> Option<&str> {
    t.map(str::trim).filter(|t| !t.is_empty())
}

impl ProductPatch {
    /// Checks the texts of one product; each error names `prefix` + the field (`products[3].gtin`).
    ///
    /// # Errors
    /// 422 naming the first field that does not fit.
    pub fn parse(prefix: &str, p: &ProductText<'_>) -> Result<ProductPatch> {
        let f = |name: &str| format!("{prefix}{name}");
        let whole_days = |name: &str, t: &str| -> Result<i64> {
            t.parse::<i64>()
                .ok()
                .filter(|d| (0..=3650).contains(d))
                .ok_or_else(|| Error::invalid(f(name), "must be a whole number of days, 0 to 3650"))
        };
        let mut out = ProductPatch {
            sku: sku(&f("sku"), p.sku)?,
            ..ProductPatch::default()
        };
        out.gtin = given(p.gtin).map(|t| gtin(&f("gtin"), t)).transpose()?;
        for (i, lang) in LANGUAGES.iter().enumerate() {
            out.names[i] = given(p.names[i])
                .map(|t| validate::text(&f(&format!("name_{lang}")), t, 1, MAX_NAME))
                .transpose()?;
            out.descriptions[i] = given(p.descriptions[i])
                .map(|t| validate::text(&f(&format!("description_{lang}")), t, 1, MAX_DESCRIPTION))
                .transpose()?;
        }
        out.category = given(p.category)
            .map(|t| validate::text(&f("category"), t, 1, MAX_CATEGORY))
            .transpose()?;
        out.unit = given(p.unit)
            .map(|t| validate::text(&f("unit"), t, 1, 20))
            .transpose()?;
        out.list_price_e4 = given(p.list_price)
            .map(|t| price_e4(&f("list_price"), t))
            .transpose()?;
        out.min_quantity_e3 = given(p.min_quantity)
            .map(|t| quantity_e3(&f("min_quantity"), t))
            .transpose()?;
        out.step_quantity_e3 = given(p.step_quantity)
            .map(|t| quantity_e3(&f("step_quantity"), t))
            .transpose()?;
        out.stock_e3 = given(p.stock)
            .map(|t| {
                if t == "0" {
                    Ok(0)
                } else {
                    quantity_e3(&f("stock"), t)
                }
            })
            .transpose()?;
        out.lead_time_days = given(p.lead_time_days)
            .map(|t| whole_days("lead_time_days", t))
            .transpose()?;
        Ok(out)
    }

    /// `later` over this patch: each field `later` gives wins, the others stay.
    pub fn merge(&mut self, later: ProductPatch) {
        fn over<T>(slot: &mut Option<T>, later: Option<T>) {
            if later.is_some() {
                *slot = later;
            }
        }
        let [n0, n1, n2] = later.names;
        let [d0, d1, d2] = later.descriptions;
        for (slot, value) in self.names.iter_mut().zip([n0, n1, n2]) {
            over(slot, value);
        }
        for (slot, value) in self.descriptions.iter_mut().zip([d0, d1, d2]) {
            over(slot, value);
        }
        over(&mut self.gtin, later.gtin);
        over(&mut self.category, later.category);
        over(&mut self.unit, later.unit);
        over(&mut self.list_price_e4, later.list_price_e4);
        over(&mut self.min_quantity_e3, later.min_quantity_e3);
        over(&mut self.step_quantity_e3, later.step_quantity_e3);
        over(&mut self.stock_e3, later.stock_e3);
        over(&mut self.lead_time_days, later.lead_time_days);
        over(&mut self.list_breaks, later.list_breaks);
    }

    /// Whether this patch can make a product that does not exist yet; else the field missing.
    ///
    /// # Errors
    /// 422 naming `prefix` + `name_en` or `list_price`.
    pub fn complete(&self, prefix: &str) -> Result<()> {
        if self.names[0].is_none() {
            return Err(Error::invalid(
                format!("{prefix}name_en"),
                "a new product needs its English name",
            ));
        }
        if self.list_price_e4.is_none() {
            return Err(Error::invalid(
                format!("{prefix}list_price"),
                "a new product needs its list price",
            ));
        }
        Ok(())
    }
}

/// A product's text in `lang`, falling back to English.
#[must_use]
pub fn in_language<'a>(texts: &'a [Option<String>; 3], lang: &str) -> Option<&'a str> {
    let i = LANGUAGES.iter().position(|l| *l == lang).unwrap_or(0);
    texts[i].as_deref().or(texts[0].as_deref())
}

/// An FTS5 query of the words a person typed: each word a quoted prefix, all of them needed.
/// German spelling is met halfway: a word with `ß` also finds `ss` and one with `ss` also `ß`
/// (the tokenizer folds case and accents, not `ß`), so `strasse` finds `Straßenkarte`.
/// `None` when nothing searchable is left.
#[must_use]
pub fn search_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '.')
        .map(|w| w.trim_matches(|c: char| c == '-' || c == '.'))
        .filter(|w| !w.is_empty())
        .take(10)
        .map(|w| {
            // ASCII case only: `str::to_lowercase` would bring Unicode's case tables (~10 KiB);
            // FTS5 folds the rest of the case itself.
            let w = w.replace('"', "").to_ascii_lowercase();
            let other = if w.contains('ß') {
                Some(w.replace('ß', "ss"))
            } else if w.contains("ss") {
                Some(w.replace("ss", "ß"))
            } else {
                None
            };
            match other {
                Some(o) => format!("(\"{w}\"* OR \"{o}\"*)"),
                None => format!("\"{w}\"*"),
            }
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

/// A line pasted as `SKU;quantity` (or with a tab, a comma or a space between): the SKU and
/// the quantity, a decimal comma read as a point (`2,5` → `2.5`).
#[must_use]
pub fn pasted_line(line: &str) -> Option<(&str, String)> {
    let line = line.trim();
    let cut = [';', '\t', ',', ' ']
        .iter()
        .find_map(|sep| line.rfind(*sep))?;
    let (sku, qty) = (line[..cut].trim(), line[cut + 1..].trim());
    (!sku.is_empty() && !qty.is_empty()).then(|| (sku, qty.replace(',', ".")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rates_are_exact_and_converted_prices_rounded_half_up_to_the_cent() {
        assert_eq!(rate_e6("r", "4.2875").unwrap(), 4_287_500);
        assert_eq!(rate_e6("r", " 162 ").unwrap(), 162_000_000);
        assert_eq!(rate_text(4_287_500), "4.2875");
        assert_eq!(rate_text(162_000_000), "162");
        for bad in ["", "0", "0.000000", "-1", "1e3", "1.2345678", "4,28", "."] {
            assert_eq!(
                rate_e6("rates[0].rate", bad).unwrap_err().field(),
                Some("rates[0].rate"),
                "{bad}"
            );
        }
        let pln = Rate {
            currency: "PLN".into(),
            rate_e6: 4_287_500,
        };
        // 4.05 EUR × 4.2875 = 17.364375 PLN → 17.36; 4.50 × 4.2875 = 19.29375 → 19.29.
        assert_eq!(pln.convert(40_500), 173_600);
        assert_eq!(pln.convert(45_000), 192_900);
        // Half a cent goes up: 0.10 × 4.25 = 0.425 → 0.43.
        let r = Rate {
            currency: "PLN".into(),
            rate_e6: 4_250_000,
        };
        assert_eq!(r.convert(1_000), 4_300);
        assert_eq!(r.convert(0), 0);
    }

    fn row(rel: Option<&str>, group: Option<&str>, min: i64, price: i64) -> PriceRow {
        PriceRow {
            product_id: "prd_1".into(),
            relationship_id: rel.map(Into::into),
            grouping: group.map(Into::into),
            min_quantity_e3: min,
            price_e4: price,
        }
    }

    #[test]
    fn individual_before_group_before_list_and_breaks_by_quantity() {
        let rows = vec![
            row(None, None, 100_000, 9_000),
            row(None, Some("wholesale"), 0, 8_500),
            row(Some("rel_a"), None, 0, 7_000),
            row(Some("rel_a"), None, 500_000, 6_000),
            row(Some("rel_b"), None, 0, 1_000),
        ];
        let a = Buyer {
            relationship_id: "rel_a".into(),
            grouping: Some("wholesale".into()),
            discount_bp: 1_000,
        };
        assert_eq!(price_for(&a, 10_000, &rows, 1_000).unit_price_e4, 7_000);
        assert_eq!(price_for(&a, 10_000, &rows, 500_000).unit_price_e4, 6_000);
        let group = Buyer {
            relationship_id: "rel_c".into(),
            grouping: Some("wholesale".into()),
            discount_bp: 1_000,
        };
        let p = price_for(&group, 10_000, &rows, 1_000);
        assert_eq!((p.unit_price_e4, p.source), (7_650, PriceSource::Group));
        let plain = Buyer {
            relationship_id: "rel_d".into(),
            grouping: None,
            discount_bp: 1_250,
        };
        assert_eq!(price_for(&plain, 10_000, &rows, 1_000).unit_price_e4, 8_750);
        assert_eq!(
            price_for(&plain, 10_000, &rows, 100_000).unit_price_e4,
            7_875
        );
        let seen = visible_to(&plain, &rows);
        assert_eq!(seen.len(), 1, "only the list break: {seen:?}");
        assert_eq!(visible_to(&a, &rows).len(), 4);
    }

    #[test]
    fn discounts_round_half_up_and_come_from_percent_exactly() {
        assert_eq!(Buyer::discount_bp(Some(12.5)), 1_250);
        assert_eq!(Buyer::discount_bp(Some(0.1 + 0.2)), 30);
        assert_eq!(Buyer::discount_bp(Some(150.0)), 10_000);
        assert_eq!(Buyer::discount_bp(None), 0);
        assert_eq!(discounted(3, 5_000), 2);
        assert_eq!(discounted(12_345, 333), 11_934);
    }

    #[test]
    fn quantities_keep_minimum_and_steps() {
        assert!(check_quantity("q", 500, 1_000, 1_000).is_err());
        assert!(check_quantity("q", 2_500, 1_000, 1_000).is_err());
        assert!(check_quantity("q", 3_000, 1_000, 1_000).is_ok());
        let e = check_quantity("lines[0].quantity", 250_000, 500_000, 250_000).unwrap_err();
        assert!(e.to_string().contains("500"), "{e}");
    }

    #[test]
    fn gtins_are_checked_and_products_parsed() {
        assert!(gtin("g", "4006381333931").is_ok());
        assert!(gtin("g", "4006381333932").is_err());
        assert!(gtin("g", "73513537").is_ok());
        let p = ProductPatch::parse(
            "products[0].",
            &ProductText {
                sku: " A-1 ",
                names: [Some("Paper"), None, Some("Papier")],
                list_price: Some("12.5"),
                min_quantity: Some("10"),
                stock: Some("0"),
                ..ProductText::default()
            },
        )
        .unwrap();
        assert_eq!(p.sku, "A-1");
        assert_eq!(p.list_price_e4, Some(125_000));
        assert_eq!(p.stock_e3, Some(0));
        assert!(p.complete("").is_ok());
        let e = ProductPatch::parse(
            "products[2].",
            &ProductText {
                sku: "B",
                list_price: Some("-1"),
                ..ProductText::default()
            },
        )
        .unwrap_err();
        assert!(format!("{e:?}").contains("products[2].list_price"), "{e:?}");
        assert_eq!(in_language(&p.names, "de"), Some("Paper"));
        assert_eq!(in_language(&p.names, "pl"), Some("Papier"));
    }

    #[test]
    fn search_words_and_pasted_lines() {
        assert_eq!(
            search_query("Offset papier"),
            Some("\"offset\"* AND \"papier\"*".into())
        );
        assert_eq!(search_query("\"*()"), None);
        assert_eq!(search_query("A4-80"), Some("\"a4-80\"*".into()));
        assert_eq!(
            search_query("STRASSE Karte"),
            Some("(\"strasse\"* OR \"straße\"*) AND \"karte\"*".into())
        );
        assert_eq!(
            search_query("Straße"),
            Some("(\"straße\"* OR \"strasse\"*)".into())
        );
        assert_eq!(
            pasted_line("PAP-A4-80;10"),
            Some(("PAP-A4-80", "10".into()))
        );
        assert_eq!(pasted_line(" X 1\t2,5 "), Some(("X 1", "2.5".into())));
        assert_eq!(pasted_line("X-2 3"), Some(("X-2", "3".into())));
        assert_eq!(pasted_line("nothing"), None);
    }
}
