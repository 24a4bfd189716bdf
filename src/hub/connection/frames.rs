//! RFC 6455 frames, server side: the parser of client frames and the encoder of the
//! server's frame headers. Pure and synchronous (no I/O): `wire.rs` feeds it bytes.
//!
//! The parser keeps a message buffer only while a fragmented message is incomplete; an
//! idle connection's parser holds no allocation. Errors are the close code of RFC 6455
//! §7.4.1: 1002 (protocol error), 1007 (text that is not UTF-8), 1009 (too big).

use crate::protocol::close;

/// RFC 6455 §7.4.1: a text message that is not valid UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// RFC 6455 §7.4.1: a frame that breaks the protocol.
pub const PROTOCOL_ERROR: u16 = 1002;

/// The longest server frame header: 2 bytes, and 8 of extended length.
pub const MAX_HEADER: usize = 10;

/// A complete message (or control frame) from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    Binary,
    /// Its payload, to echo in the pong (at most 125 bytes).
    Ping(Vec<u8>),
    Pong,
    Close,
}

/// The state between frames: the data of a fragmented message not yet complete.
#[derive(Default)]
pub struct Parser {
    partial: Option<Partial>,
}

struct Partial {
    text: bool,
    data: Vec<u8>,
}

/// The outcome of `Parser::parse` on the bytes at hand.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed for the next frame.
    Incomplete,
    /// One frame was consumed (`used` bytes); it completed a message, or not (a fragment).
    Frame {
        used: usize,
        message: Option<Incoming>,
    },
}

impl Parser {
    /// Parses the frame at the front of `buf` (unmasking its payload in place). A frame
    /// header that breaks the protocol or announces more than `max` bytes of message is
    /// refused as soon as the header is read, before its payload arrives.
    pub fn parse(&mut self, buf: &mut [u8], max: usize) -> Result<Parsed, u16> {
        let [b0, b1, ..] = *buf else {
            return Ok(Parsed::Incomplete);
        };
        let fin = b0 & 0x80 != 0;
        if b0 & 0x70 != 0 || b1 & 0x80 == 0 {
            // Reserved bits (no extension is negotiated), or an unmasked client frame.
            return Err(PROTOCOL_ERROR);
        }
        let opcode = b0 & 0x0f;
        let control = opcode >= 0x8;
        match opcode {
            0x0 if self.partial.is_none() => return Err(PROTOCOL_ERROR),
            0x1 | 0x2 if self.partial.is_some() => return Err(PROTOCOL_ERROR),
            0x0..=0x2 | 0x8..=0xa => {}
            _ => return Err(PROTOCOL_ERROR),
        }
        let (len, mut at) = match b1 & 0x7f {
            126 => match buf.get(2..4) {
                Some(n) => (u64::from(u16::from_be_bytes([n[0], n[1]])), 4),
                None => return Ok(Parsed::Incomplete),
            },
            127 => match buf.get(2..10) {
                Some(n) => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(n);
                    (u64::from_be_bytes(b), 10)
                }
                None => return Ok(Parsed::Incomplete),
            },
            n => (u64::from(n), 2),
        };
        if control && (!fin || len > 125) {
            return Err(PROTOCOL_ERROR);
        }
        if len >> 63 != 0 {
            return Err(PROTOCOL_ERROR);
        }
        let so_far = self.partial.as_ref().map_or(0, |p| p.data.len());
        let len = match usize::try_from(len) {
            Ok(len) if control || so_far.saturating_add(len) <= max => len,
            _ => return Err(close::MESSAGE_TOO_BIG),
        };
        let Some(mask) = buf.get(at..at + 4) else {
            return Ok(Parsed::Incomplete);
        };
        let mask = [mask[0], mask[1], mask[2], mask[3]];
        at += 4;
        let Some(payload) = buf.get_mut(at..at + len) else {
            return Ok(Parsed::Incomplete);
        };
        unmask(payload, mask);
        let used = at + len;
        let message = match opcode {
            0x8 => Some(check_close(payload)?),
            0x9 => Some(Incoming::Ping(payload.to_vec())),
            0xa => Some(Incoming::Pong),
            _ => self.data(opcode, fin, payload)?,
        };
        Ok(Parsed::Frame { used, message })
    }

    /// A data frame: a whole message, or a fragment kept until the final one.
    fn data(&mut self, opcode: u8, fin: bool, payload: &[u8]) -> Result<Option<Incoming>, u16> {
        let partial = match self.partial.as_mut() {
            Some(partial) => {
                partial.data.extend_from_slice(payload);
                partial
            }
            None if fin => return finish(opcode == 0x1, payload.to_vec()).map(Some),
            None => self.partial.insert(Partial {
                text: opcode == 0x1,
                data: payload.to_vec(),
            }),
        };
        if !fin {
            return Ok(None);
        }
        let text = partial.text;
        let data = std::mem::take(&mut partial.data);
        self.partial = None;
        finish(text, data).map(Some)
    }
}

