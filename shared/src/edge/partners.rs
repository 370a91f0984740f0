//! The partner company named in a request, and the relationship with it: whether a service may
//! be used between the caller's company and the partner right now.

use serde::{Deserialize, Serialize};

use super::db::Db;
use crate::ids::{CompanyId, RelationshipId};
use crate::relationship::{self, RelationshipStatus, Service, ServiceState, Services};
use crate::{validate, Error, Result};

/// A company as another company sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompanyOut {
    pub id: CompanyId,
    pub name: String,
    pub handle: String,
    pub created_at: String,
}

#[derive(Deserialize)]
struct PartnerLinkRow {
    id: CompanyId,
    name: String,
    handle: String,
    created_at: String,
    link_id: Option<RelationshipId>,
    link_status: Option<String>,
    link_services: Option<String>,
    link_supplier_id: Option<CompanyId>,
    link_customer_id: Option<CompanyId>,
    link_customer_number: Option<String>,
}

/// The partner named by a request field (`field`: a company id or a handle, not the caller's
/// own company), and the relationship with it ([`link`]), in one round trip.
///
/// # Errors
/// 422 naming `field` when no company has this id or handle, or it is the caller's own;
/// internal error when the stored relationship is unreadable.
pub async fn find_partner_link(
    db: &Db,
    me: &CompanyId,
    field: &str,
    text: &str,
) -> Result<(CompanyOut, Option<Link>)> {
    let text = text.trim();
    let (condition, key) = if text.starts_with("co_") {
        (
            "c.id = ?2",
            CompanyId::parse_field(field, text)?.to_string(),
        )
    } else {
        ("c.handle = ?2", validate::handle(field, text)?)
    };
    // The pair key as relationship::pair_key makes it: the two ids sorted, joined by ':'.
    let row: Option<PartnerLinkRow> = db
        .first(
            &format!(
                "SELECT c.id, c.name, c.handle, c.created_at, r.id AS link_id, \
                 r.status AS link_status, r.services AS link_services, \
                 r.supplier_id AS link_supplier_id, r.customer_id AS link_customer_id, \
                 r.customer_number AS link_customer_number \
                 FROM companies c LEFT JOIN relationships r ON r.pair_key = \
                 CASE WHEN c.id < ?1 THEN c.id || ':' || ?1 ELSE ?1 || ':' || c.id END \
                 WHERE {condition}"
            ),
            &[me, &key],
        )
        .await?;
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
                status: RelationshipStatus::parse("status", &status)
                    .map_err(|_| Error::internal("stored relationship status unknown"))?,
                services: Services::from_json_str(&services)?,
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

/// The relationship between two companies, as the service workers need it.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: RelationshipId,
    pub status: RelationshipStatus,
    pub services: Services,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    /// The supplier's number for the customer (stamped on the customer's documents).
    pub customer_number: Option<String>,
}

#[derive(Deserialize)]
struct LinkRow {
    id: RelationshipId,
    status: String,
    services: String,
    supplier_id: CompanyId,
    customer_id: CompanyId,
    customer_number: Option<String>,
}

/// The relationship between `me` and `partner`, if there is one.
///
/// # Errors
/// Internal error when D1 fails or the stored row is unreadable.
pub async fn link(db: &Db, me: &CompanyId, partner: &CompanyId) -> Result<Option<Link>> {
    let row: Option<LinkRow> = db
        .first(
            "SELECT id, status, services, supplier_id, customer_id, customer_number \
             FROM relationships WHERE pair_key = ?1",
            &[&relationship::pair_key(me, partner)],
        )
        .await?;
    row.map(|r| {
        Ok(Link {
            status: RelationshipStatus::parse("status", &r.status)
                .map_err(|_| Error::internal("stored relationship status unknown"))?,
            services: Services::from_json_str(&r.services)?,
            id: r.id,
            supplier_id: r.supplier_id,
            customer_id: r.customer_id,
            customer_number: r.customer_number,
        })
    })
    .transpose()
}

impl Link {
    /// Checks that `service` may be used over this relationship now.
    ///
    /// # Errors
    /// 403 `relationship_blocked`; 409 `relationship_not_active` unless active; 409
    /// `service_not_enabled` when the service is not switched on.
    pub fn require_service(&self, service: Service) -> Result<()> {
        require_active(self.status)?;
        require_enabled(&self.services, service)
    }
}

/// [`Link::require_service`] on a relationship's stored `status` and `services` columns, for a
/// handler that read them along with its own row instead of through [`link`].
///
/// # Errors
/// As [`Link::require_service`]; internal error when the stored text is unreadable.
pub fn require_stored_service(status: &str, services: &str, service: Service) -> Result<()> {
    let status = RelationshipStatus::parse("status", status)
        .map_err(|_| Error::internal("stored relationship status unknown"))?;
    require_active(status)?;
    require_enabled(&Services::from_json_str(services)?, service)
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

/// The relationship found with a partner ([`find_partner_link`]), which must allow `service` now.
///
/// # Errors
/// As [`require_service`].
pub fn require_link(link: Option<Link>, service: Service) -> Result<Link> {
    let link = link.ok_or_else(|| not_active("there is no relationship with this partner"))?;
    link.require_service(service)?;
    Ok(link)
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
