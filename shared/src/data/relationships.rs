//! `relationships`: one row per pair of companies, whichever side asked, with its status, the
//! services it carries and the supplier's own settings on the customer.

use serde::Deserialize;

use super::{Db, Statement};
use crate::data::companies::CompanyOut;
use crate::ids::{CompanyId, RelationshipId};
use crate::platform::Json;
use crate::relationship::{
    pair_key, PartyRole, RelState, RelationshipStatus, Service, ServiceState, Services, Settings,
    Side,
};
use crate::time::Time;
use crate::{validate, Error, Result};

/// The UNIQUE constraint that allows one relationship per pair of companies.
pub const PAIR_TAKEN: &str = "relationships.pair_key";

/// A relationship as one of its companies loads it, with the other company's directory entry.
#[derive(Debug, Clone, Deserialize)]
pub struct RelationshipRow {
    pub id: RelationshipId,
    pub requester_id: CompanyId,
    pub addressee_id: CompanyId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub status: RelationshipStatus,
    pub blocked_by: Option<Side>,
    pub status_before_block: Option<RelationshipStatus>,
    pub services: Json<Services>,
    pub message: Option<String>,
    pub reject_reason: Option<String>,
    pub customer_number: Option<String>,
    pub discount_percent: Option<f64>,
    pub grouping: Option<String>,
    pub sales_channel: Option<String>,
    pub shipping_terms: Option<String>,
    pub payment_terms: Option<String>,
    pub internal_remark: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: Time,
}

impl RelationshipRow {
    /// The viewer's end of it.
    #[must_use]
    pub fn side_of(&self, company: &CompanyId) -> Side {
        if &self.requester_id == company {
            Side::Requester
        } else {
            Side::Addressee
        }
    }

    /// The viewer's role in it.
    #[must_use]
    pub fn role_of(&self, company: &CompanyId) -> PartyRole {
        if &self.supplier_id == company {
            PartyRole::Supplier
        } else {
            PartyRole::Customer
        }
    }

    /// The status with what unblocking needs to know.
    #[must_use]
    pub fn state(&self) -> RelState {
        RelState {
            status: self.status,
            blocked_by: self.blocked_by,
            status_before_block: self.status_before_block,
        }
    }

    /// The supplier's settings on the customer (never shown to the customer).
    #[must_use]
    pub fn settings(&self) -> Settings {
        Settings {
            customer_number: self.customer_number.clone(),
            discount_percent: self.discount_percent,
            grouping: self.grouping.clone(),
            sales_channel: self.sales_channel.clone(),
            shipping_terms: self.shipping_terms.clone(),
            payment_terms: self.payment_terms.clone(),
            internal_remark: self.internal_remark.clone(),
        }
    }

    /// The other company.
    #[must_use]
    pub fn partner(&self) -> CompanyOut {
        CompanyOut {
            id: self.partner_id.clone(),
            name: self.partner_name.clone(),
            handle: self.partner_handle.clone(),
            created_at: self.partner_created_at,
        }
    }
}

/// Rows seen from company `?1`, with the partner's directory entry.
const SELECT_FOR: &str = "SELECT r.id, r.requester_id, r.addressee_id, r.supplier_id, \
     r.customer_id, r.status, r.blocked_by, r.status_before_block, r.services, r.message, \
     r.reject_reason, r.customer_number, r.discount_percent, r.grouping, r.sales_channel, \
     r.shipping_terms, r.payment_terms, r.internal_remark, r.created_at, r.updated_at, \
     c.id AS partner_id, c.name AS partner_name, \
     c.handle AS partner_handle, c.created_at AS partner_created_at \
     FROM relationships r JOIN companies c \
       ON c.id = CASE WHEN r.requester_id = ?1 THEN r.addressee_id ELSE r.requester_id END \
     WHERE (r.requester_id = ?1 OR r.addressee_id = ?1)";

