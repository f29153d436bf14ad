//! Every input the fuzzers ever crashed on, replayed through the same code as the fuzz target
//! that found it (`fuzz/harness.rs`), with plain `cargo test`: no fuzzer needed.
//!
//! Inputs live in `tests/data/fuzz/<target>/`, one file each, named after what they caught.
//! A replay must finish without a panic (a failed invariant of the harness is a panic too)
//! and within a generous time limit (a hang check, not a timing test).

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use crate::util::repo;

/// Far above any honest replay: past it, the input is taken to hang the code.
const HANG: Duration = Duration::from_secs(120);

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = repo().join("tests/data/fuzz").join(target);
    let Ok(list) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = list
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Run `run` on `data` in its own thread; the error names the panic or the hang.
fn replay(run: fn(&[u8]), data: Vec<u8>) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| run(&data));
        let _ = tx.send(outcome.map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into())
        }));
    });
    match rx.recv_timeout(HANG) {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("still running after {HANG:?}: a hang")),
    }
}

#[test]
fn every_saved_fuzz_input_replays_cleanly() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, run) in harness::TARGETS {
        for path in inputs(target) {
            let data = std::fs::read(&path).unwrap();
            replayed += 1;
            if let Err(why) = replay(*run, data) {
                failures.push(format!("{target}: {}: {why}", path.display()));
            }
        }
    }
    assert!(replayed > 0, "no inputs found under tests/data/fuzz/");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_target_directory_belongs_to_a_target() {
    // A misnamed directory would silently never be replayed.
    let root = repo().join("tests/data/fuzz");
    for e in std::fs::read_dir(&root).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            harness::TARGETS.iter().any(|(t, _)| *t == name),
            "tests/data/fuzz/{name} is not a fuzz target (targets: {:?})",
            harness::TARGETS.iter().map(|(t, _)| t).collect::<Vec<_>>()
        );
    }
}
