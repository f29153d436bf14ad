//! Name mapping for the image: ISO 9660 identifiers (d-characters, unique per directory),
//! Joliet identifiers (UCS-2 big-endian) and the volume labels.
//!
//! Primary-tree identifiers follow interchange level 2: at most 30 d-characters for a file's
//! name and extension together (`NAME.EXT;1`), 31 for a directory. Names that clash after the
//! mapping get a numeric suffix (`NAME_1.EXT;1`), assigned in byte order of the original names
//! so the result depends only on the directory's contents.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::error::{Error, Result};

/// Longest file name plus extension in the primary tree (ECMA-119 level 2).
const MAX_FILE_ID: usize = 30;
/// Longest directory identifier in the primary tree (ECMA-119 level 2).
const MAX_DIR_ID: usize = 31;
/// Longest extension kept in the primary tree; the rest of the budget goes to the name.
const MAX_EXT: usize = 8;
/// Longest Joliet identifier, in UCS-2 characters.
pub const MAX_JOLIET_CHARS: usize = 64;
/// Longest Joliet volume label, in UCS-2 characters (32 bytes).
pub const MAX_JOLIET_LABEL: usize = 16;
/// Longest primary volume identifier, in d-characters.
pub const MAX_VOLUME_ID: usize = 32;

/// Map one character to a d-character (`A-Z 0-9 _`), uppercasing ASCII letters.
fn d_char(c: char) -> char {
    match c {
        'a'..='z' => c.to_ascii_uppercase(),
        'A'..='Z' | '0'..='9' | '_' => c,
        _ => '_',
    }
}

/// The primary volume identifier for a user label: d-characters, at most 32.
pub fn volume_id(label: &str) -> Result<String> {
    let id: String = label.chars().take(MAX_VOLUME_ID).map(d_char).collect();
    if id.is_empty() {
        return Err(
            Error::invalid("the volume id is empty").with_help("pass a label such as AERO_MEDIA")
        );
    }
    Ok(id)
}

/// The Joliet volume label: the user's text as UCS-2 big-endian, at most 16 characters,
/// padded with UCS-2 spaces to 32 bytes. Characters outside the BMP become `_`.
pub fn joliet_label(label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for pair in out.chunks_exact_mut(2) {
        pair.copy_from_slice(&[0, b' ']);
    }
    let units = label
        .chars()
        .map(|c| if (c as u32) > 0xFFFF { '_' } else { c })
        .take(MAX_JOLIET_LABEL)
        .map(|c| c as u32 as u16);
    for (pair, unit) in out.chunks_exact_mut(2).zip(units) {
        pair.copy_from_slice(&unit.to_be_bytes());
    }
    out
}

/// A primary-tree identifier split the way ECMA-119 sorts it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IsoName {
    /// Name part (d-characters).
    pub name: String,
    /// Extension part (d-characters, empty for directories and extension-less files).
    pub ext: String,
    /// Whether this names a directory (no `.` and no `;1`).
    pub is_dir: bool,
}

impl IsoName {
    /// The recorded identifier bytes: `NAME` for a directory, `NAME.EXT;1` for a file.
    pub fn identifier(&self) -> String {
        if self.is_dir {
            self.name.clone()
        } else {
            format!("{}.{};1", self.name, self.ext)
        }
    }

    /// The name a plain ISO 9660 reader shows (`;1` and a trailing `.` removed), used to keep
    /// names unique within a directory.
    fn shown(&self) -> String {
        if self.is_dir || self.ext.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.name, self.ext)
        }
    }
}

/// ECMA-119 9.3 ordering of identifiers: by name, then extension, each compared as if padded
/// with spaces (d-characters all sort above the space, so a shorter prefix sorts first).
pub fn ecma_order(a: &IsoName, b: &IsoName) -> Ordering {
    a.name
        .as_bytes()
        .cmp(b.name.as_bytes())
        .then_with(|| a.ext.as_bytes().cmp(b.ext.as_bytes()))
}

/// The unmangled primary-tree name for an original name.
fn base_iso_name(original: &str, is_dir: bool) -> IsoName {
    if is_dir {
        let name: String = original.chars().map(d_char).take(MAX_DIR_ID).collect();
        return IsoName {
            name,
            ext: String::new(),
            is_dir,
        };
    }
    let (stem, ext) = match original.rfind('.') {
        Some(i) => (&original[..i], &original[i + 1..]),
        None => (original, ""),
    };
    let ext: String = ext.chars().map(d_char).take(MAX_EXT).collect();
    let mut name: String = stem
        .chars()
        .map(d_char)
        .take(MAX_FILE_ID - ext.len())
        .collect();
    if name.is_empty() {
        name.push('_');
    }
    IsoName { name, ext, is_dir }
}

