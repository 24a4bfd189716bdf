//! Secrets: admin and participant tokens, join codes, and how they are compared.
//!
//! Tokens are 256-bit random strings handed out once and stored only as SHA-256 hashes.
//! Join codes are short and easy to type (no 0/O, 1/I/L). Comparisons of secrets run in
//! constant time. Nothing here logs a secret, and nothing else should.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Join-code alphabet: upper-case letters and digits without look-alikes.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Join-code length: 31^8 ≈ 8.5 × 10^11 codes.
pub const CODE_LEN: usize = 8;

/// A fresh random token (64 hex characters).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// A fresh join code.
pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// The form a token is stored and looked up in.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How a typed code is compared: case, spaces and dashes do not matter.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Compares two secrets in constant time (of their hashes, so lengths leak nothing either).
pub fn secrets_match(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.ct_eq(&b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_and_unambiguous() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        }
    }

    #[test]
    fn typed_codes_ignore_case_spaces_and_dashes() {
        assert_eq!(normalize_code(" abcd-ef23 "), "ABCDEF23");
    }

    #[test]
    fn tokens_are_long_and_hashed() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_ne!(hash_token(&t), t);
        assert!(secrets_match(&t, &t.clone()));
        assert!(!secrets_match(&t, &new_token()));
    }

    #[test]
    fn the_stored_hash_is_the_sha256_of_the_token() {
        // FIPS 180-2's test vector: what is stored is SHA-256, in lowercase hex, and the
        // token's characters appear nowhere in it. tests/bad_input.rs
        // (tokens_are_stored_only_as_hashes_in_the_database) scans a real database.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = new_token();
        assert_eq!(hash_token(&t).len(), 64);
        assert!(!hash_token(&t).contains(&t[..16]));
    }
}
