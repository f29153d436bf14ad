//! The image reader: volume descriptors, one directory tree walked with bounded memory, names
//! from Rock Ridge, Joliet, the ISO 9660:1999 tree or plain ISO 9660, and safe extraction.
//!
//! Name sources, best first: Rock Ridge `NM` when the primary tree carries SUSP (the only
//! complete names: Joliet truncates at 64 characters, which is how `mkisofs -J -R` images
//! come out), then Joliet, then the ISO 9660:1999 enhanced tree, then plain ISO 9660 without
//! `;1` and a trailing `.`. Linux mounts images the same way.
//!
//! A damaged or hostile image is an error, never a panic or a hang: every read is checked
//! against the image size, each directory extent is read once (a second visit is a loop),
//! nesting, directory sizes, entry counts and continuation chains are bounded, and so is what
//! the records may make a caller read or allocate in all: path bytes ([`MAX_PATH_BYTES`]),
//! continuation areas (each read once, all of them at most the image's size) and file data
//! (a file's extents ascending and disjoint; all files together at most [`SHARED_DATA_FACTOR`]
//! times the image's size).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
#[cfg(not(unix))]
use std::io::{Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::error::{printable, Error, IoContext, Result};
use crate::media::copy::copy_source;
use crate::media::tree::{Extent, Media, Source, MAX_DEPTH, MAX_ENTRIES};
use crate::regular::open_regular;
use crate::winpath::fold_case;
use rayon::prelude::*;

use super::record::{le16, le32, FLAG_ASSOCIATED, FLAG_DIR, FLAG_MULTI_EXTENT, SECTOR, SECTOR_U64};
use super::rrip;

/// Most bytes of entry paths one tree may hold in all (65,536 entries of 1 KiB paths): names
/// that share a continuation area or nest deep cannot make a listing cost gigabytes.
pub const MAX_PATH_BYTES: u64 = 64 << 20;
/// Longest name accepted, in bytes (Windows and Linux both stop at 255 characters; this is
/// 255 characters of up to four bytes each, rounded up).
const MAX_NAME_BYTES: usize = 1024;
/// How many times its own size the files of an image may list in all. Files may share bytes
/// (that is how writers record hard links), but an image whose files list more than this is
/// built to make a reader hash or write far more than it holds.
pub const SHARED_DATA_FACTOR: u64 = 4;
/// Largest directory extent accepted, in bytes.
const MAX_DIR_BYTES: u32 = 32 << 20;
/// Volume descriptors read before giving up on finding the terminator.
const MAX_DESCRIPTORS: u64 = 64;

/// One file or directory of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoEntry {
    /// `/`-separated path without a leading slash (`dir/file`).
    pub path: String,
    /// Whether this is a directory.
    pub is_dir: bool,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Where the bytes are in the image, in file order (several for a multi-extent file).
    pub extents: Vec<Extent>,
}

/// Which names the reader used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    /// Rock Ridge `NM` entries in the primary tree.
    RockRidge,
    /// The Joliet (UCS-2) tree.
    Joliet,
    /// The ISO 9660:1999 enhanced tree.
    Iso9660_1999,
    /// Plain ISO 9660 identifiers.
    Iso9660,
}

/// An opened image: its labels and every entry, read once at [`IsoReader::open`].
#[derive(Debug)]
pub struct IsoReader {
    image: Arc<PathBuf>,
    volume_id: String,
    joliet_volume_id: Option<String>,
    names: NameSource,
    entries: Vec<IsoEntry>,
    /// Case-folded path -> entry, sorted by key (the first entry wins for equal keys).
    index: Vec<(String, usize)>,
}

/// The image file with bounds-checked reads.
pub(super) struct Image {
    file: File,
    len: u64,
    path: PathBuf,
}

impl Image {
    /// Open `path` if it is a regular file (a FIFO or device is refused before it is opened).
    pub(super) fn open(path: &Path) -> Result<Image> {
        let (file, len) = open_regular(path)?;
        Ok(Image {
            file,
            len,
            path: path.to_path_buf(),
        })
    }

    /// The image's size in bytes.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Read `len` bytes at `offset`; `what` names the structure for the error message.
    pub(super) fn read(
        &mut self,
        offset: u64,
        len: usize,
        what: &dyn Fn() -> String,
    ) -> Result<Vec<u8>> {
        let end = offset.checked_add(len as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(Error::invalid(format!(
                "{}: {} (bytes {offset}..{}) lies past the end of the image ({} bytes); the \
                 image is truncated or damaged",
                self.path.display(),
                what(),
                offset.saturating_add(len as u64),
                self.len
            )));
        }
        let mut buf = vec![0u8; len];
        read_at(&mut self.file, offset, &mut buf).with_path("read", &self.path)?;
        Ok(buf)
    }
}

