//! Webhooks: which URLs may receive them, how deliveries are signed (Standard Webhooks), and
//! when a failed delivery is tried again.
//!
//! Everything here is pure: the notify worker fetches, stores and schedules; this module decides.
//! Signatures follow <https://www.standardwebhooks.com>: the signed content is
//! `{webhook-id}.{webhook-timestamp}.{body}`; `v1,<base64>` is HMAC-SHA256 with the endpoint's
//! `whsec_` secret (the base64 after the prefix, decoded), `v1a,<base64>` is Ed25519 with the
//! platform's key, published as `whpk_<base64 of the 32-byte public key>`.

use std::net::{Ipv4Addr, Ipv6Addr};

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::time::Timestamp;
use crate::{Error, Result};

/// Prefix of an endpoint's signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Prefix of the platform's published public key.
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";
/// Random bytes in an endpoint secret (192 bits, as Svix and the spec's examples use).
const SECRET_BYTES: usize = 24;
/// Longest URL an endpoint may have.
pub const MAX_URL_CHARS: usize = 2000;

/// Seconds to wait after attempt n (1-based) failed before attempt n + 1: about 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h. After the eighth attempt the delivery has failed.
pub const RETRY_SCHEDULE_SECS: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// Attempts a delivery gets before it counts as failed.
pub const MAX_ATTEMPTS: u32 = 8;
/// The longest wait before a retry: a queue message can be delayed by at most 12 hours, so a
/// receiver's `Retry-After` is clamped to it.
pub const MAX_RETRY_DELAY_SECS: u64 = 12 * 3600;
/// How long a receiver may take to answer one attempt.
pub const ATTEMPT_TIMEOUT_SECS: u64 = 15;
/// How long a rotated-out secret still signs (both `v1` signatures are sent meanwhile).
pub const ROTATION_OVERLAP_HOURS: i64 = 24;
/// An endpoint whose deliveries have failed without a success for this long is disabled.
pub const FAILING_DISABLE_DAYS: i64 = 5;
/// Bytes of a receiver's answer kept in the delivery log.
pub const EXCERPT_BYTES: usize = 1024;

/// Every event type a webhook endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "document.deposited",
    "document.downloaded",
    "document.status_changed",
    "document.cancelled",
    "document.discarded",
    "approval.requested",
    "approval.superseded",
    "approval.decided",
    "talk.message",
    "relationship.requested",
    "relationship.decided",
    "relationship.blocked",
    "relationship.unblocked",
    "relationship.services_changed",
    "relationship.invitation_accepted",
    "card.received",
    "connector.run_failed",
    "appointment.proposed",
    "appointment.decided",
    "appointment.staffed",
    "appointment.cancelled",
    "invoice.received",
    "invoice.disputed",
    "invoice.paid",
    "invoice.overdue",
    "task.assigned",
    "task.due",
    "complaint.filed",
    "complaint.status_changed",
    "complaint.commented",
    "quote.requested",
    "quote.quoted",
    "quote.status_changed",
    "quote.commented",
];

/// The type of the test event `POST /v1/webhooks/{id}/ping` sends; every endpoint gets it.
pub const PING_EVENT: &str = "webhook.ping";

