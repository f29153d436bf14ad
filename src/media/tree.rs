//! The virtual media tree: destination path -> where its bytes come from.
//!
//! Nothing is staged: an entry points at a file on disk, an extent inside an ISO image, or
//! bytes generated in memory, and writers stream each source once.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{printable, Error, IoContext, Result};
use crate::fswalk::{self, OddKind};
use crate::winpath;

/// Deepest directory nesting an image may have: the ISO reader refuses deeper trees, so the
/// writers refuse to build them.
pub const MAX_DEPTH: usize = 64;
/// Most entries (files and directories, the root not counted) one media tree or image may
/// hold. A virtio-win ISO carries a few thousand and guest media far fewer; the ISO reader
/// refuses more (it bounds what a hostile image costs), so the writers refuse to build more.
pub const MAX_ENTRIES: usize = 65_536;
/// Windows `MAX_PATH`: a path from a drive root (`D:\...`) plus its terminating NUL must fit,
/// or Explorer, `cmd` and most installers cannot open the file.
pub const WINDOWS_MAX_PATH: usize = 260;

/// A contiguous run of bytes inside an image file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// Byte offset in the image.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

/// Where an entry's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A regular file on disk.
    File(PathBuf),
    /// Bytes generated in memory (devices.cmd, manifest.json, ...).
    Bytes(Arc<[u8]>),
    /// Consecutive extents inside an image file (a file inside an input ISO).
    Extents {
        /// The image file.
        image: Arc<PathBuf>,
        /// The extents, in file order.
        extents: Vec<Extent>,
    },
}

impl Source {
    /// Open the source for streaming.
    pub fn open(&self) -> Result<Box<dyn Read + Send>> {
        match self {
            Source::File(p) => Ok(Box::new(crate::regular::open(p)?)),
            Source::Bytes(b) => Ok(Box::new(io::Cursor::new(Arc::clone(b)))),
            Source::Extents { image, extents } => {
                let f = File::open(image.as_path()).with_path("open", image)?;
                Ok(Box::new(ExtentReader {
                    file: f,
                    extents: extents.clone(),
                    index: 0,
                    done_in_current: 0,
                }))
            }
        }
    }

    /// Fill `buf` from byte `offset` on; how many bytes there were (fewer than `buf.len()`
    /// only at the end). Each call opens the source, so pieces of one file can be read on
    /// different threads.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File(p) => {
                let f = crate::regular::open(p).map_err(|e| io::Error::other(e.to_string()))?;
                read_full_at(&f, offset, buf)
            }
            Source::Bytes(b) => {
                let from = usize::try_from(offset).unwrap_or(usize::MAX).min(b.len());
                let src = b.get(from..).unwrap_or_default();
                let n = src.len().min(buf.len());
                buf[..n].copy_from_slice(&src[..n]);
                Ok(n)
            }
            Source::Extents { image, extents } => {
                let f = File::open(image.as_path())?;
                let mut done = 0usize;
                let mut skip = offset;
                for ext in extents {
                    if done == buf.len() {
                        break;
                    }
                    if skip >= ext.len {
                        skip -= ext.len;
                        continue;
                    }
                    let want = usize::try_from(ext.len - skip)
                        .unwrap_or(usize::MAX)
                        .min(buf.len() - done);
                    let n = read_full_at(&f, ext.offset + skip, &mut buf[done..done + want])?;
                    if n < want {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "extent extends past the end of the image",
                        ));
                    }
                    done += n;
                    skip = 0;
                }
                Ok(done)
            }
        }
    }

    /// The first `n` bytes (fewer if the source is shorter): enough to judge content by shape.
    pub fn head(&self, n: u64) -> Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(64 * 1024));
        self.open()?
            .take(n)
            .read_to_end(&mut buf)
            .map_err(|e| Error::invalid(format!("cannot read {}: {e}", self.describe())))?;
        Ok(buf)
    }

    /// A short human description (for error messages; never written to outputs).
    pub fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Bytes(_) => "<generated>".into(),
            Source::Extents { image, .. } => format!("<inside {}>", image.display()),
        }
    }
}

