//! Catalog fixtures, generated with scripts/winsign.py (PE images, catalogs signed by a
//! throwaway key) into temporary directories.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{repo, tool, tool_ok};

/// The INF of a one-driver package for `arch` (`x86`, `amd64`, `arm64`), CRLF, copying
/// `drv.sys` and `extra.sys` and naming `drv.cat`.
pub fn inf(arch: &str) -> String {
    let lines = [
        "[Version]",
        "Signature=\"$WINDOWS NT$\"",
        "Class=System",
        "ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}",
        "Provider=%P%",
        "CatalogFile=drv.cat",
        "DriverVer=01/01/2025,1.0.0.0",
        "",
        "[Manufacturer]",
        &format!("%P%=M,NT{arch}"),
        "",
        &format!("[M.NT{arch}]"),
        "%D%=Inst,PCI\\VEN_1AF4&DEV_1001",
        "",
        "[Inst.NT]",
        "CopyFiles=Files",
        "",
        "[Files]",
        "drv.sys",
        "extra.sys",
        "",
        "[Inst.NT.Services]",
        "AddService=drv,2,Svc",
        "",
        "[Svc]",
        "ServiceType=1",
        "StartType=3",
        "ErrorControl=1",
        "ServiceBinary=%12%\\drv.sys",
        "",
        "[Strings]",
        "P=\"aero-recipe tests\"",
        "D=\"Catalog fixture device\"",
    ];
    lines.join("\r\n") + "\r\n"
}

/// `python3 scripts/winsign.py ARGS...`.
pub fn winsign() -> Command {
    let mut c = tool("python3");
    c.arg(repo().join("scripts/winsign.py"));
    c
}

/// Write a PE image for `machine` (`x86`, `amd64`, `arm64`) at `path`.
pub fn pe(path: &Path, machine: &str, seed: &str) {
    tool_ok(
        winsign()
            .args(["pe", "--machine", machine, "--seed", seed])
            .arg(path),
    );
}

/// Sign a catalog `dir/drv.cat` over `files` (names in `dir`) with `hash`; the signer's
/// certificate goes to `dir/../<name>.cer` and is returned.
pub fn catalog(dir: &Path, hash: &str, files: &[&str]) -> PathBuf {
    let cert = dir.with_extension("cer");
    let mut c = winsign();
    c.args(["catalog"])
        .arg(dir.join("drv.cat"))
        .args(["--hash", hash, "--os-attr", "2:6.1", "--cert-out"])
        .arg(&cert);
    for f in files {
        c.arg(dir.join(f));
    }
    tool_ok(&mut c);
    cert
}

/// How a fixture package is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Everything covered.
    Good,
    /// One byte of drv.sys changed after signing.
    Flipped,
    /// extra.sys left out of the catalog.
    Missing,
    /// The INF converted to LF line endings after signing.
    LfInf,
}

impl Case {
    /// All cases.
    pub const ALL: [Case; 4] = [Case::Good, Case::Flipped, Case::Missing, Case::LfInf];
}

/// Build the package `root/<case>-<hash>/<arch>/` and return its directory.
pub fn package(root: &Path, case: Case, hash: &str, arch: &str) -> PathBuf {
    let dir = root.join(format!("{case:?}-{hash}")).join(arch);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("drv.inf"), inf(arch)).unwrap();
    pe(&dir.join("drv.sys"), arch, &format!("drv {arch} {case:?}"));
    pe(
        &dir.join("extra.sys"),
        arch,
        &format!("extra {arch} {case:?}"),
    );
    let members: &[&str] = match case {
        Case::Missing => &["drv.inf", "drv.sys"],
        _ => &["drv.inf", "drv.sys", "extra.sys"],
    };
    catalog(&dir, hash, members);
    match case {
        Case::Flipped => {
            let p = dir.join("drv.sys");
            let mut b = std::fs::read(&p).unwrap();
            b[0x300] ^= 0x01; // inside the .text section
            std::fs::write(&p, b).unwrap();
        }
        Case::LfInf => {
            let p = dir.join("drv.inf");
            let t = std::fs::read_to_string(&p).unwrap().replace("\r\n", "\n");
            std::fs::write(&p, t).unwrap();
        }
        Case::Good | Case::Missing => {}
    }
    dir
}