/// Primary-tree names for the children of one directory, given as `(original name, is_dir)`.
///
/// The result is in the same order as the input; every name is unique within the directory
/// (as a plain ISO 9660 reader would show it). Call with the children in byte order of their
/// original names so the numbering is stable.
pub fn iso_names(children: &[(&str, bool)]) -> Vec<IsoName> {
    let mut taken = BTreeSet::new();
    let mut out = Vec::with_capacity(children.len());
    for (original, is_dir) in children {
        let base = base_iso_name(original, *is_dir);
        let mut candidate = base.clone();
        let mut n = 0u32;
        while taken.contains(&candidate.shown()) {
            n += 1;
            let suffix = format!("_{n}");
            let budget = if *is_dir {
                MAX_DIR_ID
            } else {
                MAX_FILE_ID - base.ext.len()
            };
            let keep = budget.saturating_sub(suffix.len()).min(base.name.len());
            // d-characters are ASCII, so byte slicing is on character boundaries.
            candidate.name = format!("{}{suffix}", &base.name[..keep]);
        }
        taken.insert(candidate.shown());
        out.push(candidate);
    }
    out
}

/// The Joliet identifier of `name` (UCS-2 big-endian, no version suffix).
///
/// Names Joliet cannot hold are errors naming `path`, not silent truncations: a name that
/// Windows shows differently from the source would break the scripts that look for it.
pub fn joliet_name(name: &str, path: &str) -> Result<Vec<u8>> {
    if let Some(c) = name.chars().find(|c| (*c as u32) > 0xFFFF) {
        return Err(Error::invalid(format!(
            "`{path}`: character U+{:X} is outside the Basic Multilingual Plane, which Joliet \
             (UCS-2) cannot store",
            c as u32
        ))
        .with_help("rename the file"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, ';' | '*' | '/' | ':' | '?' | '\\'))
    {
        return Err(
            Error::invalid(format!("`{path}`: Joliet names cannot contain `{c}`"))
                .with_help("rename the file"),
        );
    }
    let units: Vec<u16> = name.encode_utf16().collect();
    if units.len() > MAX_JOLIET_CHARS {
        return Err(Error::invalid(format!(
            "`{path}`: the name has {} characters; Joliet (what Windows reads) allows at most \
             {MAX_JOLIET_CHARS}",
            units.len()
        ))
        .with_help("shorten the name"));
    }
    Ok(units.iter().flat_map(|u| u.to_be_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(children: &[(&str, bool)]) -> Vec<String> {
        iso_names(children)
            .iter()
            .map(IsoName::identifier)
            .collect()
    }

    #[test]
    fn maps_to_d_characters() {
        assert_eq!(
            ids(&[
                ("viostor.inf", false),
                ("Sub-Dir.x", true),
                ("README", false)
            ]),
            ["VIOSTOR.INF;1", "SUB_DIR_X", "README.;1"]
        );
        assert_eq!(ids(&[("Ünïcode-名前.txt", false)]), ["_N_CODE___.TXT;1"]);
        assert_eq!(ids(&[(".hidden", false)]), ["_.HIDDEN;1"]);
        assert_eq!(ids(&[("a.b.c", false)]), ["A_B.C;1"]);
    }

    #[test]
    fn truncates_to_level_2_and_mangles_uniquely() {
        let long = "WdfCoInstaller01009-with-a-very-long-tail.dll";
        let long2 = "WdfCoInstaller01009-with-a-very-long-tail2.dll";
        let got = ids(&[
            (long, false),
            (long2, false),
            ("a-b", false),
            ("A_B", false),
        ]);
        assert_eq!(got[0], "WDFCOINSTALLER01009_WITH_A_.DLL;1");
        assert_eq!(got[1], "WDFCOINSTALLER01009_WITH__1.DLL;1");
        assert_eq!(got[2], "A_B.;1");
        assert_eq!(got[3], "A_B_1.;1");
        for id in &got {
            let (stem, _) = id.split_once(';').unwrap();
            assert!(stem.len() - 1 <= MAX_FILE_ID, "{id}");
        }
        // A directory and an extension-less file with the same mapped name stay distinct.
        assert_eq!(ids(&[("x", true), ("X", false)]), ["X", "X_1.;1"]);
    }

    #[test]
    fn ecma_sorting_puts_shorter_names_first() {
        let mut names = iso_names(&[("ab", false), ("a.z", false), ("a_", true), ("a", true)]);
        names.sort_by(ecma_order);
        let got: Vec<_> = names.iter().map(IsoName::identifier).collect();
        assert_eq!(got, ["A", "A.Z;1", "AB.;1", "A_"]);
    }

    #[test]
    fn volume_ids_and_labels() {
        assert_eq!(
            volume_id("virtio-win 0.1.285").unwrap(),
            "VIRTIO_WIN_0_1_285"
        );
        assert_eq!(volume_id(&"x".repeat(40)).unwrap().len(), 32);
        assert!(volume_id("").is_err());
        let label = joliet_label("Gäst");
        assert_eq!(&label[..8], &[0, b'G', 0, 0xE4, 0, b's', 0, b't']);
        assert_eq!(&label[8..10], &[0, b' ']);
        let long = joliet_label(&"y".repeat(20));
        assert_eq!(long[30..32], [0, b'y']);
    }

    #[test]
    fn joliet_refuses_what_it_cannot_store() {
        assert_eq!(joliet_name("Aé", "Aé").unwrap(), [0, b'A', 0, 0xE9]);
        assert!(joliet_name(&"n".repeat(64), "p").is_ok());
        let e = joliet_name(&"n".repeat(65), "dir/long").unwrap_err();
        assert!(e.to_string().contains("dir/long"), "{e}");
        assert!(joliet_name("a;b", "a;b").is_err());
        assert!(joliet_name("smile😀", "smile😀").is_err());
    }
}