/// The relationship `id` if the viewer is a party to it.
///
/// # Errors
/// A database error.
pub async fn load(
    db: &Db,
    viewer: &CompanyId,
    id: &RelationshipId,
) -> Result<Option<RelationshipRow>> {
    db.first(&format!("{SELECT_FOR} AND r.id = ?2"), &[viewer, id])
        .await
}

/// The relationship between the viewer and `partner`, if any.
///
/// # Errors
/// A database error.
pub async fn between(
    db: &Db,
    viewer: &CompanyId,
    partner: &CompanyId,
) -> Result<Option<RelationshipRow>> {
    db.first(
        &format!("{SELECT_FOR} AND r.pair_key = ?2"),
        &[viewer, &pair_key(viewer, partner)],
    )
    .await
}

/// A page of the viewer's relationships, newest first.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    viewer: &CompanyId,
    status: Option<RelationshipStatus>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<RelationshipRow>> {
    db.all(
        &format!(
            "{SELECT_FOR} AND (?2 IS NULL OR r.status = ?2) AND (?3 IS NULL OR r.id < ?3) \
             ORDER BY r.id DESC LIMIT ?4"
        ),
        &[
            viewer,
            &status.map(RelationshipStatus::as_str),
            &before,
            &fetch,
        ],
    )
    .await
}

/// How many of the viewer's relationships have each status, and how many of the requested
/// ones were asked of it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RelationshipCounts {
    pub requested: u64,
    pub incoming_requests: u64,
    pub active: u64,
    pub rejected: u64,
    pub blocked: u64,
}

/// The viewer's [`RelationshipCounts`].
///
/// # Errors
/// A database error.
pub async fn counts(db: &Db, viewer: &CompanyId) -> Result<RelationshipCounts> {
    #[derive(Deserialize)]
    struct Row {
        status: RelationshipStatus,
        incoming: bool,
        n: u64,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT status, (addressee_id = ?1) AS incoming, COUNT(*) AS n FROM relationships \
             WHERE requester_id = ?1 OR addressee_id = ?1 GROUP BY status, incoming",
            &[viewer],
        )
        .await?;
    let mut c = RelationshipCounts::default();
    for row in rows {
        match row.status {
            RelationshipStatus::Requested => {
                c.requested += row.n;
                if row.incoming {
                    c.incoming_requests += row.n;
                }
            }
            RelationshipStatus::Active => c.active += row.n,
            RelationshipStatus::Rejected => c.rejected += row.n,
            RelationshipStatus::Blocked => c.blocked += row.n,
        }
    }
    Ok(c)
}

/// What a new relationship row holds.
pub struct NewRelationship<'a> {
    pub id: &'a RelationshipId,
    pub requester: &'a CompanyId,
    pub addressee: &'a CompanyId,
    pub requester_role: PartyRole,
    pub status: RelationshipStatus,
    pub services: &'a Services,
    pub message: Option<&'a str>,
    pub settings: &'a Settings,
    pub now: Time,
}

/// The insert of a new relationship (fails on [`PAIR_TAKEN`] when the pair has one).
#[must_use]
pub fn insert_stmt(r: &NewRelationship<'_>) -> Statement {
    let (supplier, customer) = match r.requester_role {
        PartyRole::Supplier => (r.requester, r.addressee),
        PartyRole::Customer => (r.addressee, r.requester),
    };
    let s = r.settings;
    Statement::new(
        "INSERT INTO relationships (id, pair_key, requester_id, addressee_id, supplier_id, \
         customer_id, status, services, message, customer_number, discount_percent, grouping, \
         sales_channel, shipping_terms, payment_terms, internal_remark, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
        &[
            r.id,
            &pair_key(r.requester, r.addressee),
            r.requester,
            r.addressee,
            supplier,
            customer,
            &r.status.as_str(),
            &r.services.to_json_string(),
            &r.message,
            &s.customer_number,
            &s.discount_percent,
            &s.grouping,
            &s.sales_channel,
            &s.shipping_terms,
            &s.payment_terms,
            &s.internal_remark,
            &r.now,
        ],
    )
}

