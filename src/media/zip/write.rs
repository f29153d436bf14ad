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
//! - Deflate (zlib-rs) at the chosen level; an entry whose deflated data would not be smaller
//!   is stored instead. ZIP64 fields appear only for entries near or over 4 GiB and for archive
//!   offsets or entry counts past the classic limits.
//!
//! Speed and memory: files up to [`IN_MEMORY_MAX`] are read and compressed by the rayon pool,
//! ahead of the writer by at most [`WINDOW_BYTES`] of input, and appended strictly in entry
//! order as they complete, so both cores stay busy and memory stays bounded. Larger files are streamed through the
//! writer in chunks; whether they are stored is decided from their first chunk. Each source is
//! read exactly once and must yield exactly its declared size.

use std::io::{self, Read, Seek, Write};

use flate2::write::DeflateEncoder;
use flate2::Compression;
use zip::write::{PreparedZipFile, SimpleFileOptions};
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use crate::error::{Error, Result};
use crate::media::civil::civil;
use crate::media::output::check_interrupted;
use crate::media::tree::read_full;
use crate::media::{Entry, Media};

/// Files up to this size are compressed whole in memory, in parallel with their neighbours.
pub const IN_MEMORY_MAX: u64 = 16 << 20;
/// At most this much input is being compressed ahead of the writer.
pub const WINDOW_BYTES: u64 = 32 << 20;
/// Chunk size when streaming a large file (also the sample that decides store vs deflate).
const CHUNK: usize = 1 << 20;
/// Entries from this size on get ZIP64 sizes: below 4 GiB by more than deflate can ever expand
/// data (about 0.03%), so a deflated size can never overflow a classic header.
const ZIP64_FROM: u64 = 0xFFFF_FFFF - (0xFFFF_FFFF >> 9);

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

/// Write `media` as a ZIP archive to `out` and return `out` (positioned at the archive's end).
pub fn write_zip<W: Write + Seek>(media: &Media, out: W, opts: &ZipOptions) -> Result<W> {
    if opts.level > 9 {
        return Err(Error::invalid(format!(
            "ZIP compression level {} is out of range",
            opts.level
        ))
        .with_help("use a level from 0 (store) to 9 (smallest); 6 is the default"));
    }
    let time = dos_time(opts.source_date_epoch);
    let base = SimpleFileOptions::default()
        .system(System::Unix)
        .last_modified_time(time);
    let style = Style {
        dir: base
            .compression_method(CompressionMethod::Stored)
            .unix_permissions(0o755),
        stored: base
            .compression_method(CompressionMethod::Stored)
            .unix_permissions(0o644),
        deflated: base
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(i64::from(opts.level)))
            .unix_permissions(0o644),
        level: opts.level,
    };

    let items = items(media);
    let mut zw = ZipWriter::new(out);
    let pipeline = Pipeline::new(&items, &style);
    rayon::in_place_scope(|scope| -> Result<()> {
        // Compression runs on the rayon pool ahead of this thread, which appends the results
        // strictly in entry order; workers start the next entries themselves as they finish.
        for (i, item) in items.iter().enumerate() {
            check_interrupted()?;
            match item {
                Item::Dir(name) => zw
                    .add_directory(name.as_str(), style.dir)
                    .map_err(|e| zip_error(name, e))?,
                Item::File(name, entry) if item.is_large_file() => {
                    stream_file(&mut zw, name, entry, &style)?
                }
                Item::File(name, _) => {
                    let file = pipeline.take(scope, i)?;
                    let held = file.compressed_size();
                    zw.add_prepared_file(file).map_err(|e| zip_error(name, e))?;
                    pipeline.release(scope, held);
                }
            }
        }
        Ok(())
    })
    .inspect_err(|_| pipeline.cancel())?;
    check_interrupted()?;
    zw.finish().map_err(|e| zip_error("(central directory)", e))
}

/// Parallel compression feeding the in-order writer. Memory is bounded by [`WINDOW_BYTES`]:
/// an entry being compressed counts its input size, a finished one its compressed size until
/// the writer has appended it. The entry the writer waits for always starts, so a single entry
/// larger than the bound still makes progress.
struct Pipeline<'a> {
    items: &'a [Item<'a>],
    style: &'a Style,
    state: std::sync::Mutex<PipelineState>,
    ready: std::sync::Condvar,
}

#[derive(Default)]
struct PipelineState {
    results: std::collections::BTreeMap<usize, Result<PreparedZipFile>>,
    /// Bytes held: inputs being compressed plus finished, not yet written results.
    held: u64,
    /// Next entry to start.
    next: usize,
    /// The entry the writer waits for (it starts whatever the bound says).
    wanted: usize,
    cancelled: bool,
}

