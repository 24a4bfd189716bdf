//! TURN for delegates behind strict NATs: the ICE servers a page puts in its peer
//! connection (`audio_config`), with time-limited credentials of the TURN REST API that
//! coturn checks with `use-auth-secret` / `static-auth-secret`: username
//! `<expiry unix time>:<participant id>`, credential base64(HMAC-SHA1(secret, username)).
//! The secret never leaves the server, and credentials are never logged.

use crate::domain::ParticipantId;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The TURN servers of `--turn-url`, and what their credentials are made with.
pub struct Turn {
    urls: Vec<String>,
    secret: String,
    ttl: Duration,
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn")
            .field("urls", &self.urls)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Turn {
    /// Checks the flags: every URL a `turn:` or `turns:` URL, a secret when there are URLs.
    /// `None`: no TURN (no URL given).
    pub fn new(
        urls: &[String],
        secret: Option<&str>,
        ttl: Duration,
    ) -> anyhow::Result<Option<Turn>> {
        let urls: Vec<String> = urls
            .iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            return Ok(None);
        }
        if let Some(bad) = urls
            .iter()
            .find(|u| !(u.starts_with("turn:") || u.starts_with("turns:")))
        {
            anyhow::bail!("--turn-url {bad:?} must be a turn: or turns: URL");
        }
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            anyhow::bail!("--turn-url needs --turn-secret (coturn's static-auth-secret)");
        };
        if ttl.is_zero() {
            anyhow::bail!("--turn-ttl must be at least 1 second");
        }
        Ok(Some(Turn {
            urls,
            secret: secret.to_string(),
            ttl,
        }))
    }

    /// The `RTCIceServer` entry for `participant`, valid for the configured time from `now`.
    pub fn ice_server(&self, participant: ParticipantId, now: SystemTime) -> Value {
        let expiry = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(self.ttl)
            .as_secs();
        let username = format!("{expiry}:{participant}");
        let credential = credential(&self.secret, &username);
        json!({"urls": self.urls, "username": username, "credential": credential})
    }
}

/// base64(HMAC-SHA1(secret, username)), as coturn computes it.
fn credential(secret: &str, username: &str) -> String {
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2202 test case 2 (HMAC-SHA1, key "Jefe"), in base64.
    #[test]
    fn credential_is_base64_of_hmac_sha1() {
        assert_eq!(
            credential("Jefe", "what do ya want for nothing?"),
            "7/zfauXrL6LSdBbV8YTfnCWafHk="
        );
    }

    #[test]
    fn flags_are_checked() {
        let ttl = Duration::from_secs(60);
        assert!(Turn::new(&[], None, ttl).unwrap().is_none());
        let url = vec!["turn:127.0.0.1:3478?transport=udp".to_string()];
        assert!(Turn::new(&url, None, ttl).is_err());
        assert!(Turn::new(&["stun:x".to_string()], Some("s"), ttl).is_err());
        assert!(Turn::new(&url, Some("s"), Duration::ZERO).is_err());
        let turn = Turn::new(&url, Some("s"), ttl).unwrap().unwrap();
        assert!(!format!("{turn:?}").contains("\"s\""), "{turn:?}");
    }
}
