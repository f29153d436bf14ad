//! Verify media (ISO image, ZIP archive or directory) against the `manifest.json` at its root:
//! every listed file must be present with the listed size and SHA-256, and no other file may be
//! there (the manifest itself excepted). An ISO is checked in every view a system may read
//! (Rock Ridge, Joliet, ISO 9660:1999, plain ISO 9660 and the path tables): where they
//! disagree, the path is reported as ambiguous. A ZIP is read by the shared hardened reader,
//! which refuses names that repeat (case-insensitively) and local headers that disagree with
//! the central directory.
//!
//! Paths from the manifest are only looked up among the files actually found on the media, never
//! opened directly, so a crafted manifest cannot make verify read anything else.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{printable, Error, IoContext, Result};
use crate::fswalk::{self, OddKind};
use crate::hash;
use crate::media::iso::{self, IsoEntry, IsoReader};
use crate::media::manifest::{self, FileRecord, MANIFEST_NAME};
use crate::media::tree::read_full;
use crate::media::zip::read::{ZipReader, MAX_ENTRIES};
use crate::regular::open_regular;

/// A manifest larger than this is refused (it would list millions of files).
const MANIFEST_MAX: u64 = 256 << 20;

/// What kind of media was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaFormat {
    /// An ISO 9660 image.
    Iso,
    /// A ZIP archive.
    Zip,
    /// A directory tree.
    Directory,
}

/// One difference between the media and its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// Listed in the manifest but not on the media.
    Missing {
        /// Path from the media root.
        path: String,
    },
    /// On the media with another size or content than listed (or unreadable).
    Changed {
        /// Path from the media root.
        path: String,
        /// What differs, in words.
        reason: String,
    },
    /// On the media but not listed in the manifest.
    Extra {
        /// Path from the media root.
        path: String,
    },
    /// Listed more than once in the manifest.
    Duplicate {
        /// Path from the media root.
        path: String,
    },
    /// Two views of the media (ISO name trees, path tables) disagree about this path.
    Ambiguous {
        /// Path from the media root (`/` for the root).
        path: String,
        /// Which views disagree and how.
        reason: String,
    },
}