/// Fill `buf` from `offset` with one positioned read (no separate seek) where the platform
/// has it: a whole directory extent costs one system call.
#[cfg(unix)]
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// The tree being walked and how its names are decoded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Tree {
    Primary { rr_skip: Option<usize> },
    Joliet,
    Enhanced,
}

/// One parsed directory record.
pub(super) struct Record<'a> {
    pub(super) extent: u32,
    xar: u8,
    pub(super) len: u32,
    flags: u8,
    interleaved: bool,
    id: &'a [u8],
    su: &'a [u8],
}

/// Parse the record at the start of `b` (whose length byte is `b[0]`).
pub(super) fn parse_record(b: &[u8]) -> Option<Record<'_>> {
    let len = usize::from(*b.first()?);
    if len < 34 || len > b.len() {
        return None;
    }
    let id_len = usize::from(b[32]);
    let id_end = 33 + id_len;
    if id_len == 0 || id_end > len {
        return None;
    }
    let su_start = (id_end + usize::from(id_len % 2 == 0)).min(len);
    Some(Record {
        extent: le32(b, 2)?,
        xar: b[1],
        len: le32(b, 10)?,
        flags: b[25],
        interleaved: b[26] != 0 || b[27] != 0,
        id: &b[33..id_end],
        su: &b[su_start..len],
    })
}

/// Bytes as text: UTF-8 when valid, else Latin-1 (what `mkisofs -input-charset iso8859-1`
/// records).
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn ucs2(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Drop a `;<digits>` version suffix.
fn strip_version(name: &str) -> &str {
    match name.rfind(';') {
        Some(i) if name[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &name[..i],
        _ => name,
    }
}

fn trim_label(s: &str) -> String {
    s.trim_end_matches([' ', '\0']).to_string()
}

/// Why `name` cannot be a path component, if it cannot.
fn bad_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an empty name")
    } else if name == "." || name == ".." {
        Some("a name that points outside its directory")
    } else if name.contains('/') {
        Some("a name containing `/` (or an absolute name)")
    } else if name.contains('\0') {
        Some("a name containing NUL")
    } else {
        None
    }
}

/// The volume descriptors of an image that name a tree.
pub(super) struct Descriptors {
    /// The primary volume descriptor.
    pub(super) primary: Vec<u8>,
    /// The first Joliet supplementary volume descriptor.
    pub(super) joliet: Option<Vec<u8>>,
    /// The first ISO 9660:1999 enhanced volume descriptor.
    pub(super) enhanced: Option<Vec<u8>>,
}

/// One name tree of an image: how to walk it and the descriptor that roots it.
pub(super) struct TreeRoot<'a> {
    /// How its names are decoded.
    pub(super) tree: Tree,
    /// First block and length of its root directory.
    pub(super) root: (u32, u32),
    /// Which names it carries.
    pub(super) names: NameSource,
    /// Its volume descriptor (for the path tables).
    pub(super) descriptor: &'a [u8],
}

fn bad_root(path: &Path) -> Error {
    Error::invalid(format!(
        "{}: the root directory record is damaged",
        path.display()
    ))
}

impl Descriptors {
    /// Read the volume descriptor set from block 16 to its terminator.
    pub(super) fn read(img: &mut Image) -> Result<Descriptors> {
        let path = img.path.clone();
        let len = img.len;
        let mut primary = None;
        let mut joliet = None;
        let mut enhanced = None;
        let mut n = 16;
        loop {
            if n >= 16 + MAX_DESCRIPTORS {
                return Err(Error::invalid(format!(
                    "{}: no volume descriptor set terminator in the first {MAX_DESCRIPTORS} \
                     descriptors; this is not an ISO 9660 image",
                    path.display()
                )));
            }
            if (n + 1) * SECTOR_U64 > len {
                return Err(Error::invalid(format!(
                    "{}: the image is truncated ({len} bytes): it ends inside its volume \
                     descriptors",
                    path.display()
                )));
            }
            let vd = img.read(n * SECTOR_U64, SECTOR, &|| "a volume descriptor".into())?;
            if &vd[1..6] != b"CD001" {
                return Err(Error::invalid(format!(
                    "{}: no ISO 9660 signature at block {n}; this is not an ISO 9660 image",
                    path.display()
                )));
            }
            match (vd[0], vd[6]) {
                (255, _) => break,
                (1, _) if primary.is_none() => primary = Some(vd),
                (2, 1) if matches!(&vd[88..91], b"%/@" | b"%/C" | b"%/E") => {
                    joliet.get_or_insert(vd);
                }
                (2, 2) => {
                    enhanced.get_or_insert(vd);
                }
                _ => {}
            }
            n += 1;
        }
        let Some(primary) = primary else {
            return Err(Error::invalid(format!(
                "{}: the image has no primary volume descriptor",
                path.display()
            )));
        };
        let block = le16(&primary, 128).unwrap_or(0);
        if usize::from(block) != SECTOR {
            return Err(Error::invalid(format!(
                "{}: logical block size {block} is not supported (only 2048)",
                path.display()
            )));
        }
        Ok(Descriptors {
            primary,
            joliet,
            enhanced,
        })
    }

