//! Private key material: what may never ship, by name (extension) and by content (PEM armour
//! anywhere in a file, and the binary key formats by their first bytes), and what the
//! certificate slot accepts ([`certificate_problem`]). Policy asks [`extension_refusal`] and
//! [`content_refusal`]; specs ask [`KEY_EXTENSIONS`].

use std::io::{self, Read};

use base64::Engine as _;

use crate::error::{Error, Result};

/// Bytes of a file kept to judge its binary format (enough for [`der_kind`] and the magics).
pub const HEAD_BYTES: u64 = 256;

/// Bytes read per step of the streaming scan.
const CHUNK: usize = 256 * 1024;

/// Bytes carried from one chunk to the next: more than a whole armour line (`-----BEGIN `, a
/// label of at most [`MAX_LABEL`] bytes, `-----`), so no armour is split unseen.
const OVERLAP: usize = 128;

/// Longest PEM label looked at (`ENCRYPTED PRIVATE KEY` is 21 bytes).
const MAX_LABEL: usize = 64;

/// Largest file the certificate slot reads (a certificate bundle is a few KiB).
pub const MAX_CERT_BYTES: u64 = 1024 * 1024;

/// The extensions of private key material; a spec can never re-include these.
pub const KEY_EXTENSIONS: &[&str] = &[
    "pfx", "p12", "pvk", "snk", "key", "pem", "p8", "pk8", "csr", "jks", "keystore", "ppk",
];

/// Why the file at `rel` (lower-case extension `ext`) must never ship by its name, if so.
pub fn extension_refusal(rel: &str, ext: &str) -> Option<String> {
    KEY_EXTENSIONS.contains(&ext).then(|| {
        format!("`{rel}` looks like private key material (`.{ext}` files are never shipped)")
    })
}

/// Why the file at `rel` (lower-case extension `ext`, if any) must never ship by its content,
/// if so: private key material anywhere in it ([`scan`]), or a `.der` file that is not a
/// certificate. `open` gives the file's bytes, which are streamed once.
pub fn content_refusal<R: Read>(
    rel: &str,
    ext: Option<&str>,
    open: impl FnOnce() -> Result<R>,
) -> Result<Option<String>> {
    let scanned = scan(open()?).map_err(|e| scan_error(rel, &e))?;
    Ok(judge(rel, ext, scanned))
}

/// The error for a file that could not be read to the end to look for keys.
pub fn scan_error(rel: &str, e: &io::Error) -> Error {
    Error::invalid(format!("cannot read `{rel}` to look for private keys: {e}"))
}

/// [`content_refusal`] on a file already scanned.
pub fn judge(rel: &str, ext: Option<&str>, scanned: Scan) -> Option<String> {
    let holds = |k: KeyFound| {
        format!(
            "`{rel}` holds private key material: {} (at byte {}); remove it from the input, keys never ship",
            k.what, k.offset
        )
    };
    if ext != Some("der") {
        return scanned.key.map(holds);
    }
    if let Some(k) = scanned.key.filter(|k| k.what.starts_with("a PEM")) {
        return Some(holds(k));
    }
    match der_kind(&scanned.head) {
        DerKind::Certificate | DerKind::CertificateBundle => None,
        DerKind::PrivateKey | DerKind::Pkcs12 => {
            Some(format!("`{rel}` is a DER-encoded private key"))
        }
        DerKind::Other(what) => Some(format!(
            "`{rel}` is not a DER X.509 certificate ({what}); only certificates may ship as .der"
        )),
    }
}

/// Private key material found in a file: what it is, and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFound {
    /// What was found, for messages ("a PEM private key (`RSA PRIVATE KEY`)").
    pub what: String,
    /// Byte offset of the find.
    pub offset: u64,
}

/// The outcome of one streaming pass over a file.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The first private key material found, if any.
    pub key: Option<KeyFound>,
    /// The first [`HEAD_BYTES`] bytes.
    pub head: Vec<u8>,
    /// The file's length in bytes.
    pub len: u64,
}

