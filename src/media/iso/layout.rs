//! The image plan: the directory tree with its primary and Joliet names, path table order,
//! and every block address, computed once before a byte is written.
//!
//! Image order: system area (16 blocks), primary / Joliet / terminator volume descriptors,
//! the four path tables (primary L and M, Joliet L and M), primary directories in path table
//! order, Rock Ridge continuation areas, Joliet directories, then file data in media path
//! order. Every size depends only on names and file sizes, so directory extents are sized
//! with placeholder addresses first and then filled in.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::media::tree::{Entry, Media};

use super::date::IsoDates;
use super::names::{self, IsoName};
use super::record::{
    encode_path_record, encode_record, path_record_len, record_fixed_len, sectors, RecordSpec,
    FLAG_DIR, FLAG_MULTI_EXTENT, MAX_RECORD, SECTOR, SECTOR_U64,
};
use super::rrip;

/// Largest extent of a multi-extent file: the largest multiple of the block size a 32-bit
/// length can hold (what mkisofs and xorriso use).
pub const MAX_EXTENT: u64 = 0xFFFF_F800;
/// First block after the system area.
const VD_START: u32 = 16;

/// A child of a directory in one of the trees.
#[derive(Debug, Clone, Copy)]
pub enum Child {
    /// Index into [`Layout::dirs`].
    Dir(usize),
    /// Index into [`Layout::files`].
    File(usize),
}

/// A directory of the image.
#[derive(Debug)]
pub struct DirNode {
    /// Media path (`""` for the root).
    pub path: String,
    /// Original last component (Rock Ridge name).
    pub name: String,
    /// Parent index (the root is its own parent).
    pub parent: usize,
    /// Primary-tree identifier.
    pub iso: IsoName,
    /// Joliet identifier (UCS-2 BE).
    pub joliet: Vec<u8>,
    /// Children in primary (ECMA-119) order.
    pub primary_children: Vec<Child>,
    /// Children in Joliet order.
    pub joliet_children: Vec<Child>,
    /// Number of subdirectories (for the Rock Ridge link count).
    pub subdirs: u32,
    /// Primary path table number (1-based).
    pub primary_number: u16,
    /// Joliet path table number (1-based).
    pub joliet_number: u16,
    /// Primary directory extent: block and length in bytes.
    pub primary: (u32, u32),
    /// Joliet directory extent: block and length in bytes.
    pub joliet_extent: (u32, u32),
}

impl DirNode {
    /// A directory not yet named in the primary tree, sorted or placed.
    fn new(path: String, name: String, parent: usize, joliet: Vec<u8>) -> Self {
        DirNode {
            path,
            name,
            parent,
            iso: IsoName {
                is_dir: true,
                ..IsoName::default()
            },
            joliet,
            primary_children: Vec::new(),
            joliet_children: Vec::new(),
            subdirs: 0,
            primary_number: 0,
            joliet_number: 0,
            primary: (0, 0),
            joliet_extent: (0, 0),
        }
    }
}

/// A file of the image.
#[derive(Debug)]
pub struct FileNode<'m> {
    /// Media path.
    pub path: &'m str,
    /// Original last component (Rock Ridge name).
    pub name: &'m str,
    /// Primary-tree identifier.
    pub iso: IsoName,
    /// Joliet identifier (UCS-2 BE).
    pub joliet: Vec<u8>,
    /// The media entry (source and size).
    pub entry: &'m Entry,
    /// First block of the data (0 for an empty file).
    pub block: u32,
}

/// Where each region starts; filled by [`Layout::new`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Regions {
    /// Primary path table, little-endian and big-endian.
    pub primary_pt: (u32, u32),
    /// Joliet path table, little-endian and big-endian.
    pub joliet_pt: (u32, u32),
    /// Primary path table size in bytes.
    pub primary_pt_len: u32,
    /// Joliet path table size in bytes.
    pub joliet_pt_len: u32,
    /// First block of the continuation areas, and how many blocks they take.
    pub ce: (u32, u32),
    /// First block of file data.
    pub data: u32,
    /// Blocks in the whole image.
    pub total: u32,
}

/// The complete plan of an image.
#[derive(Debug)]
pub struct Layout<'m> {
    /// Directories; index 0 is the root.
    pub dirs: Vec<DirNode>,
    /// Files in media path order (the order their data is written).
    pub files: Vec<FileNode<'m>>,
    /// Directory indices in primary path table order.
    pub primary_order: Vec<usize>,
    /// Directory indices in Joliet path table order.
    pub joliet_order: Vec<usize>,
    /// Region addresses.
    pub regions: Regions,
    /// Encoded timestamps.
    pub dates: IsoDates,
}

