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
//!   stored (the rule is in [`deflate`](super::deflate)). ZIP64 fields appear only for entries
//!   near or over 4 GiB and for archive offsets or entry counts past the classic limits.
//!
//! The archive is written strictly forward to any [`Write`]: nothing is sought or read back, so
//! the caller can hash it while it is written. Files up to [`IN_MEMORY_MAX`] are read whole and
//! compressed by the rayon pool, ahead of the writer by at most [`WINDOW_BYTES`] of buffers,
//! and appended strictly in entry order as they complete. Larger files are streamed through the
//! writer in chunks (zlib-rs) with their CRC and sizes in a data descriptor after the data;
//! whether they are stored is decided from a sample of their first chunk. Each source is read exactly once
//! and must yield exactly its declared size (input changes are caught by the publish step's
//! stamps, `media::stamp`).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use flate2::write::DeflateEncoder;
use flate2::Compression;

use super::deflate::{self, class, Crc, Pool};
use super::format::{end_records, Counted, DosTime, Record, MAX_NAME, ZIP64_FROM};
use super::segment;
use crate::error::{Error, Result};
use crate::media::civil::civil;
use crate::media::output::check_interrupted;
use crate::media::tree::read_full;
use crate::media::{Entry, Media};

/// Files up to this size are compressed whole in memory, in parallel with their neighbours.
pub const IN_MEMORY_MAX: u64 = 16 << 20;
/// At most this much buffer space (inputs being compressed, outputs waiting for the writer,
/// counted by buffer capacity) is in use ahead of the writer; the entry the writer waits for
/// always starts, so one entry over the bound still makes progress.
pub const WINDOW_BYTES: u64 = 24 << 20;
/// Most buffer bytes the pool keeps allocated (in use or idle) while it can drop idle ones.
const POOL_MAX: usize = (WINDOW_BYTES as usize) + (8 << 20);
/// Chunk size when streaming a large file (also the sample that decides store vs deflate).
const CHUNK: usize = 1 << 20;

