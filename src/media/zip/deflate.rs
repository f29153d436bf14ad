//! Deflate for the ZIP writer: libdeflate on whole in-memory entries, the store-or-deflate
//! rule, and a pool of reusable buffers that keeps memory flat in the number of threads.
//!
//! The rule (recorded in docs/decisions.md): an entry is deflated only if that saves at least
//! 1/32 of its size (about 3%). Entries over [`PROBE`] bytes are first judged by a sample: eight
//! 8 KiB windows spread evenly from the start to the end, deflated together at level 1; if the
//! sample does not save 1/32, the entry is stored without compressing the rest. (A prefix alone
//! misjudges files that start with packed data and continue with code.) An entry that passes is
//! compressed whole into a buffer of 31/32 of its size; if the result does not fit, the entry
//! is stored. Both steps are deterministic, so the same bytes always give the same archive.

use std::cell::RefCell;
use std::sync::Mutex;

use libdeflater::{CompressionLvl, Compressor};

/// Bytes sampled from an entry and deflated at level 1 to decide whether it is worth it.
pub const PROBE: usize = 64 * 1024;
/// Windows the sample is made of, spread evenly from the entry's start to its end.
const SAMPLES: usize = 8;
/// Smallest pooled buffer.
const MIN_CLASS: usize = 64 * 1024;

/// The most deflated bytes an entry of `n` bytes may take and still be deflated.
pub fn limit(n: usize) -> usize {
    n - n / 32
}