/// Read until `buf` is full or the reader ends; how many bytes were read. (A bare `read` may
/// return less than it could, which would split a ZIP chunk or a format sniff at random.)
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Positional `read_full`: fill `buf` from `offset` until it is full or the file ends.
pub(crate) fn read_full_at(f: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match pread(f, &mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// One positional read (the file's cursor is not used where the platform allows).
#[cfg(unix)]
fn pread(f: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, off)
}

#[cfg(not(unix))]
fn pread(f: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    let mut f = f;
    f.seek(io::SeekFrom::Start(off))?;
    f.read(buf)
}

struct ExtentReader {
    file: File,
    extents: Vec<Extent>,
    index: usize,
    done_in_current: u64,
}

impl Read for ExtentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(ext) = self.extents.get(self.index) {
            let left = ext.len - self.done_in_current;
            if left == 0 {
                self.index += 1;
                self.done_in_current = 0;
                continue;
            }
            if self.done_in_current == 0 {
                self.file.seek(SeekFrom::Start(ext.offset))?;
            }
            let want = (buf.len() as u64).min(left) as usize;
            let n = self.file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "extent extends past the end of the image",
                ));
            }
            self.done_in_current += n as u64;
            return Ok(n);
        }
        Ok(0)
    }
}

/// One file of the media.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where the bytes come from.
    pub source: Source,
    /// Size in bytes.
    pub size: u64,
}

/// The virtual tree: `/`-separated relative destination paths (no leading slash) to entries.
///
/// Paths are checked against Windows naming rules as they are added; case-insensitive
/// collisions are reported, all at once, by [`Media::check`].
#[derive(Debug, Clone, Default)]
pub struct Media {
    files: BTreeMap<String, Entry>,
    dirs: BTreeSet<String>,
}

impl Media {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file from disk at `dest`.
    pub fn add_file(&mut self, dest: &str, path: &Path) -> Result<()> {
        let meta = std::fs::symlink_metadata(path).with_path("read metadata of", path)?;
        if !meta.is_file() {
            return Err(Error::invalid(format!(
                "{} is not a regular file (symlinks and devices cannot be shipped)",
                path.display()
            )));
        }
        self.add(dest, Source::File(path.to_path_buf()), meta.len())
    }

    /// Add generated bytes at `dest`.
    pub fn add_bytes(&mut self, dest: &str, bytes: impl Into<Arc<[u8]>>) -> Result<()> {
        let bytes: Arc<[u8]> = bytes.into();
        let len = bytes.len() as u64;
        self.add(dest, Source::Bytes(bytes), len)
    }

    /// Add any source of known size at `dest`. Adding the same path twice is an error.
    pub fn add(&mut self, dest: &str, source: Source, size: u64) -> Result<()> {
        let dest = normalize(dest)?;
        if self.dirs.contains(&dest) {
            return Err(Error::invalid(format!(
                "media path `{dest}` is already a directory"
            )));
        }
        if self.files.contains_key(&dest) {
            return Err(Error::invalid(format!(
                "media path `{dest}` was added twice ({} and {})",
                self.files[&dest].source.describe(),
                source.describe()
            )));
        }
        let mut parent = dest.as_str();
        while let Some(i) = parent.rfind('/') {
            parent = &parent[..i];
            if self.files.contains_key(parent) {
                return Err(Error::invalid(format!(
                    "media path `{dest}` needs `{parent}` to be a directory, but it is a file"
                )));
            }
            self.dirs.insert(parent.to_string());
        }
        self.files.insert(dest, Entry { source, size });
        Ok(())
    }

