//! Private key material: what may never ship, by name (extension) and, for `.der` files, by
//! content (an ASN.1 shape sniff). Policy asks [`key_refusal`]; specs ask [`KEY_EXTENSIONS`].

use crate::error::Result;

/// Bytes of a file read to judge it by content (enough for [`der_kind`]).
pub const HEAD_BYTES: u64 = 256;

/// The extensions of private key material; a spec can never re-include these.
pub const KEY_EXTENSIONS: &[&str] = &[
    "pfx", "p12", "pvk", "snk", "key", "pem", "p8", "pk8", "csr", "jks", "keystore", "ppk",
];

/// Why the file at `rel` (lower-case extension `ext`) must never ship, if it must not: a key
/// extension, or a `.der` file that is not a certificate. `head` returns the file's first bytes
/// and is called only for `.der` files.
pub fn key_refusal(
    rel: &str,
    ext: &str,
    head: impl FnOnce() -> Result<Vec<u8>>,
) -> Result<Option<String>> {
    if KEY_EXTENSIONS.contains(&ext) {
        return Ok(Some(format!(
            "`{rel}` looks like private key material (`.{ext}` files are never shipped)"
        )));
    }
    if ext != "der" {
        return Ok(None);
    }
    Ok(match der_kind(&head()?) {
        DerKind::Certificate | DerKind::CertificateBundle => None,
        DerKind::PrivateKey => Some(format!("`{rel}` is a DER-encoded private key")),
        DerKind::Other(what) => Some(format!(
            "`{rel}` is not a DER X.509 certificate ({what}); only certificates may ship as .der"
        )),
    })
}

/// What a DER file holds, as far as shipping is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DerKind {
    /// An X.509 certificate.
    Certificate,
    /// A PKCS#7 SignedData structure (a certificate bundle, like a binary `.p7b`).
    CertificateBundle,
    /// PKCS#1, PKCS#8 (plain or encrypted) or SEC1 private key.
    PrivateKey,
    /// Anything else (the text says what it looked like).
    Other(&'static str),
}

/// One DER header at `at`: (tag, header length, content length).
fn der_header(b: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(at)?;
    let first = *b.get(at + 1)? as usize;
    if first < 0x80 {
        return Some((tag, 2, first));
    }
    let n = first & 0x7f;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(at + 2 + i)? as usize;
    }
    Some((tag, 2 + n, len))
}

/// Classify DER bytes (the first few hundred bytes are enough) by their ASN.1 shape.
pub fn der_kind(b: &[u8]) -> DerKind {
    const SEQ: u8 = 0x30;
    const INT: u8 = 0x02;
    const OID: u8 = 0x06;
    const PKCS7_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    let Some((SEQ, outer_hdr, _)) = der_header(b, 0) else {
        return DerKind::Other("no DER SEQUENCE at the start");
    };
    let first = outer_hdr;
    let Some((tag, hdr, len)) = der_header(b, first) else {
        return DerKind::Other("truncated DER");
    };
    match tag {
        // Private keys start with a small version number: PKCS#1 (0), PKCS#8 (0/1), SEC1 (1).
        INT if len == 1 && b.get(first + hdr).is_some_and(|v| *v <= 3) => DerKind::PrivateKey,
        INT => DerKind::Other("a bare public key"),
        OID => {
            let oid = b.get(first + hdr..first + hdr + len);
            if oid == Some(PKCS7_SIGNED_DATA) {
                DerKind::CertificateBundle
            } else {
                DerKind::Other("an unknown ContentInfo")
            }
        }
        SEQ => match der_header(b, first + hdr) {
            // tbsCertificate: explicit [0] version, or a v1 certificate's serial number.
            Some((0xa0, _, _)) | Some((INT, _, _)) => DerKind::Certificate,
            // AlgorithmIdentifier first: encrypted PKCS#8 (OCTET STRING follows) or a public key.
            Some((OID, _, _)) => match der_header(b, first + hdr + len) {
                Some((0x04, _, _)) => DerKind::PrivateKey,
                Some((0x03, _, _)) => DerKind::Other("a public key"),
                _ => DerKind::Other("an unknown structure"),
            },
            _ => DerKind::Other("an unknown structure"),
        },
        _ => DerKind::Other("an unknown structure"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_shapes() {
        // SEQUENCE { SEQUENCE { [0] {..} ...} ...}: a certificate.
        let cert = [
            0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xf0, 0xa0, 0x03, 0x02, 0x01, 0x02,
        ];
        assert_eq!(der_kind(&cert), DerKind::Certificate);
        // SEQUENCE { INTEGER 0, ... }: PKCS#1 / PKCS#8.
        let key = [
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01,
        ];
        assert_eq!(der_kind(&key), DerKind::PrivateKey);
        // SEQUENCE { SEQUENCE { OID }, OCTET STRING }: encrypted PKCS#8.
        let enc = [
            0x30, 0x20, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x10,
        ];
        assert_eq!(der_kind(&enc), DerKind::PrivateKey);
        assert!(matches!(der_kind(b"-----BEGIN"), DerKind::Other(_)));
        assert!(matches!(der_kind(&[]), DerKind::Other(_)));
    }
}