/// Parses the event types an endpoint subscribes to: deduplicated, in the order given.
///
/// # Errors
/// A 422 naming `field[i]` for an unknown type, or `field` for an empty list (send null for all).
pub fn parse_event_types(field: &str, items: &[String]) -> Result<Vec<String>> {
    if items.is_empty() {
        return Err(Error::invalid(
            field,
            "name at least one event type, or send null for every type",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let wanted = item.trim();
        if !EVENT_TYPES.contains(&wanted) {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                format!(
                    "unknown event type {wanted:?}; expected one of {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !out.iter().any(|t| t == wanted) {
            out.push(wanted.to_owned());
        }
    }
    Ok(out)
}

/// Whether an endpoint subscribed to `types` (None: every type) receives an event of `kind`.
#[must_use]
pub fn subscribed(types: Option<&[String]>, kind: &str) -> bool {
    kind == PING_EVENT || types.is_none_or(|t| t.iter().any(|x| x == kind))
}

// ---------------------------------------------------------------------------------------------
// URL rules
// ---------------------------------------------------------------------------------------------

/// Why a URL is refused. The 422 on field `url` names the rule first: `url: private_address: …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRule {
    Malformed,
    HttpsRequired,
    CredentialsInUrl,
    Localhost,
    LoopbackAddress,
    PrivateAddress,
    LinkLocalAddress,
    MetadataAddress,
    UnspecifiedAddress,
}

impl UrlRule {
    /// The rule's stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UrlRule::Malformed => "malformed",
            UrlRule::HttpsRequired => "https_required",
            UrlRule::CredentialsInUrl => "credentials_in_url",
            UrlRule::Localhost => "localhost",
            UrlRule::LoopbackAddress => "loopback_address",
            UrlRule::PrivateAddress => "private_address",
            UrlRule::LinkLocalAddress => "link_local_address",
            UrlRule::MetadataAddress => "metadata_address",
            UrlRule::UnspecifiedAddress => "unspecified_address",
        }
    }

    fn explain(self) -> &'static str {
        match self {
            UrlRule::Malformed => "not an absolute http(s) URL with a host",
            UrlRule::HttpsRequired => "webhook URLs must use https",
            UrlRule::CredentialsInUrl => "a URL must not carry a user name or password",
            UrlRule::Localhost => "localhost names are not reachable from Tradepost",
            UrlRule::LoopbackAddress => "loopback addresses are not allowed",
            UrlRule::PrivateAddress => "private network addresses are not allowed",
            UrlRule::LinkLocalAddress => "link-local addresses are not allowed",
            UrlRule::MetadataAddress => "cloud metadata addresses are not allowed",
            UrlRule::UnspecifiedAddress => "the unspecified address is not allowed",
        }
    }

    /// The 422 on field `url` for this rule.
    #[must_use]
    pub fn error(self) -> Error {
        Error::invalid("url", format!("{}: {}", self.as_str(), self.explain()))
    }
}

/// Checks a webhook URL against the rules and returns it trimmed. `dev` also allows plain
/// `http://127.0.0.1[:port]/…`, so the local stack and its tests can receive.
///
/// Only literal addresses can be judged here: a DNS name that resolves to a private address
/// cannot be checked from a worker (Cloudflare's fetch does not reach private networks anyway).
///
/// # Errors
/// A 422 on field `url` whose detail names the [`UrlRule`] broken (`url: <rule>: …`).
pub fn check_url(url: &str, dev: bool) -> Result<String> {
    classify_url(url, dev)
        .map(|()| url.trim().to_owned())
        .map_err(UrlRule::error)
}

/// The rule `url` breaks, if any (see [`check_url`]).
///
/// # Errors
/// The rule broken.
pub fn classify_url(url: &str, dev: bool) -> std::result::Result<(), UrlRule> {
    let url = url.trim();
    if url.is_empty()
        || url.chars().count() > MAX_URL_CHARS
        || url.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(UrlRule::Malformed);
    }
    let (scheme, rest) = url.split_once("://").ok_or(UrlRule::Malformed)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(UrlRule::Malformed);
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return Err(UrlRule::CredentialsInUrl);
    }
    let (host, port) = split_host_port(authority)?;
    if host.is_empty() {
        return Err(UrlRule::Malformed);
    }
    let host = host.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    if scheme == "http" {
        let dev_receiver = dev && host == "127.0.0.1" && port.is_none_or(|p| !p.is_empty());
        return if dev_receiver {
            Ok(())
        } else {
            Err(UrlRule::HttpsRequired)
        };
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return Err(UrlRule::Localhost);
    }
    if host == "metadata.google.internal" || host == "metadata" {
        return Err(UrlRule::MetadataAddress);
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ip: Ipv6Addr = v6.parse().map_err(|_| UrlRule::Malformed)?;
        return check_v6(ip);
    }
    if let Some(ip) = parse_ipv4_loose(host) {
        return check_v4(ip);
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(UrlRule::Malformed);
    }
    Ok(())
}

