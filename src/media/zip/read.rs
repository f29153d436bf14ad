//! The one hardened ZIP reader, for every ZIP the tool reads (CI driver bundles, media to
//! verify).
//!
//! [`ZipReader::new`] refuses, before any data is read, what the headers show to be ambiguous,
//! damaged or hostile: too many entries, the same name twice (also when the names differ only
//! in case: Windows and 7-Zip extract one of them over the other), names that could escape an
//! extraction directory (`..`, absolute, drive letters, backslashes, NUL), local headers that
//! disagree with the central directory (name, method, sizes, CRC: a streaming reader such as
//! `bsdtar` trusts the local header), stored sizes that disagree, data past the end of the
//! file, and entries that share bytes (a zip-bomb construction). Entries that are not plain readable files (symlinks, encrypted entries,
//! compression methods other than stored and deflate) are listed with the reason, for the caller
//! to report. [`ZipReader::open`] reads one entry, never past its declared size, with its CRC
//! checked at the end; [`read_sources`] loads a whole archive as [`Source`]s.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use ::zip::{CompressionMethod, ZipArchive};

use crate::error::{printable, Error, Result};
use crate::media::output::check_interrupted;
use crate::media::tree::Extent;
use crate::media::Source;
use crate::regular::open_regular;
use crate::winpath::fold_case;

/// Most entries an archive may list by default (media and CI bundles hold a few thousand).
pub const MAX_ENTRIES: usize = 100_000;

/// One file entry of a ZIP, as its headers describe it (directories are not listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// Index in the central directory.
    pub index: usize,
    /// The entry name: a plain relative `/`-separated path.
    pub name: String,
    /// Whether the data is deflated (else stored).
    pub deflated: bool,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared compressed size.
    pub compressed: u64,
    /// Offset of the entry's data in the archive.
    pub data_start: u64,
    /// Why the entry cannot be read as a regular file (symlink, encrypted, unsupported
    /// compression), if it cannot; such entries take no part in the geometry checks.
    pub unreadable: Option<String>,
}

/// A ZIP archive whose central directory passed every check (see the module docs).
#[derive(Clone)]
pub struct ZipReader<R> {
    archive: ZipArchive<R>,
    label: String,
    entries: Vec<ZipEntry>,
}

impl<R> std::fmt::Debug for ZipReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipReader")
            .field("label", &self.label)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// Why a ZIP entry name must not be used as a path, if it must not.
pub fn entry_name_problem(name: &str) -> Option<&'static str> {
    let b = name.as_bytes();
    if name.contains('\\') {
        Some("uses `\\` (ZIP paths use `/`; a backslash can climb out of a directory on Windows)")
    } else if name.contains('\0') {
        Some("contains a NUL character")
    } else if name.starts_with('/') {
        Some("is an absolute path")
    } else if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        Some("starts with a drive letter")
    } else if name.split('/').any(|c| c == "..") {
        Some("climbs out of the archive with `..`")
    } else if name.split('/').any(|c| c.is_empty() || c == ".") {
        Some("has an empty or `.` path component")
    } else {
        None
    }
}

