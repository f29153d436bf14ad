//! One deflate stream for an entry that mixes packed data (compressed resources, cabinets,
//! firmware, signatures) with code and text: the packed runs go in as stored blocks, copied,
//! and only the rest goes through libdeflate.
//!
//! Deflating packed data gains nothing and costs as much as deflating code (libdeflate's match
//! finder still searches every position). The entry is cut into [`SEGMENT`]-byte segments; a
//! segment is *packed* when the byte counts of an evenly spread quarter of it are as flat as
//! random bytes' (integer arithmetic only, so every machine decides alike). Runs of at least
//! [`MIN_PACKED`] packed segments (the 32 KiB deflate window: nothing after such a run can
//! refer to anything before it) are stored; shorter ones stay with their neighbours, whose
//! matches may reach across them. Each deflated piece is a complete libdeflate stream; the
//! writer clears its final block's BFINAL bit and continues at its exact last bit
//! ([`blocks::ends`](super::blocks::ends)) with the next stored block.

use std::ops::Range;

use super::blocks;
use super::deflate::{deflate, effort};

/// Bytes judged at a time.
pub const SEGMENT: usize = 16 * 1024;
/// Fewest consecutive packed segments stored as such (32 KiB, the deflate window).
pub const MIN_PACKED: usize = 2;
/// Largest stored block (its length field is 16 bits).
const STORED_MAX: usize = 0xFFFF;

/// Whether a segment looks like packed data: over every fourth 64-byte line, the sum of the
/// squared byte counts is within 1.1x of what uniformly random bytes give (n + n(n-1)/256).
/// Random data lands at 0.98 to 1.02 of it; x86 code, text, tables and DER at 1.18 or more.
pub fn packed(segment: &[u8]) -> bool {
    let mut counts = [0u32; 256];
    let mut n = 0u64;
    for line in segment.chunks(64).step_by(4) {
        for &b in line {
            counts[usize::from(b)] += 1;
        }
        n += line.len() as u64;
    }
    if n < 1024 {
        return false;
    }
    let squares: u64 = counts.iter().map(|&c| u64::from(c) * u64::from(c)).sum();
    let uniform = n + n * (n - 1) / 256;
    squares * 10 <= uniform * 11
}

/// Byte ranges of `input` to store as they are: whole-segment runs of at least
/// [`MIN_PACKED`] packed segments.
pub fn packed_runs(input: &[u8]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start: Option<usize> = None;
    let close = |from: usize, to: usize, runs: &mut Vec<_>| {
        if to - from >= MIN_PACKED * SEGMENT {
            runs.push(from..to);
        }
    };
    for (i, seg) in input.chunks_exact(SEGMENT).enumerate() {
        let at = i * SEGMENT;
        match (packed(seg), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                close(s, at, &mut runs);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        close(s, input.len() - input.len() % SEGMENT, &mut runs);
    }
    runs
}

/// Deflate `input` at `level` into `out`, storing its packed runs; the stream's length if it
/// fits in `out`. With `last` false the stream is a piece of a longer one: no block is final
/// and it ends on a byte boundary (after an empty stored block if needed), so the next piece
/// can follow it directly. Deterministic: a function of the bytes, the level and `last`.
pub fn deflate_mixed(level: u32, input: &[u8], out: &mut [u8], last: bool) -> Option<usize> {
    let runs = if input.len() >= MIN_PACKED * SEGMENT {
        packed_runs(input)
    } else {
        Vec::new()
    };
    if runs.is_empty() && last {
        return deflate(effort(level, input), input, out);
    }
    // One level for the whole piece, probed on its longest stretch that is not packed.
    let longest = gaps(&runs, input.len())
        .max_by_key(|r| r.len())
        .unwrap_or(0..0);
    let level = effort(level, input.get(longest).unwrap_or_default());
    // Pieces in order: (range, stored?).
    let mut pieces = Vec::with_capacity(runs.len() * 2 + 1);
    let mut at = 0;
    for r in runs {
        if r.start > at {
            pieces.push((at..r.start, false));
        }
        at = r.end;
        pieces.push((r, true));
    }
    if at < input.len() || pieces.is_empty() {
        pieces.push((at..input.len(), false));
    }
    let mut w = Stream { out, bit: 0 };
    let count = pieces.len();
    for (i, (range, stored)) in pieces.into_iter().enumerate() {
        let fin = last && i + 1 == count;
        let data = input.get(range)?;
        if stored {
            w.stored(data, fin)?;
        } else {
            w.deflated(level, data, fin)?;
        }
    }
    if !last && w.bit % 8 != 0 {
        w.empty_stored()?;
    }
    Some(w.bit.div_ceil(8))
}

/// The ranges of `0..len` between the sorted, disjoint `runs`.
fn gaps(runs: &[Range<usize>], len: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let starts = std::iter::once(0).chain(runs.iter().map(|r| r.end));
    let ends = runs.iter().map(|r| r.start).chain(std::iter::once(len));
    starts.zip(ends).filter(|(a, b)| a < b).map(|(a, b)| a..b)
}

/// `input` as stored blocks, final if `last`, into `out` (at least [`stored_bound`] bytes).
pub fn stored(input: &[u8], out: &mut [u8], last: bool) -> Option<usize> {
    let mut w = Stream { out, bit: 0 };
    if input.is_empty() {
        w.empty_stored()?;
        if last {
            w.out[0] |= 1;
        }
    } else {
        w.stored(input, last)?;
    }
    Some(w.bit / 8)
}

/// Bytes `n` bytes take as stored blocks.
pub fn stored_bound(n: usize) -> usize {
    n + 5 * n.div_ceil(STORED_MAX).max(1)
}

/// A deflate stream being assembled in a fixed buffer, `bit` bits long so far.
struct Stream<'a> {
    out: &'a mut [u8],
    bit: usize,
}