impl Problem {
    /// The media path the problem is about.
    pub fn path(&self) -> &str {
        match self {
            Problem::Missing { path }
            | Problem::Changed { path, .. }
            | Problem::Extra { path }
            | Problem::Duplicate { path }
            | Problem::Ambiguous { path, .. } => path,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names come from the media: escape control characters so one problem stays one line.
        let path = printable(self.path());
        match self {
            Problem::Missing { .. } => write!(f, "missing: {path} (listed in {MANIFEST_NAME})"),
            Problem::Changed { reason, .. } => write!(f, "changed: {path}: {reason}"),
            Problem::Extra { .. } => write!(f, "extra: {path} (not listed in {MANIFEST_NAME})"),
            Problem::Duplicate { .. } => write!(
                f,
                "duplicate: {path} is listed more than once in {MANIFEST_NAME}"
            ),
            Problem::Ambiguous { reason, .. } => write!(f, "ambiguous: {path}: {reason}"),
        }
    }
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The media as given by the caller.
    pub media: String,
    /// What kind of media it is.
    pub format: MediaFormat,
    /// How many files the manifest lists.
    pub files_listed: usize,
    /// How many of them matched.
    pub files_ok: usize,
    /// Every difference, sorted by path.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether the media matches its manifest exactly.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line for humans: `N files match manifest.json` or a count of each kind of problem.
    pub fn summary(&self) -> String {
        if self.is_clean() {
            return format!(
                "{}: all {} files match {MANIFEST_NAME}",
                self.media, self.files_listed
            );
        }
        let count = |k: fn(&Problem) -> bool| self.problems.iter().filter(|p| k(p)).count();
        let parts = [
            (count(|p| matches!(p, Problem::Missing { .. })), "missing"),
            (count(|p| matches!(p, Problem::Changed { .. })), "changed"),
            (count(|p| matches!(p, Problem::Extra { .. })), "extra"),
            (
                count(|p| matches!(p, Problem::Duplicate { .. })),
                "duplicate",
            ),
            (
                count(|p| matches!(p, Problem::Ambiguous { .. })),
                "ambiguous",
            ),
        ];
        let parts: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        format!(
            "{}: {} problem(s): {} ({} of {} listed files match)",
            self.media,
            self.problems.len(),
            parts.join(", "),
            self.files_ok,
            self.files_listed
        )
    }
}

/// Check the media at `path` (ISO, ZIP or directory) against its root `manifest.json`.
///
/// Differences are reported in the result; an `Err` means the check itself could not be done
/// (no manifest, unreadable media, unknown format).
pub fn verify(path: &Path) -> Result<VerifyReport> {
    let (format, media) = open_media(path)?;
    Ok(verify_opened(path, format, media.as_ref())?.0)
}

/// [`verify`] of media already opened, also returning the text of its manifest.
pub(crate) fn verify_opened(
    path: &Path,
    format: MediaFormat,
    media: &dyn MediaFiles,
) -> Result<(VerifyReport, String)> {
    let manifest_text = media.manifest_text().map_err(|e| match e {
        Some(e) => e,
        None => Error::invalid(format!(
            "{} has no {MANIFEST_NAME} at its root, so there is nothing to verify against",
            path.display()
        ))
        .with_help(
            "verify checks media written by aero-recipe, which always carries manifest.json",
        ),
    })?;
    let manifest_label = Path::new(path).join(MANIFEST_NAME);
    let listed = manifest::read_file_list(&manifest_label, &manifest_text)?;
    let mut problems = compare(&listed, media);
    problems.extend(media.ambiguities());
    problems.sort_by(|a, b| a.path().cmp(b.path()));
    let files_listed = listed.len();
    let bad_listed = problems
        .iter()
        .filter(|p| matches!(p, Problem::Missing { .. } | Problem::Changed { .. }))
        .count();
    let report = VerifyReport {
        media: path.display().to_string(),
        format,
        files_listed,
        files_ok: files_listed.saturating_sub(bad_listed),
        problems,
    };
    Ok((report, manifest_text))
}

/// Open the media at `path` as the file view of its kind (ISO, ZIP or directory).
pub(crate) fn open_media(path: &Path) -> Result<(MediaFormat, Box<dyn MediaFiles>)> {
    let meta = std::fs::metadata(path).with_path("read", path)?;
    if meta.is_dir() {
        return Ok((MediaFormat::Directory, Box::new(DirFiles::open(path)?)));
    }
    match sniff(path)? {
        MediaFormat::Zip => Ok((MediaFormat::Zip, Box::new(ZipFiles::open(path)?))),
        MediaFormat::Iso => Ok((MediaFormat::Iso, Box::new(IsoFiles::open(path)?))),
        MediaFormat::Directory => Err(Error::invalid(format!(
            "{} is neither an ISO image, a ZIP archive nor a directory",
            path.display()
        ))
        .with_help("verify takes the .iso or .zip written by aero-recipe, or a directory holding the media's files with manifest.json at its root")),
    }
}

/// Whether `path` is an ISO image or ZIP archive (by content, not name).
pub(crate) fn is_image(path: &Path) -> bool {
    path.is_file() && matches!(sniff(path), Ok(MediaFormat::Iso | MediaFormat::Zip))
}

/// The file view of one kind of media.
pub(crate) trait MediaFiles: Sync {
    /// Every file path found (`/`-separated, from the root) with its size, or `Err(reason)`
    /// when the entry is not a regular file.
    fn files(&self) -> &BTreeMap<String, std::result::Result<u64, String>>;
    /// The text of the root manifest; `Err(None)` when there is none.
    fn manifest_text(&self) -> std::result::Result<String, Option<Error>>;
    /// SHA-256 and length of a file listed by [`files`](Self::files).
    fn hash(&self, path: &str) -> io::Result<(String, u64)>;
    /// Where views of the media disagree (only an ISO has more than one view).
    fn ambiguities(&self) -> Vec<Problem> {
        Vec::new()
    }
}

/// Every problem, sorted by path (listed files hashed in parallel).
fn compare(listed: &[FileRecord], media: &dyn MediaFiles) -> Vec<Problem> {
    let found = media.files();
    // First record of each path; later ones are reported as duplicates.
    let mut unique: BTreeMap<&str, &FileRecord> = BTreeMap::new();
    let mut problems = Vec::new();
    for rec in listed {
        match unique.entry(rec.path.as_str()) {
            Entry::Vacant(v) => {
                v.insert(rec);
            }
            Entry::Occupied(_) => problems.push(Problem::Duplicate {
                path: rec.path.clone(),
            }),
        }
    }
    let checked: Vec<Option<Problem>> = unique
        .values()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|rec| check_one(rec, found.get(&rec.path), media))
        .collect();
    problems.extend(checked.into_iter().flatten());
    for path in found.keys() {
        if path != MANIFEST_NAME && !unique.contains_key(path.as_str()) {
            problems.push(Problem::Extra { path: path.clone() });
        }
    }
    problems.sort_by(|a, b| a.path().cmp(b.path()));
    problems.dedup();
    problems
}

