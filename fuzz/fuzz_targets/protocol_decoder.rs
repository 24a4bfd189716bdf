//! The WebSocket decoder: any bytes as a client frame. Parsing a command or a `hello`
//! never panics; a parsed command always turns into a domain command; a rejected one
//! carries a stable code and an id of at most 64 bytes.

#![no_main]

use cabildo::protocol::{self, Hello, MAX_COMMAND_ID};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = serde_json::from_str::<Hello>(&text);
    match protocol::parse_command(&text) {
        Ok((id, command)) => {
            assert!(!id.is_empty() && id.len() <= MAX_COMMAND_ID);
            let _ = command.into_domain(0);
        }
        Err(rejected) => {
            assert!(rejected
                .id
                .as_ref()
                .is_none_or(|id| id.len() <= MAX_COMMAND_ID));
            assert!(!rejected.message.is_empty());
            let _ = protocol::error_frame(rejected.id.as_deref(), rejected.code, &rejected.message);
        }
    }
});