    /// Every name tree of the image, best names first: the primary tree when it carries Rock
    /// Ridge, Joliet, ISO 9660:1999, then the primary tree with plain ISO 9660 names.
    pub(super) fn trees(&self, img: &mut Image) -> Result<Vec<TreeRoot<'_>>> {
        let path = img.path.clone();
        let root_of = |vd: &[u8]| {
            parse_record(&vd[156..190])
                .map(|r| (r.extent, r.len))
                .ok_or_else(|| bad_root(&path))
        };
        let proot = root_of(&self.primary)?;
        let rr_skip = root_sp(img, proot)?;
        let mut trees = Vec::new();
        if let Some(skip) = rr_skip {
            trees.push(TreeRoot {
                tree: Tree::Primary {
                    rr_skip: Some(skip),
                },
                root: proot,
                names: NameSource::RockRidge,
                descriptor: &self.primary,
            });
        }
        if let Some(j) = &self.joliet {
            trees.push(TreeRoot {
                tree: Tree::Joliet,
                root: root_of(j)?,
                names: NameSource::Joliet,
                descriptor: j,
            });
        }
        if let Some(e) = &self.enhanced {
            trees.push(TreeRoot {
                tree: Tree::Enhanced,
                root: root_of(e)?,
                names: NameSource::Iso9660_1999,
                descriptor: e,
            });
        }
        if rr_skip.is_none() {
            trees.push(TreeRoot {
                tree: Tree::Primary { rr_skip: None },
                root: proot,
                names: NameSource::Iso9660,
                descriptor: &self.primary,
            });
        }
        Ok(trees)
    }
}

impl IsoReader {
    /// Open `path` and read its directory tree.
    pub fn open(path: &Path) -> Result<IsoReader> {
        IsoReader::open_filtered(path, None)
    }

    /// Open `path` but read only the directories on the way to each of `paths` (matched
    /// case-insensitively, like [`IsoReader::find`]) and the subtrees below them: enough for
    /// [`IsoReader::extract`] of the same `paths`, at a fraction of the cost on a large image.
    /// [`IsoReader::entries`] then lists only those paths and their ancestors. Empty `paths`,
    /// or one naming the root, read everything like [`IsoReader::open`]. Every check of a full
    /// open applies to each directory that is read.
    pub fn open_paths(path: &Path, paths: &[String]) -> Result<IsoReader> {
        let wanted: Vec<String> = paths
            .iter()
            .map(|p| fold_case(p.trim_matches('/')))
            .collect();
        if wanted.is_empty() || wanted.iter().any(|w| w.is_empty()) {
            return IsoReader::open(path);
        }
        IsoReader::open_filtered(path, Some(&wanted))
    }