/// Splits `host[:port]` (IPv6 in brackets); the port must be digits.
fn split_host_port(authority: &str) -> std::result::Result<(&str, Option<&str>), UrlRule> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or(UrlRule::Malformed)?;
        let (host, after) = authority.split_at(close + 1);
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(UrlRule::Malformed),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p > 0 && p <= 65_535);
        if !ok {
            return Err(UrlRule::Malformed);
        }
    }
    Ok((host, port))
}

/// Reads an IPv4 address the way URL parsers and `inet_aton` do: one to four parts, each
/// decimal, hex (`0x7f`) or octal (`0177`), the last part filling the remaining bytes
/// (`2130706433`, `127.1`, `0x7f.1`). `None` when the host is not such an address.
fn parse_ipv4_loose(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for part in &parts {
        numbers.push(parse_ipv4_part(part)?);
    }
    let (last, leading) = numbers.split_last()?;
    let mut value: u64 = 0;
    for n in leading {
        if *n > 255 {
            return None;
        }
        value = (value << 8) | n;
    }
    let remaining_bits = 8 * (4 - leading.len() as u32);
    if remaining_bits < 64 && *last >= (1u64 << remaining_bits) {
        return None;
    }
    value = (value << remaining_bits) | last;
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

fn parse_ipv4_part(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() {
        // "0x" alone is zero for inet_aton.
        return (radix == 16).then_some(0);
    }
    if digits.len() > 12 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

fn check_v4(ip: Ipv4Addr) -> std::result::Result<(), UrlRule> {
    let [a, b, _, _] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        return Err(UrlRule::MetadataAddress);
    }
    if ip.is_unspecified() || a == 0 {
        return Err(UrlRule::UnspecifiedAddress);
    }
    if ip.is_loopback() {
        return Err(UrlRule::LoopbackAddress);
    }
    if ip.is_link_local() {
        return Err(UrlRule::LinkLocalAddress);
    }
    if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        return Err(UrlRule::PrivateAddress);
    }
    if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        return Err(UrlRule::PrivateAddress);
    }
    Ok(())
}

fn check_v6(ip: Ipv6Addr) -> std::result::Result<(), UrlRule> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return check_v4(v4);
    }
    let segments = ip.segments();
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254) {
        return Err(UrlRule::MetadataAddress);
    }
    if ip.is_unspecified() {
        return Err(UrlRule::UnspecifiedAddress);
    }
    if ip.is_loopback() {
        return Err(UrlRule::LoopbackAddress);
    }
    if segments[0] & 0xffc0 == 0xfe80 {
        return Err(UrlRule::LinkLocalAddress);
    }
    if segments[0] & 0xfe00 == 0xfc00 || ip.is_multicast() {
        return Err(UrlRule::PrivateAddress);
    }
    // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::a.b.c.d) forms embed an IPv4
    // address that some stacks still route to.
    if segments[..6] == [0, 0, 0, 0, 0, 0] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new(
            (segments[6] >> 8) as u8,
            (segments[6] & 0xff) as u8,
            (segments[7] >> 8) as u8,
            (segments[7] & 0xff) as u8,
        );
        return check_v4(v4);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: delivered.
    Delivered,
    /// 410: the receiver says the endpoint is gone; disable it.
    Gone,
    /// Try again after this many seconds.
    Retry(u64),
    /// Failed for good: another 3xx/4xx, or the attempts are used up.
    Failed,
}

/// Decides what follows attempt number `attempt` (1-based): `status` is the receiver's status
/// code, or `None` for a timeout or network error; `retry_after` the seconds from its
/// `Retry-After` header (see [`parse_retry_after`]).
#[must_use]
pub fn verdict(attempt: u32, status: Option<u16>, retry_after: Option<u64>) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        Some(429 | 500..=599) | None => match next_delay(attempt, retry_after) {
            Some(delay) => Verdict::Retry(delay),
            None => Verdict::Failed,
        },
        Some(_) => Verdict::Failed,
    }
}

