//! `/v1/company`: the caller's company profile (admins change it), its logo; and
//! `/v1/profiles/{id}` and `…/logo`: what another company shows of itself, with what
//! tells the viewer who is who.
//!
//! Who sees what: the name, handle, legal name, VAT id (with its format checked), the verified
//! domain and the party identifiers are for anyone signed in (they are what a directory entry
//! and a relationship request are judged by); the addresses, branches and the logo only for the
//! company itself and its partners (a relationship that is not rejected).

use shared::data::pending;
use shared::data::profiles::{self, Logo, ProfileChange, ProfileRow};
use shared::ids::CompanyId;
use shared::permissions::Principal;
use shared::profile::{self, Places};
use shared::service::store::{self, StoredFile};
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::{ChallengeOut, LookalikeOut, ProfileIn, ProfileOut};

/// The largest logo.
pub const MAX_LOGO_BYTES: u64 = 256 * 1024;
/// The image types a logo may have (no SVG: it could carry script).
pub const LOGO_TYPES: &[&str] = &["image/png", "image/jpeg", "image/webp"];

/// Whether the viewer deals with the company (a relationship that is not rejected).
fn is_partner(row: &ProfileRow) -> bool {
    matches!(
        row.relationship.as_deref(),
        Some("requested" | "active" | "blocked")
    )
}

/// The profile as `viewer` may see it.
fn out(row: ProfileRow, me: &Principal, lookalikes: Vec<LookalikeOut>) -> ProfileOut {
    let own = row.id == me.company_id;
    let verified = match (&row.verified_domain, row.admin_email.as_deref()) {
        (Some(domain), _) => Some((domain.clone(), "dns")),
        (None, Some(email)) => profile::company_domain(email).map(|d| (d, "email")),
        (None, None) => None,
    };
    let places = (own || is_partner(&row)).then(|| row.places.0.clone());
    ProfileOut {
        vat_id_format_valid: row.vat_id.as_deref().map(profile::vat_format_valid),
        verified_domain: verified.clone().map(|(domain, _)| domain),
        domain_proof: verified.map(|(_, how)| how),
        domain_challenge: own.then(|| challenge(&row)).flatten(),
        logo: row
            .logo_key
            .is_some()
            .then(|| format!("/v1/profiles/{}/logo", row.id)),
        listed: own.then_some(row.listed),
        identifiers: row.places.0.identifiers.clone(),
        places: places.map(|p| Places {
            identifiers: Vec::new(),
            ..p
        }),
        id: row.id,
        name: row.name,
        handle: row.handle,
        legal_name: row.legal_name,
        vat_id: row.vat_id,
        relationship: row.relationship,
        resembles: lookalikes,
        updated_at: row.profile_updated_at,
        created_at: row.created_at,
    }
}

/// The TXT record a pending domain claim waits for.
pub fn challenge(row: &ProfileRow) -> Option<ChallengeOut> {
    let (domain, token, at) = (
        row.domain_claim.as_ref()?,
        row.domain_token.as_ref()?,
        row.domain_claimed_at?,
    );
    Some(ChallengeOut {
        record_name: profile::challenge_name(domain),
        record_type: "TXT",
        record_value: profile::challenge_value(token),
        domain: domain.clone(),
        claimed_at: at,
    })
}

/// The viewer's partners (other than `company`) whose names closely resemble its name.
async fn lookalikes(
    cx: &Cx,
    me: &Principal,
    company: &CompanyId,
    name: &str,
) -> Result<Vec<LookalikeOut>> {
    if *company == me.company_id {
        return Ok(Vec::new());
    }
    Ok(profiles::partners(&cx.db, &me.company_id)
        .await?
        .into_iter()
        .filter(|p| p.id != *company && profile::resembles(&p.name, name))
        .map(|p| LookalikeOut {
            id: p.id,
            name: p.name,
            handle: p.handle,
        })
        .collect())
}

/// The caller's own company as stored (it must exist).
async fn own_row(cx: &Cx, me: &Principal) -> Result<ProfileRow> {
    profiles::get(&cx.db, &me.company_id, &me.company_id)
        .await?
        .ok_or_else(|| Error::internal("the caller's company is missing"))
}

async fn read(cx: &Cx, me: &Principal, company: &CompanyId) -> Result<ProfileOut> {
    let row = profiles::get(&cx.db, &me.company_id, company)
        .await?
        .ok_or(Error::not_found("company"))?;
    let similar = lookalikes(cx, me, company, &row.name).await?;
    Ok(out(row, me, similar))
}

/// The caller's own profile, in full.
pub async fn own_profile(cx: &Cx, me: &Principal) -> Result<ProfileOut> {
    read(cx, me, &me.company_id).await
}

