//! Target Windows versions as catalogs name them: `OSAttr` entries `2:<major>.<minor>`
//! (platform 2 is Windows NT).

use crate::error::{Error, Result};

/// A Windows version a package is shipped for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsTarget {
    /// The name as the user gave it (`w7`).
    pub name: String,
    /// NT major version.
    pub major: u32,
    /// NT minor version.
    pub minor: u32,
}

/// OS names (virtio-win directory names and common spellings) and their NT versions.
const NAMES: [(&str, u32, u32); 22] = [
    ("xp", 5, 1),
    ("wxp", 5, 1),
    ("2k3", 5, 2),
    ("wnet", 5, 2),
    ("vista", 6, 0),
    ("wlh", 6, 0),
    ("2k8", 6, 0),
    ("w7", 6, 1),
    ("win7", 6, 1),
    ("2k8r2", 6, 1),
    ("w8", 6, 2),
    ("win8", 6, 2),
    ("2k12", 6, 2),
    ("w8.1", 6, 3),
    ("win8.1", 6, 3),
    ("2k12r2", 6, 3),
    ("w10", 10, 0),
    ("w11", 10, 0),
    ("2k16", 10, 0),
    ("2k19", 10, 0),
    ("2k22", 10, 0),
    ("2k25", 10, 0),
];

impl OsTarget {
    /// Parse an OS name (`w7`, `w8.1`, `2k12R2`, `w10`, ...) or an NT version (`6.1`).
    pub fn parse(s: &str) -> Result<OsTarget> {
        let l = s.trim().to_ascii_lowercase();
        if let Some((_, major, minor)) = NAMES.iter().find(|(n, _, _)| *n == l) {
            return Ok(OsTarget {
                name: s.trim().to_string(),
                major: *major,
                minor: *minor,
            });
        }
        if let Some((a, b)) = l.split_once('.') {
            if let (Ok(major), Ok(minor)) = (a.parse(), b.parse()) {
                return Ok(OsTarget {
                    name: s.trim().to_string(),
                    major,
                    minor,
                });
            }
        }
        let near = crate::suggest::did_you_mean(s.trim(), NAMES.iter().map(|(n, _, _)| *n));
        Err(Error::invalid(format!("unknown Windows version `{s}`")).with_help(format!(
            "{near}use an OS name (w7, w8, w8.1, w10, w11, 2k12R2, 2k16, ...) or an NT version such as 6.1"
        )))
    }

    /// The `OSAttr` entry for this version (`2:6.1`).
    pub fn os_attr(&self) -> String {
        format!("2:{}.{}", self.major, self.minor)
    }

    /// Whether one of `attrs` (`2:6.1`, `2:10.0`) names this version.
    pub fn covered_by(&self, attrs: &[String]) -> bool {
        let want = self.os_attr();
        attrs.iter().any(|a| a.trim() == want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert_eq!(OsTarget::parse("w8.1").unwrap().os_attr(), "2:6.3");
        assert_eq!(OsTarget::parse("2k12R2").unwrap().os_attr(), "2:6.3");
        assert_eq!(OsTarget::parse("6.1").unwrap().os_attr(), "2:6.1");
        assert!(OsTarget::parse("w9").is_err());
        let w7 = OsTarget::parse("w7").unwrap();
        assert!(w7.covered_by(&["2:6.0".into(), "2:6.1".into()]));
        assert!(!w7.covered_by(&["2:6.2".into()]));
    }
}