/// Seconds before the attempt after attempt number `attempt` (1-based), or `None` when it was
/// the last. A receiver's `Retry-After` wins over the schedule, clamped to the queue's 12 hours.
#[must_use]
pub fn next_delay(attempt: u32, retry_after: Option<u64>) -> Option<u64> {
    if attempt == 0 || attempt >= MAX_ATTEMPTS {
        return None;
    }
    let index = usize::try_from(attempt - 1).ok()?;
    let scheduled = *RETRY_SCHEDULE_SECS.get(index)?;
    Some(retry_after.unwrap_or(scheduled).min(MAX_RETRY_DELAY_SECS))
}

/// Reads a `Retry-After` value: delay seconds, or an HTTP date (taken relative to `now`; a date
/// in the past means now). Clamped to [`MAX_RETRY_DELAY_SECS`]; `None` when unreadable.
#[must_use]
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value
            .get(..value.len().min(12))
            .and_then(|v| v.parse::<u64>().ok())?;
        return Some(secs.min(MAX_RETRY_DELAY_SECS));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (date.with_timezone(&chrono::Utc) - now)
        .num_seconds()
        .max(0);
    u64::try_from(secs)
        .ok()
        .map(|s| s.min(MAX_RETRY_DELAY_SECS))
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/// A fresh endpoint secret: `whsec_` and 24 random bytes in standard base64.
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn new_secret() -> Result<String> {
    let random: [u8; SECRET_BYTES] = crate::random::bytes()?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(random)))
}

/// The content every signature covers.
#[must_use]
pub fn signed_content(id: &str, timestamp: i64, body: &str) -> String {
    format!("{id}.{timestamp}.{body}")
}

fn secret_key(secret: &str) -> Result<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD
        .decode(encoded.trim())
        .map_err(|_| Error::internal("a webhook secret is not base64"))
}

/// The `v1,<base64>` HMAC-SHA256 signature with an endpoint secret.
///
/// # Errors
/// An internal error when the secret is not `whsec_` and base64.
pub fn sign_v1(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|_| Error::internal("a webhook secret is unusable"))?;
    mac.update(signed_content(id, timestamp, body).as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Whether `header` (a space-separated `webhook-signature`) holds a valid `v1` signature for
/// `secret`.
#[must_use]
pub fn verify_v1(secret: &str, id: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let Ok(key) = secret_key(secret) else {
        return false;
    };
    let content = signed_content(id, timestamp, body);
    header.split(' ').any(|part| {
        let Some(sig) = part
            .strip_prefix("v1,")
            .and_then(|s| STANDARD.decode(s).ok())
        else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(content.as_bytes());
        mac.verify_slice(&sig).is_ok()
    })
}

/// 32 key bytes from a setting named `name`: base64url or standard base64, padded or not.
///
/// # Errors
/// An internal error (it is configuration) when the value is not 32 bytes of base64.
fn key_bytes(name: &str, value: &str) -> Result<[u8; 32]> {
    crate::token::decode_base64_lenient(value)
        .ok_or_else(|| Error::internal(format!("{name} is not base64")))?
        .try_into()
        .map_err(|_| Error::internal(format!("{name} must be 32 bytes")))
}

/// How a sealed endpoint secret starts in D1 (version 1: AES-256-GCM).
pub const SEALED_PREFIX: &str = "enc1.";
const NONCE_BYTES: usize = 12;

/// Seals endpoint secrets for D1 and opens them to sign, with the platform's
/// `WEBHOOK_SECRETS_KEY` (32 bytes, base64url): AES-256-GCM under a fresh random nonce, with the
/// endpoint's id as associated data. A copy of the database alone then signs nothing, and a
/// sealed secret copied to another endpoint does not open.
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox").finish_non_exhaustive()
    }
}