impl<R: Read + Seek> ZipReader<R> {
    /// Read and check the central directory of the `len`-byte archive in `reader`, named
    /// `label` in messages; at most `max_entries` entries.
    pub fn new(reader: R, label: &str, len: u64, max_entries: usize) -> Result<ZipReader<R>> {
        let broken = |e: &dyn std::fmt::Display| {
            Error::invalid(format!("{label}: not a readable ZIP archive: {e}"))
                .with_help("download or build the archive again; it is damaged or not a ZIP")
        };
        let mut archive = ZipArchive::new(reader).map_err(|e| broken(&e))?;
        if archive.len() > max_entries {
            return Err(Error::invalid(format!(
                "{label}: {} entries is more than the {max_entries} an archive may hold; refused",
                archive.len()
            )));
        }
        let repeated_help = "re-create the archive; each path may appear once, in one case";
        if archive.has_duplicate_names() {
            // The archive keeps one entry per name, so the repeated names are found in the
            // central directory itself.
            let cd_start = archive.central_directory_start();
            let mut raw = archive.into_inner();
            let names = central_names(&mut raw, cd_start, max_entries);
            let mut seen = std::collections::BTreeSet::new();
            let repeated: Vec<Error> = names
                .iter()
                .filter(|n| !seen.insert(n.as_slice()))
                .map(|n| {
                    Error::invalid(format!(
                        "{label}: entry `{}` appears more than once (other tools extract \
                         either copy); the archive is ambiguous and refused",
                        printable(&String::from_utf8_lossy(n))
                    ))
                })
                .collect();
            let summary = format!(
                "{label}: the archive lists {} entry name(s) more than once; it is ambiguous \
                 and refused",
                repeated.len()
            );
            return Err(Error::many(summary, repeated).with_help(repeated_help));
        }
        let mut folded: BTreeMap<String, String> = BTreeMap::new();
        let mut repeated = Vec::new();
        let mut locals = Vec::new();
        let mut unsafe_names = Vec::new();
        let mut entries = Vec::new();
        for index in 0..archive.len() {
            check_interrupted()?;
            let e = archive
                .by_index_raw(index)
                .map_err(|e| broken(&format!("entry #{}: {e}", index + 1)))?;
            let name = e
                .name()
                .map_err(|err| broken(&format!("entry #{}: {err}", index + 1)))?
                .into_owned();
            let is_dir = e.is_dir();
            let checked = if is_dir {
                name.strip_suffix('/').unwrap_or(&name)
            } else {
                &name
            };
            if let Some(first) = folded.insert(fold_case(checked), name.clone()) {
                repeated.push(Error::invalid(format!(
                    "{label}: entries `{}` and `{}` differ only in case (Windows and 7-Zip \
                     extract one over the other); the archive is ambiguous and refused",
                    printable(&first),
                    printable(&name)
                )));
            }
            locals.push(Central {
                header_start: e.header_start(),
                name: e.name_raw().to_vec(),
                method: match e.compression() {
                    CompressionMethod::Stored => Some(0),
                    CompressionMethod::Deflated => Some(8),
                    _ => None,
                },
                crc: e.crc32(),
                compressed: e.compressed_size(),
                size: e.size(),
            });
            if let Some(why) = entry_name_problem(checked) {
                unsafe_names.push(Error::invalid(format!(
                    "{label}: entry `{}` {why}",
                    name.escape_debug()
                )));
                continue;
            }
            if is_dir {
                continue;
            }
            let mut unreadable = None;
            let mut deflated = false;
            if e.is_symlink() {
                unreadable = Some("is a symlink".to_string());
            } else if e.encrypted() {
                unreadable = Some("is encrypted".to_string());
            } else {
                match e.compression() {
                    CompressionMethod::Stored => {}
                    CompressionMethod::Deflated => deflated = true,
                    other => {
                        unreadable = Some(format!(
                            "uses compression method {other}, which aero-recipe does not read"
                        ))
                    }
                }
            }
            let data_start = e
                .data_start()
                .ok_or_else(|| broken(&format!("entry `{name}` has no readable local header")))?;
            entries.push(ZipEntry {
                index,
                name,
                deflated,
                size: e.size(),
                compressed: e.compressed_size(),
                data_start,
                unreadable,
            });
        }
        if !repeated.is_empty() {
            let summary = format!(
                "{label}: {} entry name(s) differ from another only in case; the archive is \
                 ambiguous and refused",
                repeated.len()
            );
            return Err(Error::many(summary, repeated).with_help(repeated_help));
        }
        if !unsafe_names.is_empty() {
            let n = unsafe_names.len();
            return Err(Error::many(
                format!("{label}: {n} entry name(s) could escape an extraction directory; the archive is refused"),
                unsafe_names,
            )
            .with_help("an archive holds only plain relative `/`-separated paths; re-create it with `zip -r` from inside the tree"));
        }
        check_geometry(label, len, &entries)?;
        // The local headers are read through the raw reader, then the archive is opened again
        // over it (the central directory is parsed twice; its size is bounded above).
        let mut raw = archive.into_inner();
        let mismatched: Vec<Error> = locals
            .iter()
            .filter_map(|c| {
                check_local(&mut raw, c).err().map(|why| {
                    Error::invalid(format!(
                        "{label}: entry `{}`: {why}",
                        printable(&String::from_utf8_lossy(&c.name))
                    ))
                })
            })
            .collect();
        if !mismatched.is_empty() {
            let summary = format!(
                "{label}: {} local header(s) disagree with the central directory (streaming \
                 readers and the central directory would extract different files); the \
                 archive is refused",
                mismatched.len()
            );
            return Err(Error::many(summary, mismatched)
                .with_help("download or build the archive again; it is damaged or tampered"));
        }
        let archive = ZipArchive::new(raw).map_err(|e| broken(&e))?;
        Ok(ZipReader {
            archive,
            label: label.to_string(),
            entries,
        })
    }

