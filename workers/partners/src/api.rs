//! What the partners worker takes and answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::data::companies::CompanyOut;
use shared::data::contacts::ContactRow;
use shared::data::relationships::{RelationshipCounts, RelationshipRow};
use shared::ids::{CompanyId, ContactId, InvitationId, RelationshipId, UserId};
use shared::lang::Language;
use shared::relationship::{PartyRole, RelationshipStatus, ServiceState, Services, Settings, Side};
use shared::time::Time;
use shared::vcard::Card;
use utoipa::{IntoParams, ToSchema};

/// A page of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyList {
    pub data: Vec<CompanyOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Whom the directory finds.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanyQuery {
    /// A part of the name or the handle.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// The caller's relationship with a company of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipRef {
    pub id: RelationshipId,
    pub status: RelationshipStatus,
}

/// A company of the directory, with the caller's relationship with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyDetail {
    pub id: CompanyId,
    pub name: String,
    pub handle: String,
    pub created_at: Time,
    pub relationship: Option<RelationshipRef>,
}

/// A relationship as one of its companies sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipOut {
    pub id: RelationshipId,
    /// The other company.
    pub partner: CompanyOut,
    pub my_role: PartyRole,
    /// `outgoing` when the caller's company asked, `incoming` when it was asked.
    pub direction: &'static str,
    pub status: RelationshipStatus,
    pub blocked_by_me: bool,
    pub services: Services,
    pub message: Option<String>,
    pub reject_reason: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    /// The supplier's own settings on the customer: only for the supplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

impl RelationshipOut {
    /// The row as `viewer` sees it: the supplier's settings only for the supplier.
    #[must_use]
    pub fn of(row: &RelationshipRow, viewer: &CompanyId) -> RelationshipOut {
        let state = row.state();
        let my_side = row.side_of(viewer);
        let my_role = row.role_of(viewer);
        RelationshipOut {
            id: row.id.clone(),
            partner: row.partner(),
            my_role,
            direction: match my_side {
                Side::Requester => "outgoing",
                Side::Addressee => "incoming",
            },
            status: state.status,
            blocked_by_me: state.blocked_by == Some(my_side),
            services: row.services.0,
            message: row.message.clone(),
            reject_reason: row.reject_reason.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            settings: (my_role == PartyRole::Supplier).then(|| row.settings()),
        }
    }
}

/// A page of relationships.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipList {
    pub data: Vec<RelationshipOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    pub counts: RelationshipCounts,
}

/// Which relationships a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelationshipQuery {
    #[param(value_type = Option<RelationshipStatus>, inline)]
    pub status: Option<String>,
}

/// A relationship request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipIn {
    /// The partner by id (`co_…`), or give its `handle`.
    #[serde(default)]
    #[schema(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: Option<String>,
    #[serde(default)]
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$"
    )]
    pub handle: Option<String>,
    /// What the caller's company is to the partner.
    pub my_role: PartyRole,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
    /// Services asked for: `requested` or `inactive` (everything but appointments is asked
    /// for by default).
    #[serde(default)]
    pub services: Option<BTreeMap<String, ServiceState>>,
}

/// Reads a field that may be absent (outer `None`), null (`Some(None)`) or a value.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A change of the supplier's settings: only what is sent changes (`null` clears).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub customer_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100)]
    pub discount_percent: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub grouping: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub sales_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    pub shipping_terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    pub payment_terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000)]
    pub internal_remark: Option<Option<String>>,
}

impl SettingsPatch {
    /// The settings with this change applied.
    #[must_use]
    pub fn apply(self, mut s: Settings) -> Settings {
        fn set<T>(slot: &mut Option<T>, v: Option<Option<T>>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        set(&mut s.customer_number, self.customer_number);
        set(&mut s.discount_percent, self.discount_percent);
        set(&mut s.grouping, self.grouping);
        set(&mut s.sales_channel, self.sales_channel);
        set(&mut s.shipping_terms, self.shipping_terms);
        set(&mut s.payment_terms, self.payment_terms);
        set(&mut s.internal_remark, self.internal_remark);
        s
    }
}

/// A change of a relationship: the supplier's settings, or services.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipPatch {
    #[serde(default)]
    pub settings: Option<SettingsPatch>,
    /// `{service: state}`: the supplier enables and disables, the customer requests.
    #[serde(default)]
    pub services: Option<BTreeMap<String, ServiceState>>,
}

/// Why a request is rejected.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectIn {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// Inviting a customer company by e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationIn {
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 2, max_length = 120)]
    pub company_name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
    /// The supplier's settings the relationship starts with.
    #[serde(default)]
    pub settings: Option<Settings>,
    #[serde(default)]
    pub language: Option<Language>,
}

/// An invitation sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: InvitationId,
    pub email: String,
    /// `open`.
    pub status: &'static str,
    pub expires_at: Time,
}

/// To whom a card goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendIn {
    #[schema(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: String,
}

/// A card sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentOut {
    pub contact_id: ContactId,
    pub company_id: CompanyId,
}

/// A card received.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: ContactId,
    /// The person who sent it.
    pub user_id: UserId,
    pub from_company: CompanyOut,
    pub card: Card,
    pub received_at: Time,
}

impl ContactOut {
    /// The contact as answered.
    #[must_use]
    pub fn of(row: ContactRow) -> ContactOut {
        ContactOut {
            from_company: row.from_company(),
            id: row.id,
            user_id: row.user_id,
            card: row.card.0,
            received_at: row.received_at,
        }
    }
}

/// A page of contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub data: Vec<ContactOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Whose contacts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Only cards from this company (`co_…`).
    #[param(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: Option<String>,
}