    /// Open `path`, reading everything or only what leads to and lies below `wanted`
    /// (case-folded paths without leading or trailing `/`).
    fn open_filtered(path: &Path, wanted: Option<&[String]>) -> Result<IsoReader> {
        let mut img = Image::open(path)?;
        let d = Descriptors::read(&mut img)?;
        let volume_id = trim_label(&text(&d.primary[40..72]));
        let joliet_volume_id = d.joliet.as_ref().map(|j| trim_label(&ucs2(&j[40..72])));
        let trees = d.trees(&mut img)?;
        let Some(best) = trees.first() else {
            return Err(bad_root(path));
        };
        let (tree, root, names) = (best.tree, best.root, best.names);
        let mut entries = walk(&mut img, tree, root, wanted)?.entries;
        // Paths are unique (names are unique per directory), so an unstable sort is exact.
        entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        let mut index: Vec<(String, usize)> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (fold_case(&e.path), i))
            .collect();
        index.sort_unstable();
        index.dedup_by(|later, first| later.0 == first.0);
        Ok(IsoReader {
            image: Arc::new(path.to_path_buf()),
            volume_id,
            joliet_volume_id,
            names,
            entries,
            index,
        })
    }

    /// The primary volume identifier (trailing spaces removed).
    pub fn volume_id(&self) -> &str {
        &self.volume_id
    }

    /// The Joliet volume label, when the image has Joliet.
    pub fn joliet_volume_id(&self) -> Option<&str> {
        self.joliet_volume_id.as_deref()
    }

    /// Which names the entries carry.
    pub fn name_source(&self) -> NameSource {
        self.names
    }

    /// The image file.
    pub fn path(&self) -> &Path {
        &self.image
    }

    /// Every file and directory, sorted by path.
    pub fn entries(&self) -> &[IsoEntry] {
        &self.entries
    }

    /// The bytes of `e`, streamed from the image.
    pub fn source(&self, e: &IsoEntry) -> Source {
        Source::Extents {
            image: Arc::clone(&self.image),
            extents: e.extents.clone(),
        }
    }

    /// The entry at `path` (case-insensitive; leading and trailing `/` ignored).
    pub fn find(&self, path: &str) -> Option<&IsoEntry> {
        let key = fold_case(path.trim_matches('/'));
        let at = self
            .index
            .binary_search_by(|(k, _)| k.as_str().cmp(&key))
            .ok()?;
        self.index.get(at).and_then(|&(_, i)| self.entries.get(i))
    }

    /// The entry at `path` and, for a directory, everything below it.
    fn subtree(&self, path: &str) -> Result<Vec<&IsoEntry>> {
        let trimmed = path.trim_matches('/');
        if trimmed.is_empty() {
            return Ok(self.entries.iter().collect());
        }
        let Some(top) = self.find(trimmed) else {
            return Err(
                Error::invalid(format!("`{path}` is not in {}", self.image.display()))
                    .with_help("list the image with `aero-recipe iso ls`"),
            );
        };
        let mut out = vec![top];
        if top.is_dir {
            let prefix = format!("{}/", top.path);
            out.extend(self.entries.iter().filter(|e| e.path.starts_with(&prefix)));
        }
        Ok(out)
    }

    /// Extract `paths` (files or directories; everything when empty) below `dest`, which is
    /// created if missing. Nothing is written outside `dest`: names are checked, existing
    /// symlinks, FIFOs, devices and sockets below `dest` are refused, an existing regular file
    /// is unlinked first (a hard link planted there loses its name, the file it links to is
    /// never written), and each file is created new (`O_CREAT|O_EXCL`, which never follows a
    /// link). Returns the extracted file paths, sorted.
    pub fn extract(&self, dest: &Path, paths: &[String]) -> Result<Vec<String>> {
        let mut chosen: BTreeMap<&str, &IsoEntry> = BTreeMap::new();
        if paths.is_empty() {
            chosen.extend(self.entries.iter().map(|e| (e.path.as_str(), e)));
        }
        for p in paths {
            chosen.extend(self.subtree(p)?.into_iter().map(|e| (e.path.as_str(), e)));
        }
        fs::create_dir_all(dest).with_path("create", dest)?;
        // Directories and targets first, in order (each checked: no links, nothing existing
        // written through); then the files in parallel, each copied by the kernel.
        let mut jobs = Vec::new();
        for e in chosen.values() {
            let parts: Vec<&str> = e.path.split('/').collect();
            let (dirs, last) = if e.is_dir {
                (&parts[..], None)
            } else {
                (&parts[..parts.len() - 1], parts.last())
            };
            let mut target = dest.to_path_buf();
            for d in dirs {
                target.push(safe_component(d, &e.path)?);
                ensure_dir(&target)?;
            }
            if let Some(name) = last {
                target.push(safe_component(name, &e.path)?);
                clear_target(&target)?;
                jobs.push((*e, target));
            }
        }
        jobs.par_iter().try_for_each(|(e, target)| {
            copy_source(&self.source(e), e.size, target).map_err(|err| {
                err.context(format!("{}: `{}`", self.image.display(), shown(&e.path)))
            })
        })?;
        Ok(jobs.into_iter().map(|(e, _)| e.path.clone()).collect())
    }

    /// Add the files below `prefix_in_iso` (a directory, `""` for all, or a single file) to
    /// `media` under `dest_prefix`, as extents of this image (nothing is copied). Empty
    /// directories are kept. Returns the number of files added.
    pub fn add_to_media(
        &self,
        media: &mut Media,
        prefix_in_iso: &str,
        dest_prefix: &str,
    ) -> Result<usize> {
        let dest_prefix = dest_prefix.trim_matches('/');
        let entries = self.subtree(prefix_in_iso)?;
        let top = match entries.first() {
            Some(e) if !prefix_in_iso.trim_matches('/').is_empty() => Some(*e),
            _ => None,
        };
        let mut added = 0;
        for e in entries {
            let rel = match top {
                Some(t) if t.path == e.path => "",
                Some(t) => &e.path[t.path.len() + 1..],
                None => e.path.as_str(),
            };
            let dest = match (dest_prefix.is_empty(), rel.is_empty()) {
                (_, true) => dest_prefix.to_string(),
                (true, false) => rel.to_string(),
                (false, false) => format!("{dest_prefix}/{rel}"),
            };
            if e.is_dir {
                if !dest.is_empty() {
                    media.add_dir(&dest)?;
                }
            } else {
                media.add(&dest, self.source(e), e.size)?;
                added += 1;
            }
        }
        Ok(added)
    }
}

