//! Whether every view of an image shows the same media: each name tree (the primary tree with
//! Rock Ridge or plain ISO 9660 names, Joliet, ISO 9660:1999) must map each path to the same
//! bytes, and the path tables (L and M) of each volume descriptor must list exactly the
//! directories of its tree. Windows reads Joliet (and its path tables), Linux Rock Ridge, DOS
//! and firmware plain ISO 9660: a view that disagrees is media that passes a check in one
//! system and installs something else in another.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::error::{printable, Result};
use crate::media::tree::{Extent, Source, MAX_ENTRIES};
use crate::winpath::fold_case;

use super::read::{walk, Descriptors, DirRecord, Image, TreeRoot};
use super::record::le32;
use super::{IsoEntry, NameSource};

/// Most problems reported for one path table (a garbage table would list thousands).
const MAX_TABLE_PROBLEMS: usize = 20;

/// One place where two views of an image (or a tree and its path table) disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The path concerned, from the root without a leading `/` (`""` for the root).
    pub path: String,
    /// Which views disagree and how.
    pub reason: String,
}

/// How messages name a view.
pub fn view_name(names: NameSource) -> &'static str {
    match names {
        NameSource::RockRidge => "Rock Ridge",
        NameSource::Joliet => "Joliet",
        NameSource::Iso9660_1999 => "ISO 9660:1999",
        NameSource::Iso9660 => "plain ISO 9660",
    }
}

/// Read every view of the image at `path` and report where they disagree (empty: they all
/// show the same files with the same bytes). An `Err` means a view could not be read at all;
/// it names the image and what is damaged.
pub fn disagreements(path: &Path) -> Result<Vec<Disagreement>> {
    let mut img = Image::open(path)?;
    let descriptors = Descriptors::read(&mut img)?;
    let trees = descriptors.trees(&mut img)?;
    let mut out = Vec::new();
    let mut views: Vec<(NameSource, Vec<IsoEntry>)> = Vec::new();
    for t in &trees {
        let read = walk(&mut img, t.tree, t.root, None)?;
        check_path_tables(&mut img, t, &read.dirs, &mut out);
        views.push((t.names, read.entries));
    }
    let image = Arc::new(path.to_path_buf());
    if let Some(((main_names, main), rest)) = views.split_first() {
        for (names, entries) in rest {
            if *names == NameSource::Iso9660 {
                compare_by_extents(*main_names, main, entries, &mut out);
            } else {
                compare_by_name(&image, (*main_names, main), (*names, entries), &mut out);
            }
        }
        for (names, entries) in &views {
            if *names != NameSource::Iso9660 {
                case_twins(*names, entries, &mut out);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path).then(a.reason.cmp(&b.reason)));
    out.dedup();
    Ok(out)
}

/// Paths of one view that differ only in case: Windows would show one of them.
fn case_twins(names: NameSource, entries: &[IsoEntry], out: &mut Vec<Disagreement>) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for e in entries {
        if let Some(first) = seen.insert(fold_case(&e.path), &e.path) {
            out.push(Disagreement {
                path: e.path.clone(),
                reason: format!(
                    "the {} view also has `/{}`, which differs only in case (Windows shows \
                     one of them)",
                    view_name(names),
                    printable(first)
                ),
            });
        }
    }
}

/// Views with full names: the same paths (case-insensitively), each a file or directory in
/// both, with the same size and the same extents or, failing that, the same bytes.
fn compare_by_name(
    image: &Arc<std::path::PathBuf>,
    (main_names, main): (NameSource, &[IsoEntry]),
    (names, other): (NameSource, &[IsoEntry]),
    out: &mut Vec<Disagreement>,
) {
    let (a, b) = (view_name(main_names), view_name(names));
    let index = |entries: &'_ [IsoEntry]| -> BTreeMap<String, usize> {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| (fold_case(&e.path), i))
            .collect()
    };
    let main_index = index(main);
    let other_index = index(other);
    for (key, &i) in &main_index {
        let m = &main[i];
        let Some(&j) = other_index.get(key) else {
            // A directory alone holds no bytes (genisoimage's `rr_moved` is in the Rock Ridge
            // tree only); the files below one are reported each.
            if !m.is_dir {
                out.push(Disagreement {
                    path: m.path.clone(),
                    reason: format!("only in the {a} view; the {b} view does not have it"),
                });
            }
            continue;
        };
        let o = &other[j];
        let reason = if m.is_dir != o.is_dir {
            let kind = |d: bool| if d { "a directory" } else { "a file" };
            Some(format!(
                "{} in the {a} view but {} in the {b} view",
                kind(m.is_dir),
                kind(o.is_dir)
            ))
        } else if m.size != o.size {
            Some(format!(
                "{} bytes in the {a} view but {} bytes in the {b} view",
                m.size, o.size
            ))
        } else if m.is_dir || m.extents == o.extents {
            None
        } else {
            match same_bytes(image, &m.extents, &o.extents) {
                Ok(true) => None,
                Ok(false) => Some(format!(
                    "the {a} view (block {}) and the {b} view (block {}) point at different \
                     bytes",
                    first_block(&m.extents),
                    first_block(&o.extents)
                )),
                Err(e) => Some(format!(
                    "cannot compare its bytes in the {a} and {b} views: {e}"
                )),
            }
        };
        if let Some(reason) = reason {
            out.push(Disagreement {
                path: m.path.clone(),
                reason,
            });
        }
    }
    for (key, &j) in &other_index {
        if !main_index.contains_key(key) && !other[j].is_dir {
            out.push(Disagreement {
                path: other[j].path.clone(),
                reason: format!("only in the {b} view; the {a} view does not have it"),
            });
        }
    }
}