    /// Every file entry (readable or not), in central-directory order.
    pub fn entries(&self) -> &[ZipEntry] {
        &self.entries
    }

    /// The archive as messages name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Read the entry at central-directory `index`: at most one byte more than its declared
    /// size (so a reader sees an entry that inflates past it), CRC checked at its end.
    pub fn open(&mut self, index: usize) -> Result<impl Read + '_> {
        let size = self
            .entries
            .iter()
            .find(|e| e.index == index)
            .map(|e| e.size)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{}: no file entry #{} in the archive",
                    self.label,
                    index + 1
                ))
            })?;
        let label = &self.label;
        let reader = self.archive.by_index(index).map_err(|e| {
            Error::invalid(format!("{label}: entry #{} is damaged ({e})", index + 1))
                .with_help("download or build the archive again")
        })?;
        Ok(reader.take(size.saturating_add(1)))
    }
}

/// What the central directory says about an entry, to compare with its local header.
struct Central {
    header_start: u64,
    name: Vec<u8>,
    /// 0 (stored) or 8 (deflated); `None` for other methods (the entry is not read).
    method: Option<u16>,
    crc: u32,
    compressed: u64,
    size: u64,
}

/// Why the local header of `c` disagrees with the central directory, if it does.
fn check_local<R: Read + Seek>(r: &mut R, c: &Central) -> std::result::Result<(), String> {
    let mut head = [0u8; 30];
    r.seek(SeekFrom::Start(c.header_start))
        .and_then(|_| r.read_exact(&mut head))
        .map_err(|e| format!("its local header cannot be read ({e})"))?;
    let u16_at = |at: usize| u16::from_le_bytes([head[at], head[at + 1]]);
    let u32_at =
        |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    if u32_at(0) != 0x0403_4b50 {
        return Err("no local header where the central directory points".into());
    }
    let mut name = vec![0u8; usize::from(u16_at(26))];
    r.read_exact(&mut name)
        .map_err(|e| format!("its local header cannot be read ({e})"))?;
    if name != c.name {
        return Err(format!(
            "the local header names it `{}`",
            printable(&String::from_utf8_lossy(&name))
        ));
    }
    if let Some(method) = c.method {
        if u16_at(8) != method {
            return Err(format!(
                "the local header says compression method {}, the central directory {method}",
                u16_at(8)
            ));
        }
    }
    // With a data descriptor (flag bit 3) the local CRC and sizes are zero; with ZIP64 the
    // sizes are in an extra field.
    if u16_at(6) & 0x08 == 0 {
        if u32_at(14) != c.crc {
            return Err(format!(
                "the local header says CRC {:08x}, the central directory {:08x}",
                u32_at(14),
                c.crc
            ));
        }
        let sizes = [(u32_at(18), c.compressed), (u32_at(22), c.size)];
        for (local, central) in sizes {
            if local != u32::MAX && u64::from(local) != central {
                return Err(format!(
                    "the local header says {local} bytes, the central directory {central}"
                ));
            }
        }
    }
    Ok(())
}

/// The raw names of the central directory at `start` (at most `max` records), to name the
/// ones that repeat.
fn central_names<R: Read + Seek>(r: &mut R, start: u64, max: usize) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    if r.seek(SeekFrom::Start(start)).is_err() {
        return names;
    }
    let mut head = [0u8; 46];
    while names.len() <= max && r.read_exact(&mut head).is_ok() {
        if head[..4] != [0x50, 0x4b, 0x01, 0x02] {
            break;
        }
        let len = |at: usize| usize::from(u16::from_le_bytes([head[at], head[at + 1]]));
        let mut name = vec![0u8; len(28)];
        let skip = (len(30) + len(32)) as i64;
        if r.read_exact(&mut name).is_err() || r.seek(SeekFrom::Current(skip)).is_err() {
            break;
        }
        names.push(name);
    }
    names
}