/// Allocates Rock Ridge continuation areas so that none crosses a block boundary.
#[derive(Debug, Clone, Copy)]
pub struct CeAlloc {
    start: u32,
    block: u32,
    used: usize,
}

impl CeAlloc {
    /// Start allocating at block `start`.
    pub fn new(start: u32) -> Self {
        CeAlloc {
            start,
            block: 0,
            used: 0,
        }
    }

    /// Reserve `len` (at most one block) bytes: returns (block, offset in block).
    pub fn alloc(&mut self, len: usize) -> (u32, u32) {
        if self.used + len > SECTOR {
            self.block += 1;
            self.used = 0;
        }
        let at = (self.start + self.block, self.used as u32);
        self.used += len;
        at
    }

    /// Blocks used so far.
    pub fn blocks(&self) -> u32 {
        if self.block == 0 && self.used == 0 {
            0
        } else {
            self.block + 1
        }
    }
}

fn to_u32(v: u64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::invalid(format!("{what} is too large for ISO 9660")))
}

impl<'m> Layout<'m> {
    /// Plan the image of `media` dated `dates`. Reports every Joliet naming problem at once.
    pub fn new(media: &'m Media, dates: IsoDates) -> Result<Self> {
        let mut dirs = vec![DirNode::new(String::new(), String::new(), 0, Vec::new())];
        let mut by_path: BTreeMap<&str, usize> = BTreeMap::new();
        by_path.insert("", 0);
        // Children per directory in byte order of their original names: (name, child).
        let mut children: Vec<Vec<(&str, Child)>> = vec![Vec::new()];
        let mut problems = Vec::new();

        let split = |p: &'m str| match p.rfind('/') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => ("", p),
        };
        // Media::dirs is sorted, so a parent always comes before its children.
        for d in media.dirs() {
            let (parent_path, name) = split(d);
            let parent = *by_path.get(parent_path).ok_or_else(|| {
                Error::invalid(format!("media directory `{d}` has no parent entry"))
            })?;
            let joliet = names::joliet_name(name, d).unwrap_or_else(|e| {
                problems.push(e);
                Vec::new()
            });
            let idx = dirs.len();
            dirs.push(DirNode::new(
                d.to_string(),
                name.to_string(),
                parent,
                joliet,
            ));
            children.push(Vec::new());
            children[parent].push((name, Child::Dir(idx)));
            dirs[parent].subdirs += 1;
            by_path.insert(d, idx);
        }
        let mut files = Vec::with_capacity(media.len());
        for (p, entry) in media.files() {
            let (parent_path, name) = split(p);
            let parent = *by_path.get(parent_path).ok_or_else(|| {
                Error::invalid(format!("media file `{p}` has no parent directory entry"))
            })?;
            let joliet = names::joliet_name(name, p).unwrap_or_else(|e| {
                problems.push(e);
                Vec::new()
            });
            children[parent].push((name, Child::File(files.len())));
            files.push(FileNode {
                path: p,
                name,
                iso: IsoName::default(),
                joliet,
                entry,
                block: 0,
            });
        }
        if !problems.is_empty() {
            return Err(Error::many(
                format!("{} name(s) cannot be stored in Joliet", problems.len()),
                problems,
            ));
        }
        if dirs.len() > usize::from(u16::MAX) {
            return Err(Error::invalid(format!(
                "{} directories: an ISO 9660 path table holds at most {}",
                dirs.len(),
                u16::MAX
            )));
        }

        // Primary names per directory, then each tree's order of the children.
        for (d, kids) in children.iter_mut().enumerate() {
            kids.sort_by(|a, b| a.0.cmp(b.0));
            let spec: Vec<(&str, bool)> = kids
                .iter()
                .map(|(n, c)| (*n, matches!(c, Child::Dir(_))))
                .collect();
            for ((_, child), iso) in kids.iter().zip(names::iso_names(&spec)) {
                match *child {
                    Child::Dir(i) => dirs[i].iso = iso,
                    Child::File(i) => files[i].iso = iso,
                }
            }
            let mut primary: Vec<Child> = kids.iter().map(|(_, c)| *c).collect();
            let iso_of = |c: &Child| match *c {
                Child::Dir(i) => &dirs[i].iso,
                Child::File(i) => &files[i].iso,
            };
            primary.sort_by(|a, b| names::ecma_order(iso_of(a), iso_of(b)));
            let mut joliet = primary.clone();
            let joliet_of = |c: &Child| match *c {
                Child::Dir(i) => &dirs[i].joliet,
                Child::File(i) => &files[i].joliet,
            };
            joliet.sort_by(|a, b| joliet_of(a).cmp(joliet_of(b)));
            dirs[d].primary_children = primary;
            dirs[d].joliet_children = joliet;
        }

