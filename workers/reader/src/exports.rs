//! `GET /v1/catalogs/{id}/export`: the supplier's catalog as a CSV or BMEcat 2005 file
//! (`shared::catalog::export`), streamed out a page of [`PAGE`] products at a time — the
//! answer starts at once and a worker holds one page whatever the catalog's size. The CSV
//! reads back through the import unchanged; so does the BMEcat file, but for the stock
//! (BMEcat has no element for it).

use futures_util::stream;
use shared::catalog::export::{self, Groups};
use shared::catalog::PriceRow;
use shared::data::catalogs::{self as data, CatalogRow, PricesOf};
use shared::data::Db;
use shared::ids::ProductId;
use shared::service::{Cx, Reply, ReplyBody};
use shared::{Error, Result};

/// How many products one page of the export reads.
const PAGE: u32 = 500;

/// The file an export writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Bmecat,
}

/// Where the export stands: what it writes next.
enum Step {
    Head,
    /// The products after this SKU (none: from the first).
    Products(Option<String>),
    /// BMEcat: the products' places in the tree, after this SKU.
    Maps(Option<String>),
    Tail,
    Done,
}

/// What the stream carries from page to page.
struct Export {
    db: Db,
    catalog: CatalogRow,
    format: Format,
    date: String,
    groups: Groups,
}

/// Which file an export writes.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (the default) or `bmecat`.
    pub format: Option<String>,
}

/// `GET /v1/catalogs/{id}/export?format=csv|bmecat`.
pub async fn export_catalog(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = crate::own_catalog(cx, &me, "exports").await?;
    let q: ExportQuery = cx.query_as()?;
    let format = match q.format.as_deref().map(str::trim) {
        None | Some("" | "csv") => Format::Csv,
        Some("bmecat") => Format::Bmecat,
        Some(other) => {
            return Err(Error::invalid(
                "format",
                format!("`{other}` is no export format; ask for csv or bmecat"),
            ))
        }
    };
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Bmecat => ("application/xml; charset=utf-8", "xml"),
    };
    let filename = format!("{}.{extension}", file_stem(&view.catalog.name));
    let state = Export {
        db: cx.db.clone(),
        catalog: view.catalog,
        format,
        date: shared::time::day(cx.now),
        groups: Groups::default(),
    };
    let body = stream::try_unfold((state, Step::Head), |(mut state, step)| async move {
        let (piece, next) = match next_piece(&mut state, step).await {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            // The answer has begun: a failure can only cut it short (and is logged).
            Err(e) => {
                shared::service::log_error(&format!("catalog export: {e}"));
                return Err(e.detail());
            }
        };
        Ok(Some((piece.into_bytes(), (state, next))))
    });
    let mut reply = Reply::status(200)
        .with_header("content-type", content_type)
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{filename}\""),
        );
    reply.body = ReplyBody::Stream(Box::pin(body));
    Ok(reply)
}

/// The file's name from the catalog's: letters, digits, `-` and `_`, the rest as `-`.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        "catalog".to_owned()
    } else {
        stem.to_owned()
    }
}

/// The next piece of the file and the step after it; none when the file is complete.
async fn next_piece(s: &mut Export, step: Step) -> Result<Option<(String, Step)>> {
    let piece = match (step, s.format) {
        (Step::Done, _) => return Ok(None),
        (Step::Head, Format::Csv) => (export::csv_head(), Step::Products(None)),
        (Step::Head, Format::Bmecat) => {
            let paths = data::category_paths(&s.db, &s.catalog.id).await?;
            s.groups = Groups::of(paths.iter().map(String::as_str));
            (
                export::bmecat_head(&s.catalog, &s.date, &s.groups),
                Step::Products(None),
            )
        }
        (Step::Products(after), format) => {
            let page = data::products_after(&s.db, &s.catalog.id, after.as_deref(), PAGE).await?;
            let next = match page.last() {
                Some(last) if page.len() == PAGE as usize => Step::Products(Some(last.sku.clone())),
                _ if format == Format::Bmecat => Step::Maps(None),
                _ => Step::Done,
            };
            let mut out = String::with_capacity(page.len() * 600);
            if format == Format::Csv {
                for p in &page {
                    out.push_str(&export::csv_row(p));
                }
            } else {
                let ids: Vec<&ProductId> = page.iter().map(|p| &p.id).collect();
                let breaks = data::prices(&s.db, &ids, PricesOf::List).await?;
                for p in &page {
                    let own: Vec<&PriceRow> = breaks
                        .iter()
                        .filter(|b| b.product_id == p.id.as_str())
                        .collect();
                    out.push_str(&export::bmecat_product(p, &own, &s.catalog.currency));
                }
            }
            (out, next)
        }
        (Step::Maps(after), _) => {
            let page = data::categories_after(&s.db, &s.catalog.id, after.as_deref(), PAGE).await?;
            let next = match page.last() {
                Some(last) if page.len() == PAGE as usize => Step::Maps(Some(last.sku.clone())),
                _ => Step::Tail,
            };
            let mut out = String::with_capacity(page.len() * 120);
            for row in &page {
                if let Some(group) = s.groups.id(&row.category) {
                    out.push_str(&export::bmecat_map(&row.sku, group));
                }
            }
            (out, next)
        }
        (Step::Tail, _) => (export::BMECAT_TAIL.to_owned(), Step::Done),
    };
    Ok(Some(piece))
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_names_keep_only_plain_characters() {
        assert_eq!(file_stem("Papier & Druck 2027"), "Papier---Druck-2027");
        assert_eq!(file_stem("Büro"), "B-ro");
        assert_eq!(file_stem("///"), "catalog");
    }
}