/// Stream `r` once, in [`CHUNK`]-sized pieces with an [`OVERLAP`]-byte carry, looking for PEM
/// private-key armour (`-----BEGIN <label> PRIVATE KEY-----`, any label) anywhere, and at
/// offset 0 for the binary key formats ([`binary_key`]). Memory stays bounded whatever the size.
pub fn scan(mut r: impl Read) -> io::Result<Scan> {
    let finder = memchr::memmem::Finder::new(b"-----BEGIN ");
    let mut buf = vec![0u8; OVERLAP + CHUNK];
    let mut keep = 0usize;
    let mut out = Scan::default();
    loop {
        let n = read_full(&mut r, buf.get_mut(keep..).unwrap_or_default())?;
        let fresh = buf.get(keep..keep + n).unwrap_or_default();
        let want = (HEAD_BYTES as usize).saturating_sub(out.head.len());
        out.head
            .extend_from_slice(fresh.get(..want.min(n)).unwrap_or(fresh));
        // Offset of buf[0] in the file.
        let base = out.len - keep as u64;
        out.len += n as u64;
        let window = buf.get(..keep + n).unwrap_or_default();
        for pos in finder.find_iter(window) {
            if let Some(label) = armour_label(window.get(pos + 11..).unwrap_or_default()) {
                if label.contains("PRIVATE KEY") {
                    out.key = Some(KeyFound {
                        what: format!("a PEM private key (`-----BEGIN {label}-----`)"),
                        offset: base + pos as u64,
                    });
                    return Ok(out);
                }
            }
        }
        if keep + n < buf.len() {
            break;
        }
        let start = window.len().saturating_sub(OVERLAP);
        buf.copy_within(start..keep + n, 0);
        keep = keep + n - start;
    }
    if let Some(what) = binary_key(&out.head, out.len) {
        out.key = Some(KeyFound {
            what: what.into(),
            offset: 0,
        });
    }
    Ok(out)
}

/// The label of a PEM armour line, given the bytes after `-----BEGIN `: printable ASCII up to
/// the closing `-----`, at most [`MAX_LABEL`] bytes.
fn armour_label(rest: &[u8]) -> Option<&str> {
    let end = memchr::memmem::find(rest.get(..MAX_LABEL + 5).unwrap_or(rest), b"-----")?;
    let label = rest.get(..end)?;
    if label.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        std::str::from_utf8(label).ok()
    } else {
        None
    }
}

/// Read until `buf` is full or the reader ends; how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A binary private key format recognised by the file's first bytes (`head`) and its length:
/// PVK, OpenSSH (binary), PuTTY, PKCS#12, and PKCS#1/PKCS#8/SEC1 DER (whose outer SEQUENCE
/// must span the whole file, so arbitrary binaries starting with `0x30` are not mistaken).
pub fn binary_key(head: &[u8], len: u64) -> Option<&'static str> {
    if head.starts_with(&[0x1e, 0xf1, 0xb5, 0xb0]) {
        return Some("a PVK private key (Microsoft key file)");
    }
    if head.starts_with(b"openssh-key-v1\0") {
        return Some("an OpenSSH private key");
    }
    if head.starts_with(b"PuTTY-User-Key-File-") {
        return Some("a PuTTY private key");
    }
    let spans_file = match head {
        [0x30, 0x80, ..] => true,
        _ => der_header(head, 0).is_some_and(|(_, h, l)| (h + l) as u64 == len),
    };
    match der_kind(head) {
        DerKind::Pkcs12 if spans_file => Some("a PKCS#12 archive (it holds a private key)"),
        DerKind::PrivateKey if spans_file => Some("a DER private key (PKCS#1, PKCS#8 or SEC1)"),
        _ => None,
    }
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
    /// A PKCS#12 archive (`.pfx`/`.p12`: certificates with their private key).
    Pkcs12,
    /// Anything else (the text says what it looked like).
    Other(&'static str),
}

/// One DER (or BER) header at `at`: (tag, header length, content length; 0 if indefinite).
fn der_header(b: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(at)?;
    let first = *b.get(at + 1)? as usize;
    if first < 0x80 {
        return Some((tag, 2, first));
    }
    let n = first & 0x7f;
    if n == 0 {
        return Some((tag, 2, 0));
    }
    if n > 4 {
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
    const OCTETS: u8 = 0x04;
    const PKCS7_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    const PKCS7_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    let Some((SEQ, outer_hdr, _)) = der_header(b, 0) else {
        return DerKind::Other("no DER SEQUENCE at the start");
    };
    let first = outer_hdr;
    let Some((tag, hdr, len)) = der_header(b, first) else {
        return DerKind::Other("truncated DER");
    };
    let next = first + hdr + len;
    match tag {
        INT if len == 1 && b.get(first + hdr).is_some_and(|v| *v <= 3) => {
            let version = b.get(first + hdr).copied().unwrap_or(0);
            match der_header(b, next) {
                // PKCS#12: SEQUENCE { INTEGER 3, ContentInfo { OID data, ... } }.
                Some((SEQ, h, _)) if version == 3 => match der_header(b, next + h) {
                    Some((OID, oh, ol))
                        if b.get(next + h + oh..next + h + oh + ol) == Some(PKCS7_DATA) =>
                    {
                        DerKind::Pkcs12
                    }
                    _ => DerKind::Other("an unknown structure"),
                },
                // PKCS#1/DSA (INTEGER), PKCS#8 (AlgorithmIdentifier), SEC1 (OCTET STRING).
                // (Cut short after the version: still judged a key, as a `.der` must be a certificate.)
                Some((INT | SEQ | OCTETS, _, _)) | None if version <= 1 => DerKind::PrivateKey,
                _ => DerKind::Other("an unknown structure"),
            }
        }
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
            Some((OID, _, _)) => match der_header(b, next) {
                Some((OCTETS, _, _)) => DerKind::PrivateKey,
                Some((0x03, _, _)) => DerKind::Other("a public key"),
                _ => DerKind::Other("an unknown structure"),
            },
            _ => DerKind::Other("an unknown structure"),
        },
        _ => DerKind::Other("an unknown structure"),
    }
}