fn check_one(
    rec: &FileRecord,
    found: Option<&std::result::Result<u64, String>>,
    media: &dyn MediaFiles,
) -> Option<Problem> {
    let changed = |reason: String| {
        Some(Problem::Changed {
            path: rec.path.clone(),
            reason,
        })
    };
    let size = match found {
        None => {
            return Some(Problem::Missing {
                path: rec.path.clone(),
            })
        }
        Some(Err(what)) => return changed(format!("{what}, not a regular file")),
        Some(Ok(size)) => *size,
    };
    if size != rec.size {
        return changed(format!(
            "size is {size} bytes, {MANIFEST_NAME} says {}",
            rec.size
        ));
    }
    match media.hash(&rec.path) {
        Err(e) => changed(format!("cannot be read back: {e}")),
        Ok((_, n)) if n != rec.size => changed(format!(
            "{n} bytes could be read, {MANIFEST_NAME} says {}",
            rec.size
        )),
        Ok((sha, _)) if !sha.eq_ignore_ascii_case(&rec.sha256) => changed(format!(
            "SHA-256 is {sha}, {MANIFEST_NAME} says {}",
            rec.sha256
        )),
        Ok(_) => None,
    }
}

/// What an existing file holds, judged by its first bytes: ZIP, ISO, or neither (`Directory`).
fn sniff(path: &Path) -> Result<MediaFormat> {
    let (mut f, _) = open_regular(path)?;
    let mut head = [0u8; 4];
    let n = read_full(&mut f, &mut head).with_path("read", path)?;
    if n == 4 && (head == *b"PK\x03\x04" || head == *b"PK\x05\x06") {
        return Ok(MediaFormat::Zip);
    }
    // ISO 9660: the first volume descriptor at sector 16 carries "CD001" after its type byte.
    let mut id = [0u8; 5];
    if f.seek(SeekFrom::Start(16 * 2048 + 1)).is_ok()
        && read_full(&mut f, &mut id).with_path("read", path)? == 5
        && id == *b"CD001"
    {
        return Ok(MediaFormat::Iso);
    }
    Ok(MediaFormat::Directory)
}

/// Read at most [`MANIFEST_MAX`] bytes of a manifest as UTF-8.
fn read_manifest(mut r: impl Read, label: &str) -> std::result::Result<String, Option<Error>> {
    let mut bytes = Vec::new();
    r.by_ref()
        .take(MANIFEST_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Some(Error::invalid(format!("cannot read {label}: {e}"))))?;
    if bytes.len() as u64 > MANIFEST_MAX {
        return Err(Some(Error::invalid(format!(
            "{label} is larger than {} MiB; it is not a manifest written by aero-recipe",
            MANIFEST_MAX >> 20
        ))));
    }
    String::from_utf8(bytes).map_err(|_| Some(Error::invalid(format!("{label} is not UTF-8 text"))))
}