fn first_block(extents: &[Extent]) -> u64 {
    extents.first().map_or(0, |x| x.offset / 2048)
}

/// The plain ISO 9660 names of an image with Joliet or ISO 9660:1999 are shortened (8.3), so
/// the plain view is matched by what it points at: as many files, each with the extents of a
/// file of the main view.
fn compare_by_extents(
    main_names: NameSource,
    main: &[IsoEntry],
    plain: &[IsoEntry],
    out: &mut Vec<Disagreement>,
) {
    let a = view_name(main_names);
    let b = view_name(NameSource::Iso9660);
    let key =
        |e: &IsoEntry| -> Vec<(u64, u64)> { e.extents.iter().map(|x| (x.offset, x.len)).collect() };
    let known: BTreeSet<Vec<(u64, u64)>> = main.iter().filter(|e| !e.is_dir).map(key).collect();
    let count = |v: &[IsoEntry]| v.iter().filter(|e| !e.is_dir).count();
    let (n_main, n_plain) = (count(main), count(plain));
    if n_main != n_plain {
        out.push(Disagreement {
            path: String::new(),
            reason: format!("the {a} view has {n_main} files but the {b} view {n_plain}"),
        });
    }
    for e in plain.iter().filter(|e| !e.is_dir) {
        if !known.contains(&key(e)) {
            out.push(Disagreement {
                path: e.path.clone(),
                reason: format!(
                    "the {b} view points at bytes (block {}) that no file of the {a} view has",
                    first_block(&e.extents)
                ),
            });
        }
    }
}

