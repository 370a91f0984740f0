//! Prefixed, time-sortable ids: `co_01jd…`. One newtype per resource, all made by one macro,
//! so an id of one kind can never be passed where another is expected.

use serde::{Deserialize, Serialize};

/// Builds a fresh id body: a ULID (48-bit millisecond time, 80 random bits) in lower-case
/// Crockford base32, so ids sort by creation time.
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn new_body(now: crate::time::Timestamp) -> crate::Result<String> {
    let random: [u8; 10] = crate::random::bytes()?;
    let mut r = [0u8; 16];
    r[6..].copy_from_slice(&random);
    let ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    Ok(ulid::Ulid::from_parts(ms, u128::from_be_bytes(r))
        .to_string()
        .to_ascii_lowercase())
}

macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with, without the underscore.
            pub const PREFIX: &'static str = $prefix;

            /// A new id, sortable by `now`.
            ///
            /// # Errors
            /// Fails only if the platform has no randomness.
            pub fn new(now: crate::time::Timestamp) -> crate::Result<Self> {
                Ok(Self(format!("{}_{}", $prefix, new_body(now)?)))
            }

            /// Parses an id from a path segment or a field, naming `field` when it is malformed.
            ///
            /// # Errors
            /// A 404 for a malformed id in a path (it cannot exist), so callers decide: use
            /// [`Self::parse_field`] for ids in bodies.
            pub fn parse(text: &str) -> crate::Result<Self> {
                Self::check(text).ok_or(crate::Error::not_found($what))
            }

            /// Parses an id given in a request field.
            ///
            /// # Errors
            /// A 422 naming `field` when the text is not an id of this kind.
            pub fn parse_field(field: &str, text: &str) -> crate::Result<Self> {
                Self::check(text).ok_or_else(|| {
                    crate::Error::invalid(field, concat!("must be an id starting with ", $prefix, "_"))
                })
            }

            fn check(text: &str) -> Option<Self> {
                let body = text.strip_prefix(concat!($prefix, "_"))?;
                let ok = body.len() == 26 && body.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
                ok.then(|| Self(text.to_owned()))
            }

            /// The id as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::check(&value).ok_or_else(|| format!(concat!("not an id starting with ", $prefix, "_: {}"), value))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "_[0-9a-z]{26}$")))
                    .description(Some(concat!("The id of ", $what, ".")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

prefixed_id!(/** A company. */ CompanyId, "co", "company");
prefixed_id!(/** A user (a person's access). */ UserId, "us", "user");
prefixed_id!(/** A relationship between two companies. */ RelationshipId, "rel", "relationship");
prefixed_id!(/** A document in a mailbox. */ DocumentId, "doc", "document");
prefixed_id!(/** An approval request for a proof. */ ApprovalId, "apr", "approval");
prefixed_id!(/** A talk thread. */ ThreadId, "thr", "thread");
prefixed_id!(/** A talk message. */ MessageId, "msg", "message");
prefixed_id!(/** A file attached to a talk message. */ AttachmentId, "att", "attachment");
prefixed_id!(/** An event on the queue. */ EventId, "evt", "event");
prefixed_id!(/** A webhook endpoint. */ WebhookId, "whk", "webhook");
prefixed_id!(/** One event's delivery to one webhook endpoint. */ DeliveryId, "dlv", "delivery");
prefixed_id!(/** An API key. */ ApiKeyId, "key", "api key");
prefixed_id!(/** A login session (a refresh-token family). */ SessionId, "ses", "session");
prefixed_id!(/** An invitation (of a colleague or a customer company). */ InvitationId, "inv", "invitation");
prefixed_id!(/** A business card received as a contact. */ ContactId, "con", "contact");
prefixed_id!(/** A captured outgoing mail. */ MailId, "mail", "mail");
prefixed_id!(/** A multipart upload of a document. */ UploadId, "upl", "upload");
prefixed_id!(/** An ERP connector of a company. */ ConnectorId, "cnr", "connector");
prefixed_id!(/** One run of a connector's operation, as reported. */ ConnectorRunId, "run", "connector run");
prefixed_id!(/** A project a supplier plans for a customer. */ ProjectId, "prj", "project");
prefixed_id!(/** A territory (region, district) of a customer's locations. */ TerritoryId, "ter", "territory");
prefixed_id!(/** A customer's location where appointments take place. */ LocationId, "loc", "location");
prefixed_id!(/** A member of a supplier's field staff. */ StaffId, "stf", "staff member");
prefixed_id!(/** An appointment at a location. */ AppointmentId, "apt", "appointment");
prefixed_id!(/** A person's calendar feed (iCalendar subscription). */ CalendarFeedId, "cal", "calendar feed");
prefixed_id!(/** An entry of a company's audit log. */ AuditId, "aud", "audit entry");
prefixed_id!(/** A team (department) of a company. */ TeamId, "tem", "team");
prefixed_id!(/** A task of a company (internal). */ TaskId, "tsk", "task");
prefixed_id!(/** A comment on a task. */ TaskCommentId, "tcm", "task comment");
prefixed_id!(/** A complaint (RMA) of a customer. */ ComplaintId, "cmp", "complaint");
prefixed_id!(/** A move or comment in a complaint's history. */ ComplaintEntryId, "cme", "complaint entry");
prefixed_id!(/** A customer's request for a quote. */ QuoteRequestId, "rfq", "quote request");
prefixed_id!(/** A supplier's quote (one version) for a request. */ QuoteId, "quo", "quote");
prefixed_id!(/** A step or comment in a quote request's history. */ QuoteEntryId, "qte", "quote entry");
prefixed_id!(/** A supplier's catalog of products. */ CatalogId, "cat", "catalog");
prefixed_id!(/** A product of a catalog. */ ProductId, "prd", "product");
prefixed_id!(/** An import of products into a catalog (a CSV or BMEcat file). */ ImportId, "imp", "catalog import");
prefixed_id!(/** An order a customer placed from a catalog. */ CatalogOrderId, "cor", "catalog order");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_sort_by_time() {
        let t1 = crate::time::parse("t", "2026-01-01T00:00:00Z").unwrap();
        let t2 = crate::time::parse("t", "2026-01-01T00:00:01Z").unwrap();
        let a = CompanyId::new(t1).unwrap();
        let b = CompanyId::new(t2).unwrap();
        assert!(a.as_str().starts_with("co_"));
        assert_eq!(a.as_str().len(), 3 + 26);
        assert!(a < b);
        assert_eq!(CompanyId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn wrong_prefix_or_shape_is_refused() {
        let t = crate::time::now();
        let user = UserId::new(t).unwrap();
        assert_eq!(CompanyId::parse(user.as_str()).unwrap_err().status(), 404);
        assert_eq!(
            CompanyId::parse_field("company_id", "co_x")
                .unwrap_err()
                .status(),
            422
        );
        assert!(serde_json::from_str::<CompanyId>("\"co_123\"").is_err());
        let json = serde_json::to_string(&user).unwrap();
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), user);
    }
}