        let primary_order = level_order(&dirs, |d| &d.primary_children);
        let joliet_order = level_order(&dirs, |d| &d.joliet_children);
        for (n, &d) in primary_order.iter().enumerate() {
            dirs[d].primary_number = (n + 1) as u16;
        }
        for (n, &d) in joliet_order.iter().enumerate() {
            dirs[d].joliet_number = (n + 1) as u16;
        }

        let mut layout = Layout {
            dirs,
            files,
            primary_order,
            joliet_order,
            regions: Regions::default(),
            dates,
        };
        layout.assign_blocks()?;
        Ok(layout)
    }

    /// Size every region with placeholder addresses, then place them in image order.
    fn assign_blocks(&mut self) -> Result<()> {
        let mut r = Regions {
            primary_pt_len: to_u32(self.path_table_len(false), "the path table")?,
            joliet_pt_len: to_u32(self.path_table_len(true), "the path table")?,
            ..Regions::default()
        };
        let mut next = u64::from(VD_START) + 3;
        let mut place = |blocks: u64| -> Result<u32> {
            let at = to_u32(next, "the image")?;
            next += blocks;
            Ok(at)
        };
        let pt = sectors(u64::from(r.primary_pt_len));
        let jpt = sectors(u64::from(r.joliet_pt_len));
        r.primary_pt = (place(pt)?, place(pt)?);
        r.joliet_pt = (place(jpt)?, place(jpt)?);

        let mut ce = CeAlloc::new(0);
        for i in 0..self.primary_order.len() {
            let d = self.primary_order[i];
            let bytes = self.primary_dir(d, &mut ce, &mut |_, _, _| {})?;
            let len = to_u32(bytes.len() as u64, "a directory")?;
            self.dirs[d].primary = (place(sectors(u64::from(len)))?, len);
        }
        r.ce = (place(u64::from(ce.blocks()))?, ce.blocks());
        for i in 0..self.joliet_order.len() {
            let d = self.joliet_order[i];
            let len = to_u32(self.joliet_dir(d).len() as u64, "a directory")?;
            self.dirs[d].joliet_extent = (place(sectors(u64::from(len)))?, len);
        }
        r.data = place(0)?;
        for f in &mut self.files {
            let blocks = sectors(f.entry.size);
            f.block = if blocks == 0 { 0 } else { place(blocks)? };
        }
        r.total = place(0)?;
        self.regions = r;
        Ok(())
    }

    fn path_table_len(&self, joliet: bool) -> u64 {
        self.dirs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let id_len = match (i, joliet) {
                    (0, _) => 1,
                    (_, true) => d.joliet.len(),
                    (_, false) => d.iso.name.len(),
                };
                path_record_len(id_len) as u64
            })
            .sum()
    }

    /// The path table of one tree, little- or big-endian.
    pub fn path_table(&self, joliet: bool, big: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let order = if joliet {
            &self.joliet_order
        } else {
            &self.primary_order
        };
        for &d in order {
            let dir = &self.dirs[d];
            let parent = &self.dirs[dir.parent];
            let (id, extent, parent_number) = match (d, joliet) {
                (0, _) => (&[0u8][..], self.extent_of(0, joliet).0, 1),
                (_, true) => (&dir.joliet[..], dir.joliet_extent.0, parent.joliet_number),
                (_, false) => (
                    dir.iso.name.as_bytes(),
                    dir.primary.0,
                    parent.primary_number,
                ),
            };
            encode_path_record(&mut out, id, extent, parent_number, big);
        }
        out
    }

    fn extent_of(&self, d: usize, joliet: bool) -> (u32, u32) {
        if joliet {
            self.dirs[d].joliet_extent
        } else {
            self.dirs[d].primary
        }
    }

    /// The root directory record for a volume descriptor (34 bytes, no system use).
    pub fn root_record(&self, joliet: bool) -> Vec<u8> {
        let (extent, len) = self.extent_of(0, joliet);
        encode_record(
            &RecordSpec {
                extent,
                len,
                date: self.dates.record,
                flags: FLAG_DIR,
                id: &[0],
            },
            &[],
        )
    }

    /// Records of one file: one per extent, all but the last flagged multi-extent.
    fn file_specs(&self, f: &FileNode) -> Vec<(u32, u32, u8)> {
        let size = f.entry.size;
        if size <= u64::from(u32::MAX) {
            return vec![(f.block, size as u32, 0)];
        }
        let mut out = Vec::new();
        let mut done = 0u64;
        while done < size {
            let len = (size - done).min(MAX_EXTENT);
            let block = f.block + (done / SECTOR_U64) as u32;
            done += len;
            let flags = if done < size { FLAG_MULTI_EXTENT } else { 0 };
            out.push((block, len as u32, flags));
        }
        out
    }

    /// The primary directory extent of `d` (Rock Ridge included), padded to whole blocks.
    /// Continuation areas are allocated from `ce` and handed to `emit_ce(block, offset,
    /// bytes)`.
    pub fn primary_dir(
        &self,
        d: usize,
        ce: &mut CeAlloc,
        emit_ce: &mut dyn FnMut(u32, u32, &[u8]),
    ) -> Result<Vec<u8>> {
        let dir = &self.dirs[d];
        let date = self.dates.record;
        let tf = rrip::tf(date);
        let dir_px = |i: usize| rrip::px(rrip::MODE_DIR, 2 + self.dirs[i].subdirs);
        let mut out = SectorPacker::default();
        let mut add = |spec: RecordSpec<'_>, entries: Vec<Vec<u8>>, what: &str| {
            add_record(&mut out, ce, emit_ce, &spec, &entries, what)
        };

        let mut dot = Vec::new();
        if d == 0 {
            dot.push(rrip::sp());
        }
        dot.push(dir_px(d));
        dot.push(tf.clone());
        if d == 0 {
            dot.push(rrip::er());
        }
        let (extent, len) = dir.primary;
        add(record_spec(extent, len, date, FLAG_DIR, &[0]), dot, "/")?;
        let (pe, pl) = self.dirs[dir.parent].primary;
        add(
            record_spec(pe, pl, date, FLAG_DIR, &[1]),
            vec![dir_px(dir.parent), tf.clone()],
            "/",
        )?;
        for child in &dir.primary_children {
            match *child {
                Child::Dir(i) => {
                    let c = &self.dirs[i];
                    let mut entries = vec![dir_px(i), tf.clone()];
                    entries.extend(rrip::nm(&c.name));
                    let (e, l) = c.primary;
                    add(
                        record_spec(e, l, date, FLAG_DIR, c.iso.identifier().as_bytes()),
                        entries,
                        &c.path,
                    )?;
                }
                Child::File(i) => {
                    let f = &self.files[i];
                    let id = f.iso.identifier();
                    for (e, l, flags) in self.file_specs(f) {
                        let mut entries = vec![rrip::px(rrip::MODE_FILE, 1), tf.clone()];
                        entries.extend(rrip::nm(f.name));
                        add(
                            record_spec(e, l, date, flags, id.as_bytes()),
                            entries,
                            f.path,
                        )?;
                    }
                }
            }
        }
        Ok(out.finish())
    }

    /// The Joliet directory extent of `d`, padded to whole blocks.
    pub fn joliet_dir(&self, d: usize) -> Vec<u8> {
        let dir = &self.dirs[d];
        let date = self.dates.record;
        let mut out = SectorPacker::default();
        let rec = |extent, len, flags, id: &[u8]| {
            encode_record(
                &RecordSpec {
                    extent,
                    len,
                    date,
                    flags,
                    id,
                },
                &[],
            )
        };
        let (e, l) = dir.joliet_extent;
        out.push(rec(e, l, FLAG_DIR, &[0]));
        let (e, l) = self.dirs[dir.parent].joliet_extent;
        out.push(rec(e, l, FLAG_DIR, &[1]));
        for child in &dir.joliet_children {
            match *child {
                Child::Dir(i) => {
                    let c = &self.dirs[i];
                    let (e, l) = c.joliet_extent;
                    out.push(rec(e, l, FLAG_DIR, &c.joliet));
                }
                Child::File(i) => {
                    let f = &self.files[i];
                    for (e, l, flags) in self.file_specs(f) {
                        out.push(rec(e, l, flags, &f.joliet));
                    }
                }
            }
        }
        out.finish()
    }
}