impl SecretBox {
    /// # Errors
    /// An internal error (it is configuration) when the key is not 32 bytes of base64.
    pub fn from_key(key: &str) -> Result<Self> {
        let key = key_bytes("WEBHOOK_SECRETS_KEY", key)?;
        Ok(SecretBox {
            // Fully qualified: `KeyInit` in scope would shadow `Mac::new_from_slice` above.
            cipher: <Aes256Gcm as aes_gcm::KeyInit>::new(&key.into()),
        })
    }

    /// `enc1.` and base64url of nonce and ciphertext.
    ///
    /// # Errors
    /// Fails only without randomness.
    pub fn seal(&self, endpoint_id: &str, secret: &str) -> Result<String> {
        self.seal_with(endpoint_id, secret, crate::random::bytes()?)
    }

    fn seal_with(
        &self,
        endpoint_id: &str,
        secret: &str,
        nonce: [u8; NONCE_BYTES],
    ) -> Result<String> {
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: endpoint_id.as_bytes(),
                },
            )
            .map_err(|_| Error::internal("sealing a webhook secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// The secret as stored for `endpoint_id`: sealed, or (a row written before secrets were
    /// sealed) the plain `whsec_` text.
    ///
    /// # Errors
    /// An internal error when it does not open: another key, another endpoint, or changed bytes.
    pub fn open(&self, endpoint_id: &str, stored: &str) -> Result<String> {
        if stored.starts_with(SECRET_PREFIX) {
            return Ok(stored.to_owned());
        }
        let raw = stored
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|raw| raw.len() > NONCE_BYTES)
            .ok_or_else(|| {
                Error::internal("a stored webhook secret is neither sealed nor plain")
            })?;
        let (nonce, sealed) = raw.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: endpoint_id.as_bytes(),
                },
            )
            .map_err(|_| {
                Error::internal("a stored webhook secret does not open with WEBHOOK_SECRETS_KEY")
            })?;
        String::from_utf8(plain)
            .map_err(|_| Error::internal("an opened webhook secret is not text"))
    }
}

/// The platform's Ed25519 signing key (`WEBHOOK_SIGNING_KEY`, a 32-byte seed in base64url).
#[derive(Clone)]
pub struct PlatformSigner {
    key: SigningKey,
}

impl std::fmt::Debug for PlatformSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSigner")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl PlatformSigner {
    /// Reads the seed: base64url or standard base64, padded or not.
    ///
    /// # Errors
    /// An internal error (it is configuration) when the seed is not 32 bytes of base64.
    pub fn from_seed(seed: &str) -> Result<Self> {
        Ok(PlatformSigner {
            key: SigningKey::from_bytes(&key_bytes("WEBHOOK_SIGNING_KEY", seed)?),
        })
    }

    /// The published public key: `whpk_` and the 32 key bytes in standard base64.
    #[must_use]
    pub fn public_key(&self) -> String {
        format!(
            "{PUBLIC_KEY_PREFIX}{}",
            STANDARD.encode(self.key.verifying_key().to_bytes())
        )
    }

    /// The `v1a,<base64>` Ed25519 signature.
    #[must_use]
    pub fn sign_v1a(&self, id: &str, timestamp: i64, body: &str) -> String {
        let signature = self
            .key
            .sign(signed_content(id, timestamp, body).as_bytes());
        format!("v1a,{}", STANDARD.encode(signature.to_bytes()))
    }

    /// The whole `webhook-signature` header: one `v1` per secret that still signs, then `v1a`.
    ///
    /// # Errors
    /// An internal error when a stored secret is unusable.
    pub fn signature_header(
        &self,
        secrets: &[&str],
        id: &str,
        timestamp: i64,
        body: &str,
    ) -> Result<String> {
        let mut parts = Vec::with_capacity(secrets.len() + 1);
        for secret in secrets {
            parts.push(sign_v1(secret, id, timestamp, body)?);
        }
        parts.push(self.sign_v1a(id, timestamp, body));
        Ok(parts.join(" "))
    }
}

