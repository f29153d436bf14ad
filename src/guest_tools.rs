//! Guest Tools media: the guest-tools tree, the certificates the signing policy wants, and the
//! rules for what of that tree ships.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};

use crate::contract::Contract;
use crate::error::{Error, Result};
use crate::media::manifest::Package;
use crate::media::publish::Publish;
use crate::media::Media;
use crate::policy;

/// Files the guest-tools tree must have at its root (setup.cmd and friends read each other).
pub const ROOT_FILES: [&str; 6] = [
    "setup.cmd",
    "uninstall.cmd",
    "verify.cmd",
    "verify.ps1",
    "README.md",
    "THIRD_PARTY_NOTICES.md",
];

/// Top-level directories of the guest-tools tree that ship (besides the root files). `drivers/`
/// is there for notes such as Aero's `drivers/README.md` (the earlier packager ships them); a
/// file there that a driver package also ships is an error naming the path.
pub const SHIPPED_DIRS: [&str; 5] = ["config", "certs", "drivers", "licenses", "tools"];

/// The file the recipes generate from the device contract; a copy in the tree is replaced.
pub const DEVICES_CMD: &str = "config/devices.cmd";

/// What the media says about driver signatures, and so which certificates it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningPolicy {
    /// Test-signed drivers: the signing certificate ships; setup offers test signing.
    Test,
    /// Production (WHQL) signed drivers: no certificate ships.
    Production,
    /// No expectations (e.g. upstream virtio-win): no certificate ships.
    None,
}

impl SigningPolicy {
    /// Parse a policy name or one of the legacy aliases.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "test" | "testsigning" | "test-signing" => Ok(SigningPolicy::Test),
            "production" | "prod" | "whql" => Ok(SigningPolicy::Production),
            "none" | "nointegritychecks" => Ok(SigningPolicy::None),
            _ => Err(Error::invalid(format!("unknown signing_policy `{s}`"))
                .with_help("use test, production or none (aliases: testsigning, test-signing, prod, whql, nointegritychecks)")),
        }
    }

    /// The canonical name written to manifest.json.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningPolicy::Test => "test",
            SigningPolicy::Production => "production",
            SigningPolicy::None => "none",
        }
    }

    /// Whether the media must carry a certificate (`certs_required` in the manifest).
    pub fn certs_required(self) -> bool {
        self == SigningPolicy::Test
    }
}

impl fmt::Display for SigningPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Guest Tools outputs written into `out_dir`: the ISO, the ZIP, and two manifest copies.
pub const ISO_NAME: &str = "aero-guest-tools.iso";
/// See [`ISO_NAME`].
pub const ZIP_NAME: &str = "aero-guest-tools.zip";
/// See [`ISO_NAME`].
pub const MANIFEST_COPIES: [&str; 2] = ["manifest.json", "aero-guest-tools.manifest.json"];

/// How a Guest Tools run publishes, decided once from its parameters: where, which package,
/// which signing policy (the same one that chose the certificates), which volume label.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Directory the outputs go to.
    pub out_dir: PathBuf,
    /// The manifest's `package`.
    pub package: Package,
    /// The signing policy.
    pub policy: SigningPolicy,
    /// ISO volume label.
    pub volume_id: String,
}

