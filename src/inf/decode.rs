//! Turning INF bytes into text: BOM detection, BOM-less UTF-16, UTF-8, Windows-1252 fallback.
//!
//! Drivers ship INFs as plain ASCII/UTF-8 (virtio-win), UTF-16LE with a BOM (many vendors), and
//! occasionally in the ANSI code page. Windows reads all of them, so we must too.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// Decoded INF text and what it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without any byte order mark.
    pub text: String,
    /// The detected encoding: `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16le-bom`, `utf-16be`,
    /// `utf-16be-bom` or `windows-1252`.
    pub encoding: &'static str,
    /// Whether malformed sequences were replaced with U+FFFD while decoding.
    pub had_errors: bool,
}

/// Decode INF bytes, detecting the encoding from a BOM, the NUL-byte pattern of BOM-less UTF-16,
/// UTF-8 validity, and otherwise falling back to Windows-1252 (which decodes any byte).
pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return with(UTF_8, rest, "utf-8-bom");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return with(UTF_16LE, rest, "utf-16le-bom");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return with(UTF_16BE, rest, "utf-16be-bom");
    }
    // A text INF in UTF-8 or an ANSI code page never contains NUL bytes; UTF-16 text that is
    // mostly ASCII has a NUL in every other byte. Which half holds the NULs gives the order.
    // Trailing NUL padding (left by some editors and copy tools) says nothing about the text.
    let body_len = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    let body = bytes.get(..body_len).unwrap_or_default();
    if body.contains(&0) {
        let (even, odd) = nul_positions(bytes);
        return if odd >= even {
            with(UTF_16LE, bytes, "utf-16le")
        } else {
            with(UTF_16BE, bytes, "utf-16be")
        };
    }
    match std::str::from_utf8(body) {
        Ok(text) => Decoded {
            text: text.to_string(),
            encoding: "utf-8",
            had_errors: false,
        },
        Err(_) => with(WINDOWS_1252, body, "windows-1252"),
    }
}

fn with(encoding: &'static Encoding, bytes: &[u8], name: &'static str) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: name,
        had_errors,
    }
}

/// NUL bytes at even and at odd offsets.
fn nul_positions(bytes: &[u8]) -> (usize, usize) {
    let mut even = 0;
    let mut odd = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    (even, odd)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[Strings]\r\nDesc = \"Périphérique\"\r\n";

    fn utf16(text: &str, le: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect()
    }

    #[test]
    fn detects_every_supported_encoding() {
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend_from_slice(TEXT.as_bytes());
        let mut bom_le = vec![0xFF, 0xFE];
        bom_le.extend(utf16(TEXT, true));
        let mut bom_be = vec![0xFE, 0xFF];
        bom_be.extend(utf16(TEXT, false));
        let (ansi, _, _) = WINDOWS_1252.encode(TEXT);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (TEXT.as_bytes().to_vec(), "utf-8"),
            (bom8, "utf-8-bom"),
            (bom_le, "utf-16le-bom"),
            (utf16(TEXT, true), "utf-16le"),
            (bom_be, "utf-16be-bom"),
            (utf16(TEXT, false), "utf-16be"),
            (ansi.into_owned(), "windows-1252"),
        ];
        for (bytes, name) in cases {
            let d = decode(&bytes);
            assert_eq!(d.encoding, name);
            assert_eq!(d.text, TEXT, "{name}");
            assert!(!d.had_errors, "{name}");
        }
    }

    #[test]
    fn odd_length_utf16_is_flagged_not_fatal() {
        let mut bytes = utf16("[Version]", true);
        bytes.push(b'x');
        let d = decode(&bytes);
        assert_eq!(d.encoding, "utf-16le");
        assert!(d.had_errors);
        assert!(d.text.starts_with("[Version]"));
    }

    #[test]
    fn trailing_nul_padding_does_not_make_utf8_look_like_utf16() {
        let d = decode(b"[Version]\r\n\0\0\0");
        assert_eq!(d.encoding, "utf-8");
        assert_eq!(d.text, "[Version]\r\n");
        let mut padded = utf16(TEXT, true);
        padded.extend_from_slice(&[0, 0, 0, 0]);
        let d = decode(&padded);
        assert_eq!(d.encoding, "utf-16le");
        assert_eq!(d.text.trim_end_matches('\0'), TEXT);
    }

    #[test]
    fn empty_input_is_empty_utf8() {
        assert_eq!(decode(b"").encoding, "utf-8");
    }
}