/// Append the record `spec` with Rock Ridge `entries`, spilling into a continuation area
/// when they do not fit.
fn add_record(
    out: &mut SectorPacker,
    ce: &mut CeAlloc,
    emit_ce: &mut dyn FnMut(u32, u32, &[u8]),
    spec: &RecordSpec,
    entries: &[Vec<u8>],
    what: &str,
) -> Result<()> {
    let budget = MAX_RECORD - 1 - record_fixed_len(spec.id.len());
    let packed = rrip::pack(entries, budget, what)?;
    let mut su = packed.inline;
    if !packed.overflow.is_empty() {
        let (block, offset) = ce.alloc(packed.overflow.len());
        emit_ce(block, offset, &packed.overflow);
        su.extend(rrip::ce(block, offset, packed.overflow.len() as u32));
    }
    out.push(encode_record(spec, &su));
    Ok(())
}

fn record_spec(extent: u32, len: u32, date: [u8; 7], flags: u8, id: &[u8]) -> RecordSpec<'_> {
    RecordSpec {
        extent,
        len,
        date,
        flags,
        id,
    }
}

/// Directory indices in level order: the root, then each level's directories by parent
/// number and then by identifier (children lists are already sorted by identifier).
fn level_order(dirs: &[DirNode], kids: impl Fn(&DirNode) -> &Vec<Child>) -> Vec<usize> {
    let mut order = vec![0];
    let mut i = 0;
    while i < order.len() {
        let d = order[i];
        order.extend(kids(&dirs[d]).iter().filter_map(|c| match *c {
            Child::Dir(x) => Some(x),
            Child::File(_) => None,
        }));
        i += 1;
    }
    order
}

