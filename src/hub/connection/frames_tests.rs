use super::*;
use proptest::prelude::*;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const MAX: usize = 64 * 1024;

/// A masked client frame: `first` is FIN, reserved bits and opcode.
fn client(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

/// Parses every frame of `bytes` in turn: the messages, or the first error.
fn parse_all(bytes: &[u8]) -> Result<Vec<Incoming>, u16> {
    let mut parser = Parser::default();
    let mut buf = bytes.to_vec();
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        match parser.parse(&mut buf[at..], MAX)? {
            Parsed::Incomplete => return Ok(out),
            Parsed::Frame { used, message } => {
                at += used;
                out.extend(message);
            }
        }
    }
}

#[test]
fn a_masked_text_frame_is_a_message_and_its_length_forms_all_parse() {
    for len in [0, 1, 125, 126, 127, 0xffff, 0x10000] {
        let text = "a".repeat(len);
        let frame = client(0x81, text.as_bytes());
        assert_eq!(parse_all(&frame), Ok(vec![Incoming::Text(text)]), "{len}");
        // Every prefix is incomplete, never an error or a message.
        for cut in [0, 1, 2, frame.len() / 2, frame.len() - 1] {
            assert_eq!(parse_all(&frame[..cut]), Ok(vec![]), "{len} cut at {cut}");
        }
    }
}

#[test]
fn fragments_make_one_message_and_control_frames_may_come_between() {
    let text = "héllo wörld";
    let bytes = text.as_bytes();
    // Split inside the two-byte 'é': each fragment alone is not UTF-8, the message is.
    let mut wire = client(0x01, &bytes[..2]);
    wire.extend(client(0x89, b"p"));
    wire.extend(client(0x00, &bytes[2..8]));
    wire.extend(client(0x8a, b""));
    wire.extend(client(0x80, &bytes[8..]));
    wire.extend(client(0x82, b"\x00\x01"));
    wire.extend(client(0x88, &[0x03, 0xe8]));
    assert_eq!(
        parse_all(&wire),
        Ok(vec![
            Incoming::Ping(b"p".to_vec()),
            Incoming::Pong,
            Incoming::Text(text.to_owned()),
            Incoming::Binary,
            Incoming::Close,
        ])
    );
}

#[test]
fn frames_that_break_the_protocol_get_the_codes_of_rfc_6455() {
    let mut unmasked = client(0x81, b"{}");
    unmasked[1] &= 0x7f;
    let mut huge_len = vec![0x82, 0x80 | 127];
    huge_len.extend_from_slice(&u64::MAX.to_be_bytes());
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "invalid UTF-8",
            client(0x81, &[0x7b, 0xff, 0xfe, 0x7d]),
            1007,
        ),
        ("unmasked", unmasked, 1002),
        ("reserved bit", client(0x81 | 0x40, b"{}"), 1002),
        ("unknown opcode", client(0x83, b"{}"), 1002),
        ("unknown control opcode", client(0x8b, b""), 1002),
        ("stray continuation", client(0x80, b"{}"), 1002),
        ("fragmented ping", client(0x09, b""), 1002),
        ("long ping", client(0x89, &[0; 126]), 1002),
        ("close of one byte", client(0x88, &[3]), 1002),
        (
            "close with a reserved code",
            client(0x88, &[0x03, 0xed]),
            1002,
        ),
        (
            "close with a reason not UTF-8",
            client(0x88, &[0x03, 0xe8, 0xff]),
            1007,
        ),
        (
            "frame over the limit",
            client(0x81, &vec![b'a'; MAX + 1]),
            1009,
        ),
        ("length with its top bit set", huge_len, 1002),
    ];
    for (what, frame, code) in cases {
        assert_eq!(parse_all(&frame), Err(code), "{what}");
    }
    // A new message while one is still open.
    let mut wire = client(0x01, b"a");
    wire.extend(client(0x81, b"b"));
    assert_eq!(parse_all(&wire), Err(1002));
    // Invalid UTF-8 across fragments.
    let mut wire = client(0x01, &[0xe2, 0x82]);
    wire.extend(client(0x80, &[0x41]));
    assert_eq!(parse_all(&wire), Err(1007));
}

