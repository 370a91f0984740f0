//! `/v1/company/domain`: a company proves it controls an e-mail domain with a DNS TXT record
//! (for a company whose admins use a free-mail address, or one that wants its own domain shown
//! rather than its admin's). The admin claims the domain and publishes
//! `_tradepost-challenge.<domain> TXT "tradepost-verification=<token>"`; the check asks a
//! DNS-over-HTTPS resolver (`DNS_RESOLVER`, Cloudflare's by default) for it.

use shared::data::profiles;
use shared::platform::OutRequest;
use shared::profile;
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::{secrets, Error, Result};

use crate::api::DomainIn;
use crate::company::{challenge, own_profile};

/// The resolver asked when `DNS_RESOLVER` is not set (its JSON API).
pub const DEFAULT_RESOLVER: &str = "https://cloudflare-dns.com/dns-query";

/// `PUT /v1/company/domain` (admins): claims a domain; the answer names the TXT record.
pub async fn claim_domain(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let input: DomainIn = cx.body().await?;
    let domain = profile::domain_name("domain", &input.domain)?;
    let token = secrets::new_secret("")?;
    cx.db
        .run_of(profiles::claim_domain_stmt(
            &me.company_id,
            &domain,
            &token,
            Time(cx.now),
        ))
        .await?;
    Reply::json(200, &own_profile(cx, &me).await?)
}

fn not_proven(detail: String) -> Error {
    Error::conflict("domain_not_proven", detail)
}

/// `POST /v1/company/domain/verify` (admins): looks the TXT record up; the domain is verified
/// once it is there.
pub async fn verify_domain(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let row = profiles::get(&cx.db, &me.company_id, &me.company_id)
        .await?
        .ok_or_else(|| Error::internal("the caller's company is missing"))?;
    let Some(wanted) = challenge(&row) else {
        return Err(Error::conflict(
            "no_domain_claim",
            "claim a domain first (PUT /v1/company/domain)",
        ));
    };
    let resolver = cx
        .env
        .settings
        .get("DNS_RESOLVER")
        .unwrap_or_else(|| DEFAULT_RESOLVER.to_owned());
    let answer = cx
        .env
        .http()?
        .fetch(OutRequest {
            method: "GET",
            url: format!("{resolver}?name={}&type=TXT", wanted.record_name),
            headers: vec![("accept".to_owned(), "application/dns-json".to_owned())],
            body: Vec::new(),
            timeout_ms: 5_000,
            keep_bytes: 64 * 1024,
        })
        .await;
    let records = match answer {
        Ok(reply) if reply.status == 200 => serde_json::from_slice(&reply.body)
            .map(|json| profile::txt_records(&json))
            .unwrap_or_default(),
        _ => {
            return Err(not_proven(
                "the DNS resolver did not answer; try again in a minute".to_owned(),
            ))
        }
    };
    if !records.contains(&wanted.record_value) {
        return Err(not_proven(format!(
            "no TXT record {} with the value {} was found yet; DNS changes can take a few \
             minutes to show",
            wanted.record_name, wanted.record_value
        )));
    }
    cx.db
        .run_of(profiles::domain_proven_stmt(
            &me.company_id,
            &wanted.domain,
            Time(cx.now),
        ))
        .await?;
    Reply::json(200, &own_profile(cx, &me).await?)
}