/// A rejected relationship asked for anew by `me`, who becomes the requester (guarded: only
/// while it is still rejected).
#[must_use]
pub fn reopen_stmt(
    id: &RelationshipId,
    me: &CompanyId,
    partner: &CompanyId,
    my_role: PartyRole,
    services: &Services,
    message: Option<&str>,
    now: Time,
) -> Statement {
    let (supplier, customer) = match my_role {
        PartyRole::Supplier => (me, partner),
        PartyRole::Customer => (partner, me),
    };
    Statement::new(
        "UPDATE relationships SET requester_id = ?1, addressee_id = ?2, supplier_id = ?3, \
         customer_id = ?4, status = 'requested', services = ?5, message = ?6, \
         reject_reason = NULL, blocked_by = NULL, status_before_block = NULL, updated_at = ?7 \
         WHERE id = ?8 AND status = 'rejected'",
        &[
            me,
            partner,
            supplier,
            customer,
            &services.to_json_string(),
            &message,
            &now,
            id,
        ],
    )
}

/// Stores changed services and settings, while the row is as it was read (`read_at` is its
/// `updated_at` then).
#[must_use]
pub fn update_stmt(
    id: &RelationshipId,
    services: &Services,
    settings: &Settings,
    read_at: Time,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE relationships SET services = ?1, customer_number = ?2, discount_percent = ?3, \
         grouping = ?4, sales_channel = ?5, shipping_terms = ?6, payment_terms = ?7, \
         internal_remark = ?8, updated_at = ?9 WHERE id = ?10 AND updated_at = ?11",
        &[
            &services.to_json_string(),
            &settings.customer_number,
            &settings.discount_percent,
            &settings.grouping,
            &settings.sales_channel,
            &settings.shipping_terms,
            &settings.payment_terms,
            &settings.internal_remark,
            &now,
            id,
            &read_at,
        ],
    )
}

/// Moves a relationship to `next` while it is still at `from` (approve, reject, block,
/// unblock); `reason` is kept on a rejection.
#[must_use]
pub fn decide_stmt(
    id: &RelationshipId,
    from: RelationshipStatus,
    next: &RelState,
    services: &Services,
    reason: Option<&str>,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE relationships SET status = ?1, blocked_by = ?2, status_before_block = ?3, \
         services = ?4, reject_reason = CASE WHEN ?1 = 'rejected' THEN ?5 ELSE reject_reason END, \
         updated_at = ?6 WHERE id = ?7 AND status = ?8",
        &[
            &next.status.as_str(),
            &next.blocked_by.map(Side::as_str),
            &next.status_before_block.map(RelationshipStatus::as_str),
            &services.to_json_string(),
            &reason,
            &now,
            id,
            &from.as_str(),
        ],
    )
}

/// The outbox insert of an event about the change of relationship `id` made at `now` earlier in
/// the same batch: only when that change happened (the row then carries `now`), so a guarded
/// change that found the relationship changed meanwhile leaves no event behind.
#[must_use]
pub fn event_stmt(event: &crate::event::Event, id: &RelationshipId, now: Time) -> Statement {
    Statement::new(
        "INSERT INTO events (id, type, company_id, data, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS \
         (SELECT 1 FROM relationships WHERE id = ?6 AND updated_at = ?7)",
        &[
            &event.id,
            &event.kind,
            &event.company_id,
            &event.data.to_string(),
            &event.created_at,
            id,
            &now,
        ],
    )
}

/// The relationship between two companies, as the service workers need it.
#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    pub id: RelationshipId,
    pub status: RelationshipStatus,
    pub services: Json<Services>,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    /// The supplier's number for the customer (stamped on the customer's documents).
    pub customer_number: Option<String>,
}

