//! A driver catalog (`.cat`): a PKCS#7 SignedData whose content is a Microsoft certificate
//! trust list. Each member carries a tag, name-value attributes (`File`, `OSAttr`) and the
//! SPC indirect data with the file's digest (Authenticode for PE images, flat otherwise).
//!
//! Read with [`super::der`], bounded: at most [`MAX_MEMBERS`] members and [`MAX_CERTS`]
//! certificates are kept; anything past that is an error rather than unbounded work.

use std::fmt;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::cert::Cert;
use super::der::{self, tag, DerError, DerResult, Reader, Tlv};

/// PKCS#7 signedData.
pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// Microsoft certificate trust list (the catalog content type).
pub const OID_CTL: &str = "1.3.6.1.4.1.311.10.1";
/// Catalog list (the CTL subject usage of a driver catalog).
pub const OID_CATALOG_LIST: &str = "1.3.6.1.4.1.311.12.1.1";
/// Catalog name-value attribute (`File`, `OSAttr`, ...).
pub const OID_NAME_VALUE: &str = "1.3.6.1.4.1.311.12.2.1";
/// SPC indirect data: the member's digest.
pub const OID_SPC_INDIRECT_DATA: &str = "1.3.6.1.4.1.311.2.1.4";
/// SPC PE image data: the digest is an Authenticode PE digest.
pub const OID_SPC_PE_IMAGE: &str = "1.3.6.1.4.1.311.2.1.15";
/// SPC link (flat file) data: the digest is over the whole file.
pub const OID_SPC_FLAT: &str = "1.3.6.1.4.1.311.2.1.25";
/// The messageDigest signed attribute.
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

/// Most members a catalog may have (real driver catalogs have tens).
pub const MAX_MEMBERS: usize = 100_000;
/// Most certificates a catalog may carry.
pub const MAX_CERTS: usize = 64;

/// A digest algorithm a catalog uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlg {
    /// SHA-1 (catalogs for Windows 7 and older signers).
    Sha1,
    /// SHA-256.
    Sha256,
}

impl HashAlg {
    /// From an AlgorithmIdentifier OID.
    pub fn from_oid(oid: &str) -> Option<HashAlg> {
        match oid {
            "1.3.14.3.2.26" => Some(HashAlg::Sha1),
            "2.16.840.1.101.3.4.2.1" => Some(HashAlg::Sha256),
            _ => None,
        }
    }

    /// `sha1` or `sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha256 => "sha256",
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
        }
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a member's digest was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestKind {
    /// Authenticode PE image digest.
    PeImage,
    /// The whole file.
    Flat,
    /// Another SPC data type (kept, matched as neither).
    Other,
}

/// One catalog member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The subject identifier (the tag), as text when it is UTF-16 or ASCII, else hex.
    pub tag: String,
    /// The `File` name-value attribute, if any.
    pub file: Option<String>,
    /// The member's `OSAttr` name-value attribute, if any.
    pub os_attr: Option<String>,
    /// The digest algorithm and digest from the SPC indirect data, if present.
    pub digest: Option<(HashAlg, Vec<u8>)>,
    /// What the digest is over.
    pub kind: DigestKind,
}

/// The signer info of the SignedData.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    /// The issuer Name (DER) of the signer's certificate, when identified by issuer and serial.
    pub issuer_der: Option<Vec<u8>>,
    /// The serial number of the signer's certificate.
    pub serial: Option<Vec<u8>>,
    /// The signer's digest algorithm.
    pub digest_alg: Option<HashAlg>,
    /// Whether the signed `messageDigest` attribute matches the catalog content (None when
    /// the signer has no signed attributes or uses an unknown algorithm).
    pub content_digest_ok: Option<bool>,
}

/// A parsed catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The CTL subject usages (a driver catalog has [`OID_CATALOG_LIST`]).
    pub usages: Vec<String>,
    /// The members, in file order.
    pub members: Vec<Member>,
    /// Catalog-level name-value attributes (`OSAttr`, `HWID1`, ...): (name, value).
    pub attributes: Vec<(String, String)>,
    /// Every certificate the SignedData carries.
    pub certs: Vec<Cert>,
    /// The signer infos.
    pub signers: Vec<SignerInfo>,
}

fn invalid(what: &str, e: DerError) -> DerError {
    DerError {
        offset: e.offset,
        message: format!("{what}: {}", e.message),
    }
}

