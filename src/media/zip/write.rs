//! Deterministic ZIP writer: the same [`Media`] and options give the same bytes on any machine.
//!
//! Layout decisions (they are what make the archive reproducible):
//! - Every entry, directory or file, comes in byte order of its ZIP name; a directory's name
//!   ends in `/`, so its entry comes before everything inside it. Every directory of the media
//!   (implied by a file or added empty) has its own entry.
//! - Every time is SOURCE_DATE_EPOCH as a DOS date-time in UTC (DOS time counts 2-second steps,
//!   so an odd second rounds down), clamped to 1980-01-01 00:00:00 ... 2107-12-31 23:59:58.
//!   No extended-timestamp or other host-dependent extra field is written.
//! - Host system Unix, files 0644, directories 0755, whatever the source files have.
//! - Deflate (libdeflate) at the chosen level where it saves at least 1/32 of an entry, else
//!   stored (the rule is in [`deflate`](super::deflate)); level 1 for a piece on which a
//!   probe says the chosen level saves under 2% ([`deflate::effort`](super::deflate::effort)). ZIP64 fields appear only for entries
//!   near or over 4 GiB and for archive offsets or entry counts past the classic limits.
//!
//! The archive is written strictly forward to any [`Write`]: nothing is sought or read back, so
//! the caller can hash it while it is written. Every file is cut into [`CHUNK`]-byte pieces
//! that the rayon pool reads and compresses in parallel, ahead of the writer by at most
//! [`WINDOW_BYTES`] of buffers, whatever the file sizes; the writer appends them strictly in
//! order. A file of one piece carries its CRC and sizes in its local header. The pieces of a
//! larger file are parts of one deflate stream (none final but the last, each ending on a
//! byte boundary) with their CRCs combined, the CRC and sizes in a data descriptor after the
//! data; such a file is stored, not deflated, when samples spread over it all look packed
//! ([`segment::packed`]). Each source must yield exactly its declared size (input changes
//! are also caught by the publish step's stamps, `media::stamp`).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::deflate::{self, class, crc32_combine, Pool};
use super::format::{end_records, Counted, DosTime, Record, MAX_NAME, ZIP64_FROM};
use super::segment;
use crate::error::{Error, Result};
use crate::media::civil::civil;
use crate::media::output::check_interrupted;
use crate::media::{Entry, Media};

/// Files are read and compressed in pieces of this many bytes (the last one shorter).
pub const CHUNK: usize = 1 << 20;
/// At most this much buffer space (pieces being compressed, outputs waiting for the writer,
/// counted by buffer capacity) is in use ahead of the writer; the piece the writer waits for
/// always starts.
pub const WINDOW_BYTES: u64 = 12 << 20;
/// Most buffer bytes the pool keeps allocated (in use or idle) while it can drop idle ones.
const POOL_MAX: usize = (WINDOW_BYTES as usize) + (4 << 20);
/// Windows sampled from a file of several pieces to decide whether it is stored.
const SAMPLES: u64 = 8;

/// How to write a ZIP archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipOptions {
    /// Seconds since 1970-01-01 UTC given to every entry (clamped to the DOS range).
    pub source_date_epoch: i64,
    /// libdeflate level 0-9 (0 stores every entry); 6 by default. A piece on which a probe
    /// shows the level saving under 2% over level 1 goes at level 1 ([`effort`]): real
    /// virtio-win drivers keep level 6 everywhere (0.997x the size of `zip -6`'s; level 1
    /// would give 1.027x), the bench's generated payload goes at level 1 (docs/decisions.md).
    ///
    /// [`effort`]: super::deflate::effort
    pub level: u32,
}

impl Default for ZipOptions {
    fn default() -> Self {
        ZipOptions {
            source_date_epoch: 0,
            level: 6,
        }
    }
}

