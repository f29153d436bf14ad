//! Ctrl-C during a real recipe run: `aero-recipe run` is interrupted (SIGINT) while it writes
//! the media, exits with a diagnostic, and leaves the previous outputs byte-identical with no
//! temporary or lock file behind. A second run into a directory another run holds is refused.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// The example Aero virtio drivers plus one large incompressible file, so writing takes a while.
fn big_driver_tree(root: &Path) -> PathBuf {
    let src = repo().join("examples/aero-virtio-drivers");
    let dest = root.join("drivers");
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&src).unwrap();
        let to = dest.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&to).unwrap();
        } else {
            fs::copy(entry.path(), &to).unwrap();
        }
    }
    let mut f = fs::File::create(dest.join("amd64/aero_virtio_blk/symbols.bin")).unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0u8; 1 << 20];
    for _ in 0..384 {
        for b in chunk.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&chunk).unwrap();
    }
    dest
}

/// `aero-recipe run aero-virtio` in `cwd` into `out` from `drivers`, with a private cache.
fn run_aero_virtio(cwd: &Path, out: &Path, drivers: &Path, epoch: &str) -> Command {
    let mut c = aero();
    c.current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", epoch)
        .env("XDG_CACHE_HOME", cwd.join("cache"))
        .args(["run", "aero-virtio", "--set"])
        .arg(format!("out_dir={}", out.display()))
        .arg("--set")
        .arg(format!("drivers_dir={}", drivers.display()));
    c
}

/// Wait until a temporary output exists in `dir` (the run is writing), or the child ended.
fn wait_for_temporary(child: &mut Child, dir: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let writing = fs::read_dir(dir)
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().contains(".tmp-"));
        if writing {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the run neither wrote a temporary nor ended within 120 s");
}

#[test]
fn sigint_mid_write_keeps_the_previous_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let drivers = big_driver_tree(tmp.path());
    let out = tmp.path().join("out");
    let first = run_aero_virtio(tmp.path(), &out, &drivers, "1700000000")
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = snapshot(&out);
    assert_eq!(before.len(), 4, "{:?}", before.keys());

    // A second run with another epoch would change every output; interrupt it mid-write.
    let mut child = run_aero_virtio(tmp.path(), &out, &drivers, "1800000000")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for_temporary(&mut child, &out),
        "the run finished before it could be interrupted"
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill(1) is needed");
    assert!(status.success());
    let result = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(
        snapshot(&out),
        before,
        "outputs changed or temporaries were left behind"
    );
}

#[test]
fn a_second_run_into_a_busy_output_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let drivers = big_driver_tree(tmp.path());
    let out = tmp.path().join("out");
    let mut first = run_aero_virtio(tmp.path(), &out, &drivers, "0")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    fs::create_dir_all(&out).unwrap();
    assert!(
        wait_for_temporary(&mut first, &out),
        "the first run ended before the second started"
    );
    let second = run_aero_virtio(tmp.path(), &out, &drivers, "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(".aero-recipe.lock") || stderr.contains("another run"),
        "{stderr}"
    );
    assert!(first.wait().unwrap().success());
    let after = snapshot(&out);
    assert_eq!(after.len(), 4, "{:?}", after.keys());
}
