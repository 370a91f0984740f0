//! `attachments` kept by something both sides of a relationship see — a complaint's photos, a
//! request for a quote's drawings or a supplier's quote as a PDF — rather than by a talk
//! message: the row names its owner (`complaint_id`, `quote_request_id`) and is found only
//! through it, by the owner's two companies. (Talk's own attachments are `shared::data::talk`'s;
//! neither side finds the other's rows.)

use serde::Deserialize;

use super::Statement;
use crate::ids::{AttachmentId, CompanyId, UserId};
use crate::service::store::StoredFile;
use crate::time::Time;

/// What keeps the files: a table with `supplier_id`, `customer_id` and `updated_at`, and the
/// column of `attachments` naming its row.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Complaint,
    QuoteRequest,
}

impl Owner {
    fn table(self) -> &'static str {
        match self {
            Self::Complaint => "complaints",
            Self::QuoteRequest => "quote_requests",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::Complaint => "complaint_id",
            Self::QuoteRequest => "quote_request_id",
        }
    }
}

/// A file, with who uploaded it (their name now).
#[derive(Debug, Clone, Deserialize)]
pub struct FileRow {
    pub id: AttachmentId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub user_name: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub object_key: String,
    pub created_at: Time,
}

impl FileRow {
    /// The file in the bucket, to serve.
    #[must_use]
    pub fn stored(&self) -> StoredFile<'_> {
        StoredFile {
            key: &self.object_key,
            size: self.size,
            sha256: &self.sha256,
            content_type: &self.content_type,
            filename: &self.filename,
        }
    }
}

/// A file as either side sees it (download: the owner's `…/files/{id}`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FileOut {
    pub id: AttachmentId,
    /// The side that added it.
    pub side: crate::relationship::PartyRole,
    pub by_name: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: Time,
}

impl FileOut {
    /// `f` of an owner whose supplier is `supplier`.
    #[must_use]
    pub fn of(f: FileRow, supplier: &CompanyId) -> FileOut {
        FileOut {
            side: crate::relationship::PartyRole::of(supplier, &f.company_id),
            id: f.id,
            by_name: f.user_name,
            filename: f.filename,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            created_at: f.created_at,
        }
    }
}

/// The files of the `owner` row `?2`, if `?1` (the viewer) is one of its sides, oldest first.
#[must_use]
pub fn list_stmt(owner: Owner, viewer: &CompanyId, id: &dyn crate::platform::Bind) -> Statement {
    Statement::new(
        format!(
            "SELECT a.id, a.company_id, a.user_id, u.name AS user_name, a.filename, \
             a.content_type, a.size, a.sha256, a.object_key, a.created_at \
             FROM attachments a LEFT JOIN users u ON u.id = a.user_id \
             WHERE a.{col} IN (SELECT id FROM {table} WHERE id = ?2 \
             AND (supplier_id = ?1 OR customer_id = ?1)) ORDER BY a.rowid",
            col = owner.column(),
            table = owner.table()
        ),
        &[viewer, id],
    )
}

/// A new file of an owner row (its object already in the bucket, announced).
pub struct NewFile<'a> {
    pub id: &'a AttachmentId,
    pub company: &'a CompanyId,
    pub user: &'a UserId,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    pub now: Time,
}

impl<'a> NewFile<'a> {
    /// The row of `received`, uploaded by `user` of `company`.
    #[must_use]
    pub fn of(
        received: &'a crate::service::store::ReceivedAttachment,
        company: &'a CompanyId,
        user: &'a UserId,
        now: Time,
    ) -> NewFile<'a> {
        NewFile {
            id: &received.id,
            company,
            user,
            filename: &received.file.filename,
            content_type: &received.file.content_type,
            size: received.file.length,
            sha256: &received.sha256,
            object_key: &received.key,
            now,
        }
    }
}

/// The statements that add `f` to the `owner` row `id` when `f.company` is one of its sides,
/// touch the row and settle the object — each only when the one before changed a row, so a
/// file of nobody's is left to the sweep. The first one's changes tell whether it was added.
#[must_use]
pub fn add_stmts(owner: Owner, id: &dyn crate::platform::Bind, f: &NewFile<'_>) -> [Statement; 3] {
    [
        Statement::new(
            format!(
                "INSERT INTO attachments (id, company_id, user_id, message_id, {col}, filename, \
                 content_type, size, sha256, object_key, created_at) \
                 SELECT ?1, ?2, ?3, NULL, o.id, ?4, ?5, ?6, ?7, ?8, ?9 FROM {table} o \
                 WHERE o.id = ?10 AND (o.supplier_id = ?2 OR o.customer_id = ?2)",
                col = owner.column(),
                table = owner.table()
            ),
            &[
                f.id,
                f.company,
                f.user,
                &f.filename,
                &f.content_type,
                &f.size,
                &f.sha256,
                &f.object_key,
                &f.now,
                id,
            ],
        ),
        Statement::new(
            format!(
                "UPDATE {} SET updated_at = ?2 WHERE id = ?1 AND changes() > 0",
                owner.table()
            ),
            &[id, &f.now],
        ),
        Statement::new(
            "DELETE FROM pending_objects WHERE object_key = ?1 AND changes() > 0",
            &[&f.object_key],
        ),
    ]
}