/// How to write a ZIP archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipOptions {
    /// Seconds since 1970-01-01 UTC given to every entry (clamped to the DOS range).
    pub source_date_epoch: i64,
    /// Deflate level 0-9 (0 stores every entry); 6 by default.
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
    let mut zw = Counted { inner: out, pos: 0 };
    let mut records: Vec<Record> = Vec::with_capacity(items.len());
    let pipeline = Pipeline::new(&items, opts.level);
    rayon::in_place_scope(|scope| -> Result<()> {
        // Compression runs on the rayon pool ahead of this thread, which appends the results
        // strictly in entry order; workers start the next entries themselves as they finish.
        for (i, item) in items.iter().enumerate() {
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
                Item::File(name, entry) if item.is_large_file() => {
                    stream_file(&mut zw, name, entry, opts.level, time)?
                }
                Item::File(name, _) => {
                    let p = pipeline.take(scope, i)?;
                    let rec = Record {
                        name: name.to_string(),
                        dir: false,
                        deflated: p.deflated,
                        descriptor: false,
                        zip64: false,
                        crc: p.crc,
                        size: p.size,
                        compressed: p.len as u64,
                        offset,
                    };
                    let written = zw
                        .write_all(&rec.local_header(time))
                        .and_then(|()| zw.write_all(p.buf.get(..p.len).unwrap_or_default()));
                    pipeline.release(scope, p.buf);
                    written.map_err(|e| write_error(name, e))?;
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

/// A small file's entry data, ready to append: `buf[..len]` (deflated or stored bytes).
struct Prepared {
    buf: Vec<u8>,
    len: usize,
    deflated: bool,
    crc: u32,
    size: u64,
}

/// Parallel compression feeding the in-order writer. Memory is bounded by [`WINDOW_BYTES`] of
/// buffer capacity: an entry being compressed counts its input and output buffers, a finished
/// one the buffer it keeps until the writer has appended it. Buffers come from a [`Pool`], so a
/// run allocates them a few times, not once per entry.
struct Pipeline<'a> {
    items: &'a [Item<'a>],
    level: u32,
    pool: Pool,
    state: Mutex<PipelineState>,
    ready: Condvar,
}

#[derive(Default)]
struct PipelineState {
    results: BTreeMap<usize, Result<Prepared>>,
    /// Buffer bytes held: entries being compressed plus finished, not yet written results.
    held: u64,
    /// Next entry to start.
    next: usize,
    /// The entry the writer waits for (it starts whatever the bound says).
    wanted: usize,
    cancelled: bool,
}

impl<'a> Pipeline<'a> {
    fn new(items: &'a [Item<'a>], level: u32) -> Self {
        Pipeline {
            items,
            level,
            pool: Pool::new(POOL_MAX),
            state: Mutex::default(),
            ready: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PipelineState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Buffer bytes an entry of `size` bytes holds while it is compressed.
    fn cost(&self, size: u64) -> u64 {
        let n = usize::try_from(size).unwrap_or(usize::MAX);
        let out = if self.level > 0 && n > 0 {
            class(deflate::limit(n))
        } else {
            0
        };
        (class(n) + out) as u64
    }

    /// Start as many entries as the bound allows (always up to the one the writer wants).
    fn feed<'s>(&'s self, scope: &rayon::Scope<'s>) {
        loop {
            let (index, name, entry, cost) = {
                let mut st = self.lock();
                if st.cancelled {
                    return;
                }
                let Some(item) = self.items.get(st.next) else {
                    return;
                };
                let Item::File(name, entry) = item else {
                    st.next += 1;
                    continue;
                };
                if item.is_large_file() {
                    st.next += 1;
                    continue;
                }
                let cost = self.cost(entry.size);
                let fits = st.held == 0 || st.held + cost <= WINDOW_BYTES;
                if !fits && st.next > st.wanted {
                    return;
                }
                st.held += cost;
                st.next += 1;
                (st.next - 1, *name, *entry, cost)
            };
            scope.spawn(move |scope| {
                // A panic must still hand the writer a result, or it would wait forever.
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    prepare_file(name, entry, self.level, &self.pool)
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

    /// Wait for entry `index`'s data.
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

    fn is_large_file(&self) -> bool {
        matches!(self, Item::File(_, e) if e.size > IN_MEMORY_MAX)
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

/// Read a small file whole and deflate it, or keep it stored (see [`deflate`]).
fn prepare_file(name: &str, entry: &Entry, level: u32, pool: &Pool) -> Result<Prepared> {
    check_interrupted()?;
    let n = usize::try_from(entry.size).unwrap_or(usize::MAX);
    let mut input = pool.take(n);
    let got = read_exactly(name, entry, input.get_mut(..n).unwrap_or_default());
    let got = match got {
        Ok(()) => input.get(..n).unwrap_or_default(),
        Err(e) => {
            pool.give(input);
            return Err(e);
        }
    };
    let crc = deflate::crc32(got);
    if level > 0 && n > 0 {
        let mut out = pool.take(deflate::limit(n));
        let room = deflate::limit(n).min(out.len());
        let packed = out
            .get_mut(..room)
            .and_then(|o| segment::deflate_mixed(level, got, o, true));
        if let Some(len) = packed {
            pool.give(input);
            return Ok(Prepared {
                buf: out,
                len,
                deflated: true,
                crc,
                size: entry.size,
            });
        }
        pool.give(out);
    }
    Ok(Prepared {
        buf: input,
        len: n,
        deflated: false,
        crc,
        size: entry.size,
    })
}

/// Fill `buf` from the entry's source and make sure the source ends right there.
fn read_exactly(name: &str, entry: &Entry, buf: &mut [u8]) -> Result<()> {
    let mut reader = entry.source.open()?;
    let n = read_full(&mut reader, buf).map_err(|e| read_error(name, entry, e))?;
    let mut extra = [0u8; 1];
    let more = read_full(&mut reader, &mut extra).map_err(|e| read_error(name, entry, e))?;
    check_size(name, entry, n as u64 + more as u64)
}

/// Stream a large file through the writer chunk by chunk, CRC and sizes in a data descriptor.
fn stream_file<W: Write>(
    zw: &mut Counted<W>,
    name: &str,
    entry: &Entry,
    level: u32,
    time: DosTime,
) -> Result<Record> {
    let mut reader = entry.source.open()?;
    let mut buf = vec![0u8; CHUNK];
    let first = read_full(&mut reader, &mut buf).map_err(|e| read_error(name, entry, e))?;
    let sample = buf.get(..first).unwrap_or_default();
    let deflated = level > 0 && deflate::worth_deflating(sample);
    let mut rec = Record {
        name: name.to_string(),
        dir: false,
        deflated,
        descriptor: true,
        zip64: entry.size >= ZIP64_FROM,
        crc: 0,
        size: 0,
        compressed: 0,
        offset: zw.pos,
    };
    zw.write_all(&rec.local_header(time))
        .map_err(|e| write_error(name, e))?;
    let data_start = zw.pos;
    let mut crc = Crc::new();
    let mut total = 0u64;
    // Feed every chunk (the first is already in `buf`) to `sink`; stops past the declared size.
    let mut pump = |sink: &mut dyn Write| -> Result<()> {
        let mut n = first;
        while n > 0 {
            check_interrupted()?;
            let chunk = buf.get(..n).unwrap_or_default();
            total += n as u64;
            if total > entry.size {
                break;
            }
            crc.update(chunk);
            sink.write_all(chunk).map_err(|e| write_error(name, e))?;
            n = read_full(&mut reader, &mut buf).map_err(|e| read_error(name, entry, e))?;
        }
        Ok(())
    };
    if deflated {
        let mut enc = DeflateEncoder::new(&mut *zw, Compression::new(level));
        pump(&mut enc)?;
        enc.try_finish().map_err(|e| write_error(name, e))?;
    } else {
        pump(&mut *zw)?;
    }
    check_size(name, entry, total)?;
    rec.crc = crc.sum();
    rec.size = total;
    rec.compressed = zw.pos - data_start;
    zw.write_all(&rec.descriptor())
        .map_err(|e| write_error(name, e))?;
    Ok(rec)
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
        m.add(
            "big",
            crate::media::Source::Bytes(vec![].into()),
            IN_MEMORY_MAX + 1,
        )
        .unwrap();
        m.add_bytes("c/d", vec![0u8; 10]).unwrap();
        let items = items(&m);
        let names: Vec<&str> = items.iter().map(Item::name).collect();
        assert_eq!(names, ["a", "big", "c/", "c/d"]);
        let p = Pipeline::new(&items, 6);
        p.lock().held = WINDOW_BYTES;
        rayon::in_place_scope(|scope| {
            // Over the bound, nothing starts but the entry the writer waits for; the large file
            // (streamed by the writer) and the directory are passed over, never started.
            let a = p.take(scope, 0).unwrap();
            assert_eq!(a.size, 10);
            p.feed(scope);
            assert_eq!(p.lock().next, 3, "c/d must wait for room");
            p.release(scope, a.buf);
            p.lock().held = 0;
            let d = p.take(scope, 3).unwrap();
            assert_eq!(d.size, 10);
            assert_eq!(p.lock().next, 4);
        });
    }
}