impl<'a> Pipeline<'a> {
    fn new(items: &'a [Item<'a>], style: &'a Style) -> Self {
        Pipeline {
            items,
            style,
            state: Default::default(),
            ready: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PipelineState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Start as many entries as the bound allows (always up to the one the writer wants).
    fn feed<'s>(&'s self, scope: &rayon::Scope<'s>) {
        loop {
            let (index, name, entry) = {
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
                let fits = st.held == 0 || st.held + entry.size <= WINDOW_BYTES;
                if !fits && st.next > st.wanted {
                    return;
                }
                st.held += entry.size;
                st.next += 1;
                (st.next - 1, *name, *entry)
            };
            scope.spawn(move |scope| {
                // A panic must still hand the writer a result, or it would wait forever.
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    prepare_file(name, entry, self.style)
                }))
                .unwrap_or_else(|_| {
                    Err(Error::invalid(format!(
                        "internal error while compressing `{name}`"
                    )))
                });
                {
                    let mut st = self.lock();
                    let kept = r.as_ref().map_or(0, PreparedZipFile::compressed_size);
                    st.held = st.held.saturating_sub(entry.size) + kept;
                    if !st.cancelled {
                        st.results.insert(index, r);
                    }
                }
                self.ready.notify_all();
                self.feed(scope);
            });
        }
    }

    /// Wait for entry `index`'s compressed data.
    fn take<'s>(&'s self, scope: &rayon::Scope<'s>, index: usize) -> Result<PreparedZipFile> {
        self.lock().wanted = index;
        self.feed(scope);
        let mut st = self.lock();
        loop {
            if let Some(r) = st.results.remove(&index) {
                return r;
            }
            st = self
                .ready
                .wait(st)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// The writer appended a result holding `bytes`: make room for more work.
    fn release<'s>(&'s self, scope: &rayon::Scope<'s>, bytes: u64) {
        {
            let mut st = self.lock();
            st.held = st.held.saturating_sub(bytes);
        }
        self.feed(scope);
    }

    /// Stop starting work and drop pending results (the run failed).
    fn cancel(&self) {
        let mut st = self.lock();
        st.cancelled = true;
        st.results.clear();
    }
}

/// Entry options for one archive.
struct Style {
    dir: SimpleFileOptions,
    stored: SimpleFileOptions,
    deflated: SimpleFileOptions,
    level: u32,
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

/// Read a small file whole and compress it (or store it when deflate does not shrink it).
fn prepare_file(name: &str, entry: &Entry, style: &Style) -> Result<PreparedZipFile> {
    check_interrupted()?;
    let mut raw = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0));
    let mut reader = entry.source.open()?;
    reader
        .by_ref()
        .take(entry.size.saturating_add(1))
        .read_to_end(&mut raw)
        .map_err(|e| read_error(name, entry, e))?;
    check_size(name, entry, raw.len() as u64)?;
    if style.level > 0 && !raw.is_empty() {
        let deflated = PreparedZipFile::from_data(name, style.deflated, &raw)
            .map_err(|e| zip_error(name, e))?;
        if deflated.compressed_size() < deflated.uncompressed_size() {
            return Ok(deflated);
        }
    }
    PreparedZipFile::from_data(name, style.stored, &raw).map_err(|e| zip_error(name, e))
}

/// Stream a large file through the writer chunk by chunk.
fn stream_file<W: Write + Seek>(
    zw: &mut ZipWriter<W>,
    name: &str,
    entry: &Entry,
    style: &Style,
) -> Result<()> {
    let mut reader = entry.source.open()?;
    let mut buf = vec![0u8; CHUNK];
    let first = read_full(&mut reader, &mut buf).map_err(|e| read_error(name, entry, e))?;
    let sample = buf.get(..first).unwrap_or_default();
    let options = if style.level > 0 && shrinks(sample, style.level) {
        style.deflated
    } else {
        style.stored
    };
    let options = options.large_file(entry.size >= ZIP64_FROM);
    zw.start_file(name, options)
        .map_err(|e| zip_error(name, e))?;
    zw.write_all(sample).map_err(|e| write_error(name, e))?;
    let mut total = first as u64;
    loop {
        check_interrupted()?;
        let n = read_full(&mut reader, &mut buf).map_err(|e| read_error(name, entry, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > entry.size {
            break;
        }
        zw.write_all(buf.get(..n).unwrap_or_default())
            .map_err(|e| write_error(name, e))?;
    }
    check_size(name, entry, total)
}

/// Whether deflate makes `sample` smaller (it decides store vs deflate for a large file).
fn shrinks(sample: &[u8], level: u32) -> bool {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(sample.len()), Compression::new(level));
    if enc.write_all(sample).is_err() {
        return false;
    }
    enc.finish().is_ok_and(|c| c.len() < sample.len())
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

fn zip_error(name: &str, e: zip::result::ZipError) -> Error {
    Error::invalid(format!("cannot write ZIP entry `{name}`: {e}"))
}

/// SOURCE_DATE_EPOCH as a DOS date-time (UTC), clamped to the range DOS time can hold.
fn dos_time(epoch: i64) -> DateTime {
    let (y, mo, d, h, mi, s) = civil_time(epoch);
    DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or_default()
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
        let t = dos_time(1_700_000_001);
        assert_eq!((t.year(), t.month(), t.day()), (2023, 11, 14));
        assert_eq!((t.hour(), t.minute(), t.second()), (22, 13, 20));
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
        let style = Style {
            dir: SimpleFileOptions::default(),
            stored: SimpleFileOptions::default(),
            deflated: SimpleFileOptions::default(),
            level: 6,
        };
        let p = Pipeline::new(&items, &style);
        p.lock().held = WINDOW_BYTES;
        rayon::in_place_scope(|scope| {
            // Over the bound, nothing starts but the entry the writer waits for; the large file
            // (streamed by the writer) and the directory are passed over, never started.
            let a = p.take(scope, 0).unwrap();
            assert_eq!(a.uncompressed_size(), 10);
            p.feed(scope);
            assert_eq!(p.lock().next, 3, "c/d must wait for room");
            p.lock().held = 0;
            let d = p.take(scope, 3).unwrap();
            assert_eq!(d.uncompressed_size(), 10);
            assert_eq!(p.lock().next, 4);
        });
    }
}
