//! The parts of an X.509 certificate a catalog check needs: subject, issuer, serial number and
//! thumbprint. Nothing here verifies a signature; see `docs/decisions.md` (catalogs).

use sha1::{Digest, Sha1};

use super::der::{self, tag, DerResult, Reader};
use crate::hash::hex;

/// A certificate as read from a catalog or from a `.cer` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    /// The whole DER encoding.
    pub der: Vec<u8>,
    /// The subject Name, DER-encoded (compared byte for byte with issuer names).
    pub subject_der: Vec<u8>,
    /// The issuer Name, DER-encoded.
    pub issuer_der: Vec<u8>,
    /// The serial number's content octets.
    pub serial: Vec<u8>,
    /// The subject as text (`CN=Red Hat Inc., OU=Dev, O=virtio-win`).
    pub subject: String,
    /// The issuer as text.
    pub issuer: String,
    /// SHA-1 of the DER encoding, upper-case hex (what Windows shows as the thumbprint).
    pub thumbprint: String,
}

impl Cert {
    /// Read a DER certificate (the whole of `data`, or its first element).
    pub fn parse(data: &[u8]) -> DerResult<Cert> {
        let cert = Reader::new(data).expect(tag::SEQUENCE, "certificate")?;
        let mut c = cert.reader();
        let tbs = c.expect(tag::SEQUENCE, "tbsCertificate")?;
        let mut t = tbs.reader();
        t.optional(tag::CONTEXT_0)?; // version
        let serial = t.expect(tag::INTEGER, "serialNumber")?;
        t.expect(tag::SEQUENCE, "signature algorithm")?;
        let issuer = t.expect(tag::SEQUENCE, "issuer")?;
        t.expect(tag::SEQUENCE, "validity")?;
        let subject = t.expect(tag::SEQUENCE, "subject")?;
        Ok(Cert {
            der: cert.raw.to_vec(),
            subject_der: subject.raw.to_vec(),
            issuer_der: issuer.raw.to_vec(),
            serial: serial.value.to_vec(),
            subject: name_text(subject.value),
            issuer: name_text(issuer.value),
            thumbprint: hex(&Sha1::digest(cert.raw)).to_ascii_uppercase(),
        })
    }

    /// Read a certificate file: DER, or PEM (`-----BEGIN CERTIFICATE-----`).
    pub fn parse_file(data: &[u8]) -> DerResult<Cert> {
        match pem_body(data) {
            Some(der) => Cert::parse(&der),
            None => Cert::parse(data),
        }
    }

    /// The common name (`CN`) of the subject, else the whole subject.
    pub fn common_name(&self) -> &str {
        attribute(&self.subject, "CN").unwrap_or(&self.subject)
    }

    /// The organisation (`O`) of the subject.
    pub fn organization(&self) -> Option<&str> {
        attribute(&self.subject, "O")
    }

    /// Whether the certificate names itself as its issuer.
    pub fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }
}

fn attribute<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.split(", ")
        .find_map(|part| part.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn pem_body(data: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = std::str::from_utf8(data).ok()?;
    let start = text.find("-----BEGIN CERTIFICATE-----")?;
    let body = &text[start + 27..];
    let end = body.find("-----END CERTIFICATE-----")?;
    let b64: String = body[..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// A Name (RDNSequence content) as `CN=..., OU=..., O=...`: most specific first, as Windows
/// shows it; unknown attribute types by OID.
fn name_text(rdns: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut r = Reader::new(rdns);
    while !r.is_empty() && parts.len() < 64 {
        let Ok(set) = r.next_tlv() else { break };
        let mut s = set.reader();
        while !s.is_empty() && parts.len() < 64 {
            let Ok(atv) = s.next_tlv() else { break };
            let mut a = atv.reader();
            let (Ok(oid), Ok(value)) = (a.oid("attribute type"), a.next_tlv()) else {
                break;
            };
            let key = match oid.as_str() {
                "2.5.4.3" => "CN".to_string(),
                "2.5.4.6" => "C".to_string(),
                "2.5.4.7" => "L".to_string(),
                "2.5.4.8" => "ST".to_string(),
                "2.5.4.10" => "O".to_string(),
                "2.5.4.11" => "OU".to_string(),
                "1.2.840.113549.1.9.1" => "E".to_string(),
                other => other.to_string(),
            };
            let v = der::string_value(&value).unwrap_or_else(|| hex(value.value));
            parts.push(format!("{key}={v}"));
        }
    }
    parts.reverse();
    parts.join(", ")
}