/// Concatenates directory records so that none crosses a block boundary.
#[derive(Default)]
struct SectorPacker {
    buf: Vec<u8>,
}

impl SectorPacker {
    fn push(&mut self, record: Vec<u8>) {
        let used = self.buf.len() % SECTOR;
        if used + record.len() > SECTOR {
            self.buf.resize(self.buf.len() + SECTOR - used, 0);
        }
        self.buf.extend_from_slice(&record);
    }

    fn finish(mut self) -> Vec<u8> {
        let len = sectors(self.buf.len() as u64) as usize * SECTOR;
        self.buf.resize(len, 0);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(paths: &[&str]) -> Media {
        let mut m = Media::new();
        for p in paths {
            m.add_bytes(p, p.as_bytes().to_vec()).unwrap();
        }
        m
    }

    #[test]
    fn path_tables_are_in_level_order() {
        let m = media(&["b/z/f", "a/y/x/f", "a/c/f", "B2/f"]);
        let l = Layout::new(&m, IsoDates::new(0).unwrap()).unwrap();
        let order: Vec<&str> = l
            .primary_order
            .iter()
            .map(|&d| l.dirs[d].path.as_str())
            .collect();
        assert_eq!(order, ["", "a", "b", "B2", "a/c", "a/y", "b/z", "a/y/x"]);
        for w in l.primary_order.windows(2) {
            let (p, q) = (&l.dirs[w[0]], &l.dirs[w[1]]);
            assert!(
                p.primary.0 < q.primary.0,
                "directories placed in path table order"
            );
        }
    }

    #[test]
    fn continuation_areas_never_cross_a_block() {
        let mut ce = CeAlloc::new(100);
        assert_eq!(ce.blocks(), 0);
        assert_eq!(ce.alloc(2000), (100, 0));
        assert_eq!(ce.alloc(100), (101, 0));
        assert_eq!(ce.alloc(48), (101, 100));
        assert_eq!(ce.blocks(), 2);
    }

    #[test]
    fn joliet_problems_are_reported_together() {
        let long = "x".repeat(70);
        let m = media(&[&format!("a/{long}"), "b/c;d"]);
        let err = Layout::new(&m, IsoDates::new(0).unwrap()).unwrap_err();
        assert_eq!(err.problems().len(), 2, "{err}");
    }

    #[test]
    fn big_files_get_multiple_extents() {
        let mut m = Media::new();
        let size = 2 * MAX_EXTENT + 5;
        m.add(
            "big.bin",
            crate::media::Source::Bytes(Vec::new().into()),
            size,
        )
        .unwrap();
        let l = Layout::new(&m, IsoDates::new(0).unwrap()).unwrap();
        let specs = l.file_specs(&l.files[0]);
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[0].2, FLAG_MULTI_EXTENT);
        assert_eq!(
            specs[2],
            (specs[0].0 + 2 * (MAX_EXTENT / 2048) as u32, 5, 0)
        );
    }
}