/// `GET /v1/company`: the caller's own profile, in full.
pub async fn get_own(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    Reply::json(200, &own_profile(cx, &me).await?)
}

/// `GET /v1/profiles/{id}`.
pub async fn get_profile(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = CompanyId::parse(cx.param("id"))?;
    Reply::json(200, &read(cx, &me, &id).await?)
}

/// `PATCH /v1/company` (admins): the fields given replace what was there; `null` clears the
/// legal name, VAT id or billing address.
pub async fn update_own(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let input: ProfileIn = cx.body().await?;
    let current = own_row(cx, &me).await?;
    let legal_name = match &input.legal_name {
        Some(name) => validate::optional_text("legal_name", name.as_deref(), 200)?,
        None => current.legal_name.clone(),
    };
    let vat_id = match &input.vat_id {
        Some(Some(text)) => {
            let vat = profile::normalise_vat_id(text);
            if vat.len() < 4 || vat.len() > 20 || !vat.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::invalid(
                    "vat_id",
                    "must be a VAT id with its country prefix, such as DE123456789",
                ));
            }
            Some(vat)
        }
        Some(None) => None,
        None => current.vat_id.clone(),
    };
    let mut places = current.places.0.clone();
    if let Some(billing) = input.billing_address {
        places.billing_address = billing;
    }
    if let Some(list) = input.delivery_addresses {
        places.delivery_addresses = list;
    }
    if let Some(list) = input.branches {
        places.branches = list;
    }
    if let Some(list) = input.identifiers {
        places.identifiers = list;
    }
    let places = profile::check_places(&places)?;
    cx.db
        .run_of(profiles::update_stmt(
            &me.company_id,
            &ProfileChange {
                legal_name: legal_name.as_deref(),
                vat_id: vat_id.as_deref(),
                listed: input.listed.unwrap_or(current.listed),
                places: &places,
                now: Time(cx.now),
            },
        ))
        .await?;
    Reply::json(200, &read(cx, &me, &me.company_id).await?)
}

/// `PUT /v1/company/logo` (admins): the raw image (PNG, JPEG or WebP, at most 256 KiB) replaces
/// the logo.
pub async fn put_logo(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let content_type = cx
        .header("content-type")
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !LOGO_TYPES.contains(&content_type.as_str()) {
        return Err(Error::UnsupportedMediaType {
            detail: format!("a logo is one of {}", LOGO_TYPES.join(", ")),
        });
    }
    let length = store::content_length(cx, MAX_LOGO_BYTES, "a logo is at most 256 KiB")?;
    let current = own_row(cx, &me).await?;
    let key = format!("{}/logo/{}", me.company_id, shared::ids::new_body(cx.now)?);
    let tap = store::receive(cx, &key, length, MAX_LOGO_BYTES, false).await?;
    let sha256 = tap.borrow().hash.finish_hex();
    let logo = Logo {
        key: &key,
        content_type: &content_type,
        size: length,
        sha256: &sha256,
    };
    let stored = cx
        .db
        .batch(vec![
            profiles::logo_stmt(&me.company_id, Some(&logo), Time(cx.now)),
            pending::settle_stmt(&key),
        ])
        .await;
    if let Err(e) = stored {
        store::discard(cx, &key, &e).await;
        return Err(e);
    }
    if let Some(old) = current.logo_key {
        store::delete_quietly(cx.files()?, &old).await;
    }
    Reply::json(200, &read(cx, &me, &me.company_id).await?)
}

/// `DELETE /v1/company/logo` (admins).
pub async fn delete_logo(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let current = own_row(cx, &me).await?;
    cx.db
        .run_of(profiles::logo_stmt(&me.company_id, None, Time(cx.now)))
        .await?;
    if let Some(old) = current.logo_key {
        store::delete_quietly(cx.files()?, &old).await;
    }
    Ok(Reply::no_content())
}

/// `GET /v1/profiles/{id}/logo`: for the company itself and its partners, sandboxed like every
/// stored file.
pub async fn get_logo(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = CompanyId::parse(cx.param("id"))?;
    let row = profiles::get(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("logo"))?;
    let may = id == me.company_id || is_partner(&row);
    let (Some(key), Some(content_type), Some(size), Some(sha256), true) = (
        row.logo_key.as_deref(),
        row.logo_type.as_deref(),
        row.logo_size,
        row.logo_sha256.as_deref(),
        may,
    ) else {
        return Err(Error::not_found("logo"));
    };
    let file = StoredFile {
        key,
        size,
        sha256,
        content_type,
        filename: "logo",
    };
    Ok(store::serve(cx, &file).await?.reply())
}