impl Profile {
    /// The publish request: the four outputs, the policy, and the inputs the manifest records
    /// (the spec and contract files by base name and SHA-256, the contract's identity, and
    /// `extra` inputs such as the virtio-win provenance).
    pub fn publish_request(
        &self,
        spec_record: &Value,
        contract: &Contract,
        contract_record: &Value,
        extra: BTreeMap<String, Value>,
    ) -> Result<Publish> {
        let mut req = Publish::new(self.out_dir.clone(), self.package.clone());
        req.signing_policy = self.policy.as_str().into();
        req.certs_required = self.policy.certs_required();
        let mut k = contract_record.clone();
        if let Value::Object(o) = &mut k {
            o.insert("contract_name".into(), json!(contract.contract_name));
            o.insert("contract_version".into(), json!(contract.contract_version));
            o.insert("schema_version".into(), json!(contract.schema_version));
        }
        for (role, v) in [
            ("packaging_spec", spec_record.clone()),
            ("windows_device_contract", k),
        ] {
            req.inputs.insert(role.into(), v);
        }
        for (role, v) in extra {
            if req.inputs.contains_key(&role) {
                return Err(Error::invalid(format!(
                    "manifest input `{role}` is recorded by the Guest Tools profile itself"
                ))
                .with_help("name the extra input differently"));
            }
            req.inputs.insert(role, v);
        }
        req.iso = Some((ISO_NAME.into(), self.volume_id.clone()));
        req.zip = Some(ZIP_NAME.into());
        req.manifest_copies = MANIFEST_COPIES.iter().map(|s| s.to_string()).collect();
        Ok(req)
    }
}

fn is_cert(rel: &str) -> bool {
    matches!(
        policy::extension(rel).as_deref(),
        Some("cer" | "crt" | "p7b")
    )
}

