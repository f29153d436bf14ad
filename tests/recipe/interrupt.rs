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

/// `cmd` run under `strace -f` with every rename delayed by `delay_us` after it happened (so
/// a test can act between two renames), in its own process group (so kill -9 of the group
/// kills the tracer and the run at once).
fn slowed(cmd: &Command, syscalls: &str, delay_us: u64) -> Command {
    let mut c = tool("strace");
    c.args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("inject={syscalls}:delay_exit={delay_us}"))
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .current_dir(cmd.get_current_dir().unwrap());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        assert!(Instant::now() < deadline, "waited 120 s for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn kill_9_between_the_renames_is_reported_and_repaired() {
    let tmp = tempfile::tempdir().unwrap();
    let drivers = tmp.path().join("drivers");
    copy_tree(&repo().join("examples/aero-virtio-drivers"), &drivers);
    let out = tmp.path().join("out");
    let first = run(&mut run_aero_virtio(tmp.path(), &out, &drivers, "1")).ok();
    assert!(first.stderr.is_empty() || !first.stderr.contains("error"));
    let old = snapshot(&out);

    // The same run with another date (every output differs), each rename held for 1 s.
    let mut child = slowed(
        &run_aero_virtio(tmp.path(), &out, &drivers, "2"),
        "rename,renameat,renameat2",
        1_000_000,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let journal = out.join(".aero-recipe.commit");
    wait_for("the commit journal", || journal.exists());
    // The journal's own rename returns 1 s after it happened, the first output's 1 s later:
    // 1.5 s in, one output is new and the others old.
    std::thread::sleep(Duration::from_millis(1500));
    let pgid = child.id() as i32;
    // SAFETY: sends a signal to a process group this test created.
    assert_eq!(unsafe { libc::kill(-pgid, libc::SIGKILL) }, 0);
    let _ = child.wait();
    let mixed = snapshot(&out);
    assert_ne!(
        mixed
            .keys()
            .filter(|k| old.get(*k) == mixed.get(*k))
            .count(),
        old.len(),
        "the kill came before any output was replaced; nothing to repair"
    );

    // Right after the kill, verify says what happened.
    let v = run(aero().arg("verify").arg(&out)).exits(1);
    assert!(
        v.stdout
            .contains(".aero-recipe.commit: an interrupted commit")
            && v.stdout.contains("next run"),
        "{}",
        v.stdout
    );

    // The next run finishes the interrupted commit first, says so, and leaves a whole set.
    let next = run(&mut run_aero_virtio(tmp.path(), &out, &drivers, "3")).ok();
    assert!(next.stderr.contains("interrupted"), "{}", next.stderr);
    run(aero().arg("verify").arg(&out)).ok();
    assert!(!journal.exists());
    let names: Vec<String> = snapshot(&out).keys().cloned().collect();
    let old_names: Vec<String> = old.keys().cloned().collect();
    assert_eq!(names, old_names, "the same outputs, no temporaries");
}

#[test]
fn an_input_rewritten_after_hashing_fails_the_run_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let drivers = tmp.path().join("drivers");
    copy_tree(&repo().join("examples/aero-virtio-drivers"), &drivers);
    let out = tmp.path().join("out");
    run(&mut run_aero_virtio(tmp.path(), &out, &drivers, "1")).ok();
    let before = snapshot(&out);
    // The lock is taken after every input was hashed and before anything is written: hold
    // that step for 2 s and rewrite an input in place meanwhile (same size, other bytes).
    let sys = drivers.join("amd64/aero_virtio_blk/aero_virtio_blk.sys");
    let child = slowed(
        &run_aero_virtio(tmp.path(), &out, &drivers, "2"),
        "flock",
        2_000_000,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let lock = out.join(".aero-recipe.lock");
    wait_for("the lock file", || lock.exists());
    let mut bytes = fs::read(&sys).unwrap();
    bytes[0] ^= 0xff;
    fs::OpenOptions::new()
        .write(true)
        .open(&sys)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    let r = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("aero_virtio_blk.sys (media file `")
            && stderr.contains("/aero_virtio_blk.sys`) changed during the run"),
        "{stderr}"
    );
    assert_eq!(snapshot(&out), before, "nothing was committed");
}