/// Write `media` as a ZIP archive to `out` and return `out` (flushed, at the archive's end).
pub fn write_zip<W: Write>(media: &Media, out: W, opts: &ZipOptions) -> Result<W> {
    if opts.level > 9 {
        return Err(Error::invalid(format!(
            "ZIP compression level {} is out of range",
            opts.level
        ))
        .with_help("use a level from 0 (store) to 9 (smallest); 6 is the default"));
    }
    let items = items(media);
    if let Some(long) = items.iter().find(|i| i.name().len() > MAX_NAME) {
        return Err(Error::invalid(format!(
            "ZIP entry name `{}...` is {} bytes long; a ZIP header holds at most {MAX_NAME}",
            long.name().chars().take(60).collect::<String>(),
            long.name().len()
        ))
        .with_help("shorten the path in the recipe"));
    }
    let time = dos_time(opts.source_date_epoch);
    let units = units(&items, opts.level)?;
    let mut zw = Counted { inner: out, pos: 0 };
    let mut records: Vec<Record> = Vec::with_capacity(items.len());
    let pipeline = Pipeline::new(&items, &units, opts.level);
    rayon::in_place_scope(|scope| -> Result<()> {
        // Compression runs on the rayon pool ahead of this thread, which appends the results
        // strictly in order; workers start the next pieces themselves as they finish.
        let mut next_unit = 0;
        for item in &items {
            check_interrupted()?;
            let offset = zw.pos;
            let rec = match item {
                Item::Dir(name) => {
                    let rec = Record {
                        name: name.clone(),
                        dir: true,
                        deflated: false,
                        descriptor: false,
                        zip64: false,
                        crc: 0,
                        size: 0,
                        compressed: 0,
                        offset,
                    };
                    zw.write_all(&rec.local_header(time))
                        .map_err(|e| write_error(name, e))?;
                    rec
                }
                Item::File(name, entry) => {
                    let first = next_unit;
                    let count = pieces(entry.size);
                    next_unit += count;
                    let Some(&Unit { deflated, .. }) = units.get(first) else {
                        return Err(Error::invalid(format!(
                            "internal error: no pieces for ZIP entry `{name}`"
                        )));
                    };
                    let mut rec = Record {
                        name: name.to_string(),
                        dir: false,
                        deflated,
                        descriptor: count > 1,
                        zip64: entry.size >= ZIP64_FROM,
                        crc: 0,
                        size: 0,
                        compressed: 0,
                        offset,
                    };
                    for u in first..first + count {
                        let p = pipeline.take(scope, u)?;
                        // From CRC 0 of nothing, so one piece gives its own figures, which its
                        // local header carries (several go in the data descriptor).
                        rec.crc = crc32_combine(rec.crc, p.crc, p.size);
                        rec.size += p.size;
                        rec.compressed += p.len as u64;
                        if u == first {
                            if count == 1 {
                                // One piece has its own store-or-deflate outcome.
                                rec.deflated = p.deflated;
                            }
                            zw.write_all(&rec.local_header(time))
                                .map_err(|e| write_error(name, e))?;
                        }
                        let written = zw.write_all(p.buf.get(..p.len).unwrap_or_default());
                        pipeline.release(scope, p.buf);
                        written.map_err(|e| write_error(name, e))?;
                    }
                    if count > 1 {
                        zw.write_all(&rec.descriptor())
                            .map_err(|e| write_error(name, e))?;
                    }
                    rec
                }
            };
            records.push(rec);
        }
        Ok(())
    })
    .inspect_err(|_| pipeline.cancel())?;
    check_interrupted()?;
    let start = zw.pos;
    let mut dir = Vec::with_capacity(records.len() * 80);
    for r in &records {
        dir.extend_from_slice(&r.central_header(time));
    }
    dir.extend_from_slice(&end_records(records.len() as u64, start, dir.len() as u64));
    zw.write_all(&dir)
        .and_then(|()| zw.flush())
        .map_err(|e| write_error("(central directory)", e))?;
    Ok(zw.inner)
}

/// Pieces a file of `size` bytes is cut into (an empty file is one empty piece).
fn pieces(size: u64) -> usize {
    usize::try_from(size.div_ceil(CHUNK as u64).max(1)).unwrap_or(usize::MAX)
}