/// Whether two extent lists of the same total length hold the same bytes.
fn same_bytes(image: &Arc<std::path::PathBuf>, a: &[Extent], b: &[Extent]) -> Result<bool> {
    let open = |extents: &[Extent]| {
        Source::Extents {
            image: Arc::clone(image),
            extents: extents.to_vec(),
        }
        .open()
    };
    let (mut ra, mut rb) = (open(a)?, open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    loop {
        let n = fill(&mut ra, &mut ba)?;
        let m = fill(&mut rb, &mut bb)?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn fill(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    crate::media::tree::read_full(r, buf)
        .map_err(|e| crate::error::Error::invalid(format!("cannot read the image: {e}")))
}

/// One record of a path table: identifier, first block, parent number (1-based).
struct PathRecord {
    id: Vec<u8>,
    extent: u32,
    parent: u16,
}

/// Check the path tables of the descriptor of `t` against the directories its tree has.
fn check_path_tables(
    img: &mut Image,
    t: &TreeRoot,
    dirs: &[DirRecord],
    out: &mut Vec<Disagreement>,
) {
    let vd = t.descriptor;
    let view = view_name(t.names);
    let view = if t.names == NameSource::Iso9660 || t.names == NameSource::RockRidge {
        "primary"
    } else {
        view
    };
    let size = le32(vd, 132).unwrap_or(0);
    let tables = [
        ("L", 140, false, true),
        ("optional L", 144, false, false),
        ("M", 148, true, true),
        ("optional M", 152, true, false),
    ];
    for (kind, at, big, required) in tables {
        let loc = vd.get(at..at + 4).map_or(0, |b| {
            let b = [b[0], b[1], b[2], b[3]];
            if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        });
        let label = format!("the type {kind} path table of the {view} descriptor");
        if loc == 0 {
            if required {
                out.push(Disagreement {
                    path: String::new(),
                    reason: format!("{label} is missing (block 0)"),
                });
            }
            continue;
        }
        let mut problems = Vec::new();
        match read_table(img, loc, size, big) {
            Ok(records) => compare_table(&records, dirs, t.names, &label, &mut problems),
            Err(why) => problems.push(Disagreement {
                path: String::new(),
                reason: format!("{label} {why}"),
            }),
        }
        let extra = problems.len().saturating_sub(MAX_TABLE_PROBLEMS);
        problems.truncate(MAX_TABLE_PROBLEMS);
        out.extend(problems);
        if extra > 0 {
            out.push(Disagreement {
                path: String::new(),
                reason: format!("{label} disagrees with its tree in {extra} more place(s)"),
            });
        }
    }
}

/// The records of a `size`-byte path table at block `loc`, or why it cannot be read.
fn read_table(
    img: &mut Image,
    loc: u32,
    size: u32,
    big: bool,
) -> std::result::Result<Vec<PathRecord>, String> {
    // Each directory takes at most 8 + 255 bytes (+1 padding); there are at most MAX_ENTRIES.
    let max = (MAX_ENTRIES as u64 + 1) * 264;
    if u64::from(size) > max || u64::from(size) > img.len() {
        return Err(format!(
            "claims {size} bytes, more than the image or its directories could need"
        ));
    }
    let bytes = img
        .read(u64::from(loc) * 2048, size as usize, &|| {
            "a path table".into()
        })
        .map_err(|e| format!("cannot be read: {e}"))?;
    let mut records = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let id_len = usize::from(bytes[pos]);
        let end = pos + 8 + id_len;
        if id_len == 0 || end > bytes.len() || records.len() > MAX_ENTRIES {
            return Err(format!("is damaged at byte {pos}"));
        }
        let num = |at: usize, n: usize| {
            let b = &bytes[pos + at..pos + at + n];
            let mut v = 0u32;
            for i in 0..n {
                let byte = if big { b[i] } else { b[n - 1 - i] };
                v = (v << 8) | u32::from(byte);
            }
            v
        };
        records.push(PathRecord {
            id: bytes[pos + 8..end].to_vec(),
            extent: num(2, 4),
            parent: num(6, 2) as u16,
        });
        pos = end + id_len % 2;
    }
    Ok(records)
}

/// Every record names a directory of the tree by its identifier, block and parent, and every
/// directory of the tree is listed once.
fn compare_table(
    records: &[PathRecord],
    dirs: &[DirRecord],
    names: NameSource,
    label: &str,
    out: &mut Vec<Disagreement>,
) {
    let by_extent: BTreeMap<u32, &DirRecord> = dirs.iter().map(|d| (d.extent, d)).collect();
    let mut listed = BTreeSet::new();
    let shown_id = |id: &[u8]| {
        let s = if names == NameSource::Joliet {
            let units = id.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        } else {
            String::from_utf8_lossy(id).into_owned()
        };
        printable(&s)
    };
    for (i, r) in records.iter().enumerate() {
        let parent = usize::from(r.parent);
        let parent_extent = match parent.checked_sub(1).and_then(|p| records.get(p)) {
            Some(p) if parent <= i + 1 => p.extent,
            _ => {
                out.push(Disagreement {
                    path: by_extent
                        .get(&r.extent)
                        .map_or_else(String::new, |d| d.path.clone()),
                    reason: format!(
                        "{label}: record {} (`{}`) names parent {parent}, which is not an \
                         earlier record",
                        i + 1,
                        shown_id(&r.id)
                    ),
                });
                continue;
            }
        };
        let Some(d) = by_extent.get(&r.extent) else {
            out.push(Disagreement {
                path: String::new(),
                reason: format!(
                    "{label} lists a directory `{}` at block {} that its tree does not have",
                    shown_id(&r.id),
                    r.extent
                ),
            });
            continue;
        };
        if !listed.insert(r.extent) {
            out.push(Disagreement {
                path: d.path.clone(),
                reason: format!("{label} lists this directory more than once"),
            });
        }
        if d.id != r.id {
            out.push(Disagreement {
                path: d.path.clone(),
                reason: format!(
                    "{label} names this directory `{}`, its tree `{}`",
                    shown_id(&r.id),
                    shown_id(&d.id)
                ),
            });
        } else if !d.relocated && d.parent != parent_extent {
            out.push(Disagreement {
                path: d.path.clone(),
                reason: format!(
                    "{label} puts this directory under block {parent_extent}, its tree under \
                     block {}",
                    d.parent
                ),
            });
        }
    }
    for d in dirs {
        if !listed.contains(&d.extent) {
            out.push(Disagreement {
                path: d.path.clone(),
                reason: format!("{label} does not list this directory"),
            });
        }
    }
}
