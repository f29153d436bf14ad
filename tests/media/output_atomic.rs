//! Atomic outputs: a run either replaces all its outputs or leaves the earlier ones
//! byte-identical, never leaves temporaries behind, and two runs cannot share a directory.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use aero_recipe::hash::sha256_bytes;
use aero_recipe::media::output::{OutputSet, LOCK_FILE};

use crate::util::snapshot;

/// A first, successful run writing a.iso, a.zip and manifest.json.
fn first_run(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = OutputSet::new(dir).unwrap();
    out.create("a.iso").unwrap().write_all(b"old iso").unwrap();
    out.create("a.zip").unwrap().write_all(b"old zip").unwrap();
    out.write_bytes("manifest.json", b"{}\n").unwrap();
    // Nothing is visible before commit.
    assert!(!dir.join("a.iso").exists());
    let records = out.commit().unwrap();
    let names: Vec<String> = records
        .iter()
        .map(|r| r.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a.iso", "a.zip", "manifest.json"]);
    assert_eq!(records[0].path, dir.join("a.iso"));
    assert_eq!(records[0].size, 7);
    assert_eq!(records[0].sha256, sha256_bytes(b"old iso"));
    let snap = snapshot(dir);
    assert_eq!(
        snap.keys().collect::<Vec<_>>(),
        ["a.iso", "a.zip", "manifest.json"],
        "only the outputs remain: no temporaries, no lock"
    );
    snap
}

#[test]
fn commit_replaces_all_outputs_at_once() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("out/nested");
    first_run(&dir);
    let mut out = OutputSet::new(&dir).unwrap();
    out.create("a.iso").unwrap().write_all(b"new iso").unwrap();
    out.create("a.zip").unwrap().write_all(b"new zip").unwrap();
    assert_eq!(fs::read(dir.join("a.iso")).unwrap(), b"old iso");
    out.commit().unwrap();
    let snap = snapshot(&dir);
    assert_eq!(snap["a.iso"], b"new iso");
    assert_eq!(snap["a.zip"], b"new zip");
    assert_eq!(snap["manifest.json"], b"{}\n");
    assert_eq!(snap.len(), 3);
}

#[test]
fn a_failing_run_leaves_earlier_outputs_identical_and_no_temporaries() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("out");
    let before = first_run(&dir);

    // The run fails after writing part of its outputs: the error drops the set uncommitted.
    let failing = || -> aero_recipe::Result<()> {
        let mut out = OutputSet::new(&dir)?;
        out.create("a.iso")?
            .write_all(b"half-written new iso")
            .unwrap();
        out.create("a.zip")?;
        // A later step fails, e.g. validation or an unreadable input.
        Err(aero_recipe::Error::invalid("validation failed"))?;
        out.commit().map(|_| ())
    };
    assert!(failing().is_err());
    assert_eq!(snapshot(&dir), before);

    // Same for a panic in the middle of a run.
    let d = dir.clone();
    let r = std::panic::catch_unwind(move || {
        let mut out = OutputSet::new(&d).unwrap();
        out.create("a.zip").unwrap().write_all(b"partial").unwrap();
        panic!("a bug in the middle of writing");
    });
    assert!(r.is_err());
    assert_eq!(snapshot(&dir), before);

    // Writing the same output twice in one run is an error, caught before anything changes.
    let mut out = OutputSet::new(&dir).unwrap();
    out.create("a.zip").unwrap();
    let err = out.create("a.zip").unwrap_err().to_string();
    assert!(err.contains("written twice"), "{err}");
    let err = out.create("../escape").unwrap_err().to_string();
    assert!(err.contains("invalid output name"), "{err}");
    drop(out);
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_second_run_into_the_same_directory_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("out");
    let first = OutputSet::new(&dir).unwrap();
    let err = OutputSet::new(&dir)
        .err()
        .expect("second run refused")
        .to_string();
    assert!(
        err.contains("is in use by another aero-recipe run"),
        "{err}"
    );
    drop(first);
    // Once the first run is over, the directory is free again.
    let again = OutputSet::new(&dir).unwrap();
    drop(again);
    assert!(!dir.join(LOCK_FILE).exists());
}

#[test]
fn leftovers_of_a_killed_run_are_cleaned_up() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("out");
    let before = first_run(&dir);
    // A process that no longer exists held the lock and left a temporary behind.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    fs::write(dir.join(LOCK_FILE), format!("{dead_pid}\n")).unwrap();
    fs::write(dir.join(format!(".a.zip.tmp-{dead_pid}-0")), b"partial").unwrap();
    let out = OutputSet::new(&dir).expect("a stale lock is taken over");
    drop(out);
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_lock_is_never_held_twice_even_when_many_runs_race_for_a_stale_one() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("out");
    fs::create_dir_all(&dir).unwrap();
    let holders = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let wins = Arc::new(AtomicUsize::new(0));
    for _ in 0..40 {
        // A lock file left by a run that was killed (no process holds it).
        fs::write(dir.join(LOCK_FILE), "999999999\n").unwrap();
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (dir, barrier) = (dir.clone(), barrier.clone());
                let (holders, most, wins) = (holders.clone(), most.clone(), wins.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    if let Ok(set) = OutputSet::new(&dir) {
                        let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        wins.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        holders.fetch_sub(1, Ordering::SeqCst);
                        drop(set);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "two runs held the lock at once"
    );
    assert!(
        wins.load(Ordering::SeqCst) >= 40,
        "every round someone took the stale lock"
    );
    assert!(!dir.join(LOCK_FILE).exists());
}