// ---------------------------------------------------------------------------------------------
// Directory

struct DirFiles {
    root: std::path::PathBuf,
    files: BTreeMap<String, std::result::Result<u64, String>>,
}

impl DirFiles {
    fn open(root: &Path) -> Result<DirFiles> {
        let walk = fswalk::walk_entries(root)?;
        let mut files = BTreeMap::new();
        for o in walk.odd {
            let what = match o.kind {
                OddKind::Symlink => "is a symbolic link".to_string(),
                OddKind::Special => "is a special file".to_string(),
                OddKind::NotUtf8 => "has a name that is not valid UTF-8".to_string(),
                OddKind::Unreadable(e) => {
                    return Err(
                        Error::invalid(format!("cannot list {}: {e}", root.display())).with_help(
                            "check the permissions of the directory and everything in it",
                        ),
                    )
                }
            };
            files.insert(o.rel, Err(what));
        }
        for f in walk.files {
            files.insert(f.rel, Ok(f.size));
        }
        Ok(DirFiles {
            root: root.to_path_buf(),
            files,
        })
    }
}

impl MediaFiles for DirFiles {
    fn files(&self) -> &BTreeMap<String, std::result::Result<u64, String>> {
        &self.files
    }

    fn manifest_text(&self) -> std::result::Result<String, Option<Error>> {
        match self.files.get(MANIFEST_NAME) {
            Some(Ok(_)) => {}
            Some(Err(what)) => {
                return Err(Some(Error::invalid(format!(
                    "{} {what}, not a regular file",
                    self.root.join(MANIFEST_NAME).display()
                ))))
            }
            None => return Err(None),
        }
        let p = self.root.join(MANIFEST_NAME);
        let f = File::open(&p).map_err(|e| Some(Error::io("open", &p, e)))?;
        read_manifest(f, &p.display().to_string())
    }

    fn hash(&self, path: &str) -> io::Result<(String, u64)> {
        // Only paths found by the walk get here, so joining cannot leave the root.
        hash::sha256_reader(File::open(self.root.join(path))?)
    }
}

// ---------------------------------------------------------------------------------------------
// ZIP

/// A shared file read with positioned reads, so clones of one archive can be read in parallel.
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, pos)
}

#[cfg(windows)]
fn read_at(f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, pos)
}

/// A ZIP, read through the shared hardened reader (duplicate or unsafe entry names and
/// inconsistent headers refuse the archive); each hash opens its own clone of the reader.
struct ZipFiles {
    reader: ZipReader<SharedFile>,
    index: BTreeMap<String, usize>,
    files: BTreeMap<String, std::result::Result<u64, String>>,
}

impl ZipFiles {
    fn open(path: &Path) -> Result<ZipFiles> {
        let (f, len) = open_regular(path)?;
        let shared = SharedFile {
            file: Arc::new(f),
            pos: 0,
            len,
        };
        let reader = ZipReader::new(shared, &path.display().to_string(), len, MAX_ENTRIES)?;
        let mut index = BTreeMap::new();
        let mut files = BTreeMap::new();
        for e in reader.entries() {
            let found = match &e.unreadable {
                Some(why) => Err(why.clone()),
                None => Ok(e.size),
            };
            index.insert(e.name.clone(), e.index);
            files.insert(e.name.clone(), found);
        }
        Ok(ZipFiles {
            reader,
            index,
            files,
        })
    }
}

impl MediaFiles for ZipFiles {
    fn files(&self) -> &BTreeMap<String, std::result::Result<u64, String>> {
        &self.files
    }

    fn manifest_text(&self) -> std::result::Result<String, Option<Error>> {
        let Some(&i) = self.index.get(MANIFEST_NAME) else {
            return Err(None);
        };
        let mut reader = self.reader.clone();
        let label = format!("{MANIFEST_NAME} in {}", reader.label());
        let entry = reader
            .open(i)
            .map_err(|e| Some(Error::invalid(format!("cannot read {label}: {e}"))))?;
        read_manifest(entry, &label)
    }