fn symlink_refused(p: &Path) -> Error {
    Error::invalid(format!(
        "{} is a symlink; refusing to extract through it",
        printable(&p.display().to_string())
    ))
}

/// `name` as one normal path component, or an error naming the entry.
fn safe_component<'a>(name: &'a str, entry: &str) -> Result<&'a str> {
    let mut comps = Path::new(name).components();
    match (comps.next(), comps.next()) {
        (Some(Component::Normal(_)), None) if bad_name(name).is_none() => Ok(name),
        _ => Err(Error::invalid(format!(
            "refusing to extract `{}`: `{}` is not a plain file name on this system",
            shown(entry),
            printable(name)
        ))),
    }
}

/// Make way for a new file at `target`: nothing there, or a regular file, which is unlinked
/// (never opened: it may be a hard link to a file outside the destination). Anything else is
/// refused, before it is opened (a FIFO would block).
fn clear_target(target: &Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    let t = meta.file_type();
    if t.is_symlink() {
        return Err(symlink_refused(target));
    }
    if t.is_file() {
        return fs::remove_file(target).with_path("replace", target);
    }
    let what = if t.is_dir() {
        "a directory"
    } else {
        "a special file (FIFO, socket or device)"
    };
    Err(Error::invalid(format!(
        "{} exists and is {what}; refusing to extract a file over it",
        printable(&target.display().to_string())
    ))
    .with_help("extract into an empty or new directory"))
}

/// Create `dir` unless it exists as a real directory; refuse symlinks and files in the way.
fn ensure_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(symlink_refused(dir)),
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::invalid(format!(
            "{} exists and is not a directory",
            printable(&dir.display().to_string())
        ))),
        Err(_) => fs::create_dir(dir).with_path("create", dir),
    }
}

/// The `SP` skip length if the root directory of the primary tree carries SUSP.
fn root_sp(img: &mut Image, (extent, len): (u32, u32)) -> Result<Option<usize>> {
    if len == 0 {
        return Ok(None);
    }
    let first = img.read(
        u64::from(extent) * SECTOR_U64,
        SECTOR.min(len as usize),
        &|| "the root directory".into(),
    )?;
    Ok(parse_record(&first).and_then(|r| rrip::sp_skip(r.su)))
}

/// A directory waiting to be read.
struct Pending {
    path: String,
    extent: u32,
    len: u32,
    depth: usize,
}

/// A directory as its parent's record describes it, for the path table check.
#[derive(Debug, Clone)]
pub(super) struct DirRecord {
    /// Path from the root (`""` for the root).
    pub(super) path: String,
    /// First block of its extent.
    pub(super) extent: u32,
    /// First block of its parent's extent (the root's is its own).
    pub(super) parent: u32,
    /// The identifier bytes of its record (`[0]` for the root).
    pub(super) id: Vec<u8>,
    /// Reached through a Rock Ridge `CL` link: its parent on disk is another directory.
    pub(super) relocated: bool,
}

/// What one walk of a tree found.
pub(super) struct TreeRead {
    /// Every entry, in walk order.
    pub(super) entries: Vec<IsoEntry>,
    /// Every directory read, the root first.
    pub(super) dirs: Vec<DirRecord>,
}

pub(super) fn walk(
    img: &mut Image,
    tree: Tree,
    (extent, len): (u32, u32),
    wanted: Option<&[String]>,
) -> Result<TreeRead> {
    let image_len = img.len;
    let mut w = Walker {
        img,
        tree,
        wanted,
        entries: Vec::new(),
        dirs: vec![DirRecord {
            path: String::new(),
            extent,
            parent: extent,
            id: vec![0],
            relocated: false,
        }],
        visited: BTreeMap::from([(extent, (dir_end(extent, len), String::new()))]),
        stack: vec![Pending {
            path: String::new(),
            extent,
            len,
            depth: 0,
        }],
        path_bytes: 0,
        data_bytes: 0,
        data_budget: image_len.saturating_mul(SHARED_DATA_FACTOR),
        areas: BTreeSet::new(),
        area_bytes: 0,
    };
    while let Some(dir) = w.stack.pop() {
        w.read_dir(&dir)?;
    }
    if let Some(wanted) = wanted {
        // Files of the directories on the way were read (and checked) but not asked for.
        w.entries.retain(|e| is_wanted(wanted, &e.path));
    }
    Ok(TreeRead {
        entries: w.entries,
        dirs: w.dirs,
    })
}

