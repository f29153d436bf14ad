//! ZIP writing (`media::zip::write_zip`) from in-memory sources into memory: libdeflate at the
//! default level on compressible and incompressible data (the latter is stored after a 64 KiB
//! level-1 probe, without compressing the rest), mixed data (16 KiB runs of both, like the
//! bench payload), and level 1 for comparison. Runs on the global rayon pool, so the figures
//! include the parallel compression.

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use aero_recipe::media::zip::{write_zip, ZipOptions};
use aero_recipe::media::Media;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Deterministic incompressible bytes (xorshift64).
fn noise(len: usize, seed: u64) -> Vec<u8> {
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

/// Deterministic compressible bytes: words drawn from a small vocabulary, like code and text.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let words: Vec<&[u8]> = [
        &b"mov "[..],
        b"push ",
        b"call ",
        b"ret\n",
        b"DriverEntry",
        b"IoCompleteRequest",
        b"\x00\x00\x00\x00",
        b"\xff\x15",
        b"0x1AF4",
        b"VirtIO",
        b"Queue",
        b" ; ",
    ]
    .to_vec();
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 32);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(words[(x % words.len() as u64) as usize]);
        if x % 5 == 0 {
            out.push((x >> 8) as u8);
        }
    }
    out.truncate(len);
    out
}

/// 16 KiB runs of text and noise, alternating.
fn mixed(len: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16 * 1024);
    let mut i = 0u64;
    while out.len() < len {
        let run = if i % 2 == 0 { text } else { noise };
        out.extend_from_slice(&run(16 * 1024, seed * 1000 + i));
        i += 1;
    }
    out.truncate(len);
    out
}

/// 64 files of 128 KiB each (8 MiB), all of one kind of content.
fn media(content: fn(usize, u64) -> Vec<u8>) -> Media {
    let mut m = Media::new();
    for i in 0..64u64 {
        let data: Arc<[u8]> = content(128 * 1024, i + 1).into();
        let path = format!("drivers/amd64/drv{:02}/file{i:02}.sys", i / 8);
        if let Err(e) = m.add_bytes(&path, data) {
            panic!("benchmark media rejected {path}: {e}");
        }
    }
    m
}

fn bench_zip(c: &mut Criterion) {
    let mut g = c.benchmark_group("write_zip");
    for (name, m, level) in [
        ("compressible_8MiB_level6", media(text), 6),
        ("compressible_8MiB_level1", media(text), 1),
        ("incompressible_8MiB_level6", media(noise), 6),
        ("mixed_8MiB_level6", media(mixed), 6),
    ] {
        let opts = ZipOptions {
            source_date_epoch: 1_700_000_000,
            level,
        };
        g.throughput(Throughput::Bytes(m.total_size()));
        g.bench_function(name, |b| {
            b.iter(|| {
                let out = Cursor::new(Vec::with_capacity(9 << 20));
                match write_zip(black_box(&m), out, &opts) {
                    Ok(w) => w.into_inner().len(),
                    Err(e) => panic!("write_zip failed: {e}"),
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
        .measurement_time(Duration::from_secs(3));
    targets = bench_zip
}
criterion_main!(benches);