/// One piece of a file: what the pool reads and compresses as a unit.
#[derive(Debug, Clone, Copy)]
struct Unit {
    /// Index of the file in the item list.
    item: usize,
    /// Byte offset in the file and length of the piece.
    offset: u64,
    len: usize,
    /// The file's last piece (its deflate stream ends with a final block).
    last: bool,
    /// For a file of several pieces: deflated (else stored), decided before any piece starts.
    deflated: bool,
}

/// Every file's pieces, in archive order. Files of several pieces are judged stored or
/// deflated up front, from [`SAMPLES`] windows spread over each, read in parallel.
fn units(items: &[Item], level: u32) -> Result<Vec<Unit>> {
    use rayon::prelude::*;
    let methods: Vec<Option<bool>> = items
        .par_iter()
        .map(|item| match item {
            Item::File(name, entry) if level > 0 && pieces(entry.size) > 1 => {
                worth_deflating(name, entry).map(Some)
            }
            Item::File(..) => Ok(Some(level > 0)),
            Item::Dir(_) => Ok(None),
        })
        .collect::<Result<_>>()?;
    let mut units = Vec::new();
    for (i, (item, method)) in items.iter().zip(methods).enumerate() {
        let (Item::File(_, entry), Some(deflated)) = (item, method) else {
            continue;
        };
        let count = pieces(entry.size);
        for k in 0..count {
            let offset = k as u64 * CHUNK as u64;
            let len = usize::try_from(entry.size.saturating_sub(offset).min(CHUNK as u64))
                .unwrap_or(CHUNK);
            units.push(Unit {
                item: i,
                offset,
                len,
                last: k + 1 == count,
                deflated,
            });
        }
    }
    Ok(units)
}