/// `/path` with control characters escaped, for messages (one problem stays one line).
pub(super) fn shown(path: &str) -> String {
    format!("/{}", printable(path))
}

/// Depth-first walk state: every directory extent is read at most once, and no two overlap.
struct Walker<'a> {
    img: &'a mut Image,
    tree: Tree,
    /// When set, only directories leading to or lying below these case-folded paths are read.
    wanted: Option<&'a [String]>,
    entries: Vec<IsoEntry>,
    dirs: Vec<DirRecord>,
    /// Directory extents queued so far: first block -> (block after the last, path).
    visited: BTreeMap<u32, (u64, String)>,
    stack: Vec<Pending>,
    /// Bytes of entry paths so far (at most [`MAX_PATH_BYTES`]).
    path_bytes: u64,
    /// Bytes the files list so far (at most `data_budget`).
    data_bytes: u64,
    /// [`SHARED_DATA_FACTOR`] times the image's size.
    data_budget: u64,
    /// Rock Ridge continuation areas read so far (block, offset): each is read once.
    areas: BTreeSet<(u32, u32)>,
    /// Bytes of continuation areas read so far (at most the image's size).
    area_bytes: u64,
}

/// Whether `path` is one of `wanted`, leads to one, or lies below one (case-insensitively).
fn is_wanted(wanted: &[String], path: &str) -> bool {
    let folded = fold_case(path);
    let below = |long: &str, short: &str| {
        long.len() > short.len()
            && long.starts_with(short)
            && long.as_bytes().get(short.len()) == Some(&b'/')
    };
    wanted
        .iter()
        .any(|w| *w == folded || below(w, &folded) || below(&folded, w))
}

/// The block after the last block of a directory extent.
fn dir_end(extent: u32, len: u32) -> u64 {
    u64::from(extent) + u64::from(len).div_ceil(SECTOR_U64)
}

