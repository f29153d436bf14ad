//! Running programs: the aero-recipe binary under test and the external tools the tests use as
//! oracles, with one record of what a run did.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a hostile input may keep the CLI busy before the test calls it a hang. Far above
/// any honest run (they take well under a second): this is a hang check, not a timing test.
pub const WATCHDOG: Duration = Duration::from_secs(60);
/// Address-space limit of the CLI under [`run_cli`]: an input that makes it allocate more
/// aborts it, and the exit-code check fails.
pub const MEMORY_LIMIT: u64 = 1 << 30;

/// What one finished command did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The command, for messages.
    pub what: String,
}

impl Run {
    /// Require exit 0.
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "{} failed with exit {:?}:\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Require exit `code`; no panic (101) ever counts as an expected failure.
    pub fn exits(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "{}: expected exit {code}, got {:?}:\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.code,
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{} panicked:\n{}",
            self.what,
            self.stderr
        );
        self
    }

    /// Require that stderr contains every one of `needles`.
    pub fn says(self, needles: &[&str]) -> Self {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "{}: stderr does not mention {n:?}:\n{}",
                self.what,
                self.stderr
            );
        }
        self
    }
}

/// The aero-recipe binary under test.
pub fn aero() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aero-recipe"))
}

/// A command for an external oracle; panics with a clear message when it is not installed.
/// `sbin` directories are searched too (blkid lives there and is not on a user's PATH).
pub fn tool(name: &str) -> Command {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin"].map(PathBuf::from));
    match dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
        Some(path) => Command::new(path),
        None => {
            panic!("`{name}` is not installed; it is needed by this test: run scripts/install-deps")
        }
    }
}

/// Run `cmd` and capture what it did.
pub fn run(cmd: &mut Command) -> Run {
    let what = format!("{cmd:?}");
    let out = output(cmd);
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        what,
    }
}

/// Run `cmd` and return its output whatever the status.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Run `cmd`, require success, return its stdout as bytes.
pub fn ok(cmd: &mut Command) -> Vec<u8> {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Run an oracle, require success, return its stdout as text.
pub fn tool_ok(cmd: &mut Command) -> String {
    run(cmd).ok().stdout
}

/// Run the CLI with `args` in `cwd` under the [`WATCHDOG`] and the [`MEMORY_LIMIT`].
pub fn run_cli(cwd: &Path, args: &[&std::ffi::OsStr]) -> Run {
    let prlimit = ["/usr/bin/prlimit", "/bin/prlimit"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect(
            "`prlimit` (util-linux) is not installed; it caps the memory of the CLI under test",
        );
    let mut child = Command::new(prlimit)
        .arg(format!("--as={MEMORY_LIMIT}"))
        .arg(env!("CARGO_BIN_EXE_aero-recipe"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn aero-recipe");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("aero-recipe {args:?} did not finish within {WATCHDOG:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        what: format!("aero-recipe {args:?}"),
    }
}