impl Link {
    /// Checks that `service` may be used over this relationship now.
    ///
    /// # Errors
    /// 403 `relationship_blocked`; 409 `relationship_not_active` unless active; 409
    /// `service_not_enabled` when the service is not switched on.
    pub fn require_service(&self, service: Service) -> Result<()> {
        require_active(self.status)?;
        require_enabled(&self.services.0, service)
    }
}

/// The relationship between `me` and `partner`, if there is one.
///
/// # Errors
/// A database error.
pub async fn link(db: &Db, me: &CompanyId, partner: &CompanyId) -> Result<Option<Link>> {
    db.first(
        "SELECT id, status, services, supplier_id, customer_id, customer_number \
         FROM relationships WHERE pair_key = ?1",
        &[&pair_key(me, partner)],
    )
    .await
}

/// The relationship between `me` and `partner`, which must allow `service` now.
///
/// # Errors
/// As [`Link::require_service`]; 409 `relationship_not_active` when there is none.
pub async fn require_service(
    db: &Db,
    me: &CompanyId,
    partner: &CompanyId,
    service: Service,
) -> Result<Link> {
    require_link(link(db, me, partner).await?, service)
}

/// A relationship found with a partner, which must allow `service` now.
///
/// # Errors
/// As [`require_service`].
pub fn require_link(link: Option<Link>, service: Service) -> Result<Link> {
    let link = link.ok_or_else(|| not_active("there is no relationship with this partner"))?;
    link.require_service(service)?;
    Ok(link)
}

/// [`Link::require_service`] on a relationship's `status` and `services` read along with
/// another row.
///
/// # Errors
/// As [`Link::require_service`].
pub fn require_stored_service(
    status: RelationshipStatus,
    services: &Services,
    service: Service,
) -> Result<()> {
    require_active(status)?;
    require_enabled(services, service)
}

fn require_enabled(services: &Services, service: Service) -> Result<()> {
    if services.get(service) == ServiceState::Enabled {
        Ok(())
    } else {
        Err(Error::conflict(
            "service_not_enabled",
            format!("the {service} service is not enabled for this relationship"),
        ))
    }
}

/// Refuses a relationship that is not active: blocked is a 403, the rest a 409.
///
/// # Errors
/// 403 `relationship_blocked`, 409 `relationship_not_active`.
pub fn require_active(status: RelationshipStatus) -> Result<()> {
    match status {
        RelationshipStatus::Active => Ok(()),
        RelationshipStatus::Blocked => Err(Error::forbidden(
            "relationship_blocked",
            "the relationship with this partner is blocked",
        )),
        RelationshipStatus::Rejected => Err(not_active(
            "the relationship was rejected; request it again first",
        )),
        RelationshipStatus::Requested => Err(not_active(
            "the relationship request is still open; it must be approved first",
        )),
    }
}

fn not_active(detail: &str) -> Error {
    Error::conflict("relationship_not_active", detail)
}

/// The row of [`PartnerNamed::link_stmt`].
#[derive(Deserialize)]
pub struct PartnerLinkRow {
    id: CompanyId,
    name: String,
    handle: String,
    created_at: Time,
    link_id: Option<RelationshipId>,
    link_status: Option<RelationshipStatus>,
    link_services: Option<Json<Services>>,
    link_supplier_id: Option<CompanyId>,
    link_customer_id: Option<CompanyId>,
    link_customer_number: Option<String>,
}

impl PartnerLinkRow {
    /// The named company's id.
    #[must_use]
    pub fn company_id(&self) -> &CompanyId {
        &self.id
    }
}

/// The partner named by a request field (`field`: a company id or a handle, not the caller's
/// own company), and the relationship with it, in one round trip.
///
/// # Errors
/// 422 naming `field` when no company has this id or handle, or it is the caller's own.
pub async fn partner_link(
    db: &Db,
    me: &CompanyId,
    field: &str,
    text: &str,
) -> Result<(CompanyOut, Option<Link>)> {
    let named = PartnerNamed::parse(field, text)?;
    let row = db.first_of(named.link_stmt(me)).await?;
    named.link_of(me, row)
}

