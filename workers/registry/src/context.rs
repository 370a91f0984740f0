//! What a handler works with: the request, the environment, the database, the time of the
//! request, and the caller once authenticated.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use shared::edge::{self, auth, db::Db};
use shared::ids::{SessionId, UserId};
use shared::permissions::{Principal, PrincipalKind};
use shared::time::Timestamp;
use shared::token::TokenIssuer;
use shared::{Error, Result};
use worker::{Env, Request};

pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub db: Db,
    pub now: Timestamp,
}

#[derive(Deserialize)]
struct LiveRow {
    status: String,
    revoked_at: Option<String>,
}

impl Ctx {
    pub fn new(req: Request, env: Env) -> Result<Ctx> {
        let db = Db::from_env(&env)?;
        Ok(Ctx {
            req,
            env,
            db,
            now: shared::time::now(),
        })
    }

    /// The authenticated caller. Unlike the other workers, the registry also checks that a
    /// person's session was not revoked and the access not disabled, so logout and disabling
    /// take effect here at once (elsewhere within the token's 15 minutes).
    ///
    /// # Errors
    /// 401 for missing, invalid, expired or revoked credentials.
    pub async fn principal(&self) -> Result<Principal> {
        let principal = self.credentials().await?;
        if principal.kind == PrincipalKind::User {
            self.check_live(principal.user_id.as_ref(), principal.session_id.as_ref())
                .await?;
        }
        Ok(principal)
    }

    /// The caller as the credentials say, without the liveness check of [`Ctx::principal`]:
    /// for handlers that check liveness in their own query.
    ///
    /// # Errors
    /// 401 for missing, invalid or expired credentials.
    pub async fn credentials(&self) -> Result<Principal> {
        auth::authenticate(&self.req, &self.env, &self.db, self.now).await
    }

    async fn check_live(&self, user: Option<&UserId>, session: Option<&SessionId>) -> Result<()> {
        let (Some(user), Some(session)) = (user, session) else {
            return Err(revoked());
        };
        let row: Option<LiveRow> = self
            .db
            .first(
                "SELECT u.status, s.revoked_at FROM users u JOIN sessions s ON s.user_id = u.id \
                 WHERE u.id = ?1 AND s.id = ?2",
                &[user, session],
            )
            .await?;
        match row {
            Some(r) if r.status == "active" && r.revoked_at.is_none() => Ok(()),
            _ => Err(revoked()),
        }
    }

    /// Reads the JSON body.
    ///
    /// # Errors
    /// 400/413/415/422 as [`edge::read_json`].
    pub async fn body<T: DeserializeOwned>(&mut self) -> Result<T> {
        edge::read_json(&mut self.req).await
    }

    pub fn query(&self, name: &str) -> Option<String> {
        edge::query(&self.req, name)
    }

    /// The base URL links in mails point to.
    pub fn public_url(&self) -> String {
        edge::setting(&self.env, "PUBLIC_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:8787".to_owned())
            .trim_end_matches('/')
            .to_owned()
    }

    /// The secret mixed into every password hash.
    pub fn pepper(&self) -> Result<Vec<u8>> {
        use base64::Engine;
        let text = edge::setting(&self.env, "PEPPER")?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| Error::internal("PEPPER is not base64url"))
    }

    /// The signer of access tokens.
    pub fn issuer(&self) -> Result<TokenIssuer> {
        TokenIssuer::from_seed(
            &edge::setting(&self.env, "JWT_SIGNING_KEY")?,
            &edge::setting(&self.env, "JWT_KID")?,
        )
    }

    /// A numeric setting with a default.
    pub fn number(&self, name: &str, default: u32) -> u32 {
        edge::setting(&self.env, name)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    }

    /// The client's address as Cloudflare reports it.
    pub fn client_address(&self) -> String {
        edge::header(&self.req, "cf-connecting-ip").unwrap_or_else(|| "unknown".to_owned())
    }
}

pub fn revoked() -> Error {
    Error::unauthenticated("token_invalid", "the session has ended; log in again")
}
