//! Access tokens: short-lived JWTs (RFC 7519) signed with Ed25519 (`EdDSA`, RFC 8037).
//!
//! The accounts worker holds the signing seed and issues tokens; every other worker only verifies
//! them, with the public keys it reads from the JWKS. Keys are picked by `kid`, so a new key can
//! be published before it signs anything and an old one kept until its tokens have expired.
//!
//! Verification pins the algorithm to `EdDSA` (so `none`, `HS256` with the public key as a
//! secret, and every other switch is refused), checks the signature, `exp` and `nbf` with 30 s of
//! leeway for clock skew, and `iss` and `aud` exactly.
//!
//! The compact form is written and read here (three base64url parts, the signature over the
//! first two) rather than with a JWT crate: it is a few lines over `ed25519-dalek`, and the JWT
//! crates bring error and backtrace machinery that cost every worker about a tenth of its bundle.
//! The tests check it against jwt-compact, both ways.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, TimeDelta};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ids::{CompanyId, SessionId, UserId};
use crate::permissions::{Permission, Role};
use crate::time::Timestamp;
use crate::{Error, Result};

/// The `iss` of every access token.
pub const ISSUER: &str = "tradepost";
/// The `aud` of every access token.
pub const AUDIENCE: &str = "tradepost-api";
/// Lifetime of an access token: 15 minutes; the refresh token renews it.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 900;
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 30;

/// The JOSE name of the only accepted algorithm.
const ALG: &str = "EdDSA";

/// What an access token says about its bearer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user.
    pub sub: UserId,
    /// The company the user acts for.
    pub cid: CompanyId,
    /// The login session, so a revoked session can be refused before its tokens expire.
    pub sid: SessionId,
    /// The user's role at the time of issue.
    pub role: Role,
    /// The user's permissions at the time of issue.
    pub perms: Vec<Permission>,
}

/// The claims as they travel: [`AccessClaims`] plus `iss`, `aud` and the times in seconds
/// since the epoch (`iat`, `nbf`, `exp`).
#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    iss: String,
    aud: String,
    sub: UserId,
    cid: CompanyId,
    sid: SessionId,
    role: Role,
    perms: Vec<Permission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
}

/// The JOSE header as read: the algorithm and the key id (anything else is ignored).
#[derive(Deserialize)]
struct HeaderIn {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// The JOSE header as written.
#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// A fresh Ed25519 seed in unpadded base64url, for `ACCESS_TOKEN_SEED` and tests.
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn generate_seed() -> Result<String> {
    let seed: [u8; 32] = crate::random::bytes()?;
    Ok(URL_SAFE_NO_PAD.encode(seed))
}

/// Decodes base64 in either alphabet, with or without padding (key settings: also the webhook
/// keys in `webhook.rs`).
pub(crate) fn decode_base64_lenient(text: &str) -> Option<Vec<u8>> {
    let normalised: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(normalised).ok()
}

/// Signs access tokens. Holds the private key; lives in the registry only.
#[derive(Clone)]
pub struct TokenIssuer {
    key: SigningKey,
    kid: String,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// Builds the issuer from a 32-byte Ed25519 seed in base64url (padding and the standard
    /// alphabet are tolerated) and the key id published with it.
    ///
    /// # Errors
    /// An internal error (it is configuration) when the seed is not 32 bytes of base64 or the
    /// key id is empty.
    pub fn from_seed(seed_b64url: &str, kid: &str) -> Result<Self> {
        let bytes = decode_base64_lenient(seed_b64url)
            .ok_or_else(|| Error::internal("token signing seed is not base64url"))?;
        let seed: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            Error::internal(format!(
                "token signing seed must be 32 bytes, got {}",
                b.len()
            ))
        })?;
        if kid.trim().is_empty() {
            return Err(Error::internal("token signing key id is empty"));
        }
        Ok(TokenIssuer {
            key: SigningKey::from_bytes(&seed),
            kid: kid.to_owned(),
        })
    }

    /// The key id put in every token's header.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Issues an access token valid from `now` for [`ACCESS_TOKEN_TTL_SECS`].
    ///
    /// # Errors
    /// An internal error if the claims cannot be serialised (they always can).
    pub fn issue(&self, claims: &AccessClaims, now: Timestamp) -> Result<String> {
        let header = HeaderOut {
            alg: ALG,
            typ: "JWT",
            kid: &self.kid,
        };
        let t = now.timestamp();
        let wire = WireClaims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: claims.sub.clone(),
            cid: claims.cid.clone(),
            sid: claims.sid.clone(),
            role: claims.role,
            perms: claims.perms.clone(),
            iat: Some(t),
            nbf: Some(t),
            exp: Some(t + ACCESS_TOKEN_TTL_SECS),
        };
        let unwritable = |e: serde_json::Error| Error::internal(format!("writing a token: {e}"));
        let header = serde_json::to_vec(&header).map_err(unwritable)?;
        let wire = serde_json::to_vec(&wire).map_err(unwritable)?;
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(wire)
        );
        let signature = self.key.sign(signing_input.as_bytes());
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }

    /// The public half as a JSON Web Key Set, served at `/.well-known/jwks.json`:
    /// `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"…","kid":"…","use":"sig","alg":"EdDSA"}]}`.
    #[must_use]
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [jwk(&self.kid, &self.key.verifying_key())] })
    }

    /// A verifier that accepts exactly this issuer's key.
    #[must_use]
    pub fn verifier(&self) -> TokenVerifier {
        TokenVerifier {
            keys: vec![(self.kid.clone(), self.key.verifying_key())],
        }
    }
}