/// A partner as a request names it: by company id (`co_…`) or by handle.
#[derive(Debug, Clone)]
pub struct PartnerNamed {
    field: String,
    /// `c.id = ?2` or `c.handle = ?2`, over `companies c`.
    pub(crate) condition: &'static str,
    /// The id or handle, bound as `?2`.
    pub(crate) key: String,
}

impl PartnerNamed {
    /// Reads `text` of the request field `field`.
    ///
    /// # Errors
    /// 422 naming `field` for a malformed id or handle.
    pub fn parse(field: &str, text: &str) -> Result<PartnerNamed> {
        let text = text.trim();
        let (condition, key) = if text.starts_with("co_") {
            (
                "c.id = ?2",
                CompanyId::parse_field(field, text)?.to_string(),
            )
        } else {
            ("c.handle = ?2", validate::handle(field, text)?)
        };
        Ok(PartnerNamed {
            field: field.to_owned(),
            condition,
            key,
        })
    }

    /// The query of [`partner_link`], for a batch; its row goes to [`PartnerNamed::link_of`].
    #[must_use]
    pub fn link_stmt(&self, me: &CompanyId) -> Statement {
        // The pair key as relationship::pair_key makes it: the two ids sorted, joined by ':'.
        Statement::new(
            format!(
                "SELECT c.id, c.name, c.handle, c.created_at, r.id AS link_id, \
                 r.status AS link_status, r.services AS link_services, \
                 r.supplier_id AS link_supplier_id, r.customer_id AS link_customer_id, \
                 r.customer_number AS link_customer_number \
                 FROM companies c LEFT JOIN relationships r ON r.pair_key = \
                 CASE WHEN c.id < ?1 THEN c.id || ':' || ?1 ELSE ?1 || ':' || c.id END \
                 WHERE {}",
                self.condition
            ),
            &[me, &self.key],
        )
    }

    /// The partner and the relationship from the row of [`PartnerNamed::link_stmt`].
    ///
    /// # Errors
    /// 422 naming the field when no company has this id or handle, or it is `me`.
    pub fn link_of(
        &self,
        me: &CompanyId,
        row: Option<PartnerLinkRow>,
    ) -> Result<(CompanyOut, Option<Link>)> {
        let field = self.field.as_str();
        let row = row.ok_or_else(|| Error::invalid(field, "no company has this id or handle"))?;
        if &row.id == me {
            return Err(Error::invalid(field, "is your own company"));
        }
        let link = match (
            row.link_id,
            row.link_status,
            row.link_services,
            row.link_supplier_id,
            row.link_customer_id,
        ) {
            (Some(id), Some(status), Some(services), Some(supplier_id), Some(customer_id)) => {
                Some(Link {
                    id,
                    status,
                    services,
                    supplier_id,
                    customer_id,
                    customer_number: row.link_customer_number,
                })
            }
            _ => None,
        };
        let partner = CompanyOut {
            id: row.id,
            name: row.name,
            handle: row.handle,
            created_at: row.created_at,
        };
        Ok((partner, link))
    }
}

/// The id and status of the relationship between the viewer and another company, if any (the
/// directory's detail page).
///
/// # Errors
/// A database error.
pub async fn summary_between(
    db: &Db,
    viewer: &CompanyId,
    other: &CompanyId,
) -> Result<Option<(RelationshipId, RelationshipStatus)>> {
    #[derive(Deserialize)]
    struct Row {
        id: RelationshipId,
        status: RelationshipStatus,
    }
    let row: Option<Row> = db
        .first(
            "SELECT id, status FROM relationships WHERE pair_key = ?1",
            &[&pair_key(viewer, other)],
        )
        .await?;
    Ok(row.map(|r| (r.id, r.status)))
}