/// Whether a file of several pieces is worth deflating: not when every one of [`SAMPLES`]
/// segment-sized windows spread from its start to its end looks packed.
fn worth_deflating(name: &str, entry: &Entry) -> Result<bool> {
    let seg = segment::SEGMENT as u64;
    let span = entry.size.saturating_sub(seg);
    let mut buf = vec![0u8; segment::SEGMENT];
    for i in 0..SAMPLES {
        let at = span * i / (SAMPLES - 1);
        let n = entry
            .source
            .read_at(at, &mut buf)
            .map_err(|e| read_error(name, entry, e))?;
        if !segment::packed(buf.get(..n).unwrap_or_default()) {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Unit {
    /// The only piece of its file (the store-or-deflate rule then applies to it alone).
    fn whole(&self) -> bool {
        self.offset == 0 && self.last
    }
}

/// A piece's data, ready to append: `buf[..len]` (deflated or stored bytes).
struct Prepared {
    buf: Vec<u8>,
    len: usize,
    deflated: bool,
    crc: u32,
    size: u64,
}

/// Parallel compression feeding the in-order writer. Memory is bounded by [`WINDOW_BYTES`] of
/// buffer capacity: a piece being compressed counts its input and output buffers, a finished
/// one the buffer it keeps until the writer has appended it. Buffers come from a [`Pool`], so a
/// run allocates them a few times, not once per piece.
struct Pipeline<'a> {
    items: &'a [Item<'a>],
    units: &'a [Unit],
    level: u32,
    pool: Pool,
    state: Mutex<PipelineState>,
    ready: Condvar,
}

#[derive(Default)]
struct PipelineState {
    results: BTreeMap<usize, Result<Prepared>>,
    /// Buffer bytes held: pieces being compressed plus finished, not yet written results.
    held: u64,
    /// Next piece to start.
    next: usize,
    /// The piece the writer waits for (it starts whatever the bound says).
    wanted: usize,
    cancelled: bool,
}

impl<'a> Pipeline<'a> {
    fn new(items: &'a [Item<'a>], units: &'a [Unit], level: u32) -> Self {
        Pipeline {
            items,
            units,
            level,
            pool: Pool::new(POOL_MAX),
            state: Mutex::default(),
            ready: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PipelineState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Buffer bytes a piece needs while it is compressed, by size class (a lower bound of
    /// what the pool hands out: an idle buffer of a larger class may serve it).
    fn cost(&self, u: &Unit) -> u64 {
        (class(u.len) + out_capacity(u, self.level).map_or(0, class)) as u64
    }

    /// Start as many pieces as the bound allows (always up to the one the writer wants). The
    /// buffers are taken here and charged at their real capacity, so what is in use ahead of
    /// the writer stays under [`WINDOW_BYTES`] however the pool matched sizes.
    fn feed<'s>(&'s self, scope: &rayon::Scope<'s>) {
        loop {
            let (index, unit, name, entry, bufs, cost) = {
                let mut st = self.lock();
                if st.cancelled {
                    return;
                }
                let Some(unit) = self.units.get(st.next) else {
                    return;
                };
                let Some(Item::File(name, entry)) = self.items.get(unit.item) else {
                    st.next += 1;
                    continue;
                };
                let urgent = st.held == 0 || st.next <= st.wanted;
                if !urgent && st.held + self.cost(unit) > WINDOW_BYTES {
                    return;
                }
                let bufs = Buffers {
                    input: self.pool.take(unit.len),
                    out: out_capacity(unit, self.level).map(|c| (self.pool.take(c), c)),
                };
                let cost = bufs.capacity();
                if !urgent && st.held + cost > WINDOW_BYTES {
                    bufs.give_back(&self.pool);
                    return;
                }
                st.held += cost;
                st.next += 1;
                (st.next - 1, *unit, name, entry, bufs, cost)
            };
            scope.spawn(move |scope| {
                // A panic must still hand the writer a result, or it would wait forever.
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    prepare(name, entry, &unit, self.level, bufs, &self.pool)
                }))
                .unwrap_or_else(|_| {
                    Err(Error::invalid(format!(
                        "internal error while compressing `{name}`"
                    )))
                });
                {
                    let mut st = self.lock();
                    st.held = st.held.saturating_sub(cost);
                    if !st.cancelled {
                        st.held += r.as_ref().map_or(0, |p| p.buf.len() as u64);
                        st.results.insert(index, r);
                    }
                }
                self.ready.notify_all();
                self.feed(scope);
            });
        }
    }

    /// Wait for piece `index`'s data.
    fn take<'s>(&'s self, scope: &rayon::Scope<'s>, index: usize) -> Result<Prepared> {
        self.lock().wanted = index;
        self.feed(scope);
        let mut st = self.lock();
        loop {
            if let Some(r) = st.results.remove(&index) {
                return r;
            }
            st = self.ready.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The writer appended a result: recycle its buffer and make room for more work.
    fn release<'s>(&'s self, scope: &rayon::Scope<'s>, buf: Vec<u8>) {
        {
            let mut st = self.lock();
            st.held = st.held.saturating_sub(buf.len() as u64);
        }
        self.pool.give(buf);
        self.feed(scope);
    }

    /// Stop starting work and drop pending results (the run failed).
    fn cancel(&self) {
        let mut st = self.lock();
        st.cancelled = true;
        st.results.clear();
    }
}

enum Item<'a> {
    Dir(String),
    File(&'a str, &'a Entry),
}

impl Item<'_> {
    fn name(&self) -> &str {
        match self {
            Item::Dir(n) => n,
            Item::File(n, _) => n,
        }
    }
}

/// Directories (as `dir/`) and files, in byte order of their ZIP names.
fn items(media: &Media) -> Vec<Item<'_>> {
    let mut items: Vec<Item> = media
        .dirs()
        .map(|d| Item::Dir(format!("{d}/")))
        .chain(media.files().map(|(p, e)| Item::File(p, e)))
        .collect();
    items.sort_by(|a, b| a.name().as_bytes().cmp(b.name().as_bytes()));
    items
}

/// Size of the output buffer a piece needs, if it needs one apart from its input: a whole
/// file may use 31/32 of its size (else it is stored as read); a piece of a deflated file
/// needs room for stored blocks, its worst case.
fn out_capacity(u: &Unit, level: u32) -> Option<usize> {
    if level == 0 || u.len == 0 {
        None
    } else if u.whole() {
        Some(deflate::limit(u.len))
    } else if u.deflated {
        Some(segment::stored_bound(u.len))
    } else {
        None
    }
}