    fn hash(&self, path: &str) -> io::Result<(String, u64)> {
        let i = *self
            .index
            .get(path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in the archive"))?;
        let mut reader = self.reader.clone();
        let entry = reader.open(i).map_err(io::Error::other)?;
        hash::sha256_reader(entry)
    }
}

// ---------------------------------------------------------------------------------------------
// ISO

struct IsoFiles {
    reader: IsoReader,
    index: BTreeMap<String, usize>,
    files: BTreeMap<String, std::result::Result<u64, String>>,
    ambiguous: Vec<Problem>,
}

impl IsoFiles {
    fn open(path: &Path) -> Result<IsoFiles> {
        let reader = IsoReader::open(path)?;
        let ambiguous = iso::disagreements(path)?
            .into_iter()
            .map(|d| Problem::Ambiguous {
                path: if d.path.is_empty() {
                    "/".to_string()
                } else {
                    d.path
                },
                reason: d.reason,
            })
            .collect();
        let mut index = BTreeMap::new();
        let mut files = BTreeMap::new();
        for (i, e) in reader.entries().iter().enumerate() {
            if !e.is_dir {
                index.insert(e.path.clone(), i);
                files.insert(e.path.clone(), Ok(e.size));
            }
        }
        Ok(IsoFiles {
            reader,
            index,
            files,
            ambiguous,
        })
    }

    fn entry(&self, path: &str) -> Option<&IsoEntry> {
        self.index
            .get(path)
            .and_then(|&i| self.reader.entries().get(i))
    }
}

impl MediaFiles for IsoFiles {
    fn files(&self) -> &BTreeMap<String, std::result::Result<u64, String>> {
        &self.files
    }

    fn manifest_text(&self) -> std::result::Result<String, Option<Error>> {
        // The lookup is exact: another case would be another file on ISO media read by Unix.
        let Some(e) = self.entry(MANIFEST_NAME) else {
            return Err(None);
        };
        let label = format!("{MANIFEST_NAME} in {}", self.reader.path().display());
        let r = self.reader.source(e).open().map_err(Some)?;
        read_manifest(r, &label)
    }

    fn hash(&self, path: &str) -> io::Result<(String, u64)> {
        let e = self
            .entry(path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in the image"))?;
        let r = self
            .reader
            .source(e)
            .open()
            .map_err(|e| io::Error::other(e.to_string()))?;
        hash::sha256_reader(r)
    }

    fn ambiguities(&self) -> Vec<Problem> {
        self.ambiguous.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(BTreeMap<String, std::result::Result<u64, String>>);

    impl MediaFiles for Fake {
        fn files(&self) -> &BTreeMap<String, std::result::Result<u64, String>> {
            &self.0
        }
        fn manifest_text(&self) -> std::result::Result<String, Option<Error>> {
            Err(None)
        }
        fn hash(&self, _: &str) -> io::Result<(String, u64)> {
            Ok((hash::sha256_bytes(b"abc"), 3))
        }
    }

    #[test]
    fn duplicates_links_and_hostile_names_are_reported_on_one_line_each() {
        let rec = |p: &str| FileRecord {
            path: p.into(),
            sha256: hash::sha256_bytes(b"abc"),
            size: 3,
        };
        let media = Fake(BTreeMap::from([
            ("a".to_string(), Ok(3)),
            ("link".to_string(), Err("is a symbolic link".to_string())),
            ("evil\nmissing: x".to_string(), Ok(1)),
            (MANIFEST_NAME.to_string(), Ok(10)),
        ]));
        let problems = compare(&[rec("a"), rec("a"), rec("a"), rec("link")], &media);
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "duplicate: a is listed more than once in manifest.json",
                "extra: evil\\nmissing: x (not listed in manifest.json)",
                "changed: link: is a symbolic link, not a regular file",
            ]
        );
    }
}