#[test]
fn a_message_over_the_limit_is_refused_from_the_header_that_crosses_it() {
    let piece = vec![b'a'; 30 * 1024];
    let mut wire = client(0x01, &piece);
    wire.extend(client(0x00, &piece));
    // The third header announces more than the limit: refused before its payload.
    let mut third = client(0x80, &piece);
    third.truncate(4);
    wire.extend(third);
    assert_eq!(parse_all(&wire), Err(1009));
    // Exactly the limit, in fragments, passes.
    let mut wire = client(0x01, &vec![b'a'; MAX / 2]);
    wire.extend(client(0x80, &vec![b'a'; MAX / 2]));
    assert_eq!(parse_all(&wire), Ok(vec![Incoming::Text("a".repeat(MAX))]));
}

#[test]
fn the_parser_holds_nothing_between_messages() {
    let mut parser = Parser::default();
    let mut first = client(0x01, b"ab");
    assert!(matches!(
        parser.parse(&mut first, MAX),
        Ok(Parsed::Frame { message: None, .. })
    ));
    assert!(parser.partial.is_some());
    let mut last = client(0x80, b"c");
    assert!(matches!(
        parser.parse(&mut last, MAX),
        Ok(Parsed::Frame {
            message: Some(Incoming::Text(_)),
            ..
        })
    ));
    assert!(parser.partial.is_none());
}

#[test]
fn server_headers_use_the_shortest_length_form() {
    for (len, expected) in [
        (0, vec![0x81, 0]),
        (125, vec![0x81, 125]),
        (126, vec![0x81, 126, 0, 126]),
        (0xffff, vec![0x81, 126, 0xff, 0xff]),
        (0x10000, vec![0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
    ] {
        let mut out = [0u8; MAX_HEADER];
        let n = header(0x81, len, &mut out);
        assert_eq!(&out[..n], &expected[..], "{len}");
        assert_eq!(header_len(len), n);
    }
    assert_eq!(wire_len(2048), 4 + 2048);
    assert_eq!(wire_len(2049), 4 + 2048 + 2 + 1);
    let split: Vec<_> = pieces(4097).collect();
    assert_eq!(
        split,
        [(0x01, 0, 2048), (0x00, 2048, 4096), (0x80, 4096, 4097)]
    );
    assert_eq!(pieces(0).collect::<Vec<_>>(), [(0x81, 0, 0)]);
    assert_eq!(close_frame(1009, "too big"), b"\x88\x09\x03\xf1too big");
    let long = "é".repeat(100);
    let frame = close_frame(4000, &long);
    assert_eq!(
        frame.len(),
        2 + 2 + 122,
        "cut at a character boundary within 125"
    );
    assert!(std::str::from_utf8(&frame[4..]).is_ok());
}

proptest! {
    /// Arbitrary bytes never panic the parser; it only ever answers "incomplete", a frame
    /// it consumed within the bytes given, or one of the three close codes.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut parser = Parser::default();
        let mut buf = bytes;
        let mut at = 0;
        loop {
            match parser.parse(&mut buf[at..], 200) {
                Ok(Parsed::Incomplete) => break,
                Ok(Parsed::Frame { used, .. }) => {
                    prop_assert!(used > 0 && at + used <= buf.len());
                    at += used;
                }
                Err(code) => {
                    prop_assert!([1002, 1007, 1009].contains(&code));
                    break;
                }
            }
        }
    }

    /// Any text, cut into any fragments, comes back whole.
    #[test]
    fn fragmented_text_comes_back_whole(text in ".{0,200}", cuts in proptest::collection::vec(0usize..200, 0..6)) {
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut bounds = vec![0];
        bounds.extend(cuts.into_iter().filter(|&c| c > 0 && c < bytes.len()));
        bounds.push(bytes.len());
        let mut wire = Vec::new();
        for (i, pair) in bounds.windows(2).enumerate() {
            let opcode = if i == 0 { 0x1 } else { 0x0 };
            let fin = if pair[1] == bytes.len() { 0x80 } else { 0 };
            wire.extend(client(fin | opcode, &bytes[pair[0]..pair[1]]));
        }
        prop_assert_eq!(parse_all(&wire), Ok(vec![Incoming::Text(text.clone())]));
    }
}
