//! ISO writing (`media::iso::write_iso`) from in-memory sources to a sink: the layout
//! (names, directory records, path tables, Joliet, Rock Ridge) and the streaming of file data,
//! without disk effects. Two shapes: a driver-like tree of mid-size files, and many tiny files
//! where per-entry costs dominate.

use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use aero_recipe::media::iso::{write_iso, IsoOptions};
use aero_recipe::media::Media;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Deterministic bytes (xorshift64), `len` long.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
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

/// `dirs` driver directories per arch, each with `per_dir` files of `size` bytes.
fn media(dirs: usize, per_dir: usize, size: usize) -> Media {
    let blob: Arc<[u8]> = bytes(size, 7).into();
    let mut m = Media::new();
    for arch in ["x86", "amd64"] {
        for d in 0..dirs {
            for f in 0..per_dir {
                let path = format!("drivers/{arch}/Bench_Driver{d:03}/File_Number{f:03}.sys");
                if let Err(e) = m.add_bytes(&path, Arc::clone(&blob)) {
                    panic!("benchmark media rejected {path}: {e}");
                }
            }
        }
    }
    m
}

fn bench_iso(c: &mut Criterion) {
    let opts = IsoOptions {
        volume_id: "AERO_BENCH".into(),
        source_date_epoch: 1_700_000_000,
    };
    let mut g = c.benchmark_group("write_iso");
    for (name, m) in [
        ("driver_tree_8MiB", media(10, 10, 40 * 1024)),
        ("tiny_files_2000", media(20, 50, 100)),
    ] {
        g.throughput(Throughput::Bytes(m.total_size()));
        g.bench_function(name, |b| {
            b.iter(|| {
                if let Err(e) = write_iso(black_box(&m), &mut io::sink(), &opts) {
                    panic!("write_iso failed: {e}");
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = bench_iso
}
criterion_main!(benches);
