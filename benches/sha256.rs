//! SHA-256 streaming (`hash::sha256_reader`) over in-memory data of a few sizes, which bounds
//! what hashing costs per byte of payload before any disk or page-cache effects.

use std::hint::black_box;
use std::time::Duration;

use aero_recipe::hash::sha256_reader;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Deterministic, incompressible-looking bytes (xorshift64), so the input is not all zeros.
fn bytes(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn bench_sha256(c: &mut Criterion) {
    let mut g = c.benchmark_group("sha256_reader");
    for size in [4 * 1024, 256 * 1024, 8 * 1024 * 1024] {
        let data = bytes(size);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &data, |b, data| {
            b.iter(|| sha256_reader(black_box(&data[..])))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = bench_sha256
}
criterion_main!(benches);
