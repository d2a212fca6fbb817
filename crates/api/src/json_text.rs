//! JSON strings written into a byte buffer with serde_json's escapes, for the hand-written
//! JSON of task bodies and log lines (same bytes as serde_json; tested against it).

/// A JSON string with serde_json's escapes: `\"`, `\\`, the short forms of backspace, tab,
/// newline, form feed and carriage return, `\u00xx` (lower-case hex) for other control
/// characters; everything else, DEL and non-ASCII included, as it is.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.push(b'"');
    // Most text needs no escape: one pass the compiler vectorises (no early exit), one copy.
    let plain = !bytes.iter().fold(false, |seen, &b| {
        seen | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        out.extend_from_slice(short);
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_escaped_as_serde_json_does() {
        for byte in 0u8..0x80 {
            let text = char::from(byte).to_string();
            let mut ours = Vec::new();
            write_str(&mut ours, &text);
            let expected = serde_json::to_vec(&text).expect("serialises");
            assert_eq!(ours, expected, "byte {byte:#04x}");
        }
    }

    proptest::proptest! {
        #[test]
        fn same_bytes_as_serde_json(text in "(?s).{0,64}") {
            let mut ours = Vec::new();
            write_str(&mut ours, &text);
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&text).expect("serialises"));
        }
    }
}
