//! Opaque bearer secrets: API keys (`tp_…`), refresh tokens (`rt_…`) and mail link tokens
//! (`lt_…`).
//!
//! A secret is 256 random bits behind a short prefix that tells a human (and a secret scanner)
//! what it is. Only its SHA-256 is stored, so a leaked table grants nothing; the random part is
//! long enough that a fast unsalted hash is the right tool (no password stretching needed).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of API keys.
pub const API_KEY_PREFIX: &str = "tp_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "rt_";
/// Prefix of single-purpose mail link tokens (confirmation, reset, invitation).
pub const LINK_TOKEN_PREFIX: &str = "lt_";

/// Characters of the random part shown in listings after the prefix.
const DISPLAY_CHARS: usize = 6;

/// A fresh secret: `prefix` followed by 32 random bytes in unpadded base64url (43 characters).
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn new_secret(prefix: &str) -> crate::Result<String> {
    let random: [u8; 32] = crate::random::bytes()?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random)))
}

/// SHA-256 of `data` as 64 lower-case hex digits.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// The stored form of a secret: the SHA-256 hex of its text, prefix included.
#[must_use]
pub fn hash_secret(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// What listings show of a secret so its owner can recognise it: the prefix (up to and including
/// the first `_`) and the first six characters after it, e.g. `tp_Ab3dE9`. Without a prefix, the
/// first six characters.
#[must_use]
pub fn display_prefix(secret: &str) -> String {
    let body_start = secret.find('_').map_or(0, |i| i + 1);
    let (prefix, body) = secret.split_at(body_start);
    let shown: String = body.chars().take(DISPLAY_CHARS).collect();
    format!("{prefix}{shown}")
}

/// Compares two byte strings in time that depends only on their lengths, never on where they
/// first differ.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_their_prefix_and_256_random_bits() {
        for prefix in [API_KEY_PREFIX, REFRESH_TOKEN_PREFIX, LINK_TOKEN_PREFIX] {
            let s = new_secret(prefix).unwrap();
            let body = s.strip_prefix(prefix).unwrap();
            assert_eq!(body.len(), 43);
            assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
            assert!(body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
        assert_ne!(new_secret("tp_").unwrap(), new_secret("tp_").unwrap());
    }

    #[test]
    fn sha256_matches_the_published_test_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hash_secret_hashes_the_whole_text() {
        let s = new_secret("rt_").unwrap();
        assert_eq!(hash_secret(&s), sha256_hex(s.as_bytes()));
        assert_ne!(hash_secret(&s), hash_secret(&s.replacen("rt_", "tp_", 1)));
        assert_eq!(hash_secret(&s).len(), 64);
    }

    #[test]
    fn display_prefix_shows_prefix_and_six_characters() {
        assert_eq!(display_prefix("tp_Ab3dE9xyzxyz"), "tp_Ab3dE9");
        assert_eq!(display_prefix("rt_a_b_cdefgh"), "rt_a_b_cd");
        assert_eq!(display_prefix("tp_abc"), "tp_abc");
        assert_eq!(display_prefix("noprefixatall"), "noprefix"[..6].to_owned());
        assert_eq!(display_prefix("lt_ääääääää"), "lt_ääääää");
        let s = new_secret("tp_").unwrap();
        assert_eq!(display_prefix(&s), s[..9]);
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same "));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
