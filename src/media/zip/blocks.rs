//! Where a deflate stream's last block starts and where the stream ends, to the bit.
//!
//! libdeflate compresses whole buffers into complete streams: the last block carries the
//! BFINAL bit and the stream ends wherever its end-of-block code does, inside a byte padded
//! with zeros. To chain such a stream with stored blocks inside one ZIP entry
//! ([`segment`](super::segment)), the writer clears that bit and continues at the exact end.
//! Both positions follow only from decoding every block's codes (RFC 1951), which this does
//! without producing output: header, code tables, then each symbol and its extra bits.
//! Malformed or truncated input gives `None`, never a panic.

/// Positions, in bits from the start of the stream, LSB first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ends {
    /// The first bit of the final block (its BFINAL bit).
    pub final_block: usize,
    /// The bit just past the final block's end-of-block code.
    pub end: usize,
}

/// Decode `stream` block by block and report where its final block starts and where it ends.
pub fn ends(stream: &[u8]) -> Option<Ends> {
    let mut r = Bits::new(stream);
    let fixed = fixed_tables();
    loop {
        let start = r.pos();
        let last = r.take(1)? == 1;
        match r.take(2)? {
            0 => {
                r.seek(r.pos().div_ceil(8) * 8)?;
                let len = r.take(16)? as usize;
                let nlen = r.take(16)? as usize;
                if len != !nlen & 0xFFFF {
                    return None;
                }
                r.seek(r.pos() + len * 8)?;
            }
            1 => symbols(&mut r, &fixed.0, &fixed.1)?,
            2 => {
                let (lit, dist) = dynamic_tables(&mut r)?;
                symbols(&mut r, &lit, &dist)?;
            }
            _ => return None,
        }
        if last {
            return Some(Ends {
                final_block: start,
                end: r.pos(),
            });
        }
    }
}

/// An LSB-first bit reader over a 64-bit buffer. Bytes past the end read as zeros so the
/// symbol loop needs no bounds check per bit; [`Bits::overrun`] tells when that happened
/// (checked after every block, and soon enough that a run of zeros cannot loop for long).
struct Bits<'a> {
    data: &'a [u8],
    /// Next byte of `data` to load into `buf`.
    next: usize,
    buf: u64,
    /// Valid bits in `buf`.
    n: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            next: 0,
            buf: 0,
            n: 0,
        }
    }

    /// Position in bits from the start.
    fn pos(&self) -> usize {
        self.next * 8 - self.n as usize
    }

    /// Whether bits past the end have been consumed.
    fn overrun(&self) -> bool {
        self.pos() > self.data.len() * 8
    }

    /// Move to bit `pos` (forward skips and byte alignment).
    fn seek(&mut self, pos: usize) -> Option<()> {
        if pos > self.data.len() * 8 {
            return None;
        }
        self.next = pos / 8;
        self.buf = 0;
        self.n = 0;
        self.refill()?;
        self.buf >>= pos % 8;
        self.n -= (pos % 8) as u32;
        Some(())
    }

    /// Top `buf` up to at least 56 bits; fails once well past the end (a damaged stream).
    #[inline(always)]
    fn refill(&mut self) -> Option<()> {
        if self.n > 56 {
            return Some(());
        }
        if let Some(w) = self.data.get(self.next..self.next + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.buf |= u64::from_le_bytes(word) << self.n;
            self.next += ((63 - self.n) / 8) as usize;
            self.n |= 56;
            return Some(());
        }
        if self.next > self.data.len() + 16 {
            return None;
        }
        while self.n <= 56 {
            let b = self.data.get(self.next).copied().unwrap_or(0);
            self.buf |= u64::from(b) << self.n;
            self.next += 1;
            self.n += 8;
        }
        Some(())
    }

    /// Drop `n` bits already looked at (the caller refilled for them).
    #[inline(always)]
    fn skip(&mut self, n: u32) {
        self.buf >>= n;
        self.n -= n;
    }

    /// Take `n` (at most 16) bits as a number.
    fn take(&mut self, n: u32) -> Option<u32> {
        self.refill()?;
        let v = (self.buf & ((1u64 << n) - 1)) as u32;
        self.skip(n);
        (!self.overrun()).then_some(v)
    }
}

