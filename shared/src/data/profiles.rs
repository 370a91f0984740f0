//! A company's profile in `companies` (legal name, VAT id, directory listing, addresses and
//! identifiers, logo), and what a viewer may see of another company's: the relationship between
//! them, the verified domain, the partners whose names resemble it.

use serde::Deserialize;

use super::{Db, Statement};
use crate::ids::CompanyId;
use crate::platform::Json;
use crate::profile::Places;
use crate::time::Time;
use crate::Result;

/// A company's profile as stored, with how the viewer relates to it.
#[derive(Debug, Deserialize)]
pub struct ProfileRow {
    pub id: CompanyId,
    pub name: String,
    pub handle: String,
    pub legal_name: Option<String>,
    pub vat_id: Option<String>,
    pub listed: bool,
    pub places: Json<Places>,
    pub logo_key: Option<String>,
    pub logo_type: Option<String>,
    pub logo_size: Option<u64>,
    pub logo_sha256: Option<String>,
    pub profile_updated_at: Option<Time>,
    pub created_at: Time,
    /// The relationship's status between the viewer and this company (`None`: none, or the
    /// viewer's own).
    pub relationship: Option<String>,
    /// The confirmed address of one of its active admins (the domain proof).
    pub admin_email: Option<String>,
    /// The domain its DNS TXT record proved.
    pub verified_domain: Option<String>,
    /// The domain claimed, not proven yet (or not the proven one), with its token.
    pub domain_claim: Option<String>,
    pub domain_token: Option<String>,
    pub domain_claimed_at: Option<Time>,
}

/// The profile of `company` as `viewer` reads it.
///
/// # Errors
/// A database error.
pub async fn get(db: &Db, viewer: &CompanyId, company: &CompanyId) -> Result<Option<ProfileRow>> {
    db.first(
        "SELECT c.id, c.name, c.handle, c.legal_name, c.vat_id, c.listed, c.places, c.logo_key, \
         c.logo_type, c.logo_size, c.logo_sha256, c.profile_updated_at, c.created_at, \
         (SELECT r.status FROM relationships r WHERE r.pair_key = \
            min(?1, c.id) || ':' || max(?1, c.id) AND c.id <> ?1) AS relationship, \
         (SELECT u.email FROM users u WHERE u.company_id = c.id AND u.role = 'admin' \
            AND u.status = 'active' AND u.password_hash IS NOT NULL AND u.deleted_at IS NULL \
            ORDER BY u.created_at LIMIT 1) AS admin_email, \
         c.verified_domain, c.domain_claim, c.domain_token, c.domain_claimed_at \
         FROM companies c WHERE c.id = ?2",
        &[viewer, company],
    )
    .await
}

/// What a change of a profile sets.
pub struct ProfileChange<'a> {
    pub legal_name: Option<&'a str>,
    pub vat_id: Option<&'a str>,
    pub listed: bool,
    pub places: &'a Places,
    pub now: Time,
}

/// Stores a changed profile.
#[must_use]
pub fn update_stmt(company: &CompanyId, c: &ProfileChange<'_>) -> Statement {
    Statement::new(
        "UPDATE companies SET legal_name = ?2, vat_id = ?3, listed = ?4, places = ?5, \
         profile_updated_at = ?6 WHERE id = ?1",
        &[
            company,
            &c.legal_name,
            &c.vat_id,
            &c.listed,
            &Json(c.places),
            &c.now,
        ],
    )
}

/// A stored logo: its key in the bucket, type, size and SHA-256.
pub struct Logo<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
}

/// Sets (or with `None` clears) a company's logo.
#[must_use]
pub fn logo_stmt(company: &CompanyId, logo: Option<&Logo<'_>>, now: Time) -> Statement {
    Statement::new(
        "UPDATE companies SET logo_key = ?2, logo_type = ?3, logo_size = ?4, logo_sha256 = ?5, \
         profile_updated_at = ?6 WHERE id = ?1",
        &[
            company,
            &logo.map(|l| l.key),
            &logo.map(|l| l.content_type),
            &logo.map(|l| l.size),
            &logo.map(|l| l.sha256),
            &now,
        ],
    )
}

/// A company the viewer deals with (any relationship but a rejected one).
#[derive(Debug, Deserialize)]
pub struct Partner {
    pub id: CompanyId,
    pub name: String,
    pub handle: String,
}

/// The companies the viewer has a relationship with (requested, active or blocked).
///
/// # Errors
/// A database error.
pub async fn partners(db: &Db, viewer: &CompanyId) -> Result<Vec<Partner>> {
    db.all(
        "SELECT c.id, c.name, c.handle FROM relationships r JOIN companies c \
         ON c.id = CASE WHEN r.requester_id = ?1 THEN r.addressee_id ELSE r.requester_id END \
         WHERE (r.requester_id = ?1 OR r.addressee_id = ?1) AND r.status <> 'rejected' \
         LIMIT 1000",
        &[viewer],
    )
    .await
}

/// The company claims `domain`: the token its TXT record must carry (a new claim replaces an
/// older one; a proven domain stays proven until another is).
#[must_use]
pub fn claim_domain_stmt(company: &CompanyId, domain: &str, token: &str, now: Time) -> Statement {
    Statement::new(
        "UPDATE companies SET domain_claim = ?2, domain_token = ?3, domain_claimed_at = ?4 \
         WHERE id = ?1",
        &[company, &domain, &token, &now],
    )
}

/// The claimed domain is proven (only while it is still the claim).
#[must_use]
pub fn domain_proven_stmt(company: &CompanyId, domain: &str, now: Time) -> Statement {
    Statement::new(
        "UPDATE companies SET verified_domain = domain_claim, domain_verified_at = ?3, \
         domain_claim = NULL, domain_token = NULL, domain_claimed_at = NULL \
         WHERE id = ?1 AND domain_claim = ?2",
        &[company, &domain, &now],
    )
}