impl Stream<'_> {
    /// Append header bits (LSB first) at the current position.
    fn bits(&mut self, value: u8, n: usize) -> Option<()> {
        for k in 0..n {
            let byte = self.out.get_mut(self.bit / 8)?;
            if self.bit % 8 == 0 {
                *byte = 0;
            }
            *byte |= (value >> k & 1) << (self.bit % 8);
            self.bit += 1;
        }
        Some(())
    }

    /// Append `data` as stored blocks; the last one is final if `last`.
    fn stored(&mut self, data: &[u8], last: bool) -> Option<()> {
        let mut chunks = data.chunks(STORED_MAX).peekable();
        while let Some(chunk) = chunks.next() {
            let fin = last && chunks.peek().is_none();
            self.bits(u8::from(fin), 3)?;
            self.bit = self.bit.div_ceil(8) * 8;
            let at = self.bit / 8;
            let len = chunk.len() as u16;
            let dst = self.out.get_mut(at..at + 4 + chunk.len())?;
            dst[..2].copy_from_slice(&len.to_le_bytes());
            dst[2..4].copy_from_slice(&(!len).to_le_bytes());
            dst[4..].copy_from_slice(chunk);
            self.bit += (4 + chunk.len()) * 8;
        }
        Some(())
    }

    /// An empty non-final stored block: ends the stream so far on a byte boundary.
    fn empty_stored(&mut self) -> Option<()> {
        self.bits(0, 3)?;
        self.bit = self.bit.div_ceil(8) * 8;
        let at = self.bit / 8;
        self.out
            .get_mut(at..at + 4)?
            .copy_from_slice(&[0, 0, 0xFF, 0xFF]);
        self.bit += 32;
        Some(())
    }

    /// Append `data` deflated by libdeflate. The current position is always on a byte
    /// boundary here (the stream's start, or just after a stored block).
    fn deflated(&mut self, level: u32, data: &[u8], last: bool) -> Option<()> {
        debug_assert_eq!(self.bit % 8, 0);
        let at = self.bit / 8;
        let n = deflate(level, data, self.out.get_mut(at..)?)?;
        if last {
            self.bit = (at + n) * 8;
            return Some(());
        }
        let piece = self.out.get_mut(at..at + n)?;
        let e = blocks::ends(piece)?;
        if e.end.div_ceil(8) != n {
            return None;
        }
        *piece.get_mut(e.final_block / 8)? &= !(1u8 << (e.final_block % 8));
        // Clear the padding above the last code so later header bits land on zeros.
        if e.end % 8 != 0 {
            *piece.get_mut(e.end / 8)? &= (1u8 << (e.end % 8)) - 1;
        }
        self.bit = at * 8 + e.end;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::zip::deflate::PROBE;
    use flate2::read::DeflateDecoder;
    use std::io::Read;

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn code(n: usize, seed: u64) -> Vec<u8> {
        let words: Vec<Vec<u8>> = (0..300)
            .map(|i| noise(2 + i % 9, seed + i as u64))
            .collect();
        let pick = noise(n, seed ^ 0xABCD);
        let mut out = Vec::with_capacity(n + 16);
        for p in pick {
            if out.len() >= n {
                break;
            }
            out.extend_from_slice(&words[usize::from(p) % words.len()]);
        }
        out.truncate(n);
        out
    }

    fn inflate(stream: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        DeflateDecoder::new(stream)
            .read_to_end(&mut out)
            .expect("a valid deflate stream");
        out
    }

    /// Registry lines as an INF writes them: lazy matching saves about 12% on them.
    fn inf_lines(n: usize) -> Vec<u8> {
        let names = ["Start", "Type", "ErrorControl", "Group", "DisplayName"];
        let mut out = Vec::new();
        for i in 0u32.. {
            if out.len() >= n {
                break;
            }
            let line = format!(
                "HKR,,\"{}\",0x{:08x},\"Aero {}\"\r\n",
                names[(i as usize * 7 / 3) % 5],
                i.wrapping_mul(2_654_435_761) % 97,
                i % 13
            );
            out.extend_from_slice(line.as_bytes());
        }
        out.truncate(n);
        out
    }

    #[test]
    fn effort_drops_to_level_1_only_where_the_asked_level_saves_little() {
        let text = inf_lines(100_000);
        assert_eq!(effort(6, &text), 6, "lazy matching pays on text");
        assert_eq!(effort(6, &noise(100_000, 9)), 1, "nothing to gain on noise");
        assert_eq!(effort(1, &text), 1);
        assert_eq!(effort(0, &text), 0, "store stays store");
        let short = &text[..4 * PROBE - 1];
        assert_eq!(effort(6, short), 6, "too short to probe");
        // Zero padding in the middle says nothing: the windows at a quarter and three
        // quarters decide.
        let mut padded = noise(100_000, 11);
        padded[40_000..60_000].fill(0);
        assert_eq!(effort(6, &padded), 1, "noise around the padding");
        let mut padded = text.clone();
        padded[40_000..60_000].fill(0);
        assert_eq!(effort(6, &padded), 6, "text around the padding");
        assert_eq!(
            effort(6, &vec![0u8; 100_000]),
            6,
            "nothing to judge by: the asked level"
        );
        // The piece-level choice keeps the stream valid either way.
        let mut mixed = noise(3 * SEGMENT, 10);
        mixed.extend(inf_lines(5 * SEGMENT));
        let mut out = vec![0u8; mixed.len() * 2];
        for last in [true, false] {
            let n = deflate_mixed(6, &mixed, &mut out, last).expect("fits");
            let mut stream = out[..n].to_vec();
            if !last {
                stream.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
            }
            assert_eq!(inflate(&stream), mixed);
        }
    }

    #[test]
    fn packed_is_told_from_code_text_and_zeros() {
        assert!(packed(&noise(SEGMENT, 3)));
        assert!(!packed(&code(SEGMENT, 4)));
        assert!(!packed(&vec![0u8; SEGMENT]));
        assert!(!packed(
            &b"[Strings]\r\nDiskName = \"Aero\"\r\n".repeat(600)[..SEGMENT]
        ));
        assert!(!packed(&noise(500, 5)), "too short to judge");
    }

    #[test]
    fn mixed_entries_round_trip_and_store_only_long_packed_runs() {
        let layouts: &[&[(char, usize)]] = &[
            &[('r', 3), ('c', 2), ('r', 1), ('c', 1), ('r', 2)],
            &[('c', 1), ('r', 5), ('c', 3)],
            &[('r', 8)],
            &[('c', 4)],
            &[('r', 2), ('c', 1)],
            &[('c', 2), ('r', 6)],
            &[('r', 1), ('c', 1), ('r', 1)],
        ];
        for (k, layout) in layouts.iter().enumerate() {
            let mut input = Vec::new();
            for (j, &(kind, segs)) in layout.iter().enumerate() {
                let seed = (k * 16 + j) as u64 + 1;
                input.extend(match kind {
                    'r' => noise(segs * SEGMENT, seed),
                    _ => code(segs * SEGMENT, seed),
                });
            }
            input.extend_from_slice(b"tail bytes that are not a whole segment");
            for level in [1, 6, 12] {
                let mut out = vec![0u8; input.len() + input.len() / 8 + 1024];
                let n = deflate_mixed(level, &input, &mut out, true).expect("fits");
                assert_eq!(inflate(&out[..n]), input, "layout {k}, level {level}");
                let mut again = vec![0u8; out.len()];
                let m = deflate_mixed(level, &input, &mut again, true).unwrap();
                assert_eq!(out[..n], again[..m], "deterministic");
            }
        }
        let runs =
            packed_runs(&[noise(SEGMENT, 1), code(SEGMENT, 2), noise(3 * SEGMENT, 3)].concat());
        assert_eq!(runs, vec![2 * SEGMENT..5 * SEGMENT]);
    }

    #[test]
    fn a_stream_that_does_not_fit_is_refused() {
        let input = [code(SEGMENT, 1), noise(4 * SEGMENT, 2), code(SEGMENT, 3)].concat();
        let mut small = vec![0u8; input.len() / 2];
        assert_eq!(deflate_mixed(6, &input, &mut small, true), None);
    }

    #[test]
    fn pieces_chain_into_one_stream() {
        let input = [
            code(3 * SEGMENT, 1),
            noise(5 * SEGMENT, 2),
            code(SEGMENT + 77, 3),
            noise(2 * SEGMENT, 4),
        ]
        .concat();
        // Cut anywhere, even mid-run; some pieces deflated, some stored, one empty.
        for cuts in [
            vec![0, 40_000, 100_000, 100_000, 150_000, input.len()],
            vec![0, SEGMENT * 4, input.len()],
            vec![0, 1, 2, input.len()],
        ] {
            let mut stream = Vec::new();
            for (k, w) in cuts.windows(2).enumerate() {
                let piece = &input[w[0]..w[1]];
                let last = k + 2 == cuts.len();
                let mut out = vec![0u8; stored_bound(piece.len()) + 64];
                let n = if k % 3 == 2 {
                    stored(piece, &mut out, last).unwrap()
                } else {
                    deflate_mixed(6, piece, &mut out, last)
                        .or_else(|| stored(piece, &mut out, last))
                        .unwrap()
                };
                stream.extend_from_slice(&out[..n]);
            }
            assert_eq!(inflate(&stream), input, "cuts {cuts:?}");
        }
    }
}