impl Catalog {
    /// Parse a `.cat` file.
    pub fn parse(data: &[u8]) -> DerResult<Catalog> {
        let mut top = Reader::new(data);
        let ci = top.expect(tag::SEQUENCE, "ContentInfo")?;
        let mut ci = ci.reader();
        let ct = ci.oid("content type")?;
        if ct != OID_SIGNED_DATA {
            return Err(DerError {
                offset: 0,
                message: format!("not a PKCS#7 SignedData (content type {ct})"),
            });
        }
        let sd = ci.expect(tag::CONTEXT_0, "signedData")?;
        let sd = sd.reader().expect(tag::SEQUENCE, "SignedData")?;
        let mut sd = sd.reader();
        sd.expect(tag::INTEGER, "SignedData version")?;
        sd.expect(tag::SET, "digestAlgorithms")?;
        let eci = sd.expect(tag::SEQUENCE, "encapContentInfo")?;
        let mut eci = eci.reader();
        let ect = eci.oid("eContentType")?;
        if ect != OID_CTL {
            return Err(DerError {
                offset: 0,
                message: format!(
                    "the signed content is {ect}, not a certificate trust list ({OID_CTL})"
                ),
            });
        }
        let econtent = eci.expect(tag::CONTEXT_0, "eContent")?;
        let inner = econtent.reader().next_tlv()?;
        // CMS wraps the content in an OCTET STRING; PKCS#7 (Microsoft's tools) embeds it.
        let (ctl, signed_bytes) = match inner.tag {
            tag::OCTET_STRING => {
                let ctl = Reader::new(inner.value).expect(tag::SEQUENCE, "CTL")?;
                (ctl, inner.value)
            }
            tag::SEQUENCE => (inner, inner.value),
            t => {
                return Err(DerError {
                    offset: 0,
                    message: format!("eContent: unexpected tag 0x{t:02x}"),
                })
            }
        };
        let (usages, members, attributes) = parse_ctl(&ctl).map_err(|e| invalid("CTL", e))?;
        let mut certs = Vec::new();
        if let Some(set) = sd.optional(tag::CONTEXT_0)? {
            let mut r = set.reader();
            while !r.is_empty() {
                let t = r.next_tlv()?;
                if t.tag != tag::SEQUENCE {
                    continue; // other certificate choices (attribute certificates) are skipped
                }
                if certs.len() >= MAX_CERTS {
                    return Err(DerError {
                        offset: 0,
                        message: format!("more than {MAX_CERTS} certificates"),
                    });
                }
                certs.push(Cert::parse(t.raw).map_err(|e| invalid("certificate", e))?);
            }
        }
        sd.optional(tag::CONTEXT_1)?; // CRLs
        let set = sd.expect(tag::SET, "signerInfos")?;
        let mut signers = Vec::new();
        let mut r = set.reader();
        while !r.is_empty() && signers.len() < MAX_CERTS {
            let si = r.expect(tag::SEQUENCE, "SignerInfo")?;
            signers.push(parse_signer(&si, signed_bytes).map_err(|e| invalid("SignerInfo", e))?);
        }
        Ok(Catalog {
            usages,
            members,
            attributes,
            certs,
            signers,
        })
    }

    /// The certificate of the first signer (matched by issuer and serial number).
    pub fn signer_cert(&self) -> Option<&Cert> {
        let s = self.signers.first()?;
        match (&s.issuer_der, &s.serial) {
            (Some(i), Some(n)) => self
                .certs
                .iter()
                .find(|c| &c.issuer_der == i && &c.serial == n),
            _ if self.certs.len() == 1 => self.certs.first(),
            _ => None,
        }
    }

    /// The signer's certificate followed by its issuers found in the catalog (stops at a
    /// self-issued certificate, a missing issuer, or [`MAX_CERTS`]).
    pub fn signer_chain(&self) -> Vec<&Cert> {
        let mut chain: Vec<&Cert> = Vec::new();
        let mut cur = self.signer_cert();
        while let Some(c) = cur {
            if chain.len() >= MAX_CERTS || chain.iter().any(|x| x.der == c.der) {
                break;
            }
            chain.push(c);
            if c.is_self_issued() {
                break;
            }
            cur = self.certs.iter().find(|x| x.subject_der == c.issuer_der);
        }
        chain
    }