/// Whether `header` holds a valid `v1a` signature by the holder of `public_key` (`whpk_…`).
#[must_use]
pub fn verify_v1a(public_key: &str, id: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let Some(key) = public_key
        .strip_prefix(PUBLIC_KEY_PREFIX)
        .and_then(|k| STANDARD.decode(k).ok())
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
    else {
        return false;
    };
    let content = signed_content(id, timestamp, body);
    header.split(' ').any(|part| {
        part.strip_prefix("v1a,")
            .and_then(|s| STANDARD.decode(s).ok())
            .and_then(|s| <[u8; 64]>::try_from(s).ok())
            .is_some_and(|s| {
                key.verify(content.as_bytes(), &Signature::from_bytes(&s))
                    .is_ok()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(url: &str) -> std::result::Result<(), UrlRule> {
        classify_url(url, false)
    }

    #[test]
    fn public_https_urls_pass() {
        for url in [
            "https://example.com/hooks",
            "https://erp.example.co.uk:8443/tradepost?x=1",
            "https://8.8.8.8/x",
            "https://[2001:4860:4860::8888]/x",
            "https://example.com",
            "HTTPS://EXAMPLE.COM/",
        ] {
            assert_eq!(rule(url), Ok(()), "{url}");
        }
        assert_eq!(
            check_url("  https://example.com/h  ", false).unwrap(),
            "https://example.com/h"
        );
    }

    #[test]
    fn every_refused_form_names_its_rule() {
        use UrlRule::*;
        let table = [
            ("http://example.com/h", HttpsRequired),
            ("http://127.0.0.1:8080/h", HttpsRequired),
            ("ftp://example.com", Malformed),
            ("example.com/hook", Malformed),
            ("https://", Malformed),
            ("https:///path", Malformed),
            ("https://exa mple.com", Malformed),
            ("https://example.com:99999/", Malformed),
            ("https://example.com:/", Malformed),
            ("https://user:pw@example.com/", CredentialsInUrl),
            ("https://user@example.com/", CredentialsInUrl),
            ("https://localhost/", Localhost),
            ("https://LOCALHOST./", Localhost),
            ("https://api.localhost:8443/", Localhost),
            ("https://127.0.0.1/", LoopbackAddress),
            ("https://127.8.9.1/", LoopbackAddress),
            ("https://[::1]/", LoopbackAddress),
            ("https://2130706433/", LoopbackAddress),
            ("https://0x7f.1/", LoopbackAddress),
            ("https://0x7f000001/", LoopbackAddress),
            ("https://0177.0.0.1/", LoopbackAddress),
            ("https://127.1/", LoopbackAddress),
            ("https://[::ffff:127.0.0.1]/", LoopbackAddress),
            ("https://[::ffff:7f00:1]/", LoopbackAddress),
            ("https://10.1.2.3/", PrivateAddress),
            ("https://172.16.0.1/", PrivateAddress),
            ("https://172.31.255.255/", PrivateAddress),
            ("https://192.168.1.1/", PrivateAddress),
            ("https://100.64.0.1/", PrivateAddress),
            ("https://[fc00::1]/", PrivateAddress),
            ("https://[fd12:3456::1]/", PrivateAddress),
            ("https://[::ffff:10.0.0.1]/", PrivateAddress),
            ("https://169.254.1.1/", LinkLocalAddress),
            ("https://[fe80::1]/", LinkLocalAddress),
            ("https://169.254.169.254/latest/meta-data", MetadataAddress),
            ("https://[fd00:ec2::254]/", MetadataAddress),
            ("https://metadata.google.internal/", MetadataAddress),
            ("https://[::ffff:169.254.169.254]/", MetadataAddress),
            ("https://0.0.0.0/", UnspecifiedAddress),
            ("https://0/", UnspecifiedAddress),
            ("https://[::]/", UnspecifiedAddress),
        ];
        for (url, want) in table {
            assert_eq!(rule(url), Err(want), "{url}");
            let err = check_url(url, false).unwrap_err();
            let problem = err.problem();
            assert_eq!(err.status(), 422, "{url}");
            assert_eq!(problem.field.as_deref(), Some("url"));
            assert!(
                problem
                    .detail
                    .starts_with(&format!("url: {}:", want.as_str())),
                "{url}: {}",
                problem.detail
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(rule(&long), Err(Malformed));
    }

    #[test]
    fn dev_allows_plain_http_to_127_0_0_1_only() {
        assert_eq!(classify_url("http://127.0.0.1:4567/hook", true), Ok(()));
        assert_eq!(classify_url("http://127.0.0.1/hook", true), Ok(()));
        assert_eq!(
            classify_url("http://localhost:4567/", true),
            Err(UrlRule::HttpsRequired)
        );
        assert_eq!(
            classify_url("http://10.0.0.1/", true),
            Err(UrlRule::HttpsRequired)
        );
        assert_eq!(
            classify_url("https://127.0.0.1/", true),
            Err(UrlRule::LoopbackAddress)
        );
    }

    #[test]
    fn loose_ipv4_forms_read_like_inet_aton() {
        assert_eq!(parse_ipv4_loose("2130706433"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(parse_ipv4_loose("0x7f.1"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(parse_ipv4_loose("127.0.1"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(parse_ipv4_loose("8.8.8.8"), Some(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(parse_ipv4_loose("example.com"), None);
        assert_eq!(parse_ipv4_loose("1.2.3.4.5"), None);
        assert_eq!(parse_ipv4_loose("256.1.1.1"), None);
        assert_eq!(parse_ipv4_loose("4294967296"), None);
    }

    #[test]
    fn the_schedule_and_its_end() {
        assert_eq!(verdict(1, Some(500), None), Verdict::Retry(5));
        assert_eq!(verdict(2, None, None), Verdict::Retry(300));
        assert_eq!(verdict(3, Some(503), None), Verdict::Retry(1800));
        assert_eq!(verdict(7, Some(502), None), Verdict::Retry(36_000));
        assert_eq!(verdict(8, Some(500), None), Verdict::Failed);
        assert_eq!(verdict(1, Some(429), Some(60)), Verdict::Retry(60));
        assert_eq!(verdict(1, Some(204), None), Verdict::Delivered);
        assert_eq!(verdict(4, Some(410), None), Verdict::Gone);
        assert_eq!(verdict(1, Some(400), None), Verdict::Failed);
        assert_eq!(verdict(1, Some(301), None), Verdict::Failed);
        assert_eq!(next_delay(1, Some(10 * 86_400)), Some(MAX_RETRY_DELAY_SECS));
        let total: u64 = RETRY_SCHEDULE_SECS.iter().sum();
        assert!((27 * 3600..28 * 3600).contains(&total), "{total}");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = crate::time::parse("t", "2026-11-23T10:00:00Z").unwrap();
        assert_eq!(parse_retry_after("120", now), Some(120));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(
            parse_retry_after("99999999999999999", now),
            Some(MAX_RETRY_DELAY_SECS)
        );
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 10:05:00 GMT", now),
            Some(300)
        );
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 09:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 10:00:00 GMT", now),
            Some(MAX_RETRY_DELAY_SECS)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    /// Known answer: the example of the Standard Webhooks reference libraries.
    #[test]
    fn hmac_known_answer() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let timestamp = 1_614_265_330;
        let body = r#"{"test": 2432232314}"#;
        let sig = sign_v1(secret, id, timestamp, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify_v1(secret, id, timestamp, body, &sig));
        assert!(verify_v1(
            secret,
            id,
            timestamp,
            body,
            &format!("v1,bm90IGl0 {sig}")
        ));
        assert!(!verify_v1(secret, id, timestamp + 1, body, &sig));
        assert!(!verify_v1(
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            id,
            timestamp,
            body,
            &sig
        ));
    }

    #[test]
    fn ed25519_round_trip_and_full_header() {
        let signer = PlatformSigner::from_seed(&URL_SAFE_NO_PAD.encode([9u8; 32])).unwrap();
        let public = signer.public_key();
        assert!(public.starts_with("whpk_"));
        let secret = new_secret().unwrap();
        let old = new_secret().unwrap();
        assert!(secret.starts_with("whsec_") && secret.len() == 6 + 32);
        let body = r#"{"id":"evt_1"}"#;
        let header = signer
            .signature_header(&[&secret, &old], "evt_1", 1_700_000_000, body)
            .unwrap();
        assert_eq!(header.split(' ').count(), 3);
        assert!(verify_v1a(&public, "evt_1", 1_700_000_000, body, &header));
        assert!(verify_v1(&secret, "evt_1", 1_700_000_000, body, &header));
        assert!(verify_v1(&old, "evt_1", 1_700_000_000, body, &header));
        assert!(!verify_v1a(&public, "evt_1", 1_700_000_000, "{}", &header));
        let other = PlatformSigner::from_seed(&URL_SAFE_NO_PAD.encode([8u8; 32])).unwrap();
        assert!(!verify_v1a(
            &other.public_key(),
            "evt_1",
            1_700_000_000,
            body,
            &header
        ));
        assert!(PlatformSigner::from_seed("short").is_err());
    }

    #[test]
    fn secrets_are_sealed_for_their_endpoint_and_open_only_there() {
        let key = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let sealer = SecretBox::from_key(&key).unwrap();
        let secret = new_secret().unwrap();
        let sealed = sealer.seal("whk_a", &secret).unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX), "{sealed}");
        assert!(!sealed.contains(&secret[SECRET_PREFIX.len()..]));
        assert_eq!(sealer.open("whk_a", &sealed).unwrap(), secret);
        // A fresh nonce each time: the same secret never seals the same way twice.
        assert_ne!(sealer.seal("whk_a", &secret).unwrap(), sealed);
        // The nonce is all that varies: the same nonce seals the same way.
        assert_eq!(
            sealer
                .seal_with("whk_a", "whsec_x", [1; NONCE_BYTES])
                .unwrap(),
            sealer
                .seal_with("whk_a", "whsec_x", [1; NONCE_BYTES])
                .unwrap()
        );
        // Another endpoint, another key, a flipped byte or garbage: it does not open.
        assert!(sealer.open("whk_b", &sealed).is_err());
        let other = SecretBox::from_key(&URL_SAFE_NO_PAD.encode([8u8; 32])).unwrap();
        assert!(other.open("whk_a", &sealed).is_err());
        let mut raw = URL_SAFE_NO_PAD
            .decode(&sealed[SEALED_PREFIX.len()..])
            .unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let flipped = format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
        assert!(sealer.open("whk_a", &flipped).is_err());
        for garbage in ["", "enc1.", "enc1.AAAA", "plain", "enc2.abc"] {
            assert!(sealer.open("whk_a", garbage).is_err(), "{garbage}");
        }
        // Rows written before sealing still open.
        assert_eq!(sealer.open("whk_a", &secret).unwrap(), secret);
        assert!(SecretBox::from_key("short").is_err());
    }

    #[test]
    fn event_types_parse_and_filter() {
        let types = parse_event_types(
            "event_types",
            &["talk.message".into(), "talk.message".into()],
        )
        .unwrap();
        assert_eq!(types, vec!["talk.message"]);
        let err = parse_event_types("event_types", &["talk.msg".into()]).unwrap_err();
        assert_eq!(err.problem().field.as_deref(), Some("event_types[0]"));
        assert!(parse_event_types("event_types", &[]).is_err());
        assert!(subscribed(None, "document.deposited"));
        assert!(subscribed(Some(&types), "talk.message"));
        assert!(!subscribed(Some(&types), "document.deposited"));
        assert!(subscribed(Some(&types), PING_EVENT));
    }
}
