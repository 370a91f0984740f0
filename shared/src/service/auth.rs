//! Who is calling: a person with an access token (verified with the public keys alone) or a
//! machine with an API key (one database lookup of its SHA-256).

use std::cell::RefCell;

use super::Cx;
use crate::data::{api_keys, users};
use crate::permissions::{Principal, PrincipalKind};
use crate::token::VerifiedTokens;
use crate::{Error, Result};

thread_local! {
    /// Tokens this isolate has verified (a worker isolate runs one request at a time per thread).
    static VERIFIED: RefCell<VerifiedTokens> = RefCell::new(VerifiedTokens::new());
}

/// The bearer credential of a request.
///
/// # Errors
/// 401 `unauthenticated` when there is none.
pub fn bearer(cx: &Cx) -> Result<String> {
    let value = cx.header("authorization").unwrap_or_default();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return Err(Error::unauthenticated(
            "unauthenticated",
            "send Authorization: Bearer <access token or API key>",
        ));
    }
    Ok(token.to_owned())
}

/// Authenticates the caller of a request from the credentials alone (a revoked session keeps
/// working here until its access token expires; see [`check_live`]).
///
/// # Errors
/// 401 with `unauthenticated`, `token_invalid`, `token_expired` or `api_key_invalid`.
pub async fn authenticate(cx: &Cx) -> Result<Principal> {
    let token = bearer(cx)?;
    if token.starts_with(crate::secrets::API_KEY_PREFIX) {
        return api_keys::principal(&cx.db, &token, cx.now)
            .await?
            .ok_or_else(|| {
                Error::unauthenticated("api_key_invalid", "the API key is unknown or was revoked")
            });
    }
    let jwks = cx.setting("JWT_PUBLIC_KEYS")?;
    let claims = VERIFIED.with(|cache| cache.borrow_mut().verify(&jwks, &token, cx.now))?;
    Ok(Principal {
        kind: PrincipalKind::User,
        user_id: Some(claims.sub),
        api_key_id: None,
        company_id: claims.cid,
        role: claims.role,
        permissions: claims.perms,
        session_id: Some(claims.sid),
    })
}

/// Checks that a person's session was not revoked and the access not disabled, so logout and
/// disabling take effect at once (the registry's workers do this on every request).
///
/// # Errors
/// 401 `token_invalid` for an ended session or a disabled access.
pub async fn check_live(cx: &Cx, me: &Principal) -> Result<()> {
    if me.kind != PrincipalKind::User {
        return Ok(());
    }
    let (Some(user), Some(session)) = (&me.user_id, &me.session_id) else {
        return Err(revoked());
    };
    if users::session_live(&cx.db, user, session).await? {
        Ok(())
    } else {
        Err(revoked())
    }
}

/// The 401 for a session that has ended.
#[must_use]
pub fn revoked() -> Error {
    Error::unauthenticated("token_invalid", "the session has ended; log in again")
}