    /// Every digest algorithm the members use, sorted.
    pub fn hash_algs(&self) -> Vec<HashAlg> {
        let mut v: Vec<HashAlg> = self
            .members
            .iter()
            .filter_map(|m| m.digest.as_ref().map(|d| d.0))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The `OSAttr` values (catalog-level, then members'), each split at commas, deduplicated.
    pub fn os_attrs(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .attributes
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("OSAttr"))
            .map(|(_, v)| v.as_str())
            .chain(self.members.iter().filter_map(|m| m.os_attr.as_deref()));
        for v in all {
            for part in v.split(',') {
                let p = part.trim().to_string();
                if !p.is_empty() && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// The member whose digest is `digest` (made with `alg`).
    pub fn member_by_digest(&self, alg: HashAlg, digest: &[u8]) -> Option<&Member> {
        self.members.iter().find(|m| {
            m.digest
                .as_ref()
                .is_some_and(|(a, d)| *a == alg && d == digest)
        })
    }

    /// The members whose `File` attribute names `name` (case-insensitively).
    pub fn members_named(&self, name: &str) -> Vec<&Member> {
        self.members
            .iter()
            .filter(|m| {
                m.file
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(name))
            })
            .collect()
    }
}

/// A member digest: algorithm and bytes.
type MemberDigest = (HashAlg, Vec<u8>);

type CtlParts = (Vec<String>, Vec<Member>, Vec<(String, String)>);

fn parse_ctl(ctl: &Tlv<'_>) -> DerResult<CtlParts> {
    let mut r = ctl.reader();
    r.optional(tag::INTEGER)?; // version
    let usage = r.expect(tag::SEQUENCE, "subjectUsage")?;
    let mut usages = Vec::new();
    let mut u = usage.reader();
    while !u.is_empty() && usages.len() < 64 {
        usages.push(u.oid("usage")?);
    }
    r.optional(tag::OCTET_STRING)?; // listIdentifier
    r.optional(tag::INTEGER)?; // sequenceNumber
    match r.peek_tag() {
        Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => {
            r.next_tlv()?;
        }
        _ => {
            r.expect(tag::UTC_TIME, "ctlThisUpdate")?;
        }
    }
    if matches!(r.peek_tag(), Some(tag::UTC_TIME | tag::GENERALIZED_TIME)) {
        r.next_tlv()?; // ctlNextUpdate
    }
    r.expect(tag::SEQUENCE, "subjectAlgorithm")?;
    let mut members = Vec::new();
    if let Some(subjects) = r.optional(tag::SEQUENCE)? {
        let mut s = subjects.reader();
        while !s.is_empty() {
            if members.len() >= MAX_MEMBERS {
                return Err(DerError {
                    offset: 0,
                    message: format!("more than {MAX_MEMBERS} members"),
                });
            }
            let ts = s.expect(tag::SEQUENCE, "TrustedSubject")?;
            members.push(parse_member(&ts)?);
        }
    }
    let mut attributes = Vec::new();
    if let Some(ext) = r.optional(tag::CONTEXT_0)? {
        let exts = ext.reader().expect(tag::SEQUENCE, "ctlExtensions")?;
        let mut e = exts.reader();
        while !e.is_empty() && attributes.len() < 1024 {
            let x = e.expect(tag::SEQUENCE, "Extension")?;
            let mut x = x.reader();
            let oid = x.oid("extnID")?;
            x.optional(tag::BOOLEAN)?;
            let v = x.expect(tag::OCTET_STRING, "extnValue")?;
            if oid == OID_NAME_VALUE {
                if let Ok((n, val)) = name_value(v.value) {
                    attributes.push((n, val));
                }
            }
        }
    }
    Ok((usages, members, attributes))
}

fn parse_member(ts: &Tlv<'_>) -> DerResult<Member> {
    let mut r = ts.reader();
    let id = r.expect(tag::OCTET_STRING, "subjectIdentifier")?;
    let mut m = Member {
        tag: tag_text(id.value),
        file: None,
        os_attr: None,
        digest: None,
        kind: DigestKind::Other,
    };
    if let Some(attrs) = r.optional(tag::SET)? {
        let mut a = attrs.reader();
        while !a.is_empty() {
            let attr = a.expect(tag::SEQUENCE, "member attribute")?;
            let mut attr = attr.reader();
            let oid = attr.oid("attribute type")?;
            let values = attr.expect(tag::SET, "attribute values")?;
            let Ok(value) = values.reader().next_tlv() else {
                continue;
            };
            match oid.as_str() {
                OID_NAME_VALUE => {
                    let (n, v) = name_value(value.raw)?;
                    if n.eq_ignore_ascii_case("File") {
                        m.file = Some(v);
                    } else if n.eq_ignore_ascii_case("OSAttr") {
                        m.os_attr = Some(v);
                    }
                }
                OID_SPC_INDIRECT_DATA => {
                    let (kind, digest) = indirect_data(&value)?;
                    m.kind = kind;
                    m.digest = digest;
                }
                _ => {}
            }
        }
    }
    Ok(m)
}

/// `SEQUENCE { name BMPString, flags INTEGER, value OCTET STRING (UTF-16LE) }`.
fn name_value(raw: &[u8]) -> DerResult<(String, String)> {
    let seq = Reader::new(raw).expect(tag::SEQUENCE, "name-value")?;
    let mut r = seq.reader();
    let name = r.expect(tag::BMP_STRING, "name")?;
    r.optional(tag::INTEGER)?;
    let value = r.expect(tag::OCTET_STRING, "value")?;
    Ok((der::utf16(name.value, false), der::utf16(value.value, true)))
}

/// `SpcIndirectDataContent ::= SEQUENCE { data SEQUENCE { type OID, value ANY OPTIONAL },
/// messageDigest DigestInfo }`.
fn indirect_data(v: &Tlv<'_>) -> DerResult<(DigestKind, Option<MemberDigest>)> {
    if v.tag != tag::SEQUENCE {
        return Err(DerError {
            offset: 0,
            message: "SPC indirect data is not a SEQUENCE".into(),
        });
    }
    let mut r = v.reader();
    let data = r.expect(tag::SEQUENCE, "SpcAttributeTypeAndOptionalValue")?;
    let kind = match data.reader().oid("SPC data type")?.as_str() {
        OID_SPC_PE_IMAGE => DigestKind::PeImage,
        OID_SPC_FLAT => DigestKind::Flat,
        _ => DigestKind::Other,
    };
    let di = r.expect(tag::SEQUENCE, "DigestInfo")?;
    let mut d = di.reader();
    let alg = d.expect(tag::SEQUENCE, "digestAlgorithm")?;
    let alg = alg.reader().oid("digest algorithm")?;
    let digest = d.expect(tag::OCTET_STRING, "digest")?;
    Ok((
        kind,
        HashAlg::from_oid(&alg).map(|a| (a, digest.value.to_vec())),
    ))
}

fn parse_signer(si: &Tlv<'_>, content: &[u8]) -> DerResult<SignerInfo> {
    let mut r = si.reader();
    r.expect(tag::INTEGER, "version")?;
    let sid = r.next_tlv()?;
    let (issuer_der, serial) = if sid.tag == tag::SEQUENCE {
        let mut s = sid.reader();
        let issuer = s.expect(tag::SEQUENCE, "issuer")?;
        let serial = s.expect(tag::INTEGER, "serialNumber")?;
        (Some(issuer.raw.to_vec()), Some(serial.value.to_vec()))
    } else {
        (None, None)
    };
    let alg = r.expect(tag::SEQUENCE, "digestAlgorithm")?;
    let digest_alg = HashAlg::from_oid(&alg.reader().oid("digest algorithm")?);
    let mut content_digest_ok = None;
    if let Some(attrs) = r.optional(tag::CONTEXT_0)? {
        let mut a = attrs.reader();
        while !a.is_empty() {
            let attr = a.expect(tag::SEQUENCE, "signed attribute")?;
            let mut attr = attr.reader();
            if attr.oid("attribute type")? != OID_MESSAGE_DIGEST {
                continue;
            }
            let values = attr.expect(tag::SET, "values")?;
            let md = values.reader().expect(tag::OCTET_STRING, "messageDigest")?;
            if let Some(alg) = digest_alg {
                content_digest_ok = Some(alg.digest(content) == md.value);
            }
        }
    }
    Ok(SignerInfo {
        issuer_der,
        serial,
        digest_alg,
        content_digest_ok,
    })
}

/// A member tag as text: UTF-16LE when it decodes to printable ASCII (makecat's hex tags),
/// plain ASCII likewise, else hex.
fn tag_text(bytes: &[u8]) -> String {
    let printable = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if bytes.len() % 2 == 0 {
        let s = der::utf16(bytes, true);
        if printable(&s) && s.len() * 2 >= bytes.len().saturating_sub(2) {
            return s;
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if printable(s) => s.to_string(),
        _ => crate::hash::hex(bytes).to_ascii_uppercase(),
    }
}
