//! `GET /v1/documents/{id}/lines`: the lines of a recognised order document — item, SKU,
//! quantity, unit, unit price, line total, date — read from its stored file in every format the
//! recogniser knows (`shared::formats::lines`). For an order response, also the lines of the
//! order it answers and what it changed against them.

use serde::Serialize;
use shared::data::documents;
use shared::formats::lines::{self, LineChange, OrderLine};
use shared::formats::{Format, PARSE_MAX_BYTES};
use shared::ids::DocumentId;
use shared::platform::{files, FileRange};
use shared::service::{Cx, Reply};
use shared::{Error, Result};
use utoipa::ToSchema;

/// A document's lines, and for an order response what it changed in the order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentLinesOut {
    pub document_id: DocumentId,
    pub format: Format,
    pub currency: Option<String>,
    pub lines: Vec<OrderLine>,
    /// The order an order response answers (when the mailbox holds it).
    pub order_document_id: Option<DocumentId>,
    /// What the order response changed in the order's lines (quantities, prices, dates,
    /// substitutions, rejected, added or missing lines); empty for an order.
    pub changes: Vec<LineChange>,
}

/// The lines of a stored document of `format`.
async fn read(cx: &Cx, key: &str, format: Format) -> Result<lines::OrderLines> {
    let body = cx
        .files()?
        .get(key, FileRange::Whole)
        .await
        .map_err(Error::internal)?
        .ok_or_else(|| Error::conflict("file_deleted", "the document's file is no longer kept"))?;
    let bytes = files::read_all(body).await.map_err(Error::internal)?;
    if bytes.len() > PARSE_MAX_BYTES {
        return Err(Error::conflict(
            "too_large_to_read",
            "the file is too large to read its lines",
        ));
    }
    lines::read(format, &bytes).map_err(|why| {
        Error::conflict(
            "unreadable",
            format!("the file's lines cannot be read: {why}"),
        )
    })
}

/// `GET /v1/documents/{id}/lines`.
pub async fn document_lines(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = DocumentId::parse(cx.param("id"))?;
    let (row, _) = documents::visible(&cx.db, &me, &id).await?;
    if row.size > PARSE_MAX_BYTES as u64 {
        return Err(Error::conflict(
            "too_large_to_read",
            "the file is too large to read its lines",
        ));
    }
    let format = row.format.ok_or_else(|| {
        Error::conflict(
            "not_recognised",
            "the document is in no order format Tradepost reads",
        )
    })?;
    let own = read(cx, &row.object_key, format).await?;
    let (order_document_id, changes) =
        if format == Format::UblOrderResponse && row.order_id != row.id {
            match documents::load(&cx.db, &me.company_id, &row.order_id).await? {
                Some(order) if order.format.is_some_and(|f| f != Format::UblOrderResponse) => {
                    let ordered = read(
                        cx,
                        &order.object_key,
                        order.format.unwrap_or(Format::UblOrder),
                    )
                    .await?;
                    (Some(order.id), lines::changes(&ordered.lines, &own.lines))
                }
                _ => (None, Vec::new()),
            }
        } else {
            (None, Vec::new())
        };
    Reply::json(
        200,
        &DocumentLinesOut {
            document_id: row.id,
            format,
            currency: own.currency,
            lines: own.lines,
            order_document_id,
            changes,
        },
    )
}
