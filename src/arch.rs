//! Windows processor architectures: the names users, input trees, INFs and media use.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A Windows processor architecture that media can carry drivers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// 32-bit x86.
    X86,
    /// x86-64.
    Amd64,
    /// 64-bit ARM.
    Arm64,
}

impl Arch {
    /// All architectures, in media order.
    pub const ALL: [Arch; 3] = [Arch::X86, Arch::Amd64, Arch::Arm64];

    /// Every spelling users and input trees use, lower case, with its architecture.
    const SPELLINGS: [(&'static str, Arch); 10] = [
        ("x86", Arch::X86),
        ("win32", Arch::X86),
        ("i386", Arch::X86),
        ("i686", Arch::X86),
        ("amd64", Arch::Amd64),
        ("x64", Arch::Amd64),
        ("x86_64", Arch::Amd64),
        ("x86-64", Arch::Amd64),
        ("arm64", Arch::Arm64),
        ("aarch64", Arch::Arm64),
    ];

    /// Parse any spelling users and input trees use (case-insensitive):
    /// `x86 win32 i386 i686`, `amd64 x64 x86_64`, `arm64 aarch64`.
    pub fn parse(s: &str) -> Option<Arch> {
        let l = s.to_ascii_lowercase();
        Arch::SPELLINGS
            .iter()
            .find(|(name, _)| *name == l)
            .map(|(_, a)| *a)
    }

    /// Parse a name the user gave: the one error for an unknown architecture, naming it, the
    /// accepted spellings and the nearest one.
    pub fn from_user(s: &str) -> Result<Arch> {
        Arch::parse(s.trim()).ok_or_else(|| {
            let near =
                crate::suggest::did_you_mean(s.trim(), Arch::SPELLINGS.iter().map(|(n, _)| *n));
            Error::invalid(format!("unknown architecture `{s}`"))
                .with_help(format!("{near}use {}", Arch::accepted_spellings()))
        })
    }

    /// Parse a list of user-given names, dropping repeats (`x64,amd64` is one arch); every bad
    /// name is reported at once.
    pub fn list_from_user<S: AsRef<str>>(items: &[S]) -> Result<Vec<Arch>> {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for s in items {
            match Arch::from_user(s.as_ref()) {
                Ok(a) if !out.contains(&a) => out.push(a),
                Ok(_) => {}
                Err(e) => bad.push(e),
            }
        }
        if bad.is_empty() {
            Ok(out)
        } else {
            Err(Error::many("bad architecture list", bad))
        }
    }

    /// The directory name on the media: `drivers/<name>/`.
    pub fn media_dir(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The INF models-section decoration for this architecture (`NTx86`, `NTamd64`, `NTarm64`).
    pub fn inf_decoration(self) -> &'static str {
        match self {
            Arch::X86 => "NTx86",
            Arch::Amd64 => "NTamd64",
            Arch::Arm64 => "NTarm64",
        }
    }

    /// The spellings accepted by [`Arch::parse`], for error messages.
    pub fn accepted_spellings() -> &'static str {
        "x86 (win32, i386), amd64 (x64, x86_64), arm64 (aarch64)"
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media_dir())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(Arch::parse("X64"), Some(Arch::Amd64));
        assert_eq!(Arch::parse("Win32"), Some(Arch::X86));
        assert_eq!(Arch::parse("ARM64"), Some(Arch::Arm64));
        assert_eq!(Arch::parse("aarch64"), Some(Arch::Arm64));
        assert_eq!(Arch::parse("mips"), None);
        assert_eq!(Arch::Amd64.inf_decoration(), "NTamd64");
        assert_eq!(
            Arch::list_from_user(&["x64", "amd64", "x86"]).unwrap(),
            vec![Arch::Amd64, Arch::X86]
        );
        let e = Arch::from_user("amd46").unwrap_err();
        assert!(format!("{e:?}").contains("did you mean `amd64`"), "{e:?}");
        assert_eq!(
            Arch::list_from_user(&["mips", "sparc"])
                .unwrap_err()
                .problems()
                .len(),
            2
        );
    }
}