/// The guest-tools tree as media: root files, `config/`, `licenses/`, `tools/` and `certs/`,
/// with certificates per `policy` (stripped for production/none; `cert` injected for test).
/// Every problem (missing root files, key material, a test policy without a certificate) is
/// reported at once. The generated `config/devices.cmd` is not taken from the tree.
pub fn media(dir: &Path, policy: SigningPolicy, cert: Option<&Path>) -> Result<Media> {
    let (files, mut problems) = policy::shipped_files(dir)?;
    for root in ROOT_FILES {
        if !files.iter().any(|f| f.rel == root) {
            problems.push(Error::invalid(format!(
                "{}: required file `{root}` is missing",
                dir.display()
            )));
        }
    }
    if !dir.join("config").is_dir() {
        problems.push(Error::invalid(format!(
            "{}: required directory `config/` is missing",
            dir.display()
        )));
    }
    if cert.is_some() && policy != SigningPolicy::Test {
        problems.push(
            Error::invalid(format!(
                "a certificate was given but signing_policy is `{policy}`, which ships none"
            ))
            .with_help("drop the certificate, or use signing_policy=test for test-signed drivers"),
        );
    }
    let mut m = Media::new();
    let mut certs = 0;
    for f in &files {
        let top = f.rel.split('/').next().unwrap_or("");
        let shipped_place = ROOT_FILES.contains(&f.rel.as_str())
            || (f.rel.contains('/') && SHIPPED_DIRS.contains(&top));
        if !shipped_place || f.rel.eq_ignore_ascii_case(DEVICES_CMD) {
            continue;
        }
        if top == "certs" && is_cert(&f.rel) {
            if let Some(why) = crate::keys::check_certificate_file(&f.path)? {
                problems.push(Error::invalid(why));
                continue;
            }
            if policy != SigningPolicy::Test {
                continue;
            }
            certs += 1;
        }
        m.add_file(&f.rel, &f.path)?;
    }
    if let Some(c) = cert.filter(|_| policy == SigningPolicy::Test) {
        let name = c.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !is_cert(name) {
            problems.push(Error::invalid(format!(
                "certificate {} must be a .cer, .crt or .p7b file",
                c.display()
            )));
        } else if let Some(why) = crate::keys::check_certificate_file(c)? {
            problems.push(Error::invalid(why).with_help(
                "pass the signing certificate alone (export it without its private key)",
            ));
            // Given but refused: that is the problem to report, not a missing certificate.
            certs += 1;
        } else if m.get(&format!("certs/{name}")).is_some() {
            problems.push(Error::invalid(format!(
                "certificate `{name}` is both in {}/certs and given as cert",
                dir.display()
            )));
        } else {
            m.add_file(&format!("certs/{name}"), c)?;
            certs += 1;
        }
    }
    if policy == SigningPolicy::Test && certs == 0 {
        problems.push(
            Error::invalid(
                "signing_policy `test` needs a certificate on the media, and there is none",
            )
            .with_help(
                "pass the certificate the drivers were signed with: --set cert=path/to/cert.cer",
            ),
        );
    }
    if problems.is_empty() {
        Ok(m)
    } else {
        Err(Error::many(
            format!(
                "the guest-tools tree {} has {} problem(s)",
                dir.display(),
                problems.len()
            ),
            problems,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal DER certificate shape (the certificate check reads certs/ files).
    const CERT: &[u8] = &[0x30, 0x06, 0x30, 0x04, 0xa0, 0x02, 0x02, 0x00];

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in ROOT_FILES {
            std::fs::write(d.path().join(f), f).unwrap();
        }
        for (p, body) in [
            ("config/README.md", "x"),
            ("config/devices.cmd", "stale"),
            ("certs/README.md", "x"),
            ("licenses/a.txt", "l"),
            ("drivers/README.md", "about the drivers"),
            ("tools/t.exe", "t"),
            ("tools/t.pdb", "symbols"),
            ("stray.txt", "not shipped"),
        ] {
            let p = d.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        std::fs::write(d.path().join("certs/old.cer"), CERT).unwrap();
        d
    }

    fn paths(m: &Media) -> Vec<&str> {
        m.files().map(|(p, _)| p).collect()
    }

    #[test]
    fn certificates_follow_the_signing_policy() {
        let d = tree();
        let m = media(d.path(), SigningPolicy::None, None).unwrap();
        let p = paths(&m);
        assert!(!p.iter().any(|p| p.ends_with(".cer")), "{p:?}");
        assert!(
            p.contains(&"certs/README.md")
                && p.contains(&"drivers/README.md")
                && p.contains(&"tools/t.exe")
                && p.contains(&"licenses/a.txt")
        );
        assert!(
            !p.contains(&"tools/t.pdb")
                && !p.contains(&"stray.txt")
                && !p.contains(&"config/devices.cmd")
        );

        let extra = d.path().join("given.cer");
        std::fs::write(&extra, CERT).unwrap();
        let m = media(d.path(), SigningPolicy::Test, Some(&extra)).unwrap();
        assert!(paths(&m).contains(&"certs/old.cer") && paths(&m).contains(&"certs/given.cer"));
        assert_eq!(
            SigningPolicy::parse("WHQL").unwrap(),
            SigningPolicy::Production
        );
        assert_eq!(
            SigningPolicy::parse("testsigning").unwrap(),
            SigningPolicy::Test
        );
        assert!(SigningPolicy::parse("maybe").is_err());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let d = tree();
        std::fs::remove_file(d.path().join("setup.cmd")).unwrap();
        std::fs::remove_file(d.path().join("certs/old.cer")).unwrap();
        std::fs::write(d.path().join("tools/signing.pfx"), "key").unwrap();
        let e = media(d.path(), SigningPolicy::Test, None).unwrap_err();
        let all: Vec<String> = e.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(all.len(), 3, "{all:#?}");
        assert!(all.iter().any(|p| p.contains("setup.cmd")));
        assert!(all.iter().any(|p| p.contains("signing.pfx")));
        assert!(all.iter().any(|p| p.contains("needs a certificate")));
    }

    #[test]
    fn the_certificate_slot_and_certs_dir_take_only_certificates() {
        let d = tree();
        let combined = d.path().join("combined.crt");
        std::fs::write(
            &combined,
            "-----BEGIN CERTIFICATE-----\nMAYwBKACAgA=\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = media(d.path(), SigningPolicy::Test, Some(&combined)).unwrap_err();
        let all = format!("{:?}", e.problems());
        assert!(
            all.contains("combined.crt") && all.contains("after the certificate"),
            "{all}"
        );
        std::fs::write(d.path().join("certs/bad.cer"), "not a certificate").unwrap();
        let e = media(d.path(), SigningPolicy::None, None).unwrap_err();
        assert!(format!("{:?}", e.problems()).contains("bad.cer"));
    }
}