/// Refuse what the headers alone show to be damaged or hostile: stored sizes that disagree,
/// data past the end of the file, overlapping entries.
fn check_geometry(label: &str, zip_len: u64, entries: &[ZipEntry]) -> Result<()> {
    let mut bad = Vec::new();
    let mut ranges = Vec::with_capacity(entries.len());
    for e in entries.iter().filter(|e| e.unreadable.is_none()) {
        if !e.deflated && e.size != e.compressed {
            bad.push(Error::invalid(format!(
                "{label}: stored entry `{}` declares {} bytes but occupies {}",
                printable(&e.name),
                e.size,
                e.compressed
            )));
        }
        match e.data_start.checked_add(e.compressed) {
            Some(end) if end <= zip_len => {
                if e.compressed > 0 {
                    ranges.push((e.data_start, end, e.name.as_str()));
                }
            }
            _ => bad.push(Error::invalid(format!(
                "{label}: entry `{}` extends past the end of the file (truncated download?)",
                printable(&e.name)
            ))),
        }
    }
    ranges.sort();
    for w in ranges.windows(2) {
        if w[0].1 > w[1].0 {
            bad.push(Error::invalid(format!(
                "{label}: entries `{}` and `{}` share bytes (overlapping entries are a zip-bomb construction)",
                printable(w[0].2),
                printable(w[1].2)
            )));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Error::many(
            format!("{label}: the archive's headers are inconsistent; it is refused"),
            bad,
        ))
    }
}

/// A file of a ZIP loaded by [`read_sources`]: entry name, where its bytes are, size.
#[derive(Debug, Clone)]
pub struct ZipFile {
    /// The entry name (a plain relative `/`-separated path).
    pub name: String,
    /// STORED: extents over the archive itself; DEFLATED: the inflated bytes.
    pub source: Source,
    /// Size in bytes (checked against the declared size).
    pub size: u64,
}

/// What [`read_sources`] loaded from a ZIP.
#[derive(Debug, Clone, Default)]
pub struct ZipContents {
    /// The readable files, sorted by name.
    pub files: Vec<ZipFile>,
    /// The entries that are not readable files ([`ZipEntry::unreadable`]): `(name, why)`.
    pub unreadable: Vec<(String, String)>,
}