/// Bits looked up at once; longer codes are finished bit by bit.
const FAST: u32 = 11;
const FAST_MASK: u64 = (1 << FAST) - 1;

/// A canonical Huffman decoder: a table for codes up to [`FAST`] bits and the counts and
/// sorted symbols for the rest.
struct Table {
    /// Index: the next FAST bits; value: symbol << 4 | length, or 0 for a longer code.
    fast: [u16; 1 << FAST],
    counts: [u16; 16],
    sorted: [u16; 320],
}

impl Table {
    /// Build from code lengths (0 = unused; at most 320 of them). Over-subscribed sets are
    /// refused; incomplete ones are allowed, as RFC 1951 allows a single distance code.
    fn new(lengths: &[u8]) -> Option<Table> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            *counts.get_mut(usize::from(l))? += 1;
        }
        counts[0] = 0;
        let mut left: i32 = 1;
        for &c in &counts[1..] {
            left = left * 2 - i32::from(c);
            if left < 0 {
                return None;
            }
        }
        let mut offsets = [0u16; 16];
        for l in 1..15 {
            offsets[l + 1] = offsets[l] + counts[l];
        }
        let mut t = Table {
            fast: [0; 1 << FAST],
            counts,
            sorted: [0; 320],
        };
        let mut next_code = [0u32; 16];
        let mut code = 0u32;
        for l in 1..16 {
            code = (code + u32::from(counts[l - 1])) << 1;
            next_code[l] = code;
        }
        for (sym, &l) in lengths.iter().enumerate() {
            if l == 0 {
                continue;
            }
            let l = usize::from(l);
            *t.sorted.get_mut(usize::from(offsets[l]))? = sym as u16;
            offsets[l] += 1;
            let c = next_code[l];
            next_code[l] += 1;
            if l as u32 <= FAST {
                // Codes are sent most significant bit first into an LSB-first stream.
                let mut i = (c.reverse_bits() >> (32 - l)) as usize;
                while i < t.fast.len() {
                    t.fast[i] = (sym as u16) << 4 | l as u16;
                    i += 1 << l;
                }
            }
        }
        Some(t)
    }

    /// Decode one symbol; the caller refilled `r` (at least 15 bits are there).
    fn decode(&self, r: &mut Bits) -> Option<u16> {
        let (sym, len) = self.lookup(r.buf)?;
        r.skip(len);
        Some(sym)
    }

    /// The symbol the low bits of `bits` start with, and its code length.
    #[inline(always)]
    fn lookup(&self, bits: u64) -> Option<(u16, u32)> {
        let e = self.fast[(bits & FAST_MASK) as usize];
        if e != 0 {
            return Some((e >> 4, u32::from(e & 15)));
        }
        self.lookup_long(bits)
    }

    /// Canonical decoding one bit at a time (codes longer than FAST bits).
    #[cold]
    fn lookup_long(&self, bits: u64) -> Option<(u16, u32)> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16u32 {
            code |= ((bits >> (len - 1)) & 1) as i32;
            let count = i32::from(self.counts[len as usize]);
            if code - first < count {
                let sym = self.sorted.get((index + code - first) as usize)?;
                return Some((*sym, len));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

fn fixed_tables() -> (Table, Table) {
    let mut lit = [8u8; 288];
    lit[144..256].fill(9);
    lit[256..280].fill(7);
    // Both tables are complete and well-formed by construction.
    let lit = Table::new(&lit).unwrap_or_else(|| unreachable!());
    let dist = Table::new(&[5u8; 30]).unwrap_or_else(|| unreachable!());
    (lit, dist)
}

fn dynamic_tables(r: &mut Bits) -> Option<(Table, Table)> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let hlit = r.take(5)? as usize + 257;
    let hdist = r.take(5)? as usize + 1;
    let hclen = r.take(4)? as usize + 4;
    if hlit > 286 || hdist > 30 {
        return None;
    }
    let mut cl = [0u8; 19];
    for &i in ORDER.iter().take(hclen) {
        cl[i] = r.take(3)? as u8;
    }
    let cl = Table::new(&cl)?;
    let mut lengths = [0u8; 286 + 30];
    let lengths = &mut lengths[..hlit + hdist];
    let mut i = 0;
    while i < lengths.len() {
        r.refill()?;
        let sym = cl.decode(r)?;
        let (value, repeat) = match sym {
            0..=15 => (sym as u8, 1),
            16 => (*lengths.get(i.checked_sub(1)?)?, 3 + r.take(2)? as usize),
            17 => (0, 3 + r.take(3)? as usize),
            18 => (0, 11 + r.take(7)? as usize),
            _ => return None,
        };
        lengths.get_mut(i..i + repeat)?.fill(value);
        i += repeat;
    }
    if lengths[256] == 0 {
        return None;
    }
    Some((Table::new(&lengths[..hlit])?, Table::new(&lengths[hlit..])?))
}

/// Extra bits of length symbols 257..=285 and of distance symbols 0..=29.
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Per [`FAST`]-bit index, how many bits one step of the walk consumes: a literal's code, or
/// a length code with its extra bits; the distance table likewise gives a distance code with
/// its extra bits. The walk needs no symbol values, so a match costs two lookups and no
/// extra-bit tables.
struct Steps {
    lit: [u8; 1 << FAST],
    dist: [u8; 1 << FAST],
}

/// Kinds in the top two bits of a [`Steps::lit`] entry (the low six are bits).
const LITERAL: u8 = 0;
const MATCH: u8 = 1 << 6;
const END: u8 = 2 << 6;
const SLOW: u8 = 3 << 6;
/// A [`Steps::dist`] entry the table cannot answer (a long or an invalid code).
const DIST_SLOW: u8 = 1 << 6;

impl Steps {
    fn new(lit: &Table, dist: &Table) -> Steps {
        let mut t = Steps {
            lit: [SLOW; 1 << FAST],
            dist: [DIST_SLOW; 1 << FAST],
        };
        for (step, &e) in t.lit.iter_mut().zip(&lit.fast) {
            let (sym, len) = (usize::from(e >> 4), (e & 15) as u8);
            *step = match (e, sym) {
                (0, _) => SLOW,
                (_, 0..=255) => LITERAL | len,
                (_, 256) => END | len,
                (_, 257..=285) => MATCH | (len + LEN_EXTRA[sym - 257]),
                _ => SLOW,
            };
        }
        for (step, &e) in t.dist.iter_mut().zip(&dist.fast) {
            let (sym, len) = (usize::from(e >> 4), (e & 15) as u8);
            *step = match DIST_EXTRA.get(sym) {
                Some(extra) if e != 0 => len + extra,
                _ => DIST_SLOW,
            };
        }
        t
    }
}

/// Walk a block's symbols up to and including its end-of-block code. The loop keeps the bit
/// buffer in locals (through `&mut Bits` the compiler stores it back every symbol).
fn symbols(r: &mut Bits, lit: &Table, dist: &Table) -> Option<()> {
    let steps = Steps::new(lit, dist);
    let data = r.data;
    let (mut buf, mut n, mut next) = (r.buf, r.n, r.next);
    let done = loop {
        // 56 bits cover a code (15), its length extra bits (5), a distance code (15) and its
        // extra bits (13).
        if n <= 56 {
            if let Some(w) = data.get(next..next + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(w);
                buf |= u64::from_le_bytes(word) << n;
                next += ((63 - n) / 8) as usize;
                n |= 56;
            } else if next > data.len() + 16 {
                break None;
            } else {
                while n <= 56 {
                    buf |= u64::from(data.get(next).copied().unwrap_or(0)) << n;
                    next += 1;
                    n += 8;
                }
            }
        }
        // The common case from the step tables: a literal, or a match whose codes are short.
        let e = steps.lit[(buf & FAST_MASK) as usize];
        let bits = u32::from(e & 63);
        if e & 0xC0 == LITERAL {
            buf >>= bits;
            n -= bits;
            // A literal step takes at most FAST bits and the refill left at least 57, so
            // four more literals need no refill: the step that costs most in literal-heavy
            // data (about a quarter of the walk on the bench payload).
            const _: () = assert!(5 * FAST <= 57);
            for _ in 0..4 {
                let e = steps.lit[(buf & FAST_MASK) as usize];
                if e & 0xC0 != LITERAL {
                    break;
                }
                let bits = u32::from(e & 63);
                buf >>= bits;
                n -= bits;
            }
            continue;
        }
        if e & 0xC0 == MATCH {
            let d = steps.dist[((buf >> bits) & FAST_MASK) as usize];
            if d & DIST_SLOW == 0 {
                let all = bits + u32::from(d);
                buf >>= all;
                n -= all;
                continue;
            }
        }
        if e & 0xC0 == END {
            buf >>= bits;
            n -= bits;
            break Some(());
        }
        // Long codes and anything invalid: decode symbol by symbol.
        let Some((sym, len)) = lit.lookup(buf) else {
            break None;
        };
        buf >>= len;
        n -= len;
        if sym < 256 {
            continue;
        }
        if sym == 256 {
            break Some(());
        }
        let Some(&extra) = LEN_EXTRA.get(usize::from(sym - 257)) else {
            break None;
        };
        buf >>= extra;
        n -= u32::from(extra);
        let Some((d, len)) = dist.lookup(buf) else {
            break None;
        };
        let Some(&extra) = DIST_EXTRA.get(usize::from(d)) else {
            break None;
        };
        buf >>= len + u32::from(extra);
        n -= len + u32::from(extra);
    };
    (r.buf, r.n, r.next) = (buf, n, next);
    done.filter(|()| !r.overrun())
}

#[cfg(test)]
mod tests {
    use super::*;
    use libdeflater::{CompressionLvl, Compressor};

    fn sample(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        let words: [&[u8]; 4] = [b"HKR,,DriverVersion", b"\x48\x8b\x05", b"\0\0\0\0", b"Aero"];
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x % 3 == 0 {
                out.push(x as u8);
            } else {
                out.extend_from_slice(words[(x >> 8) as usize % 4]);
            }
        }
        out.truncate(n);
        out
    }

    #[test]
    fn ends_match_libdeflate_streams_at_every_level() {
        for level in [0, 1, 2, 4, 6, 9, 12] {
            for (n, seed) in [(0, 1), (1, 2), (100, 3), (70_000, 4), (900_000, 5)] {
                let input = sample(n, seed);
                let mut c = Compressor::new(CompressionLvl::new(level).unwrap());
                let mut out = vec![0u8; c.deflate_compress_bound(n)];
                let len = c.deflate_compress(&input, &mut out).unwrap();
                let e = ends(&out[..len]).expect("a libdeflate stream");
                assert_eq!(e.end.div_ceil(8), len, "level {level}, {n} bytes");
                assert_eq!(out[e.final_block / 8] >> (e.final_block % 8) & 1, 1);
            }
        }
    }

    #[test]
    fn damaged_streams_give_none_not_a_panic() {
        let input = sample(50_000, 9);
        let mut c = Compressor::new(CompressionLvl::new(6).unwrap());
        let mut out = vec![0u8; c.deflate_compress_bound(input.len())];
        let len = c.deflate_compress(&input, &mut out).unwrap();
        assert_eq!(ends(&out[..len / 2]), None);
        assert_eq!(ends(&[]), None);
        assert_eq!(ends(&[0b111]), None, "block type 3 is reserved");
        assert_eq!(
            ends(&[1, 5, 0, 0, 0]),
            None,
            "NLEN must be LEN's complement"
        );
        // Every single-bit flip of a real stream: an answer or None, never a panic (the
        // test profile checks arithmetic overflow).
        for bit in (0..len * 8).step_by(29) {
            let mut bad = out[..len].to_vec();
            bad[bit / 8] ^= 1 << (bit % 8);
            let _ = ends(&bad);
        }
        let mut x = 7u64;
        for _ in 0..2_000 {
            let junk: Vec<u8> = (0..64)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (x >> 33) as u8
                })
                .collect();
            let _ = ends(&junk);
        }
    }
}