fn finish(text: bool, data: Vec<u8>) -> Result<Incoming, u16> {
    if !text {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(data)
        .map(Incoming::Text)
        .map_err(|_| INVALID_PAYLOAD)
}

/// A close frame's payload: empty, or a valid code and a UTF-8 reason (§5.5.1, §7.4).
fn check_close(payload: &[u8]) -> Result<Incoming, u16> {
    match payload {
        [] => Ok(Incoming::Close),
        [_] => Err(PROTOCOL_ERROR),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            let valid = matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999);
            if !valid {
                return Err(PROTOCOL_ERROR);
            }
            std::str::from_utf8(reason).map_err(|_| INVALID_PAYLOAD)?;
            Ok(Incoming::Close)
        }
    }
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let mut chunks = payload.chunks_exact_mut(4);
    for chunk in &mut chunks {
        for (b, m) in chunk.iter_mut().zip(mask) {
            *b ^= m;
        }
    }
    for (b, m) in chunks.into_remainder().iter_mut().zip(mask) {
        *b ^= m;
    }
}

/// Frames longer than this are sent as a fragmented message of pieces this long.
pub const FRAGMENT: usize = 2048;

/// The pieces a text frame of `len` bytes is sent as: (first header byte, start, end).
/// One final text frame up to `FRAGMENT` bytes; beyond, a text frame that is not final,
/// continuations, the last one final. Pieces may split a UTF-8 character; the receiver
/// checks the text of the whole message (RFC 6455 §5.4).
pub fn pieces(len: usize) -> impl Iterator<Item = (u8, usize, usize)> {
    let count = len.div_ceil(FRAGMENT).max(1);
    (0..count).map(move |i| {
        let start = i * FRAGMENT;
        let end = (start + FRAGMENT).min(len);
        let opcode = if i == 0 { 0x1 } else { 0x0 };
        let fin = if i + 1 == count { 0x80 } else { 0 };
        (fin | opcode, start, end)
    })
}

/// The bytes a text frame of `len` bytes takes on the wire, headers included.
pub fn wire_len(len: usize) -> usize {
    pieces(len).map(|(_, s, e)| header_len(e - s) + e - s).sum()
}

/// Writes the header of an unmasked server frame (`first`: FIN and opcode) carrying
/// `len` bytes into `out`; returns its length.
pub fn header(first: u8, len: usize, out: &mut [u8; MAX_HEADER]) -> usize {
    out[0] = first;
    match len {
        0..=125 => {
            out[1] = len as u8;
            2
        }
        126..=0xffff => {
            out[1] = 126;
            out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        }
        _ => {
            out[1] = 127;
            out[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        }
    }
}

/// The length of the header `header` writes for a payload of `len` bytes.
pub fn header_len(len: usize) -> usize {
    match len {
        0..=125 => 2,
        126..=0xffff => 4,
        _ => 10,
    }
}

/// A small control frame (ping, pong, close), whole: at most 2 + 125 bytes.
pub fn control(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let payload = &payload[..payload.len().min(125)];
    let mut out = Vec::with_capacity(2 + payload.len());
    out.push(0x80 | opcode);
    out.push(payload.len() as u8);
    out.extend_from_slice(payload);
    out
}

/// A close frame with `code` and `reason` (cut to fit 125 bytes).
pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    let mut cut = reason.len().min(123);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..cut]);
    control(0x8, &payload)
}

#[cfg(test)]
#[path = "frames_tests.rs"]
mod tests;