/// The buffers a piece is compressed with: its input and, unless it is kept as read, an
/// output buffer with the room the piece may use of it ([`out_capacity`]; the buffer the pool
/// handed out may be larger).
struct Buffers {
    input: Vec<u8>,
    out: Option<(Vec<u8>, usize)>,
}

impl Buffers {
    fn capacity(&self) -> u64 {
        (self.input.len() + self.out.as_ref().map_or(0, |(b, _)| b.len())) as u64
    }

    fn give_back(self, pool: &Pool) {
        pool.give(self.input);
        if let Some((out, _)) = self.out {
            pool.give(out);
        }
    }
}

/// Read one piece and deflate it, or keep it as read (see [`deflate`]); the buffer it does
/// not keep goes back to `pool`.
fn prepare(
    name: &str,
    entry: &Entry,
    u: &Unit,
    level: u32,
    bufs: Buffers,
    pool: &Pool,
) -> Result<Prepared> {
    let mut bufs = bufs;
    let n = u.len;
    let read = check_interrupted()
        .and_then(|()| read_piece(name, entry, u, bufs.input.get_mut(..n).unwrap_or_default()));
    if let Err(e) = read {
        bufs.give_back(pool);
        return Err(e);
    }
    let Buffers { input, out } = bufs;
    let got = input.get(..n).unwrap_or_default();
    let crc = deflate::crc32(got);
    let size = n as u64;
    let Some((mut out, cap)) = out else {
        return Ok(Prepared {
            buf: input,
            len: n,
            deflated: false,
            crc,
            size,
        });
    };
    let room = out.get_mut(..cap).unwrap_or_default();
    let packed = if u.whole() {
        segment::deflate_mixed(level, got, room, true)
    } else {
        // A piece of a deflated file: deflate it, or store it inside the stream.
        segment::deflate_mixed(level, got, room, u.last)
            .filter(|&len| len <= deflate::limit(n))
            .or_else(|| segment::stored(got, room, u.last))
    };
    match packed {
        Some(len) => {
            pool.give(input);
            Ok(Prepared {
                buf: out,
                len,
                deflated: true,
                crc,
                size,
            })
        }
        None if u.whole() => {
            pool.give(out);
            Ok(Prepared {
                buf: input,
                len: n,
                deflated: false,
                crc,
                size,
            })
        }
        None => {
            pool.give(out);
            pool.give(input);
            Err(Error::invalid(format!(
                "internal error: piece {} of ZIP entry `{name}` did not fit its buffer",
                u.offset / CHUNK as u64
            )))
        }
    }
}

/// Fill `buf` with the piece's bytes; the file's last piece must also be where it ends.
fn read_piece(name: &str, entry: &Entry, u: &Unit, buf: &mut [u8]) -> Result<()> {
    let n = entry
        .source
        .read_at(u.offset, buf)
        .map_err(|e| read_error(name, entry, e))?;
    if n < buf.len() {
        return check_size(name, entry, u.offset + n as u64);
    }
    if u.last {
        let mut extra = [0u8; 1];
        let more = entry
            .source
            .read_at(u.offset + n as u64, &mut extra)
            .map_err(|e| read_error(name, entry, e))?;
        return check_size(name, entry, u.offset + (n + more) as u64);
    }
    Ok(())
}

fn check_size(name: &str, entry: &Entry, read: u64) -> Result<()> {
    if read == entry.size {
        return Ok(());
    }
    let what = if read > entry.size { "more" } else { "fewer" };
    Err(Error::invalid(format!(
        "{} (ZIP entry `{name}`) changed while the media was being written: it yielded {what} bytes than the {} it had when it was added",
        entry.source.describe(),
        entry.size
    ))
    .with_help("make sure nothing modifies the input files during the run, then run again"))
}

fn read_error(name: &str, entry: &Entry, e: io::Error) -> Error {
    Error::invalid(format!(
        "cannot read {} for ZIP entry `{name}`: {e}",
        entry.source.describe()
    ))
}

