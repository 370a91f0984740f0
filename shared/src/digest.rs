//! A SHA-256 whose state can be saved between requests, so a file uploaded in parts (each part
//! its own request) gets the checksum of the whole file without being read again: each part
//! continues the state the previous part left.
//!
//! The state is the eight chaining words, the byte count and the bytes of an unfinished block;
//! it is stored as text (see [`Sha256State::to_text`]).

use sha2::digest::generic_array::GenericArray;

use crate::{Error, Result};

const BLOCK: usize = 64;

/// The initial chaining words of SHA-256 (FIPS 180-4, 5.3.3).
const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A running SHA-256 that can be saved and resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sha256State {
    words: [u32; 8],
    /// Bytes hashed so far, including `pending`.
    len: u64,
    /// The start of a block not yet complete (fewer than 64 bytes).
    pending: Vec<u8>,
}

impl Default for Sha256State {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256State {
    /// The state before any byte.
    #[must_use]
    pub fn new() -> Sha256State {
        Sha256State {
            words: H0,
            len: 0,
            pending: Vec::with_capacity(BLOCK),
        }
    }

    /// How many bytes were hashed.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte was hashed yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hashes more bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if !self.pending.is_empty() {
            let take = (BLOCK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < BLOCK {
                return;
            }
            let block = std::mem::take(&mut self.pending);
            self.compress(&block);
        }
        let whole = data.len() - data.len() % BLOCK;
        self.compress(&data[..whole]);
        self.pending.extend_from_slice(&data[whole..]);
    }

    fn compress(&mut self, blocks: &[u8]) {
        for block in blocks.chunks_exact(BLOCK) {
            sha2::compress256(
                &mut self.words,
                std::slice::from_ref(GenericArray::from_slice(block)),
            );
        }
    }

    /// The digest of everything hashed, as lower-case hex.
    #[must_use]
    pub fn finish_hex(&self) -> String {
        let mut state = self.clone();
        let bits = state.len.wrapping_mul(8);
        let mut tail = std::mem::take(&mut state.pending);
        tail.push(0x80);
        while tail.len() % BLOCK != BLOCK - 8 {
            tail.push(0);
        }
        tail.extend_from_slice(&bits.to_be_bytes());
        state.compress(&tail);
        state.words.iter().map(|w| format!("{w:08x}")).collect()
    }

    /// The storage form: `v1:<64 hex chaining words>:<byte count>:<hex of the unfinished block>`.
    #[must_use]
    pub fn to_text(&self) -> String {
        let words: String = self.words.iter().map(|w| format!("{w:08x}")).collect();
        let pending: String = self.pending.iter().map(|b| format!("{b:02x}")).collect();
        format!("v1:{words}:{}:{pending}", self.len)
    }

    /// Reads the storage form back.
    ///
    /// # Errors
    /// An internal error when the text was not written by [`Self::to_text`]: states are only
    /// ever stored by this code, so anything else is corruption.
    pub fn from_text(text: &str) -> Result<Sha256State> {
        let corrupt = || Error::internal(format!("stored hash state is unreadable: {text:.80}"));
        let mut parts = text.split(':');
        if parts.next() != Some("v1") {
            return Err(corrupt());
        }
        let words_hex = parts.next().ok_or_else(corrupt)?;
        let len: u64 = parts
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or_else(corrupt)?;
        let pending_hex = parts.next().ok_or_else(corrupt)?;
        if parts.next().is_some() || words_hex.len() != 64 || pending_hex.len() >= 2 * BLOCK {
            return Err(corrupt());
        }
        let mut words = [0u32; 8];
        for (i, word) in words.iter_mut().enumerate() {
            let hex = words_hex.get(i * 8..i * 8 + 8).ok_or_else(corrupt)?;
            *word = u32::from_str_radix(hex, 16).map_err(|_| corrupt())?;
        }
        let pending = hex_bytes(pending_hex).ok_or_else(corrupt)?;
        if len % BLOCK as u64 != pending.len() as u64 {
            return Err(corrupt());
        }
        Ok(Sha256State {
            words,
            len,
            pending,
        })
    }
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// The SHA-256 of `bytes` as lower-case hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut state = Sha256State::new();
    state.update(bytes);
    state.finish_hex()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    fn reference(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            sha256_hex(long),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn corrupt_states_are_refused() {
        for text in [
            "",
            "v2:",
            "v1:00:0:",
            &format!("v1:{}:1:", "0".repeat(64)),
            &format!("v1:{}:1:zz", "0".repeat(64)),
            &format!("v1:{}:x:", "0".repeat(64)),
            &format!("v1:{}:0::", "0".repeat(64)),
        ] {
            assert!(Sha256State::from_text(text).is_err(), "{text}");
        }
    }

    proptest! {
        /// Hashing in pieces, saving and restoring the state between them, gives the same digest
        /// as hashing the whole at once.
        #[test]
        fn resumed_equals_whole(data in proptest::collection::vec(any::<u8>(), 0..600),
                                cuts in proptest::collection::vec(0usize..600, 0..6)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut state = Sha256State::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([data.len()]) {
                state.update(&data[from..cut]);
                state = Sha256State::from_text(&state.to_text()).unwrap();
                from = cut;
            }
            prop_assert_eq!(state.len(), data.len() as u64);
            prop_assert_eq!(state.finish_hex(), reference(&data));
        }
    }
}
