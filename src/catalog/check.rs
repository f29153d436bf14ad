//! The catalog checks of one driver package (an INF and the files it copies): every file and
//! the INF itself is a member of the catalog the INF names, binaries are built for the
//! package's architecture, the catalog's `OSAttr` covers the target OS, and the signer is the
//! one the signing policy asks for.
//!
//! The check reads files through a callback, so the same rules serve the CLI (files on disk),
//! recipe validation (a [`crate::drivers::Package`], possibly inside an ISO) and the tests.

use serde::Serialize;

use super::cert::Cert;
use super::ctl::Catalog;
use super::os::OsTarget;
use super::pe;
use crate::arch::Arch;
use crate::inf::{Decoration, Inf};

/// Which signer a package's catalog must have.
#[derive(Debug, Clone)]
pub enum Policy {
    /// No signing requirement: coverage and machine problems are warnings.
    None,
    /// Any signer, named in the report; coverage and machine problems are errors (what the
    /// `catalog` command checks unless told a policy).
    AnySigner,
    /// Test signing: one of these certificates (shipped on the media) must be the catalog's
    /// signer or one of its issuers.
    Test(Vec<Cert>),
    /// Production: a Microsoft hardware-compatibility or attestation signer.
    Production,
}

impl Policy {
    /// The policy a user named (`test`, `production`, `none`; none named: any signer), with the
    /// test-signing certificates the user gave: `test` needs them, the others refuse them.
    pub fn from_user(name: Option<&str>, certs: Vec<Cert>) -> crate::error::Result<Policy> {
        use crate::error::Error;
        let p = match name.map(str::to_ascii_lowercase).as_deref() {
            None => Policy::AnySigner,
            Some("test") if certs.is_empty() => {
                return Err(Error::invalid(
                    "--policy test needs --cert FILE (the test-signing certificate)",
                ))
            }
            Some("test") => return Ok(Policy::Test(certs)),
            Some("production") => Policy::Production,
            Some("none") => Policy::None,
            Some(other) => {
                let near = crate::suggest::did_you_mean(other, ["test", "production", "none"]);
                return Err(Error::invalid(format!("unknown --policy `{other}`"))
                    .with_help(format!("{near}use test, production or none")));
            }
        };
        if !certs.is_empty() {
            return Err(Error::invalid("--cert is only used with --policy test"));
        }
        Ok(p)
    }
}

impl Policy {
    fn name(&self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::AnySigner => "any signer",
            Policy::Test(_) => "test",
            Policy::Production => "production",
        }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The package would not install (or not with this signer).
    Error,
    /// Worth knowing; the media is still built.
    Warning,
}

/// One problem of a package, naming the file it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file (INF, catalog or copied file) by name.
    pub file: String,
    /// What is wrong and what to do.
    pub message: String,
    /// Whether this only says the file is absent (recipe validation reports that already).
    #[serde(skip)]
    pub absent: bool,
}

/// Whether a file is listed in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Its digest is a member.
    Covered,
    /// Its digest is not a member.
    NotCovered,
    /// The file is not in the package.
    Missing,
    /// The catalog could not be read, so nothing was compared.
    Unchecked,
}

/// One file of the package as checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCheck {
    /// Name as the INF writes it.
    pub name: String,
    /// Membership in the catalog.
    pub coverage: Coverage,
    /// Digest kind used: `authenticode` or `flat`.
    pub digest: &'static str,
    /// PE machine, for PE images (`amd64 (0x8664)`).
    pub machine: Option<String>,
}

/// The signer of a catalog, for reports and the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    /// Subject of the signer certificate.
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// SHA-1 thumbprint of the signer certificate (upper-case hex).
    pub thumbprint: String,
}

/// Everything found about one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageCheck {
    /// The INF, by name.
    pub inf: String,
    /// The architecture checked against, if known.
    pub arch: Option<Arch>,
    /// The catalog the INF names for that architecture.
    pub catalog: Option<String>,
    /// The signer, when the catalog has one.
    pub signer: Option<Signer>,
    /// The digest algorithms of the catalog's members.
    pub hash_algorithms: Vec<String>,
    /// The catalog's `OSAttr` entries (`2:6.1`).
    pub os_attributes: Vec<String>,
    /// The INF and each file it copies.
    pub files: Vec<FileCheck>,
    /// Every problem, errors first in file order.
    pub findings: Vec<Finding>,
}

