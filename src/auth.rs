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
/// Delegate-code length: 31^8 ≈ 8.5 × 10^11 codes (40 bits). A delegate code is handed to a
/// whole audience and opens only a delegate's view.
pub const CODE_LEN: usize = 8;
/// Facilitator-code length: 31^12 ≈ 7.9 × 10^17 codes (59 bits), so that guessing any
/// workshop's facilitator code (full read access and export) is hopeless even at the
/// per-address limits and from many addresses (the arithmetic is in docs/RELIABILITY.md,
/// "Limits"). Typed in any case, with or without spaces and dashes (`normalize_code`).
pub const FACILITATOR_CODE_LEN: usize = 12;

/// A fresh random token (64 hex characters).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// A fresh delegate join code.
pub fn new_code() -> String {
    code_of(CODE_LEN)
}

/// A fresh facilitator join code (longer: see `FACILITATOR_CODE_LEN`).
pub fn new_facilitator_code() -> String {
    code_of(FACILITATOR_CODE_LEN)
}

fn code_of(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
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

/// Shortest and longest join idempotency key: long enough that the key, which unseals the
/// token of the join it names, cannot be guessed (a UUID is 36 characters).
pub const IDEMPOTENCY_KEY_MIN: usize = 16;
pub const IDEMPOTENCY_KEY_MAX: usize = 128;

fn keyed(purpose: &str, scope: &str, key: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [purpose, scope, key] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

/// How a join idempotency key of workshop `scope` is stored and looked up.
pub fn hash_idempotency_key(scope: &str, key: &str) -> String {
    hex::encode(keyed("cabildo join key", scope, key))
}

/// A token (64 hex characters) sealed with an idempotency key: only the key unseals it,
/// and the stored key hash does not. `None` if `token` is not 64 hex characters.
pub fn seal(scope: &str, key: &str, token: &str) -> Option<String> {
    let bytes = hex::decode(token).ok().filter(|b| b.len() == 32)?;
    let pad = keyed("cabildo join seal", scope, key);
    Some(hex::encode(
        bytes
            .iter()
            .zip(pad)
            .map(|(b, p)| b ^ p)
            .collect::<Vec<u8>>(),
    ))
}

/// The token `seal` sealed with the same scope and key.
pub fn unseal(scope: &str, key: &str, sealed: &str) -> Option<String> {
    seal(scope, key, sealed)
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
            assert_eq!(normalize_code(&code), code, "stored as typed");
        }
    }

    #[test]
    fn facilitator_codes_carry_at_least_58_bits() {
        let bits = (CODE_ALPHABET.len() as f64).log2() * FACILITATOR_CODE_LEN as f64;
        assert!(bits >= 58.0, "{bits} bits");
        let code = new_facilitator_code();
        assert_eq!(code.len(), FACILITATOR_CODE_LEN);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        // Typed in groups of four with dashes, a code still matches.
        let grouped = format!(
            "{}-{} {}",
            &code[..4],
            &code[4..8],
            &code[8..].to_lowercase()
        );
        assert_eq!(normalize_code(&grouped), code);
    }

    #[test]
    fn typed_codes_ignore_case_spaces_and_dashes() {
        assert_eq!(normalize_code(" abcd-ef23 "), "ABCDEF23");
    }

    #[test]
    fn a_sealed_token_opens_with_its_key_only() {
        let t = new_token();
        let sealed = seal("w1", "key-0123456789abcdef", &t).unwrap();
        assert_ne!(sealed, t);
        assert_eq!(unseal("w1", "key-0123456789abcdef", &sealed).unwrap(), t);
        assert_ne!(unseal("w1", "key-0123456789abcdeF", &sealed).unwrap(), t);
        assert_ne!(unseal("w2", "key-0123456789abcdef", &sealed).unwrap(), t);
        let h = hash_idempotency_key("w1", "key-0123456789abcdef");
        assert_ne!(unseal("w1", &h, &sealed).unwrap(), t);
        assert!(seal("w1", "k", "not hex").is_none());
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