impl Walker<'_> {
    fn fail(&self, msg: String) -> Error {
        Error::invalid(format!("{}: {msg}", self.img.path.display()))
    }

    fn read_dir(&mut self, dir: &Pending) -> Result<()> {
        let here = shown(&dir.path);
        if dir.len > MAX_DIR_BYTES {
            return Err(self.fail(format!(
                "directory `{here}` claims {} bytes of records; refusing more than \
                 {MAX_DIR_BYTES}",
                dir.len
            )));
        }
        let bytes = self.img.read(
            u64::from(dir.extent) * SECTOR_U64,
            dir.len as usize,
            &|| format!("directory `{here}`"),
        )?;
        let mut names = BTreeSet::new();
        // A multi-extent file whose last record has not been seen yet: its entry index.
        let mut open_file: Option<usize> = None;
        let mut pos = 0;
        while pos < bytes.len() {
            let sector_end = ((pos / SECTOR + 1) * SECTOR).min(bytes.len());
            if bytes[pos] == 0 {
                pos = sector_end;
                continue;
            }
            let rec = parse_record(&bytes[pos..sector_end]).ok_or_else(|| {
                self.fail(format!(
                    "directory `{here}` has a damaged record at byte {pos} of its extent \
                     (block {})",
                    dir.extent
                ))
            })?;
            pos += usize::from(bytes[pos]);
            if rec.id == [0] || rec.id == [1] || rec.flags & FLAG_ASSOCIATED != 0 {
                continue;
            }
            let rr = self.rock_ridge(&rec, &here)?;
            if rr.relocated {
                continue;
            }
            let name = self.name_of(&rec, &rr);
            if let Some(why) = bad_name(&name) {
                return Err(self.fail(format!(
                    "directory `{here}` holds {why} (`{}`); the image is damaged or hostile",
                    name.escape_debug()
                )));
            }
            if name.len() > MAX_NAME_BYTES {
                return Err(self.fail(format!(
                    "directory `{here}` holds a name of {} bytes (`{}...`); no file system \
                     takes names over 255 characters, so the image is damaged or hostile",
                    name.len(),
                    printable(&name.chars().take(40).collect::<String>())
                )));
            }
            let mut path = String::with_capacity(dir.path.len() + 1 + name.len());
            if !dir.path.is_empty() {
                path.push_str(&dir.path);
                path.push('/');
            }
            path.push_str(&name);
            self.path_bytes += path.len() as u64;
            if self.path_bytes > MAX_PATH_BYTES {
                return Err(self.fail(format!(
                    "the paths of its entries add up to more than {} MiB by `{}`; the image \
                     is damaged or hostile (names that share a continuation area or nest \
                     deep)",
                    MAX_PATH_BYTES >> 20,
                    shown(&path)
                )));
            }
            if rr.symlink {
                // Neither followed nor recreated: a link can point anywhere on the host, and as
                // a plain file it would silently lose its meaning on new media.
                return Err(self.fail(format!(
                    "`{}` is a symbolic link (Rock Ridge); aero-recipe never follows or \
                     creates symlinks, so it refuses images that contain them",
                    shown(&path)
                )));
            }

            if let Some(idx) = open_file.take() {
                // The open entry's path is this directory's path plus its name.
                if self.entries[idx].path != path {
                    return Err(self.unfinished(idx));
                }
                self.push_extent(idx, &rec)?;
                if rec.flags & FLAG_MULTI_EXTENT != 0 {
                    open_file = Some(idx);
                }
                continue;
            }
            if !names.insert(name) {
                return Err(self.fail(format!("`{}` appears twice in its directory", shown(&path))));
            }
            if self.entries.len() >= MAX_ENTRIES {
                return Err(self.fail(format!(
                    "more than {MAX_ENTRIES} entries; refusing to read further"
                )));
            }
            let child_dir = match rr.child_link {
                Some(block) => Some((block, relocated_len(self.img, block, &path)?)),
                None if rec.flags & FLAG_DIR != 0 => Some((rec.extent, rec.len)),
                None => None,
            };
            match child_dir {
                Some(extent) => {
                    if self.wanted.is_none_or(|w| is_wanted(w, &path)) {
                        let id = rec.id.to_vec();
                        let relocated = rr.child_link.is_some();
                        self.push_dir(dir, path, extent, id, relocated)?;
                    }
                }
                None => {
                    if rec.interleaved {
                        return Err(self.fail(format!(
                            "`{}` is recorded interleaved, which is not supported",
                            shown(&path)
                        )));
                    }
                    self.entries.push(IsoEntry {
                        path,
                        is_dir: false,
                        size: 0,
                        extents: Vec::new(),
                    });
                    let idx = self.entries.len() - 1;
                    self.push_extent(idx, &rec)?;
                    if rec.flags & FLAG_MULTI_EXTENT != 0 {
                        open_file = Some(idx);
                    }
                }
            }
        }
        match open_file {
            Some(idx) => Err(self.unfinished(idx)),
            None => Ok(()),
        }
    }

    fn unfinished(&self, idx: usize) -> Error {
        self.fail(format!(
            "the multi-extent file `{}` has no final record",
            shown(&self.entries[idx].path)
        ))
    }

    /// Add the extent of `rec` to file `idx`: inside the image, after the file's previous
    /// extent (never over it), and within the budget of the data all files may list.
    fn push_extent(&mut self, idx: usize, rec: &Record) -> Result<()> {
        let e = &mut self.entries[idx];
        let len = u64::from(rec.len);
        if len == 0 {
            return Ok(());
        }
        let offset = (u64::from(rec.extent) + u64::from(rec.xar)) * SECTOR_U64;
        if offset + len > self.img.len {
            return Err(Error::invalid(format!(
                "{}: the data of `{}` (bytes {offset}..{}) lies past the end of the image ({} \
                 bytes); the image is truncated or damaged",
                self.img.path.display(),
                shown(&e.path),
                offset + len,
                self.img.len
            )));
        }
        if let Some(last) = e.extents.last() {
            if offset < last.offset + last.len {
                return Err(Error::invalid(format!(
                    "{}: the multi-extent file `{}` goes back over its own bytes (an extent at \
                     byte {offset} after one ending at byte {}); the image is damaged or \
                     hostile (it would list a file larger than the image)",
                    self.img.path.display(),
                    shown(&e.path),
                    last.offset + last.len
                )));
            }
        }
        e.size += len;
        e.extents.push(Extent { offset, len });
        self.data_bytes += len;
        if self.data_bytes > self.data_budget {
            return Err(Error::invalid(format!(
                "{}: its files list more than {} bytes by `{}`, {SHARED_DATA_FACTOR} times \
                 the image's size; files sharing bytes this much are built to make a reader \
                 hash or write far more than the image holds, so it is refused",
                self.img.path.display(),
                self.data_budget,
                shown(&e.path)
            )));
        }
        Ok(())
    }

    /// The Rock Ridge entries of `rec` (none outside a Rock Ridge tree).
    fn rock_ridge(&mut self, rec: &Record, shown: &str) -> Result<rrip::RrInfo> {
        let Tree::Primary {
            rr_skip: Some(skip),
        } = self.tree
        else {
            return Ok(rrip::RrInfo::default());
        };
        let su = rec.su.get(skip..).unwrap_or(&[]);
        let img = &mut *self.img;
        let image = img.path.display().to_string();
        let (areas, area_bytes) = (&mut self.areas, &mut self.area_bytes);
        rrip::parse(su, |block, offset, length| {
            // A sound image gives each record its own area; reading a shared one again for
            // every record is how a small image claims gigabytes of names.
            if !areas.insert((block, offset)) {
                return Err(Error::invalid(format!(
                    "the Rock Ridge continuation area at block {block}, byte {offset} is \
                     used by more than one record; the image is damaged or hostile"
                )));
            }
            *area_bytes += u64::from(length);
            if *area_bytes > img.len {
                return Err(Error::invalid(
                    "its Rock Ridge continuation areas add up to more than the image's size; \
                     the image is damaged or hostile",
                ));
            }
            let what = || format!("a Rock Ridge continuation area of `{shown}`");
            img.read(
                u64::from(block) * SECTOR_U64 + u64::from(offset),
                length as usize,
                &what,
            )
        })
        .map_err(|e| e.context(format!("{image}: directory `{shown}`")))
    }

    /// The entry's name from the best source this tree has.
    fn name_of(&self, rec: &Record, rr: &rrip::RrInfo) -> String {
        match (&rr.name, self.tree) {
            (Some(n), _) if !rr.self_or_parent => text(n),
            (_, Tree::Joliet) => strip_version(&ucs2(rec.id)).to_string(),
            (_, Tree::Enhanced) => strip_version(&text(rec.id)).to_string(),
            (_, Tree::Primary { .. }) => {
                let n = text(rec.id);
                let n = strip_version(&n);
                n.strip_suffix('.').unwrap_or(n).to_string()
            }
        }
    }

    /// Record the subdirectory `path` and queue it, refusing loops and excessive depth.
    fn push_dir(
        &mut self,
        parent: &Pending,
        path: String,
        (extent, len): (u32, u32),
        id: Vec<u8>,
        relocated: bool,
    ) -> Result<()> {
        if parent.depth + 1 > MAX_DEPTH {
            return Err(self.fail(format!(
                "`{}` is nested deeper than {MAX_DEPTH} directories",
                shown(&path)
            )));
        }
        if self.visited.contains_key(&extent) {
            return Err(self.fail(format!(
                "directory loop: `{}` points at block {extent}, a directory that was \
                 already read (itself or an ancestor)",
                shown(&path)
            )));
        }
        // Directory extents never share blocks in a sound image. Overlapping ones would be
        // read again and again: a chain of them costs time quadratic in the image size.
        let end = dir_end(extent, len);
        let before = self.visited.range(..extent).next_back();
        let after = self.visited.range(extent..).next();
        let clash = match (before, after) {
            (Some((&b, (b_end, other))), _) if *b_end > u64::from(extent) => {
                Some((b, *b_end, other))
            }
            (_, Some((&a, (a_end, other)))) if u64::from(a) < end => Some((a, *a_end, other)),
            _ => None,
        };
        if let Some((b, b_end, other)) = clash {
            return Err(self.fail(format!(
                "directory `{}` (blocks {extent}..{end}) overlaps directory `{}` \
                 (blocks {b}..{b_end}); the image is damaged or hostile",
                shown(&path),
                shown(other)
            )));
        }
        self.visited.insert(extent, (end, path.clone()));
        self.dirs.push(DirRecord {
            path: path.clone(),
            extent,
            parent: parent.extent,
            id,
            relocated,
        });
        self.stack.push(Pending {
            path: path.clone(),
            extent,
            len,
            depth: parent.depth + 1,
        });
        self.entries.push(IsoEntry {
            path,
            is_dir: true,
            size: 0,
            extents: Vec::new(),
        });
        Ok(())
    }
}

/// Size of a directory relocated by Rock Ridge (`CL`): the length in its own `.` record.
fn relocated_len(img: &mut Image, block: u32, path: &str) -> Result<u32> {
    let what = || format!("relocated directory `{}`", shown(path));
    let first = img.read(u64::from(block) * SECTOR_U64, SECTOR, &what)?;
    parse_record(&first).map(|r| r.len).ok_or_else(|| {
        Error::invalid(format!(
            "{}: relocated directory `{}` has a damaged record",
            img.path.display(),
            shown(path)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert_eq!(strip_version("A.TXT;1"), "A.TXT");
        assert_eq!(strip_version("a;b"), "a;b");
        assert_eq!(ucs2(&[0, b'A', 0x4E, 0x2D]), "A中");
        assert_eq!(text(&[0xE9]), "é");
        assert!(bad_name("..").is_some());
        assert!(bad_name("/etc").is_some());
        assert!(bad_name("a\0").is_some());
        assert!(bad_name("ok").is_none());
        assert!(safe_component("..", "x").is_err());
        assert!(parse_record(&[40, 0, 0]).is_none());
    }
}