impl PackageCheck {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// The most bytes of one file the check reads (drivers are far smaller).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// How the check reads a package's files: by name as the INF writes it (matched
/// case-insensitively by the caller); `None` when the package has no such file.
pub type ReadFile<'a> = dyn Fn(&str) -> Option<Result<Vec<u8>, String>> + 'a;

/// The files an INF copies (`CopyFiles`, `ServiceBinary`, KMDF co-installers), each once.
pub fn copied_files(inf: &Inf) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in inf.referenced_files() {
        if !matches!(
            f.directive,
            "CopyFiles" | "ServiceBinary" | "WdfCoInstaller"
        ) {
            continue;
        }
        let name = f
            .name
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&f.name)
            .to_string();
        if !name.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    out
}

/// The catalog Windows uses for `arch`: the `CatalogFile.NT<arch>` entry if there is one,
/// else the undecorated (or plain `NT`) entry. Without an architecture, the only catalog named.
pub fn catalog_for(inf: &Inf, arch: Option<Arch>) -> Option<String> {
    let cats = &inf.version().catalog_files;
    if let Some(arch) = arch {
        if let Some(c) = cats.iter().find(|c| {
            c.decoration
                .as_deref()
                .is_some_and(|d| Decoration::parse(d).arch == Some(arch))
        }) {
            return Some(c.file.clone());
        }
    } else {
        let mut names: Vec<&str> = cats.iter().map(|c| c.file.as_str()).collect();
        names.sort_by_key(|n| n.to_ascii_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        if names.len() == 1 {
            return names.first().map(|s| s.to_string());
        }
    }
    cats.iter()
        .find(|c| {
            c.decoration
                .as_deref()
                .is_none_or(|d| Decoration::parse(d).is_arch_neutral())
        })
        .map(|c| c.file.clone())
}

/// The machines a file may be built for in a package of `arch`: drivers (`.sys`) exactly the
/// package's; user-mode files also the ones Windows runs there (WOW64, ARM64EC/ARM64X).
fn machines_for(arch: Arch, name: &str) -> &'static [u16] {
    let sys = name.to_ascii_lowercase().ends_with(".sys");
    match (arch, sys) {
        (Arch::X86, _) => &[pe::MACHINE_I386],
        (Arch::Amd64, true) => &[pe::MACHINE_AMD64],
        (Arch::Amd64, false) => &[pe::MACHINE_AMD64, pe::MACHINE_I386],
        (Arch::Arm64, true) => &[pe::MACHINE_ARM64, pe::MACHINE_ARM64X],
        (Arch::Arm64, false) => &[
            pe::MACHINE_ARM64,
            pe::MACHINE_ARM64X,
            pe::MACHINE_ARM64EC,
            pe::MACHINE_AMD64,
            pe::MACHINE_I386,
        ],
    }
}

struct Out {
    findings: Vec<Finding>,
}

impl Out {
    fn push(&mut self, severity: Severity, file: &str, message: String) {
        self.findings.push(Finding {
            severity,
            file: file.to_string(),
            message,
            absent: false,
        });
    }
}