fn write_error(name: &str, e: io::Error) -> Error {
    Error::invalid(format!(
        "cannot write ZIP entry `{name}` to the archive: {e}"
    ))
}

/// SOURCE_DATE_EPOCH as a DOS date-time (UTC), clamped to the range DOS time can hold.
fn dos_time(epoch: i64) -> DosTime {
    let (y, mo, d, h, mi, s) = civil_time(epoch);
    DosTime::new(y, mo, d, h, mi, s)
}

/// UTC calendar fields of `epoch`, clamped to 1980-01-01 00:00:00 ... 2107-12-31 23:59:58.
fn civil_time(epoch: i64) -> (u16, u8, u8, u8, u8, u8) {
    const MIN: i64 = 315_532_800; // 1980-01-01T00:00:00Z
    const MAX: i64 = 4_354_819_198; // 2107-12-31T23:59:58Z
    let c = civil(epoch.clamp(MIN, MAX));
    let (h, mi, s) = c.hms;
    // The year is in range by construction of the clamp above.
    (c.year as u16, c.month, c.day, h, mi, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_matches_known_dates_and_clamps() {
        assert_eq!(civil_time(1_700_000_000), (2023, 11, 14, 22, 13, 20));
        assert_eq!(civil_time(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil_time(0), (1980, 1, 1, 0, 0, 0));
        assert_eq!(civil_time(-5), (1980, 1, 1, 0, 0, 0));
        assert_eq!(civil_time(i64::MAX), (2107, 12, 31, 23, 59, 58));
        assert_eq!(
            dos_time(1_700_000_001),
            DosTime::new(2023, 11, 14, 22, 13, 20)
        );
    }

    #[test]
    fn compression_ahead_of_the_writer_is_bounded() {
        let mut m = Media::new();
        m.add_bytes("a", vec![0u8; 10]).unwrap();
        m.add_bytes("big", vec![7u8; 2 * CHUNK + 5]).unwrap();
        m.add_bytes("c/d", vec![0u8; 10]).unwrap();
        let items = items(&m);
        let names: Vec<&str> = items.iter().map(Item::name).collect();
        assert_eq!(names, ["a", "big", "c/", "c/d"]);
        let units = units(&items, 6).unwrap();
        let shape: Vec<(usize, u64, usize, bool, bool)> = units
            .iter()
            .map(|u| (u.item, u.offset, u.len, u.whole(), u.last))
            .collect();
        assert_eq!(
            shape,
            [
                (0, 0, 10, true, true),
                (1, 0, CHUNK, false, false),
                (1, CHUNK as u64, CHUNK, false, false),
                (1, 2 * CHUNK as u64, 5, false, true),
                (3, 0, 10, true, true),
            ],
            "files cut into pieces, directories have none"
        );
        let p = Pipeline::new(&items, &units, 6);
        p.lock().held = WINDOW_BYTES;
        rayon::in_place_scope(|scope| {
            // Over the bound, nothing starts but the piece the writer waits for.
            let a = p.take(scope, 0).unwrap();
            assert_eq!(a.size, 10);
            p.feed(scope);
            assert_eq!(p.lock().next, 1, "the pieces of `big` must wait for room");
            p.release(scope, a.buf);
            // A piece is charged what the pool hands it, not its size class: with an idle
            // buffer as large as the window serving its input, it waits as well.
            p.pool.give(vec![0u8; WINDOW_BYTES as usize]);
            p.lock().held = 1;
            p.feed(scope);
            assert_eq!(p.lock().next, 1, "charged by class, it would have started");
            assert_eq!(p.lock().held, 1, "the buffers went back");
            p.lock().held = 0;
            let mut crc = 0;
            for i in 1..4 {
                let piece = p.take(scope, i).unwrap();
                crc = crc32_combine(crc, piece.crc, piece.size);
                p.release(scope, piece.buf);
            }
            assert_eq!(crc, deflate::crc32(&vec![7u8; 2 * CHUNK + 5]));
            let d = p.take(scope, 4).unwrap();
            assert_eq!(d.size, 10);
            assert_eq!(p.lock().next, 5);
        });
    }
}
