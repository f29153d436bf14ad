//! A bounded DER reader: just enough ASN.1 to walk a catalog and the certificates in it.
//!
//! Every read is checked against the bytes that are there: a length that runs past its parent,
//! an indefinite length, a high tag number or an OID arc that does not fit are errors, never
//! panics. The reader never recurses by itself; callers walk the structure they expect, so the
//! depth is bounded by their code, not by the input.

use std::fmt;

/// Universal tags the catalog reader looks for.
pub mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL.
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// UTF8String.
    pub const UTF8_STRING: u8 = 0x0c;
    /// PrintableString.
    pub const PRINTABLE_STRING: u8 = 0x13;
    /// IA5String.
    pub const IA5_STRING: u8 = 0x16;
    /// UTCTime.
    pub const UTC_TIME: u8 = 0x17;
    /// GeneralizedTime.
    pub const GENERALIZED_TIME: u8 = 0x18;
    /// BMPString (UTF-16BE).
    pub const BMP_STRING: u8 = 0x1e;
    /// SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// SET (constructed).
    pub const SET: u8 = 0x31;
    /// `[0]` constructed (EXPLICIT or IMPLICIT constructed).
    pub const CONTEXT_0: u8 = 0xa0;
    /// `[1]` constructed.
    pub const CONTEXT_1: u8 = 0xa1;
}

/// Why a DER structure could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError {
    /// Offset of the element, from the start of the enclosing value given to the reader.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

/// Result of a DER read.
pub type DerResult<T> = std::result::Result<T, DerError>;

/// One element: its tag byte, its value, and its whole encoding (tag, length and value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet (class, constructed bit and low tag number).
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// Tag, length and content octets.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the content of a constructed element.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value)
    }

    /// The element as an OBJECT IDENTIFIER in dotted form.
    pub fn oid(&self) -> DerResult<String> {
        if self.tag != tag::OID {
            return Err(err(
                0,
                format!("expected an OID, found tag 0x{:02x}", self.tag),
            ));
        }
        oid_string(self.value)
    }
}

/// A cursor over consecutive DER elements.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn err(offset: usize, message: impl Into<String>) -> DerError {
    DerError {
        offset,
        message: message.into(),
    }
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Whether every element was read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The next element.
    pub fn next_tlv(&mut self) -> DerResult<Tlv<'a>> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or(&[]);
        let (&t, after_tag) = rest
            .split_first()
            .ok_or_else(|| err(start, "unexpected end of data"))?;
        if t & 0x1f == 0x1f {
            return Err(err(start, "high tag numbers are not used in catalogs"));
        }
        let (&first, after_len) = after_tag
            .split_first()
            .ok_or_else(|| err(start, "missing length"))?;
        let (len, header) = if first < 0x80 {
            (first as usize, 2)
        } else if first == 0x80 {
            return Err(err(start, "indefinite length is not DER"));
        } else {
            let n = (first & 0x7f) as usize;
            if n > 4 {
                return Err(err(start, format!("length of {n} octets is too large")));
            }
            let bytes = after_len
                .get(..n)
                .ok_or_else(|| err(start, "length runs past the end of the data"))?;
            let len = bytes.iter().fold(0usize, |a, &b| (a << 8) | b as usize);
            (len, 2 + n)
        };
        let end = start
            .checked_add(header)
            .and_then(|v| v.checked_add(len))
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| {
                err(
                    start,
                    format!("element of {len} bytes runs past the end of its container"),
                )
            })?;
        self.pos = end;
        Ok(Tlv {
            tag: t,
            value: &self.data[start + header..end],
            raw: &self.data[start..end],
        })
    }

    /// The next element, which must have tag `want`.
    pub fn expect(&mut self, want: u8, what: &str) -> DerResult<Tlv<'a>> {
        let at = self.pos;
        let t = self.next_tlv()?;
        if t.tag != want {
            return Err(err(
                at,
                format!("{what}: expected tag 0x{want:02x}, found 0x{:02x}", t.tag),
            ));
        }
        Ok(t)
    }

    /// The next element if it has tag `want` (else nothing is consumed).
    pub fn optional(&mut self, want: u8) -> DerResult<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(want) {
            self.next_tlv().map(Some)
        } else {
            Ok(None)
        }
    }

    /// The next element as an OID in dotted form.
    pub fn oid(&mut self, what: &str) -> DerResult<String> {
        self.expect(tag::OID, what)?.oid()
    }
}

/// An OID's content octets in dotted form (`1.3.6.1.4.1.311.10.1`).
pub fn oid_string(value: &[u8]) -> DerResult<String> {
    if value.is_empty() || value.len() > 64 {
        return Err(err(0, format!("an OID of {} bytes", value.len())));
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    let mut open = false;
    for &b in value {
        if acc > (u64::MAX >> 7) {
            return Err(err(0, "an OID arc does not fit in 64 bits"));
        }
        acc = (acc << 7) | u64::from(b & 0x7f);
        open = b & 0x80 != 0;
        if !open {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    if open {
        return Err(err(0, "an OID ends inside an arc"));
    }
    Ok(arcs
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

/// The text of a directory or attribute string (UTF-8, Printable, IA5, BMP, T61 as Latin-1).
pub fn string_value(t: &Tlv<'_>) -> Option<String> {
    match t.tag {
        tag::BMP_STRING => Some(utf16(t.value, false)),
        tag::UTF8_STRING | tag::PRINTABLE_STRING | tag::IA5_STRING | 0x12 | 0x1a => {
            Some(String::from_utf8_lossy(t.value).into_owned())
        }
        0x14 => Some(t.value.iter().map(|&b| b as char).collect()),
        _ => None,
    }
}

/// UTF-16 text (big-endian for BMPString, little-endian for Windows strings), up to the first
/// NUL; an odd last byte is dropped and invalid units are replaced.
pub fn utf16(bytes: &[u8], little_endian: bool) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| {
            if little_endian {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_and_oids() {
        // SEQUENCE { OID 1.3.6.1.4.1.311.10.1, OCTET STRING "ab" }
        let data = [
            0x30, 0x0f, 0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x0a, 0x01, 0x04,
            0x02, b'a', b'b',
        ];
        let mut r = Reader::new(&data);
        let seq = r.expect(tag::SEQUENCE, "outer").unwrap();
        assert!(r.is_empty());
        let mut inner = seq.reader();
        assert_eq!(inner.oid("type").unwrap(), "1.3.6.1.4.1.311.10.1");
        assert_eq!(inner.expect(tag::OCTET_STRING, "v").unwrap().value, b"ab");
    }

    #[test]
    fn refuses_lengths_past_the_end_and_indefinite_lengths() {
        assert!(Reader::new(&[0x30, 0x05, 0x01]).next_tlv().is_err());
        assert!(Reader::new(&[0x30, 0x80, 0x00, 0x00]).next_tlv().is_err());
        assert!(Reader::new(&[0x30, 0x85, 1, 1, 1, 1, 1])
            .next_tlv()
            .is_err());
        assert!(Reader::new(&[0x30]).next_tlv().is_err());
        assert!(Reader::new(&[0x1f, 0x01, 0x00]).next_tlv().is_err());
        assert!(oid_string(&[0x2b, 0x86]).is_err());
        assert!(oid_string(&[0xff; 12]).is_err());
    }

    #[test]
    fn long_form_lengths() {
        let mut data = vec![0x04, 0x81, 0x80];
        data.extend(std::iter::repeat_n(7u8, 0x80));
        let t = Reader::new(&data).next_tlv().unwrap();
        assert_eq!(t.value.len(), 0x80);
    }
}
