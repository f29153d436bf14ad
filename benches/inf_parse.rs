//! INF parsing: a real-shaped small INF, a large generated one, and the same large one as
//! UTF-16LE (the decode path other vendors' INFs take).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use aero_recipe::inf::Inf;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// An INF with `devices` hardware IDs and `files` shipped files, shaped like a storage driver's.
fn large_inf(devices: usize, files: usize) -> String {
    let mut s = String::from(
        "; generated for the benchmark\r\n[Version]\r\nSignature = \"$WINDOWS NT$\"\r\n\
         Class = SCSIAdapter\r\nClassGuid = {4D36E97B-E325-11CE-BFC1-08002BE10318}\r\n\
         Provider = %VENDOR%\r\nCatalogFile = bench.cat\r\nDriverVer = 01/02/2024,1.2.3.4\r\n\r\n\
         [Manufacturer]\r\n%VENDOR% = Bench,NTx86,NTamd64\r\n\r\n",
    );
    for deco in ["NTx86", "NTamd64"] {
        s.push_str(&format!("[Bench.{deco}]\r\n"));
        for d in 0..devices {
            s.push_str(&format!(
                "%Dev{d}.Desc% = Bench_Inst, PCI\\VEN_1AF4&DEV_{:04X}&SUBSYS_0002{:04X}&REV_01 ; device {d}\r\n",
                0x1040 + d % 64,
                d
            ));
        }
        s.push_str("\r\n");
    }
    s.push_str("[SourceDisksNames]\r\n1 = %DiskName%,,,\"\"\r\n\r\n[SourceDisksFiles]\r\nbench.sys = 1,,\r\n");
    for f in 0..files {
        s.push_str(&format!("helper{f}.dll = 1,,\r\n"));
    }
    s.push_str(
        "\r\n[DestinationDirs]\r\nDefaultDestDir = 12\r\nBench_Dlls = 11\r\n\r\n\
         [Bench_Inst.NT]\r\nCopyFiles = Bench_Files, Bench_Dlls\r\n\r\n\
         [Bench_Files]\r\nbench.sys,,,0x00004000\r\n\r\n[Bench_Dlls]\r\n",
    );
    for f in 0..files {
        s.push_str(&format!("helper{f}.dll\r\n"));
    }
    s.push_str(
        "\r\n[Bench_Inst.NT.Services]\r\nAddService = bench, 0x00000002, Bench_Service\r\n\r\n\
         [Bench_Service]\r\nServiceType = 1\r\nStartType = 0\r\nErrorControl = 1\r\n\
         ServiceBinary = %12%\\bench.sys\r\n\r\n[Strings]\r\nVENDOR = \"Bench Vendor\"\r\n\
         DiskName = \"Bench Disk\"\r\n",
    );
    for d in 0..devices {
        s.push_str(&format!("Dev{d}.Desc = \"Bench device {d}\"\r\n"));
    }
    s
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

fn bench_inf(c: &mut Criterion) {
    let small: &[u8] = include_bytes!("../tests/data/inf/vioinput.inf");
    let large = large_inf(400, 300).into_bytes();
    let large16 = utf16le_with_bom(std::str::from_utf8(&large).unwrap_or_default());
    let path = Path::new("bench.inf");

    let mut g = c.benchmark_group("inf_parse");
    for (name, bytes) in [
        ("vioinput_ascii", small),
        ("large_ascii", &large[..]),
        ("large_utf16le", &large16[..]),
    ] {
        // Fail loudly if the input stops being a valid INF: a benchmark of an error path
        // would measure the wrong thing.
        if let Err(e) = Inf::parse(path, bytes) {
            panic!("benchmark input {name} does not parse: {e}");
        }
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| Inf::parse(black_box(path), black_box(bytes)))
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
    targets = bench_inf
}
criterion_main!(benches);
