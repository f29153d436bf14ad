//! Deflate for the ZIP writer: libdeflate on in-memory pieces, the store-or-deflate rule,
//! CRC-32 (and combining the CRCs of pieces), and a pool of reusable buffers that keeps memory
//! flat in the number of threads.
//!
//! The level of a piece ([`effort`]): the asked one, or 1 where a probe says the asked one
//! saves under 2% over it.
//!
//! The rule (recorded in docs/decisions.md): a file of one piece is deflated only if that
//! saves at least 1/32 of its size (about 3%): it is compressed into a buffer of 31/32 of its
//! size ([`limit`]) and stored if the result does not fit. Packed runs inside it go in as
//! stored blocks without being searched for matches ([`segment`](super::segment)). A file of
//! several pieces is stored when windows spread over it all look packed, else deflated; its
//! pieces that do not shrink by 1/32 become stored blocks inside the stream. Every step is a
//! function of the bytes alone, so the same bytes always give the same archive.

use std::cell::RefCell;
use std::sync::Mutex;

use libdeflater::{CompressionLvl, Compressor};

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

/// Bytes of the window [`effort`] compresses twice.
pub const PROBE: usize = 8 * 1024;

/// The level to deflate `data` at when `level` was asked for: level 1 where a probe says the
/// asked level would save less than 2% over it, else `level`.
///
/// libdeflate's level 6 costs about 1.7x the CPU of level 1. On real driver code level 1's
/// output is 6 to 9% larger, so level 6 pays; on data whose repeats are plain (tables, zero
/// runs, already-compressed parts that escaped [`segment::packed`](super::segment::packed),
/// the bench's generated code) it is 1 to 2% larger. The probe is a [`PROBE`]-byte window,
/// deflated at both levels (about 2% of the cost of deflating a 1 MiB piece at level 1): the
/// middle one, or if that shrinks more than 16x (zero padding between a binary's sections,
/// where both levels do equally well and say nothing about the rest) the one at a quarter,
/// then at three quarters; if all three do, the asked level. Ranges under four probes are
/// not probed. A function of the bytes and the level alone, so the archive stays the same on
/// every machine.
pub fn effort(level: u32, data: &[u8]) -> u32 {
    if level <= 1 || data.len() < 4 * PROBE {
        return level;
    }
    let mut out = vec![0u8; PROBE + PROBE / 4 + 64];
    for quarter in [2, 1, 3] {
        let at = data.len() / 4 * quarter - PROBE / 2;
        let Some(window) = data.get(at..at + PROBE) else {
            continue;
        };
        let Some(asked) = deflate(level, window, &mut out) else {
            return level;
        };
        if asked * 16 < PROBE {
            continue;
        }
        let Some(fast) = deflate(1, window, &mut out) else {
            return level;
        };
        return if fast * 50 <= asked * 51 { 1 } else { level };
    }
    level
}

/// CRC-32 of a byte slice (libdeflate's, several GB/s).
pub fn crc32(data: &[u8]) -> u32 {
    libdeflater::crc32(data)
}

/// The CRC-32 of `a` followed by `b`, from `crc(a)`, `crc(b)` and `b`'s length (zlib's
/// method, from zlib-rs), so pieces of an entry can be checksummed on different threads.
pub fn crc32_combine(crc_a: u32, crc_b: u32, len_b: u64) -> u32 {
    zlib_rs::crc32::crc32_combine(crc_a, crc_b, len_b)
}

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
    fn crc_of_pieces_combines_to_the_crc_of_the_whole() {
        let data: Vec<u8> = (0..300_000u32)
            .map(|i| ((i * 7) ^ (i >> 5)) as u8)
            .collect();
        for cut in [0, 1, 4096, 123_457, 299_999, 300_000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(
                crc32_combine(crc32(a), crc32(b), b.len() as u64),
                crc32(&data),
                "cut at {cut}"
            );
        }
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
