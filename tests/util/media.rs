//! Helpers shared by the media writer and output tests (`media::zip_writer`,
//! `media::verify`, `media::output_atomic`, `media::output_interrupt`): deterministic file contents and directory snapshots.

/// Deterministic incompressible bytes (xorshift64*).
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        v.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    v.truncate(n);
    v
}
