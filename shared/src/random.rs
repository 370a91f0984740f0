//! Randomness from the platform: the OS natively, `crypto.getRandomValues` in a worker.

/// Fills an array with cryptographically secure random bytes.
///
/// # Errors
/// Fails only if the platform has no source of randomness.
pub fn bytes<const N: usize>() -> Result<[u8; N], crate::Error> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf)
        .map_err(|e| crate::Error::internal(format!("randomness: {e}")))?;
    Ok(buf)
}