    /// Add every regular file and every directory (empty ones too) under `dir` below `dest`
    /// (`""` for the root), in sorted order.
    /// `keep` decides per relative path (`/`-separated) whether a file is shipped.
    pub fn add_tree(
        &mut self,
        dest: &str,
        dir: &Path,
        mut keep: impl FnMut(&str) -> bool,
    ) -> Result<()> {
        let walk = fswalk::walk_entries(dir)?;
        // Special files are left out; links, names that are not UTF-8 and unreadable
        // directories refuse the tree, each named.
        let refused: Vec<Error> = walk
            .odd
            .iter()
            .filter(|o| o.kind != OddKind::Special)
            .map(|o| o.to_error(dir))
            .collect();
        if !refused.is_empty() {
            return Err(Error::many(
                format!("{} cannot be added to the media", dir.display()),
                refused,
            ));
        }
        let under = |rel: &str| {
            if dest.is_empty() {
                rel.to_string()
            } else {
                format!("{dest}/{rel}")
            }
        };
        for d in &walk.dirs {
            self.add_dir(&under(d))?;
        }
        for f in &walk.files {
            if keep(&f.rel) {
                self.add_file(&under(&f.rel), &f.path)?;
            }
        }
        Ok(())
    }

    /// Record an (possibly empty) directory.
    pub fn add_dir(&mut self, dest: &str) -> Result<()> {
        let dest = normalize(dest)?;
        if self.files.contains_key(&dest) {
            return Err(Error::invalid(format!(
                "media path `{dest}` is already a file"
            )));
        }
        let mut p = dest.as_str();
        loop {
            self.dirs.insert(p.to_string());
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => break,
            }
        }
        Ok(())
    }

    /// Remove a file, returning its entry.
    pub fn remove(&mut self, dest: &str) -> Option<Entry> {
        self.files.remove(dest)
    }

    /// The entry at `dest`.
    pub fn get(&self, dest: &str) -> Option<&Entry> {
        self.files.get(dest)
    }

    /// Files sorted by path (byte order).
    pub fn files(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.files.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Every directory (explicit or implied by a file), sorted.
    pub fn dirs(&self) -> impl Iterator<Item = &str> {
        self.dirs.iter().map(String::as_str)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the tree has no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Total payload size in bytes.
    pub fn total_size(&self) -> u64 {
        self.files.values().map(|e| e.size).sum()
    }

    /// Report, in one error, everything the media's readers would refuse or Windows could
    /// not open: case-insensitive collisions (files or directories), nesting deeper than
    /// [`MAX_DEPTH`], more than [`MAX_ENTRIES`] entries, and paths longer than
    /// [`WINDOWS_MAX_PATH`] from a drive root.
    pub fn check(&self) -> Result<()> {
        let all = self
            .files
            .keys()
            .chain(self.dirs.iter())
            .map(String::as_str);
        let mut problems: Vec<Error> = winpath::case_collisions(all)
            .into_iter()
            .map(|set| {
                Error::invalid(format!(
                    "paths collide on Windows (names differ only in case): {}",
                    set.join(", ")
                ))
            })
            .collect();
        let entries = self.files.len() + self.dirs.len();
        if entries > MAX_ENTRIES {
            problems.push(Error::invalid(format!(
                "the media holds {entries} files and directories, more than the \
                 {MAX_ENTRIES} an image may hold (aero-recipe's reader refuses larger images)"
            )));
        }
        for p in self.dirs.iter() {
            let depth = p.split('/').count();
            if depth > MAX_DEPTH {
                problems.push(Error::invalid(format!(
                    "directory `{}` is nested {depth} levels deep, more than the {MAX_DEPTH} \
                     an image may have",
                    printable(p)
                )));
            }
        }
        for p in self.files.keys().chain(self.dirs.iter()) {
            if let Some(n) = too_long_for_windows(p) {
                problems.push(Error::invalid(format!(
                    "`{}` is {n} characters from a drive root (`D:\\` + path), more than \
                     Windows opens (MAX_PATH is {WINDOWS_MAX_PATH} with the terminating NUL)",
                    printable(p)
                )));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let n = problems.len();
        Err(Error::many(
            format!("{n} problem(s) with the media's paths"),
            problems,
        ))
    }
}

/// The length of `D:\` + `path` in UTF-16 units (how Windows counts), if it is longer than
/// a path Windows opens.
fn too_long_for_windows(path: &str) -> Option<usize> {
    let n = 3 + path.encode_utf16().count();
    (n >= WINDOWS_MAX_PATH).then_some(n)
}

/// Normalise a destination: `\` becomes `/`, one leading `/` is dropped; then Windows rules apply.
fn normalize(dest: &str) -> Result<String> {
    let d = dest.replace('\\', "/");
    let d = d.strip_prefix('/').unwrap_or(&d).to_string();
    if let Some(p) = winpath::windows_path_problem(&d) {
        return Err(Error::invalid(format!("invalid media path: {p}")));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_at_gives_any_piece_of_every_kind_of_source() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("image.bin");
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&image, &bytes).unwrap();
        // A file in two extents, the second before the first in the image.
        let extents = Source::Extents {
            image: Arc::new(image.clone()),
            extents: vec![
                Extent {
                    offset: 6_000,
                    len: 3_000,
                },
                Extent {
                    offset: 1_000,
                    len: 2_000,
                },
            ],
        };
        let whole: Vec<u8> = [&bytes[6_000..9_000], &bytes[1_000..3_000]].concat();
        let file = Source::File(image.clone());
        let mem = Source::Bytes(whole.clone().into());
        for (src, want) in [(&extents, &whole), (&mem, &whole), (&file, &bytes)] {
            for (at, len) in [(0, 10), (2_990, 20), (2_999, 5_000), (4_999, 1), (5_000, 1)] {
                let mut buf = vec![0u8; len];
                let n = src.read_at(at, &mut buf).unwrap();
                let end = (at as usize + len).min(want.len());
                let expect = want.get(at as usize..end).unwrap_or_default();
                assert_eq!(&buf[..n], expect, "{} at {at}", src.describe());
            }
        }
        // An extent past the end of the image is an error, not a short read.
        let lying = Source::Extents {
            image: Arc::new(image),
            extents: vec![Extent {
                offset: 9_000,
                len: 5_000,
            }],
        };
        let mut buf = vec![0u8; 4_000];
        assert!(lying.read_at(0, &mut buf).is_err());
    }

    #[test]
    fn tree_rules() {
        let mut m = Media::new();
        m.add_bytes("a/b/c.txt", b"hi".to_vec()).unwrap();
        m.add_bytes("\\a\\d.txt", b"x".to_vec()).unwrap();
        assert!(m.add_bytes("a/b/c.txt", b"again".to_vec()).is_err());
        assert!(m
            .add_bytes("a/b/c.txt/x", b"under a file".to_vec())
            .is_err());
        assert!(m.add_bytes("a/CON", b"".to_vec()).is_err());
        assert_eq!(m.dirs().collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(
            m.files().map(|(p, _)| p).collect::<Vec<_>>(),
            ["a/b/c.txt", "a/d.txt"]
        );
        m.add_bytes("A/e.txt", b"".to_vec()).unwrap();
        let err = m.check().unwrap_err().to_string();
        assert!(err.contains("A, a"), "{err}");
    }

    #[test]
    fn what_readers_and_windows_refuse_is_refused_at_build_time() {
        let mut m = Media::new();
        m.add_dir(&vec!["d"; MAX_DEPTH].join("/")).unwrap();
        m.add_bytes(&format!("{}/f", "n".repeat(254)), b"".to_vec())
            .unwrap();
        assert!(m.check().is_ok(), "{:?}", m.check());
        m.add_dir(&vec!["d"; MAX_DEPTH + 1].join("/")).unwrap();
        m.add_bytes(&format!("{}/fx", "n".repeat(254)), b"".to_vec())
            .unwrap();
        let err = format!("{:?}", m.check().unwrap_err());
        assert!(err.contains("65 levels deep"), "{err}");
        assert!(err.contains("fx` is 260 characters"), "{err}");
        let mut big = Media::new();
        for i in 0..=MAX_ENTRIES {
            big.add_bytes(&format!("f{i}"), b"".to_vec()).unwrap();
        }
        let err = big.check().unwrap_err().to_string();
        assert!(err.contains("65537 files and directories"), "{err}");
    }

    #[test]
    fn extents_stream_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("img");
        std::fs::write(&img, b"0123456789").unwrap();
        let src = Source::Extents {
            image: Arc::new(img),
            extents: vec![Extent { offset: 7, len: 3 }, Extent { offset: 0, len: 2 }],
        };
        let mut s = String::new();
        src.open().unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "78901");
    }
}