/// Why `bytes` (a file given for the certificate slot, or in a guest-tools `certs/`) is not
/// only certificates, if it is not: it must be one DER X.509 certificate, a DER PKCS#7 bundle,
/// or PEM text whose blocks are all `CERTIFICATE` or `PKCS7`. The text says what was found.
pub fn certificate_problem(bytes: &[u8]) -> Option<String> {
    let scanned = match scan(bytes) {
        Ok(s) => s,
        Err(e) => return Some(format!("it cannot be read ({e})")),
    };
    if let Some(k) = scanned.key {
        let before = bytes.get(..k.offset as usize).unwrap_or_default();
        let after_cert = memchr::memmem::find(before, b"-----BEGIN CERTIFICATE-----").is_some();
        return Some(if after_cert && k.what.starts_with("a PEM") {
            format!("{} after the certificate", k.what)
        } else {
            k.what
        });
    }
    if bytes.first() == Some(&0x30) {
        let kind = der_kind(bytes);
        return match kind {
            DerKind::Certificate | DerKind::CertificateBundle => match der_header(bytes, 0) {
                Some((_, h, l)) if h + l == bytes.len() => None,
                Some((_, h, l)) if h + l < bytes.len() => Some(format!(
                    "{} more bytes after the DER certificate",
                    bytes.len() - h - l
                )),
                _ => Some("a truncated DER certificate".into()),
            },
            DerKind::PrivateKey => Some("a DER private key".into()),
            DerKind::Pkcs12 => Some("a PKCS#12 archive (it holds a private key)".into()),
            DerKind::Other(what) => Some(format!("DER data that is not a certificate ({what})")),
        };
    }
    pem_certificate_problem(bytes)
}

/// [`certificate_problem`] for PEM text: every block `CERTIFICATE` (an X.509 certificate) or
/// `PKCS7` (a bundle), at least one block, only text outside the blocks.
fn pem_certificate_problem(bytes: &[u8]) -> Option<String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some("neither a DER certificate nor PEM text (binary data)".into());
    };
    let mut rest = text;
    let mut blocks = 0;
    while let Some(at) = rest.find("-----BEGIN ") {
        let Some(label) = armour_label(rest.get(at + 11..).unwrap_or_default().as_bytes()) else {
            return Some("a malformed PEM armour line".into());
        };
        let body_start = at + 11 + label.len() + 5;
        let end_line = format!("-----END {label}-----");
        let Some(body_len) = rest.get(body_start..).and_then(|r| r.find(&end_line)) else {
            return Some(format!("a PEM `{label}` block without its END line"));
        };
        let body: String = rest
            .get(body_start..body_start + body_len)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = match base64::engine::general_purpose::STANDARD.decode(body) {
            Ok(d) => d,
            Err(_) => return Some(format!("a PEM `{label}` block that is not valid base64")),
        };
        let ok = match label {
            "CERTIFICATE" => der_kind(&der) == DerKind::Certificate,
            "PKCS7" => der_kind(&der) == DerKind::CertificateBundle,
            _ => {
                return Some(format!(
                    "a PEM `{label}` block (only CERTIFICATE and PKCS7 blocks may ship)"
                ))
            }
        };
        if !ok {
            return Some(format!("a PEM `{label}` block that does not hold one"));
        }
        blocks += 1;
        rest = rest
            .get(body_start + body_len + end_line.len()..)
            .unwrap_or_default();
    }
    if blocks == 0 {
        Some("neither a DER certificate nor a PEM CERTIFICATE or PKCS7 block".into())
    } else {
        None
    }
}