/// Check one package: `inf_name` is the INF's file name, `inf` its parse, `read` reads the
/// package's files by name, `arch` and `os` are what the package is shipped for.
pub fn check_package(
    inf_name: &str,
    inf: &Inf,
    arch: Option<Arch>,
    os: Option<&OsTarget>,
    policy: &Policy,
    read: &ReadFile<'_>,
) -> PackageCheck {
    let lax = matches!(policy, Policy::None);
    let must = if lax {
        Severity::Warning
    } else {
        Severity::Error
    };
    let mut out = Out {
        findings: Vec::new(),
    };
    let mut check = PackageCheck {
        inf: inf_name.to_string(),
        arch,
        catalog: catalog_for(inf, arch),
        signer: None,
        hash_algorithms: Vec::new(),
        os_attributes: Vec::new(),
        files: Vec::new(),
        findings: Vec::new(),
    };

    let catalog = match &check.catalog {
        None => {
            out.push(
                must,
                inf_name,
                format!(
                    "names no catalog{} in [Version] (CatalogFile=...), so Windows cannot verify its files",
                    arch.map(|a| format!(" for {a}")).unwrap_or_default()
                ),
            );
            None
        }
        Some(cat) => match read(cat) {
            None => {
                out.findings.push(Finding {
                    severity: must,
                    file: cat.clone(),
                    message: format!("the catalog {inf_name} names is not in the package"),
                    absent: true,
                });
                None
            }
            Some(Err(e)) => {
                out.push(must, cat, format!("cannot read the catalog: {e}"));
                None
            }
            Some(Ok(bytes)) => match Catalog::parse(&bytes) {
                Ok(c) => Some(c),
                Err(e) => {
                    out.push(must, cat, format!("not a readable catalog: {e}"));
                    None
                }
            },
        },
    };
    let cat_name = check.catalog.clone().unwrap_or_default();

    if let Some(c) = &catalog {
        check.hash_algorithms = c.hash_algs().iter().map(|a| a.to_string()).collect();
        check.os_attributes = c.os_attrs();
        if !c.usages.iter().any(|u| u == super::ctl::OID_CATALOG_LIST) {
            out.push(
                Severity::Warning,
                &cat_name,
                "the trust list is not marked as a catalog list (usage 1.3.6.1.4.1.311.12.1.1)"
                    .into(),
            );
        }
        check_signer(c, &cat_name, policy, &mut check, &mut out);
        if let Some(os) = os {
            let attrs = &check.os_attributes;
            if !os.covered_by(attrs) {
                let sev = if matches!(policy, Policy::Production) {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                out.push(
                    sev,
                    &cat_name,
                    format!(
                        "OSAttr {} does not cover {} ({})",
                        if attrs.is_empty() {
                            "is absent and".to_string()
                        } else {
                            format!("`{}`", attrs.join(","))
                        },
                        os.name,
                        os.os_attr()
                    ),
                );
            }
        }
    }

    let mut names = vec![inf_name.to_string()];
    names.extend(copied_files(inf));
    for name in names {
        let fc = check_file(
            &name,
            arch,
            catalog.as_ref(),
            &cat_name,
            must,
            read,
            &mut out,
        );
        check.files.push(fc);
    }
    out.findings.sort_by_key(|f| f.severity != Severity::Error);
    check.findings = out.findings;
    check
}

fn check_signer(
    c: &Catalog,
    cat_name: &str,
    policy: &Policy,
    check: &mut PackageCheck,
    out: &mut Out,
) {
    let must = if matches!(policy, Policy::None) {
        Severity::Warning
    } else {
        Severity::Error
    };
    if c.signers.iter().any(|s| s.content_digest_ok == Some(false)) {
        out.push(
            must,
            cat_name,
            "the signed digest of the catalog content does not match: the catalog was changed after signing".into(),
        );
    }
    let Some(signer) = c.signer_cert() else {
        out.push(
            must,
            cat_name,
            format!(
                "has no signer certificate (signing_policy {} needs a signed catalog)",
                policy.name()
            ),
        );
        return;
    };
    check.signer = Some(Signer {
        subject: signer.subject.clone(),
        issuer: signer.issuer.clone(),
        thumbprint: signer.thumbprint.clone(),
    });
    match policy {
        Policy::None | Policy::AnySigner => {}
        Policy::Test(shipped) => {
            let chain = c.signer_chain();
            let last_issuer = chain.last().map(|c| c.issuer_der.as_slice());
            let ok = shipped.iter().any(|s| {
                chain.iter().any(|c| c.der == s.der)
                    || Some(s.subject_der.as_slice()) == last_issuer
            });
            if !ok {
                let have: Vec<String> = shipped
                    .iter()
                    .map(|s| format!("`{}` ({})", s.subject, s.thumbprint))
                    .collect();
                out.push(
                    Severity::Error,
                    cat_name,
                    format!(
                        "signed by `{}` (thumbprint {}), but the certificate shipped for test signing is {}; ship the signer's certificate (or its issuer) as `cert`, or re-sign the catalog",
                        signer.subject,
                        signer.thumbprint,
                        if have.is_empty() { "none".into() } else { have.join(", ") }
                    ),
                );
            }
        }
        Policy::Production => {
            let ms = signer.organization() == Some("Microsoft Corporation")
                && matches!(
                    signer.common_name(),
                    "Microsoft Windows Hardware Compatibility Publisher"
                        | "Microsoft Windows Hardware Abstraction Layer Publisher"
                        | "Microsoft Windows"
                );
            if !ms {
                out.push(
                    Severity::Error,
                    cat_name,
                    format!(
                        "signed by `{}`, not by Microsoft (Windows Hardware Compatibility Publisher): production media need WHQL or attestation-signed drivers",
                        signer.subject
                    ),
                );
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_file(
    name: &str,
    arch: Option<Arch>,
    catalog: Option<&Catalog>,
    cat_name: &str,
    must: Severity,
    read: &ReadFile<'_>,
    out: &mut Out,
) -> FileCheck {
    let mut fc = FileCheck {
        name: name.to_string(),
        coverage: Coverage::Unchecked,
        digest: "flat",
        machine: None,
    };
    let bytes = match read(name) {
        None => {
            fc.coverage = Coverage::Missing;
            out.findings.push(Finding {
                severity: must,
                file: name.to_string(),
                message: "copied by the INF but not in the package".into(),
                absent: true,
            });
            return fc;
        }
        Some(Err(e)) => {
            out.push(must, name, format!("cannot read: {e}"));
            return fc;
        }
        Some(Ok(b)) => b,
    };
    let pe_info = if pe::looks_like_pe(&bytes) {
        match pe::parse(&bytes) {
            Ok(i) => Some(i),
            Err(e) => {
                out.push(must, name, format!("a broken PE image: {e}"));
                return fc;
            }
        }
    } else {
        None
    };
    let binary = {
        let l = name.to_ascii_lowercase();
        l.ends_with(".sys") || l.ends_with(".dll") || l.ends_with(".exe")
    };
    match (&pe_info, arch) {
        (Some(info), Some(arch)) => {
            fc.machine = Some(pe::machine_name(info.machine));
            if !machines_for(arch, name).contains(&info.machine) {
                out.push(
                    must,
                    name,
                    format!(
                        "built for machine type {}, but the package is for {arch} ({})",
                        pe::machine_name(info.machine),
                        machines_for(arch, name)
                            .iter()
                            .map(|&m| pe::machine_name(m))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                );
            }
        }
        (Some(info), None) => fc.machine = Some(pe::machine_name(info.machine)),
        (None, _) if binary => out.push(
            must,
            name,
            "not a PE image (no MZ header), so Windows cannot load it".into(),
        ),
        (None, _) => {}
    }
    let Some(c) = catalog else {
        return fc;
    };
    if pe_info.is_some() {
        fc.digest = "authenticode";
    }
    let algs = c.hash_algs();
    let covered = algs.iter().any(|&alg| {
        let d = match &pe_info {
            Some(info) => pe::authenticode_digest(&bytes, info, alg),
            None => alg.digest(&bytes),
        };
        c.member_by_digest(alg, &d).is_some()
    });
    if covered {
        fc.coverage = Coverage::Covered;
        return fc;
    }
    fc.coverage = Coverage::NotCovered;
    let named = c.members_named(name);
    let how = if pe_info.is_some() {
        "Authenticode"
    } else {
        "file"
    };
    let algs_text = algs
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join("/");
    let msg = if named.is_empty() {
        format!("its {how} hash ({algs_text}) is not in {cat_name}, which does not list this file: re-create and re-sign the catalog (Windows: Code 52, the hash is not present in the catalog)")
    } else {
        format!("its {how} hash ({algs_text}) is not in {cat_name}, which lists {name} with another hash: the file changed after signing (rebuilt, patched, or line endings converted); restore the signed file or re-sign")
    };
    out.push(must, name, msg);
    fc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn inf(version: &str) -> Inf {
        let text = format!(
            "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\n{version}\r\n[Manufacturer]\r\n%P%=M,NTx86,NTamd64\r\n[M.NTx86]\r\n%D%=I,X\r\n[M.NTamd64]\r\n%D%=I,X\r\n[I.NT]\r\nCopyFiles=F\r\n[F]\r\na.sys\r\nsub\\b.dll\r\n[Strings]\r\nP=\"p\"\r\nD=\"d\"\r\n"
        );
        Inf::parse(Path::new("t.inf"), text.as_bytes()).unwrap()
    }

    #[test]
    fn the_catalog_windows_picks_for_each_architecture() {
        let i = inf("CatalogFile=all.cat\r\nCatalogFile.NTamd64=x64.cat");
        assert_eq!(
            catalog_for(&i, Some(Arch::Amd64)).as_deref(),
            Some("x64.cat")
        );
        assert_eq!(catalog_for(&i, Some(Arch::X86)).as_deref(), Some("all.cat"));
        assert_eq!(catalog_for(&i, None).as_deref(), Some("all.cat"));
        let only = inf("CatalogFile.NTx86=x86.cat");
        assert_eq!(catalog_for(&only, Some(Arch::Amd64)), None);
        assert_eq!(catalog_for(&only, None).as_deref(), Some("x86.cat"));
        assert_eq!(copied_files(&i), ["a.sys", "b.dll"]);
    }

    #[test]
    fn an_inf_without_a_catalog_or_files_is_reported_by_name() {
        let i = inf("");
        let none = |_: &str| -> Option<Result<Vec<u8>, String>> { None };
        let c = check_package(
            "t.inf",
            &i,
            Some(Arch::X86),
            None,
            &Policy::AnySigner,
            &none,
        );
        assert!(c.has_errors());
        assert!(c.findings[0].message.contains("names no catalog for x86"));
        let lax = check_package("t.inf", &i, Some(Arch::X86), None, &Policy::None, &none);
        assert!(!lax.has_errors());
        assert!(lax.files.iter().all(|f| f.coverage == Coverage::Missing));
    }
}
