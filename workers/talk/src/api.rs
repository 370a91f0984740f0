//! What the talk worker takes and answers, and who reads and writes.

use serde::{Deserialize, Serialize};
use shared::data::companies::CompanyOut;
use shared::data::talk::{AttachmentRow, Unread};
use shared::ids::{
    AttachmentId, CompanyId, DocumentId, MessageId, RelationshipId, ThreadId, UserId,
};
use shared::permissions::Principal;
use shared::time::Time;
use shared::{Error, Result};
use utoipa::{IntoParams, ToSchema};

/// Who reads talk: a person holding `talk`, or a company's own system with an API key holding
/// `talk` (it picks the messages up and files them where its people work, as IPCN does). Read
/// positions, and so unread counts, are kept per reader.
pub struct Reader {
    pub company_id: CompanyId,
    /// Whose read position counts: the person's user id, or the API key's id.
    pub id: String,
}

impl Reader {
    /// The reader a caller is (the route table checked `talk`).
    ///
    /// # Errors
    /// Internal error for a principal without user or API key.
    pub fn of(me: &Principal) -> Result<Reader> {
        let id = match (&me.user_id, &me.api_key_id) {
            (Some(user), _) => user.to_string(),
            (None, Some(key)) => key.to_string(),
            (None, None) => return Err(Error::internal("a principal without user or API key")),
        };
        Ok(Reader {
            company_id: me.company_id.clone(),
            id,
        })
    }
}

/// A person named in talk.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserRef {
    pub id: UserId,
    pub name: String,
}

/// Who wrote a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sender {
    pub company: CompanyOut,
    /// The name as it was when written.
    pub user: UserRef,
}

/// A file sent with a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentRef {
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

impl AttachmentRef {
    /// The attachment as a message lists it.
    #[must_use]
    pub fn of(row: &AttachmentRow) -> AttachmentRef {
        AttachmentRef {
            id: row.id.clone(),
            filename: row.filename.clone(),
            content_type: row.content_type.clone(),
            size: row.size,
            sha256: row.sha256.clone(),
        }
    }
}

/// A message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub from: Sender,
    /// Sent by the caller's company.
    pub mine: bool,
    pub text: String,
    pub attachments: Vec<AttachmentRef>,
    pub created_at: Time,
}

/// Who started a thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedBy {
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub name: String,
}

/// A thread as the caller's side sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadOut {
    pub id: ThreadId,
    pub subject: String,
    /// The other company.
    pub partner: CompanyOut,
    pub relationship_id: RelationshipId,
    /// The document the thread is about.
    pub document_id: Option<DocumentId>,
    /// The addressed person of the partner company; `null`: the company as a whole.
    pub to_user: Option<UserRef>,
    pub started_by: StartedBy,
    pub created_at: Time,
    pub last_message_at: Time,
    pub message_count: u64,
    /// The partner's messages after the caller's read position.
    pub unread_count: u64,
    pub last_message: Option<MessageOut>,
}

/// A page of threads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadList {
    pub data: Vec<ThreadOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    pub counts: Unread,
}

/// A page of messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub data: Vec<MessageOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which threads a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Only threads with this company (`co_…`).
    #[param(pattern = "^co_[0-9a-z]{26}$")]
    pub partner: Option<String>,
    /// Only threads about this document (`doc_…`).
    #[param(pattern = "^doc_[0-9a-z]{26}$")]
    pub document_id: Option<String>,
    /// `true`: only threads with unread messages.
    #[param(pattern = "^(true|false)$")]
    pub unread: Option<String>,
}

/// A new thread with its first message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadIn {
    /// The partner: a company id or handle.
    #[schema(min_length = 1, max_length = 64)]
    pub partner: String,
    /// A person of the partner whose business card the caller's company received (`us_…`).
    #[serde(default)]
    #[schema(pattern = "^us_[0-9a-z]{26}$")]
    pub to: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub subject: String,
    /// The document the thread is about (`doc_…`).
    #[serde(default)]
    #[schema(pattern = "^doc_[0-9a-z]{26}$")]
    pub document_id: Option<String>,
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// Ids of the caller's own uploads (`att_…`), at most 10.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachments: Vec<String>,
}

/// A reply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// Ids of the caller's own uploads (`att_…`), at most 10.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachments: Vec<String>,
}

/// How far a thread is read.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    /// Read up to this message (`msg_…`); the latest when left out.
    #[serde(default)]
    #[schema(pattern = "^msg_[0-9a-z]{26}$")]
    pub up_to: Option<String>,
}

/// A thread's unread count after marking it read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadOut {
    pub thread_id: ThreadId,
    pub unread_count: u64,
}

/// An uploaded attachment, not sent yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: Time,
}