/// Read the certificate at `path` (at most [`MAX_CERT_BYTES`]) and check it with
/// [`certificate_problem`]; the problem, if any, names the file and says what it holds.
pub fn check_certificate_file(path: &std::path::Path) -> Result<Option<String>> {
    let read_err = |e: io::Error| {
        Error::invalid(format!("cannot read certificate {}: {e}", path.display()))
            .with_help("check that the file exists and is readable")
    };
    let f = crate::regular::open(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_CERT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_CERT_BYTES {
        return Ok(Some(format!(
            "certificate {} is larger than {} bytes, too big for a certificate; give the .cer/.crt/.p7b file itself",
            path.display(),
            MAX_CERT_BYTES
        )));
    }
    Ok(certificate_problem(&bytes).map(|what| {
        format!(
            "certificate {} is not only certificates: it holds {what}; give a DER or PEM X.509 certificate (or a PKCS#7 bundle), and keep private keys off the media",
            path.display()
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal DER certificate shape spanning its whole length.
    const CERT: [u8; 8] = [0x30, 0x06, 0x30, 0x04, 0xa0, 0x02, 0x02, 0x00];

    fn found(b: &[u8]) -> Option<String> {
        scan(b).unwrap().key.map(|k| k.what)
    }

    #[test]
    fn der_shapes() {
        // SEQUENCE { SEQUENCE { [0] {..} ...} ...}: a certificate.
        let cert = [
            0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xf0, 0xa0, 0x03, 0x02, 0x01, 0x02,
        ];
        assert_eq!(der_kind(&cert), DerKind::Certificate);
        // SEQUENCE { INTEGER 0, INTEGER ... }: PKCS#1.
        let key = [
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01,
        ];
        assert_eq!(der_kind(&key), DerKind::PrivateKey);
        // SEQUENCE { INTEGER 0, SEQUENCE { OID ... } }: PKCS#8.
        let p8 = [
            0x30, 0x0a, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
        ];
        assert_eq!(der_kind(&p8), DerKind::PrivateKey);
        // SEQUENCE { INTEGER 1, OCTET STRING }: SEC1.
        let sec1 = [0x30, 0x07, 0x02, 0x01, 0x01, 0x04, 0x02, 0xaa, 0xbb];
        assert_eq!(der_kind(&sec1), DerKind::PrivateKey);
        // SEQUENCE { SEQUENCE { OID }, OCTET STRING }: encrypted PKCS#8.
        let enc = [
            0x30, 0x20, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x10,
        ];
        assert_eq!(der_kind(&enc), DerKind::PrivateKey);
        // PKCS#12, definite and indefinite lengths.
        let mut p12 = vec![0x30, 0x11, 0x02, 0x01, 0x03, 0x30, 0x0c, 0x06, 0x09];
        p12.extend_from_slice(&[
            0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x00,
        ]);
        assert_eq!(der_kind(&p12), DerKind::Pkcs12);
        let mut ber = p12.clone();
        ber[1] = 0x80;
        ber[6] = 0x80;
        assert_eq!(der_kind(&ber), DerKind::Pkcs12);
        assert!(matches!(der_kind(b"-----BEGIN"), DerKind::Other(_)));
        assert!(matches!(der_kind(&[]), DerKind::Other(_)));
    }

    #[test]
    fn binary_keys_by_magic_and_shape() {
        assert!(binary_key(&[0x1e, 0xf1, 0xb5, 0xb0, 0, 0], 6).is_some_and(|w| w.contains("PVK")));
        assert!(binary_key(b"openssh-key-v1\0none", 19).is_some_and(|w| w.contains("OpenSSH")));
        assert!(binary_key(b"PuTTY-User-Key-File-3: ssh-ed25519", 34).is_some());
        let sec1 = [0x30, 0x07, 0x02, 0x01, 0x01, 0x04, 0x02, 0xaa, 0xbb];
        assert!(binary_key(&sec1, 9).is_some());
        // The outer SEQUENCE must span the file: a binary that happens to start alike ships.
        assert_eq!(binary_key(&sec1, 4096), None);
        assert_eq!(binary_key(&CERT, 8), None);
        assert_eq!(binary_key(b"MZ\x90\x00", 4), None);
    }

    #[test]
    fn pem_armour_anywhere_in_any_form() {
        for label in [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "DSA PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
        ] {
            let text = format!("notes\r\n-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
            let what = found(text.as_bytes()).unwrap();
            assert!(what.contains(label), "{what}");
        }
        assert_eq!(found(b"-----BEGIN CERTIFICATE-----\nAAAA\n"), None);
        assert_eq!(found(b"-----BEGIN PUBLIC KEY-----\n"), None);
        assert_eq!(found(b""), None);
    }

    #[test]
    fn the_scan_sees_armour_across_chunk_boundaries_and_deep_in_big_files() {
        let armour = b"-----BEGIN RSA PRIVATE KEY-----";
        // Place the armour straddling the first chunk boundary at every split point, and once
        // far into the file.
        let size = OVERLAP + CHUNK;
        for split in 0..armour.len() {
            let mut b = vec![0u8; size + 100];
            let at = size - split;
            b[at..at + armour.len()].copy_from_slice(armour);
            let s = scan(&b[..]).unwrap();
            assert_eq!(s.key.map(|k| k.offset), Some(at as u64), "split {split}");
        }
        let mut b = vec![0x41u8; 3 * CHUNK + 17];
        let at = 2 * CHUNK + 5;
        b[at..at + armour.len()].copy_from_slice(armour);
        let s = scan(&b[..]).unwrap();
        assert_eq!(s.key.map(|k| k.offset), Some(at as u64));
        let s = scan(&vec![7u8; 2 * CHUNK + 3][..]).unwrap();
        assert_eq!(
            (s.key, s.len, s.head.len()),
            (None, 2 * CHUNK as u64 + 3, HEAD_BYTES as usize)
        );
    }

    #[test]
    fn the_certificate_slot_takes_only_certificates() {
        assert_eq!(certificate_problem(&CERT), None);
        let b64 = base64::engine::general_purpose::STANDARD.encode(CERT);
        let pem = format!(
            "subject=CN x\n-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n"
        );
        assert_eq!(certificate_problem(pem.as_bytes()), None);
        let two = format!("{pem}{pem}");
        assert_eq!(certificate_problem(two.as_bytes()), None);

        let combined =
            format!("{pem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        let p = certificate_problem(combined.as_bytes()).unwrap();
        assert!(
            p.contains("PEM private key") && p.contains("after the certificate"),
            "{p}"
        );
        let pubkey = format!("{pem}-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n");
        assert!(certificate_problem(pubkey.as_bytes())
            .unwrap()
            .contains("PUBLIC KEY"));
        let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(certificate_problem(bad.as_bytes())
            .unwrap()
            .contains("base64"));
        let mut trailing = CERT.to_vec();
        trailing.extend_from_slice(&[0x30, 0x07, 0x02, 0x01, 0x01, 0x04, 0x02, 0xaa, 0xbb]);
        assert!(certificate_problem(&trailing)
            .unwrap()
            .contains("9 more bytes"));
        let sec1 = [0x30, 0x07, 0x02, 0x01, 0x01, 0x04, 0x02, 0xaa, 0xbb];
        assert!(certificate_problem(&sec1).unwrap().contains("private key"));
        assert!(certificate_problem(b"hello").is_some());
        assert!(certificate_problem(&[0xff, 0x00]).is_some());
    }

    #[test]
    fn content_refusal_names_the_file() {
        let r = |rel: &str, ext: Option<&str>, b: &'static [u8]| {
            content_refusal(rel, ext, || Ok(b)).unwrap()
        };
        assert_eq!(r("a.txt", Some("txt"), b"plain"), None);
        let why = r(
            "notes.txt",
            Some("txt"),
            b"x\n-----BEGIN EC PRIVATE KEY-----\n",
        )
        .unwrap();
        assert!(
            why.contains("`notes.txt`") && why.contains("EC PRIVATE KEY"),
            "{why}"
        );
        assert_eq!(r("c.der", Some("der"), &CERT), None);
        assert!(r("c.der", Some("der"), b"junk").is_some());
        assert_eq!(r("c.bin", Some("bin"), b"junk"), None);
    }

    /// The scan's cost on a big file: `AERO_SCAN_FILE=<path> cargo test --lib scan_cost --
    /// --ignored --nocapture` (figures in docs/decisions.md).
    #[test]
    #[ignore = "measurement; needs AERO_SCAN_FILE"]
    fn scan_cost() {
        let path = std::env::var("AERO_SCAN_FILE").expect("AERO_SCAN_FILE");
        let t = std::time::Instant::now();
        let s = scan(std::fs::File::open(&path).unwrap()).unwrap();
        eprintln!("scanned {} bytes in {:?}: {:?}", s.len, t.elapsed(), s.key);
    }
}