/// Read every file of the ZIP at `zip` once, named `label` in messages: STORED entries become
/// [`Source::Extents`] over the archive, DEFLATED ones are inflated into [`Source::Bytes`], at
/// most `max_inflated` bytes in all (the declared sizes are summed and checked first).
pub fn read_sources(
    zip: &Path,
    label: &str,
    max_entries: usize,
    max_inflated: u64,
) -> Result<ZipContents> {
    let (file, zip_len) = open_regular(zip)?;
    let mut reader = ZipReader::new(BufReader::new(file), label, zip_len, max_entries)?;
    let mut unreadable = Vec::new();
    let mut readable = Vec::new();
    for e in reader.entries() {
        match &e.unreadable {
            Some(why) => unreadable.push((e.name.clone(), why.clone())),
            None => readable.push(e.clone()),
        }
    }
    let to_inflate = readable
        .iter()
        .filter(|e| e.deflated)
        .fold(0u64, |n, e| n.saturating_add(e.size));
    if to_inflate > max_inflated {
        return Err(Error::invalid(format!(
            "{label}: its compressed entries declare {to_inflate} bytes in all, more than the {} MiB that may be inflated in memory",
            max_inflated / (1024 * 1024)
        ))
        .with_help("extract the archive (`unzip -d DIR archive.zip`) and pass DIR, or re-create it with `zip -0` so its entries are read in place"));
    }

    let image = Arc::new(zip.to_path_buf());
    let mut files = Vec::with_capacity(readable.len());
    let mut inflated = 0u64;
    for ent in readable {
        check_interrupted()?;
        let damaged = |e: &dyn std::fmt::Display| {
            Error::invalid(format!(
                "{label}: entry `{}` is damaged or lies about its size ({e}); the archive is refused",
                printable(&ent.name)
            ))
            .with_help("download or build the archive again; a ZIP whose sizes lie may be built to exhaust memory (a zip bomb)")
        };
        let mut limited = reader.open(ent.index).map_err(|e| damaged(&e))?;
        let (got, source) = if ent.deflated {
            // The declared size is bounded by `max_inflated` (checked above), so it can size
            // the buffer; a lie is caught right after.
            let cap = usize::try_from(ent.size).unwrap_or(0);
            let mut buf = Vec::with_capacity(cap);
            limited.read_to_end(&mut buf).map_err(|e| damaged(&e))?;
            (buf.len() as u64, Source::Bytes(buf.into()))
        } else {
            let n = io::copy(&mut limited, &mut io::sink()).map_err(|e| damaged(&e))?;
            let source = Source::Extents {
                image: Arc::clone(&image),
                extents: vec![Extent {
                    offset: ent.data_start,
                    len: ent.size,
                }],
            };
            (n, source)
        };
        if got != ent.size {
            let actual = if got > ent.size {
                "inflates to more".to_string()
            } else {
                format!("holds only {got}")
            };
            return Err(Error::invalid(format!(
                "{label}: entry `{}` declares {} bytes but {actual}; the archive is refused",
                printable(&ent.name),
                ent.size
            ))
            .with_help(
                "a ZIP whose sizes lie is damaged or built to exhaust memory (a zip bomb)",
            ));
        }
        if ent.deflated {
            inflated += got;
            if inflated > max_inflated {
                return Err(Error::invalid(format!(
                    "{label}: inflates to more than the {} MiB that may be held in memory",
                    max_inflated / (1024 * 1024)
                )));
            }
        }
        files.push(ZipFile {
            name: ent.name,
            source,
            size: got,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ZipContents { files, unreadable })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    #[test]
    fn unsafe_entry_names() {
        for bad in [
            "../evil.sys",
            "a/../../evil.sys",
            "/etc/passwd",
            "C:/Windows/evil.sys",
            "a\\..\\evil.sys",
            "a//b",
            "./a",
        ] {
            assert!(entry_name_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(entry_name_problem("windows7/virtio-blk/x64/a.sys"), None);
        assert_eq!(entry_name_problem("a..b/c.sys"), None);
    }

    /// A ZIP whose central directory names `names` in order (raw, so duplicates can be built).
    fn zip_with(names: &[&str]) -> Vec<u8> {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = ::zip::write::SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored);
        for (i, n) in names.iter().enumerate() {
            // The writer refuses a duplicate name, so write a unique one of the same length and
            // patch it afterwards.
            let unique = format!("{i}{}", &n[1..]);
            w.start_file(unique, opts).unwrap();
            w.write_all(n.as_bytes()).unwrap();
        }
        let mut bytes = w.finish().unwrap().into_inner();
        for (i, n) in names.iter().enumerate() {
            let unique = format!("{i}{}", &n[1..]);
            let mut at = 0;
            while let Some(p) = bytes[at..]
                .windows(unique.len())
                .position(|w| w == unique.as_bytes())
            {
                bytes[at + p..at + p + n.len()].copy_from_slice(n.as_bytes());
                at += p + n.len();
            }
        }
        bytes
    }

    #[test]
    fn duplicate_names_are_refused() {
        let ok = zip_with(&["a.txt", "b.txt"]);
        let len = ok.len() as u64;
        let r = ZipReader::new(Cursor::new(ok), "ok.zip", len, MAX_ENTRIES).unwrap();
        let names: Vec<_> = r.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "b.txt"]);

        let dup = zip_with(&["a.txt", "a.txt"]);
        let len = dup.len() as u64;
        let e = ZipReader::new(Cursor::new(dup), "dup.zip", len, MAX_ENTRIES)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`a.txt` appears more than once"), "{e}");

        let twins = zip_with(&["Setup.cmd", "setup.cmd"]);
        let len = twins.len() as u64;
        let e = ZipReader::new(Cursor::new(twins), "twins.zip", len, MAX_ENTRIES)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("entries `Setup.cmd` and `setup.cmd` differ only in case"),
            "{e}"
        );
    }

    #[test]
    fn local_headers_must_match_the_central_directory() {
        let mut bytes = zip_with(&["a.txt", "b.txt"]);
        // Rename the first local header only (the central directory keeps `a.txt`).
        assert_eq!(&bytes[30..35], b"a.txt");
        bytes[30] = b'x';
        let len = bytes.len() as u64;
        let e = format!(
            "{:?}",
            ZipReader::new(Cursor::new(bytes), "l.zip", len, MAX_ENTRIES).unwrap_err()
        );
        assert!(
            e.contains("entry `a.txt`: the local header names it `x.txt`"),
            "{e}"
        );
    }

    #[test]
    fn entries_read_back_with_their_size() {
        let bytes = zip_with(&["a.txt"]);
        let len = bytes.len() as u64;
        let mut r = ZipReader::new(Cursor::new(bytes), "z.zip", len, MAX_ENTRIES).unwrap();
        let index = r.entries()[0].index;
        let mut got = String::new();
        r.open(index).unwrap().read_to_string(&mut got).unwrap();
        assert_eq!(got, "a.txt");
        assert!(r.open(99).is_err());
    }
}