fn jwk(kid: &str, key: &VerifyingKey) -> serde_json::Value {
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
        "kid": kid,
        "use": "sig",
        "alg": ALG,
    })
}

/// One entry of a JWKS, as far as it matters here.
#[derive(Deserialize)]
struct JwkIn {
    kty: String,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    alg: Option<String>,
}

#[derive(Deserialize)]
struct JwksIn {
    keys: Vec<JwkIn>,
}

/// Checks access tokens against a set of public keys, chosen by `kid`.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    keys: Vec<(String, VerifyingKey)>,
}

impl TokenVerifier {
    /// Reads a JSON Web Key Set. Entries that are not Ed25519 signing keys are skipped; each
    /// Ed25519 key must carry a `kid`.
    ///
    /// # Errors
    /// An internal error (it is configuration) when the text is not a JWKS, an Ed25519 entry is
    /// malformed or lacks a `kid`, two keys share a `kid`, or no usable key is left.
    pub fn from_jwks(json: &str) -> Result<Self> {
        let set: JwksIn = serde_json::from_str(json)
            .map_err(|e| Error::internal(format!("JWKS is not readable: {e}")))?;
        let mut keys: Vec<(String, VerifyingKey)> = Vec::new();
        for entry in set.keys {
            let is_ed25519 = entry.kty == "OKP" && entry.crv.as_deref() == Some("Ed25519");
            let for_signing = entry.use_.as_deref().is_none_or(|u| u == "sig")
                && entry.alg.as_deref().is_none_or(|a| a == ALG);
            if !is_ed25519 || !for_signing {
                continue;
            }
            let kid = entry
                .kid
                .filter(|k| !k.is_empty())
                .ok_or_else(|| Error::internal("JWKS has an Ed25519 key without a kid"))?;
            let raw = entry
                .x
                .as_deref()
                .and_then(decode_base64_lenient)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| Error::internal(format!("JWKS key {kid} has no valid x")))?;
            let key = VerifyingKey::from_bytes(&raw).map_err(|e| {
                Error::internal(format!("JWKS key {kid} is not a curve point: {e}"))
            })?;
            if keys.iter().any(|(k, _)| *k == kid) {
                return Err(Error::internal(format!("JWKS has two keys with kid {kid}")));
            }
            keys.push((kid, key));
        }
        if keys.is_empty() {
            return Err(Error::internal("JWKS has no Ed25519 signing key"));
        }
        Ok(TokenVerifier { keys })
    }

    /// The key ids this verifier accepts.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(kid, _)| kid.as_str())
    }

    /// Verifies an access token at instant `now` and returns its claims.
    ///
    /// # Errors
    /// A 401 `token_expired` when the token is genuine but past `exp` (plus leeway), so the client
    /// knows to refresh; a 401 `token_invalid` for everything else: malformed, another algorithm,
    /// unknown or missing `kid`, bad signature, not yet valid, wrong `iss` or `aud`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<AccessClaims> {
        self.verify_until(token, now).map(|(claims, _)| claims)
    }

    /// As [`TokenVerifier::verify`], also giving the token's expiry.
    fn verify_until(&self, token: &str, now: Timestamp) -> Result<(AccessClaims, Timestamp)> {
        let invalid = |why: &str| Error::unauthenticated("token_invalid", why.to_owned());
        let malformed = || invalid("the access token is malformed");
        // header.payload.signature; the signature covers "header.payload".
        let (signed, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
        let (header, payload) = signed.split_once('.').ok_or_else(malformed)?;
        if payload.contains('.') {
            return Err(malformed());
        }
        let header: HeaderIn = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(malformed)?;
        if header.alg != ALG {
            return Err(invalid("the access token is not signed with EdDSA"));
        }
        let kid = header
            .kid
            .ok_or_else(|| invalid("the access token names no key"))?;
        let key = self
            .keys
            .iter()
            .find_map(|(k, key)| (*k == kid).then_some(key))
            .ok_or_else(|| invalid("the access token is signed with an unknown key"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .ok_or_else(malformed)?;
        key.verify_strict(signed.as_bytes(), &signature)
            .map_err(|_| invalid("the access token is not genuine"))?;
        let wire: WireClaims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(malformed)?;
        let t = now.timestamp();
        let exp = wire
            .exp
            .ok_or_else(|| invalid("the access token has no expiry"))?;
        if t > exp.saturating_add(LEEWAY_SECS) {
            return Err(Error::unauthenticated(
                "token_expired",
                "the access token has expired",
            ));
        }
        let nbf = wire
            .nbf
            .ok_or_else(|| invalid("the access token has no start"))?;
        if nbf > t.saturating_add(LEEWAY_SECS) {
            return Err(invalid("the access token is not valid yet"));
        }
        if wire.iss != ISSUER {
            return Err(invalid("the access token has a foreign issuer"));
        }
        if wire.aud != AUDIENCE {
            return Err(invalid("the access token is meant for another audience"));
        }
        let expires = DateTime::from_timestamp(exp, 0)
            .ok_or_else(|| invalid("the access token has no expiry"))?;
        let access = AccessClaims {
            sub: wire.sub,
            cid: wire.cid,
            sid: wire.sid,
            role: wire.role,
            perms: wire.perms,
        };
        Ok((access, expires))
    }
}

/// Tokens already verified by this isolate, so a client that sends the same token many times
/// (an ERP polling its inbox) pays for the signature check once. A hit needs the identical token
/// text, so nothing unverified is ever accepted; entries are dropped at the token's expiry (with
/// the same leeway as [`TokenVerifier::verify`]), and the whole set is cleared when it is full.
pub struct VerifiedTokens {
    jwks: String,
    verifier: Option<TokenVerifier>,
    tokens: std::collections::HashMap<String, (AccessClaims, Timestamp)>,
}

impl VerifiedTokens {
    /// How many tokens an isolate remembers at most.
    pub const CAPACITY: usize = 4096;

    /// An empty cache.
    #[must_use]
    pub fn new() -> VerifiedTokens {
        VerifiedTokens {
            jwks: String::new(),
            verifier: None,
            tokens: std::collections::HashMap::new(),
        }
    }

    /// Verifies `token` against the key set `jwks`, from memory when it was verified before.
    /// A changed key set forgets everything.
    ///
    /// # Errors
    /// As [`TokenVerifier::verify`]; an internal error for an unreadable key set.
    pub fn verify(&mut self, jwks: &str, token: &str, now: Timestamp) -> Result<AccessClaims> {
        if self.verifier.is_none() || self.jwks != jwks {
            self.verifier = Some(TokenVerifier::from_jwks(jwks)?);
            jwks.clone_into(&mut self.jwks);
            self.tokens.clear();
        }
        let leeway = TimeDelta::seconds(LEEWAY_SECS);
        if let Some((claims, expires)) = self.tokens.get(token) {
            if now <= *expires + leeway {
                return Ok(claims.clone());
            }
            self.tokens.remove(token);
            return Err(Error::unauthenticated(
                "token_expired",
                "the access token has expired",
            ));
        }
        let verifier = self
            .verifier
            .as_ref()
            .ok_or_else(|| Error::internal("no token verifier"))?;
        let (claims, expires) = verifier.verify_until(token, now)?;
        if self.tokens.len() >= Self::CAPACITY {
            self.tokens.clear();
        }
        self.tokens
            .insert(token.to_owned(), (claims.clone(), expires));
        Ok(claims)
    }

    /// How many tokens are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether no token is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwt_compact::alg::Ed25519;
    use jwt_compact::{AlgorithmExt as _, Claims, Header, UntrustedToken};
    use sha2::{Digest, Sha256};

    fn at(text: &str) -> Timestamp {
        crate::time::parse("t", text).unwrap()
    }

    fn now() -> Timestamp {
        at("2026-03-01T12:00:00Z")
    }

    fn claims() -> AccessClaims {
        AccessClaims {
            sub: UserId::parse("us_01kjmma2g0gxmsgyn6f8d6eyz4").unwrap(),
            cid: CompanyId::parse("co_01kjmma2g00w3fd6xfz9jfnvvt").unwrap(),
            sid: SessionId::parse("ses_01kjmma2g0a7smhxv27k0p7d8m").unwrap(),
            role: Role::Member,
            perms: vec![Permission::DocumentsSend, Permission::Talk],
        }
    }

    fn issuer(kid: &str) -> TokenIssuer {
        TokenIssuer::from_seed(&generate_seed().unwrap(), kid).unwrap()
    }

    fn b64(data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(data)
    }

    fn code_of(err: &Error) -> String {
        err.problem().code
    }

    fn assert_refused(verifier: &TokenVerifier, token: &str, t: Timestamp, code: &str) {
        let err = verifier.verify(token, t).unwrap_err();
        assert_eq!(err.status(), 401, "{token}");
        assert_eq!(code_of(&err), code, "{token}");
    }

    /// Signs arbitrary claims (and `iss`/`aud`) with the issuer's key, bypassing `issue`.
    fn sign_raw(issuer: &TokenIssuer, payload: &serde_json::Value) -> String {
        let mut claims = Claims::new(payload.clone());
        claims.expiration = Some(now() + TimeDelta::seconds(ACCESS_TOKEN_TTL_SECS));
        claims.not_before = Some(now());
        Ed25519
            .token(
                &Header::empty().with_key_id(issuer.kid()),
                &claims,
                &issuer.key,
            )
            .unwrap()
    }

    fn wire_json(c: &AccessClaims, iss: &str, aud: &str) -> serde_json::Value {
        let mut v = serde_json::to_value(c).unwrap();
        v["iss"] = iss.into();
        v["aud"] = aud.into();
        v
    }

    fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut block = [0u8; 64];
        block[..key.len()].copy_from_slice(key);
        let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let inner_hash = Sha256::new()
            .chain_update(&inner)
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(&outer)
            .chain_update(inner_hash)
            .finalize()
            .to_vec()
    }

    #[test]
    fn a_token_round_trips_with_its_claims() {
        let issuer = issuer("k1");
        let token = issuer.issue(&claims(), now()).unwrap();
        assert_eq!(issuer.verifier().verify(&token, now()).unwrap(), claims());
    }

    #[test]
    fn tokens_pass_between_this_and_jwt_compact_both_ways() {
        let issuer = issuer("k1");
        let ours = issuer.issue(&claims(), now()).unwrap();
        let untrusted = UntrustedToken::new(&ours).unwrap();
        let key = issuer.key.verifying_key();
        let theirs_read = Ed25519
            .validator::<serde_json::Value>(&key)
            .validate(&untrusted)
            .expect("jwt-compact accepts our token");
        assert_eq!(theirs_read.claims().custom["sub"], claims().sub.as_str());

        let theirs = sign_raw(&issuer, &wire_json(&claims(), ISSUER, AUDIENCE));
        assert_eq!(issuer.verifier().verify(&theirs, now()).unwrap(), claims());
    }

    #[test]
    fn the_token_carries_kid_iss_aud_and_times() {
        let issuer = issuer("k1");
        let token = issuer.issue(&claims(), now()).unwrap();
        let untrusted = UntrustedToken::new(&token).unwrap();
        assert_eq!(untrusted.algorithm(), "EdDSA");
        assert_eq!(untrusted.header().key_id.as_deref(), Some("k1"));
        let raw = untrusted
            .deserialize_claims_unchecked::<serde_json::Value>()
            .unwrap();
        let t = now().timestamp();
        assert_eq!(raw.custom["iss"], "tradepost");
        assert_eq!(raw.custom["aud"], "tradepost-api");
        assert_eq!(
            raw.custom["perms"],
            serde_json::json!(["documents.send", "talk"])
        );
        assert_eq!(raw.issued_at.unwrap().timestamp(), t);
        assert_eq!(raw.not_before.unwrap().timestamp(), t);
        assert_eq!(raw.expiration.unwrap().timestamp(), t + 900);
    }

    #[test]
    fn expiry_honours_the_leeway() {
        let issuer = issuer("k1");
        let verifier = issuer.verifier();
        let token = issuer.issue(&claims(), now()).unwrap();
        let just_inside = now() + TimeDelta::seconds(ACCESS_TOKEN_TTL_SECS + LEEWAY_SECS);
        assert!(verifier.verify(&token, just_inside).is_ok());
        let expired = just_inside + TimeDelta::seconds(1);
        assert_refused(&verifier, &token, expired, "token_expired");
        assert_refused(
            &verifier,
            &token,
            now() + TimeDelta::days(1),
            "token_expired",
        );
    }

    #[test]
    fn a_token_from_the_future_is_not_valid_yet() {
        let issuer = issuer("k1");
        let verifier = issuer.verifier();
        let token = issuer.issue(&claims(), now()).unwrap();
        assert!(verifier
            .verify(&token, now() - TimeDelta::seconds(LEEWAY_SECS))
            .is_ok());
        assert_refused(
            &verifier,
            &token,
            now() - TimeDelta::seconds(31),
            "token_invalid",
        );
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let issuer = issuer("k1");
        let verifier = issuer.verifier();
        let good = sign_raw(&issuer, &wire_json(&claims(), ISSUER, AUDIENCE));
        assert_eq!(verifier.verify(&good, now()).unwrap(), claims());
        for (iss, aud) in [
            (ISSUER, "tradepost-admin"),
            (ISSUER, ""),
            ("evil", AUDIENCE),
            ("Tradepost", AUDIENCE),
        ] {
            let token = sign_raw(&issuer, &wire_json(&claims(), iss, aud));
            assert_refused(&verifier, &token, now(), "token_invalid");
        }
        let mut missing = wire_json(&claims(), ISSUER, AUDIENCE);
        missing.as_object_mut().unwrap().remove("aud");
        assert_refused(
            &verifier,
            &sign_raw(&issuer, &missing),
            now(),
            "token_invalid",
        );
    }

    #[test]
    fn tokens_without_exp_or_nbf_are_refused() {
        let issuer = issuer("k1");
        let payload = wire_json(&claims(), ISSUER, AUDIENCE);
        for drop_exp in [true, false] {
            let mut c = Claims::new(payload.clone());
            c.expiration = (!drop_exp).then(|| now() + TimeDelta::seconds(60));
            c.not_before = drop_exp.then(now);
            let token = Ed25519
                .token(&Header::empty().with_key_id("k1"), &c, &issuer.key)
                .unwrap();
            assert_refused(&issuer.verifier(), &token, now(), "token_invalid");
        }
    }

    #[test]
    fn another_key_or_an_unknown_kid_is_refused() {
        let ours = issuer("k1");
        let impostor = issuer("k1");
        let token = impostor.issue(&claims(), now()).unwrap();
        assert_refused(&ours.verifier(), &token, now(), "token_invalid");

        let stranger = issuer("k9");
        let token = stranger.issue(&claims(), now()).unwrap();
        assert_refused(&ours.verifier(), &token, now(), "token_invalid");

        let no_kid = Ed25519
            .token(
                &Header::empty(),
                &Claims::new(wire_json(&claims(), ISSUER, AUDIENCE)).set_not_before(now()),
                &ours.key,
            )
            .unwrap();
        assert_refused(&ours.verifier(), &no_kid, now(), "token_invalid");
    }

    #[test]
    fn alg_none_is_refused() {
        let issuer = issuer("k1");
        let header = b64(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        let genuine = issuer.issue(&claims(), now()).unwrap();
        let payload = genuine.split('.').nth(1).unwrap();
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
            format!("{header}.{payload}.{}", genuine.split('.').nth(2).unwrap()),
        ] {
            assert_refused(&issuer.verifier(), &token, now(), "token_invalid");
        }
    }

    #[test]
    fn hs256_keyed_with_the_public_key_is_refused() {
        let issuer = issuer("k1");
        let x = issuer.jwks()["keys"][0]["x"].as_str().unwrap().to_owned();
        let header = b64(br#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#);
        let genuine = issuer.issue(&claims(), now()).unwrap();
        let payload = genuine.split('.').nth(1).unwrap();
        let signing_input = format!("{header}.{payload}");
        for key in [x.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(&x).unwrap()] {
            let mac = hmac_sha256(&key, signing_input.as_bytes());
            let token = format!("{signing_input}.{}", b64(&mac));
            assert_refused(&issuer.verifier(), &token, now(), "token_invalid");
        }
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let issuer = issuer("k1");
        let token = issuer.issue(&claims(), now()).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        payload["role"] = "admin".into();
        parts[1] = b64(payload.to_string().as_bytes());
        let forged = parts.join(".");
        assert_refused(&issuer.verifier(), &forged, now(), "token_invalid");
    }

    #[test]
    fn garbage_is_refused() {
        let verifier = issuer("k1").verifier();
        for junk in [
            "",
            "garbage",
            "a.b.c",
            "...",
            "eyJhbGciOiJFZERTQSJ9.e30.",
            "Bearer x.y.z",
            "ä.ö.ü",
        ] {
            assert_refused(&verifier, junk, now(), "token_invalid");
        }
    }

    #[test]
    fn jwks_publishes_the_public_key_in_rfc_8037_form() {
        let issuer = TokenIssuer::from_seed(&b64(&[7u8; 32]), "2026-03").unwrap();
        let jwks = issuer.jwks();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "OKP");
        assert_eq!(key["crv"], "Ed25519");
        assert_eq!(key["kid"], "2026-03");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["alg"], "EdDSA");
        let x = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
        assert_eq!(
            x,
            SigningKey::from_bytes(&[7u8; 32])
                .verifying_key()
                .as_bytes()
        );
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        assert!(!jwks.to_string().contains("\"d\""), "no private part");
    }

    #[test]
    fn a_verifier_from_jwks_accepts_every_published_key() {
        let old = issuer("2026-01");
        let new = issuer("2026-03");
        let mut keys = old.jwks()["keys"].as_array().unwrap().clone();
        keys.extend(new.jwks()["keys"].as_array().unwrap().iter().cloned());
        keys.push(serde_json::json!({"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB"}));
        let jwks = serde_json::json!({ "keys": keys }).to_string();
        let verifier = TokenVerifier::from_jwks(&jwks).unwrap();
        assert_eq!(verifier.kids().collect::<Vec<_>>(), ["2026-01", "2026-03"]);
        for issuer in [&old, &new] {
            let token = issuer.issue(&claims(), now()).unwrap();
            assert_eq!(verifier.verify(&token, now()).unwrap(), claims());
        }
        let retired = TokenVerifier::from_jwks(&new.jwks().to_string()).unwrap();
        assert_refused(
            &retired,
            &old.issue(&claims(), now()).unwrap(),
            now(),
            "token_invalid",
        );
    }

    #[test]
    fn bad_jwks_are_configuration_errors() {
        let good = issuer("k1").jwks();
        let key = good["keys"][0].clone();
        let mut no_kid = key.clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        let mut short_x = key.clone();
        short_x["x"] = b64(&[1u8; 31]).into();
        let duplicate = serde_json::json!({ "keys": [key.clone(), key.clone()] });
        for bad in [
            "".to_owned(),
            "{}".to_owned(),
            r#"{"keys":[]}"#.to_owned(),
            r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#.to_owned(),
            serde_json::json!({ "keys": [no_kid] }).to_string(),
            serde_json::json!({ "keys": [short_x] }).to_string(),
            duplicate.to_string(),
        ] {
            let err = TokenVerifier::from_jwks(&bad).unwrap_err();
            assert_eq!(err.status(), 500, "{bad}");
        }
    }

    #[test]
    fn seeds_are_read_leniently_but_must_be_32_bytes() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        let seed = [0xfbu8; 32];
        let expected = TokenIssuer::from_seed(&URL_SAFE_NO_PAD.encode(seed), "k")
            .unwrap()
            .jwks();
        for form in [
            URL_SAFE.encode(seed),
            STANDARD.encode(seed),
            format!(" {}\n", URL_SAFE_NO_PAD.encode(seed)),
        ] {
            assert_eq!(
                TokenIssuer::from_seed(&form, "k").unwrap().jwks(),
                expected,
                "{form}"
            );
        }
        for bad in ["", "not base64!", &b64(&[1u8; 31]), &b64(&[1u8; 33])] {
            assert_eq!(
                TokenIssuer::from_seed(bad, "k").unwrap_err().status(),
                500,
                "{bad}"
            );
        }
        assert_eq!(
            TokenIssuer::from_seed(&b64(&seed), " ")
                .unwrap_err()
                .status(),
            500
        );
        let generated = generate_seed().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&generated).unwrap().len(), 32);
        assert_ne!(generated, generate_seed().unwrap());
    }

    #[test]
    fn debug_output_never_shows_the_private_key() {
        let seed = [0xabu8; 32];
        let issuer = TokenIssuer::from_seed(&b64(&seed), "k1").unwrap();
        let shown = format!("{issuer:?}");
        assert!(shown.contains("k1"));
        assert!(!shown.contains(&b64(&seed)));
        assert!(!shown.to_lowercase().contains("abab"));
    }

    #[test]
    fn remembered_tokens_still_expire_and_admit_nothing_unverified() {
        let issuer = issuer("k1");
        let jwks = issuer.jwks().to_string();
        let token = issuer.issue(&claims(), now()).unwrap();
        let mut cache = VerifiedTokens::new();
        assert_eq!(cache.verify(&jwks, &token, now()).unwrap(), claims());
        assert_eq!(cache.verify(&jwks, &token, now()).unwrap(), claims());
        assert_eq!(cache.len(), 1);

        let (head, sig) = token.rsplit_once('.').unwrap();
        let forged = format!("{head}.{}", b64(&[0u8; 64]));
        let err = cache.verify(&jwks, &forged, now()).unwrap_err();
        assert_eq!(code_of(&err), "token_invalid");
        assert!(!sig.is_empty());

        let last_moment = now() + TimeDelta::seconds(ACCESS_TOKEN_TTL_SECS + LEEWAY_SECS);
        assert!(cache.verify(&jwks, &token, last_moment).is_ok());
        let err = cache
            .verify(&jwks, &token, last_moment + TimeDelta::seconds(1))
            .unwrap_err();
        assert_eq!(code_of(&err), "token_expired");

        // A new key set (rotation, or a compromised key removed) forgets what was verified.
        cache.verify(&jwks, &token, now()).unwrap();
        let other = super::TokenIssuer::from_seed(&generate_seed().unwrap(), "k2")
            .unwrap()
            .jwks()
            .to_string();
        let err = cache.verify(&other, &token, now()).unwrap_err();
        assert_eq!(code_of(&err), "token_invalid");
    }
}