thread_local! {
    /// One compressor per level and thread, reused across entries (allocating one costs more
    /// than compressing a small file).
    static COMPRESSORS: RefCell<Vec<(u32, Compressor)>> = const { RefCell::new(Vec::new()) };
    /// The probe's sample and its deflated output.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's compressor for `level` (1-12).
fn with_compressor<R>(level: u32, f: impl FnOnce(&mut Compressor) -> R) -> R {
    COMPRESSORS.with(|cell| {
        let mut list = cell.borrow_mut();
        let at = match list.iter().position(|(l, _)| *l == level) {
            Some(i) => i,
            None => {
                let lvl = i32::try_from(level)
                    .ok()
                    .and_then(|l| CompressionLvl::new(l).ok())
                    .unwrap_or_default();
                list.push((level, Compressor::new(lvl)));
                list.len() - 1
            }
        };
        match list.get_mut(at) {
            Some((_, c)) => f(c),
            None => f(&mut Compressor::new(CompressionLvl::default())),
        }
    })
}

/// Deflate `input` at `level` into `out` if the result fits in `out`; its length if it did.
pub fn deflate(level: u32, input: &[u8], out: &mut [u8]) -> Option<usize> {
    with_compressor(level, |c| c.deflate_compress(input, out).ok())
}

/// Whether `data` (a whole entry, or the first chunk of a streamed one) is worth deflating: a
/// sample of [`SAMPLES`] windows spread evenly over it, [`PROBE`] bytes in all, saves at least
/// 1/32 at level 1. Data up to [`PROBE`] bytes is its own sample.
pub fn worth_deflating(data: &[u8]) -> bool {
    SCRATCH.with(|cell| {
        let mut scratch = cell.borrow_mut();
        if scratch.len() < 2 * PROBE {
            scratch.resize(2 * PROBE, 0);
        }
        let (sample, out) = scratch.split_at_mut(PROBE);
        let sample: &[u8] = if data.len() <= PROBE {
            data
        } else {
            let w = PROBE / SAMPLES;
            let span = data.len() - w;
            for (i, dst) in sample.chunks_exact_mut(w).enumerate() {
                let at = span * i / (SAMPLES - 1);
                if let Some(src) = data.get(at..at + w) {
                    dst.copy_from_slice(src);
                }
            }
            sample
        };
        let room = limit(sample.len()).min(out.len());
        out.get_mut(..room)
            .and_then(|o| deflate(1, sample, o))
            .is_some()
    })
}

/// CRC-32 of a byte slice (libdeflate's, several GB/s).
pub fn crc32(data: &[u8]) -> u32 {
    libdeflater::crc32(data)
}

/// A running CRC-32.
pub use libdeflater::Crc;

/// Capacity class of a buffer for `len` bytes: from 64 KiB, four classes per power of two
/// (a buffer is at most a quarter larger than asked for: 10 MB takes 10 MiB, not 16).
pub fn class(len: usize) -> usize {
    let len = len.max(MIN_CLASS);
    let Some(p) = len.checked_next_power_of_two() else {
        return len;
    };
    let step = p / 8;
    len.div_ceil(step).saturating_mul(step)
}

/// Reusable zero-initialised buffers. Buffers stay allocated for the run: freeing a multi-MB
/// buffer makes glibc raise its mmap threshold to that size, after which buffers of up to that
/// size come from per-thread arenas that keep freed memory, so peak RSS grew with `--jobs`
/// (156 MB at `--jobs 8` on the 400 MB bench payload, 66 MB with the threshold pinned). A
/// request reuses the smallest idle buffer of at least its class; a new buffer is allocated
/// only when none is large enough, and idle buffers are dropped (smallest first) only to keep
/// everything the pool allocated under `max` bytes.
pub struct Pool {
    state: Mutex<PoolState>,
    max: usize,
}

#[derive(Default)]
struct PoolState {
    free: Vec<Vec<u8>>,
    /// Bytes of every live buffer the pool allocated (idle or in use).
    total: usize,
}

impl Pool {
    pub fn new(max: usize) -> Pool {
        Pool {
            state: Mutex::default(),
            max,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A buffer of at least `len` bytes (contents unspecified).
    pub fn take(&self, len: usize) -> Vec<u8> {
        let c = class(len);
        let mut st = self.lock();
        let best = st
            .free
            .iter()
            .enumerate()
            .filter(|(_, b)| b.len() >= c)
            .min_by_key(|(_, b)| b.len())
            .map(|(i, _)| i);
        if let Some(i) = best {
            return st.free.swap_remove(i);
        }
        // Make room by dropping idle buffers, smallest first (rare once the pool is warm).
        st.free.sort_by_key(|b| std::cmp::Reverse(b.len()));
        while st.total + c > self.max {
            let Some(b) = st.free.pop() else { break };
            st.total -= b.len();
        }
        st.total += c;
        drop(st);
        vec![0u8; c]
    }

    /// Hand a buffer back for reuse.
    pub fn give(&self, buf: Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        self.lock().free.push(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incompressible_data_is_stored_and_text_anywhere_is_deflated() {
        let mut x = 1u64;
        let noise: Vec<u8> = (0..PROBE * 2)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(!worth_deflating(&noise));
        let text = b"HKR,,DriverVersion,,\"1.0.0\"\r\n".repeat(5_000);
        assert!(worth_deflating(&text));
        // Packed data first, then text: the sample sees the text, a prefix would not.
        let mut late = noise.clone();
        late.extend_from_slice(&text);
        assert!(worth_deflating(&late));
    }

    #[test]
    fn pool_reuses_buffers_and_bounds_what_it_allocates() {
        let p = Pool::new(512 * 1024);
        let a = p.take(100);
        assert_eq!(a.len(), 64 * 1024);
        let b = p.take(200 * 1024);
        assert_eq!(b.len(), 224 * 1024);
        assert_eq!(class(10_000_000), 10 << 20);
        assert_eq!(class(16 << 20), 16 << 20);
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        p.give(a);
        p.give(b);
        let again = p.take(1);
        assert_eq!(
            again.as_ptr(),
            pa,
            "the smallest fitting idle buffer is reused"
        );
        let big = p.take(150 * 1024);
        assert_eq!(
            big.as_ptr(),
            pb,
            "a larger idle buffer serves a smaller request"
        );
        p.give(again);
        p.give(big);
        // Over the bound, idle buffers are dropped to make room.
        let huge = p.take(400 * 1024);
        assert_eq!(huge.len(), 448 * 1024);
        assert!(p.lock().total <= 512 * 1024, "{}", p.lock().total);
    }
}
