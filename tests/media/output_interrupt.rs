//! Ctrl-C in the middle of writing a ZIP: the writer stops at the next chunk, the run's
//! temporaries and lock are removed, and the previous outputs stay byte-identical.
//!
//! The run being interrupted is this test binary itself, re-started as a child process that
//! executes only the ignored test `child_writes_until_interrupted`.

use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aero_recipe::media::output::OutputSet;
use aero_recipe::media::zip::{write_zip, ZipOptions};
use aero_recipe::media::Media;
use aero_recipe::Error;

use crate::util::media::noise;
use crate::util::snapshot;

const CHILD_ENV: &str = "AERO_TEST_INTERRUPT_OUT_DIR";
/// Exit status of a child that stopped cleanly on Ctrl-C.
const STOPPED_CLEANLY: i32 = 42;

#[test]
#[ignore = "the child process of sigint_mid_write_keeps_previous_outputs"]
fn child_writes_until_interrupted() {
    let dir = std::env::var(CHILD_ENV).expect("run by sigint_mid_write_keeps_previous_outputs");
    let mut media = Media::new();
    for i in 0..64 {
        let mut data = noise(i, 256 * 1024);
        data.extend(std::iter::repeat_n(b'a', 256 * 1024));
        media
            .add_bytes(&format!("drivers/f{i:02}.bin"), data)
            .unwrap();
    }
    let mut out = OutputSet::new(&dir).unwrap();
    out.write_bytes("manifest.json", b"new manifest").unwrap();
    let mut w = BufWriter::new(out.create("a.zip").unwrap());
    let mut announced = false;
    loop {
        w.seek(SeekFrom::Start(0)).unwrap();
        match write_zip(&media, &mut w, &ZipOptions::default()) {
            Ok(_) => {
                if !announced {
                    println!("\nCHILD-WRITING");
                    std::io::stdout().flush().unwrap();
                    announced = true;
                }
            }
            Err(Error::Interrupted) => {
                drop(w);
                drop(out);
                std::process::exit(STOPPED_CLEANLY);
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

#[test]
fn sigint_mid_write_keeps_previous_outputs() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("out");
    {
        let mut out = OutputSet::new(&dir).unwrap();
        out.write_bytes("a.zip", b"previous zip").unwrap();
        out.write_bytes("manifest.json", b"previous manifest")
            .unwrap();
        out.commit().unwrap();
    }
    let before = snapshot(&dir);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "media::output_interrupt::child_writes_until_interrupted",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the child has written at least one whole archive to its temporary.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("CHILD-WRITING") {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(120)).is_err() {
        let _ = child.kill();
        panic!("the child did not start writing within 120 s");
    }
    let temporaries: Vec<String> = snapshot(&dir)
        .into_keys()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        temporaries.iter().any(|n| n.starts_with(".a.zip.tmp-")),
        "the child writes to a temporary: {temporaries:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("`kill` is needed to send SIGINT");
    assert!(kill.success());

    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the child did not stop after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.code(),
        Some(STOPPED_CLEANLY),
        "the writer must stop with Error::Interrupted"
    );
    assert_eq!(
        snapshot(&dir),
        before,
        "previous outputs untouched, no temporaries, no lock left"
    );
}
