//! Passwords: the policy for new ones, and Argon2id hashing with a server-side pepper.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) so the parameters travel
//! with each hash and can be raised later without invalidating old ones. The pepper is Argon2's
//! secret input: a stolen database alone is not enough to test guesses.
//!
//! Argon2id at these parameters costs about 25 ms of CPU in a worker; callers should rate-limit
//! before calling, and call [`burn`] for unknown accounts so timing does not reveal which
//! addresses have one.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::{Error, Result};

/// Shortest accepted password, in characters: 12, as OWASP ASVS 4.0 V2.1.1 asks. Any characters
/// count (spaces, emoji, every script), and there are no composition rules (V2.1.9).
pub const MIN_CHARS: usize = 12;
/// Longest accepted password, in characters (bounds the hashing work an attacker can ask for).
pub const MAX_CHARS: usize = 200;

/// OWASP's recommended Argon2id parameters: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Checks a password chosen at sign-up, reset or change.
///
/// # Errors
/// A 422 on field `password` when it is shorter than 12 or longer than 200 characters, or is the
/// account's own e-mail address (ignoring case and surrounding spaces).
pub fn validate_new(password: &str, email: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(Error::invalid(
            "password",
            format!("must be at least {MIN_CHARS} characters"),
        ));
    }
    if chars > MAX_CHARS {
        return Err(Error::invalid(
            "password",
            format!("must be at most {MAX_CHARS} characters"),
        ));
    }
    if password.trim().to_lowercase() == email.trim().to_lowercase() {
        return Err(Error::invalid(
            "password",
            "must not be your e-mail address",
        ));
    }
    Ok(())
}

fn hasher(pepper: &[u8]) -> Result<Argon2<'_>> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| Error::internal(format!("argon2 parameters: {e}")))?;
    Argon2::new_with_secret(pepper, Algorithm::Argon2id, Version::V0x13, params)
        .map_err(|e| Error::internal(format!("argon2 pepper: {e}")))
}

/// Hashes a password with Argon2id (m = 19456 KiB, t = 2, p = 1), a random 16-byte salt and the
/// pepper as secret, and returns the PHC string to store.
///
/// # Errors
/// An internal error if the platform has no randomness or the pepper is unusable (longer than
/// Argon2 allows).
pub fn hash(password: &str, pepper: &[u8]) -> Result<String> {
    let salt_bytes: [u8; 16] = crate::random::bytes()?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| Error::internal(format!("argon2 salt: {e}")))?;
    let hash = hasher(pepper)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::internal(format!("argon2 hashing: {e}")))?;
    Ok(hash.to_string())
}

/// Checks a password against a stored PHC string, with the parameters recorded in it.
///
/// # Errors
/// An internal error when the stored string is not a complete Argon2 PHC string (that is
/// corruption, not a wrong password) or the pepper is unusable. A wrong password is `Ok(false)`.
pub fn verify(password: &str, phc: &str, pepper: &[u8]) -> Result<bool> {
    let parsed = PasswordHash::new(phc)
        .map_err(|e| Error::internal(format!("stored password hash is malformed: {e}")))?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(Error::internal(
            "stored password hash lacks its salt or output",
        ));
    }
    match hasher(pepper)?.verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(Error::internal(format!(
            "stored password hash is unusable: {e}"
        ))),
    }
}

/// Does the work of one [`verify`] without an account, so a sign-in for an unknown address takes
/// as long as one with a wrong password.
pub fn burn(password: &str, pepper: &[u8]) {
    const SALT: &[u8; 16] = b"tradepost-burner";
    let mut out = [0u8; 32];
    if let Ok(argon) = hasher(pepper) {
        // The result is meaningless by design; only the time spent matters.
        let _ = argon.hash_password_into(password.as_bytes(), SALT, &mut out);
    }
    std::hint::black_box(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEPPER: &[u8] = b"test-pepper-32-bytes-long-enough";

    #[test]
    fn policy_limits_length_and_refuses_the_email() {
        assert!(validate_new("correct horse", "anna@example.com").is_ok());
        assert!(validate_new(&"x".repeat(12), "anna@example.com").is_ok());
        assert!(validate_new("🔑 ключ 密码 żółw", "anna@example.com").is_ok());
        assert!(validate_new(&"ł".repeat(200), "anna@example.com").is_ok());
        let refused = [
            "short".to_owned(),
            "ł".repeat(11),
            "Password123".to_owned(),
            "x".repeat(201),
            "anna@example.com".to_owned(),
            " ANNA@Example.com ".to_owned(),
        ];
        for bad in refused {
            let err = validate_new(&bad, " anna@example.com").unwrap_err();
            assert_eq!(err.status(), 422, "{bad:?}");
            assert_eq!(err.problem().field.as_deref(), Some("password"));
        }
    }

    #[test]
    fn hashes_are_argon2id_phc_with_owasp_parameters_and_fresh_salts() {
        let a = hash("correct horse", PEPPER).unwrap();
        let b = hash("correct horse", PEPPER).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash gets its own salt");
        let parsed = PasswordHash::new(&a).unwrap();
        assert_eq!(
            parsed
                .salt
                .unwrap()
                .decode_b64(&mut [0u8; 64])
                .unwrap()
                .len(),
            16
        );
    }

    #[test]
    fn verify_accepts_the_password_and_refuses_others() {
        let phc = hash("correct horse", PEPPER).unwrap();
        assert!(verify("correct horse", &phc, PEPPER).unwrap());
        assert!(!verify("correct horse ", &phc, PEPPER).unwrap());
        assert!(!verify("Correct horse", &phc, PEPPER).unwrap());
        assert!(!verify("", &phc, PEPPER).unwrap());
    }

    #[test]
    fn the_pepper_is_part_of_the_hash() {
        let phc = hash("correct horse", PEPPER).unwrap();
        assert!(!verify("correct horse", &phc, b"another-pepper").unwrap());
        assert!(!verify("correct horse", &phc, b"").unwrap());
    }

    #[test]
    fn malformed_stored_hashes_are_internal_errors() {
        for bad in [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            let err = verify("whatever", bad, PEPPER).unwrap_err();
            assert_eq!(err.status(), 500, "{bad:?}");
        }
    }
}
