//! Runs the Guest Tools scripts in Wine's cmd: one Wine prefix under the test target dir,
//! created once and reused, stand-ins for the Windows tools first on PATH, and a lock so the
//! tests (which share the prefix's registry and its wineserver) take turns.
//!
//! Every test that starts Wine goes through [`take`]: all tests run as threads of one test
//! binary, and a `wine` started beside the lock would create the prefix a second time while
//! [`take`] creates it, or start a wineserver the harness does not control (see
//! guest-tools/TESTING.md, "Wine prefix").

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Registry keys and files the scripts may create; removed before every test.
const SERVICE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\viostor";
/// Where Windows 7 looks up boot-critical PCI IDs.
pub const CDD_ROOT: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase";

/// A script that never returns would hang `cargo test`; this is a hang guard, not a measurement.
const HANG_GUARD: Duration = Duration::from_secs(300);

static PREFIX: OnceLock<Result<PathBuf, String>> = OnceLock::new();
static TURN: Mutex<()> = Mutex::new(());

/// The Windows versions the tests switch the prefix between (Wine's own names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinVer {
    /// Windows 7 SP1: legacy pnputil syntax, CriticalDeviceDatabase.
    Win7,
    /// Windows 10: `pnputil /add-driver`.
    Win10,
}

/// Exclusive use of the shared Wine prefix for one test.
pub struct Wine {
    prefix: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

/// What one script run did.
#[derive(Debug)]
pub struct ScriptRun {
    /// The exit code `cmd /c` returned.
    pub code: i32,
    /// Standard output, CRLF folded to LF.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Each stand-in call of this run as argument vectors, program name first.
    pub calls: Vec<Vec<String>>,
}

impl ScriptRun {
    /// The calls made to one stand-in.
    pub fn calls_to(&self, program: &str) -> Vec<&Vec<String>> {
        self.calls
            .iter()
            .filter(|c| c.first().is_some_and(|p| p.eq_ignore_ascii_case(program)))
            .collect()
    }

    /// Panics with the whole run when the exit code is not `want`.
    pub fn expect_code(&self, want: i32) -> &Self {
        assert_eq!(
            self.code, want,
            "exit code {} (want {want})\n--- stdout\n{}\n--- stderr\n{}\n--- calls\n{:#?}",
            self.code, self.stdout, self.stderr, self.calls
        );
        self
    }
}

/// Knobs of the stand-ins for one run.
#[derive(Clone, Debug, Default)]
pub struct Stubs {
    /// `PROCESSOR_ARCHITECTURE` the script sees (Wine forces AMD64 otherwise).
    pub arch: Option<&'static str>,
    /// fltmc fails as in a process that is not elevated.
    pub not_admin: bool,
    /// What `bcdedit /enum` shows for testsigning (None: the line is absent).
    pub testsigning: Option<&'static str>,
    /// What `bcdedit /enum` shows for nointegritychecks (None: the line is absent).
    pub nointegritychecks: Option<&'static str>,
    /// What the script reads on standard input (None: nothing, so every prompt gets the
    /// empty answer). Wine's `set /p` takes all of it at the first prompt, so only the first
    /// prompt of a run can be answered (guest-tools/TESTING.md).
    pub stdin: Option<&'static str>,
    /// An INF file name the pnputil stand-in refuses.
    pub pnputil_fail: Option<&'static str>,
    /// A thumbprint `certutil -store` finds (a certificate the user already trusted).
    pub cert_present: Option<String>,
}

/// Takes the prefix for one test: waits for other tests, creates the prefix on first use,
/// and removes whatever an earlier test left in the guest.
pub fn take() -> Wine {
    let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let prefix = match PREFIX.get_or_init(init_prefix) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    };
    let wine = Wine {
        prefix,
        _turn: turn,
    };
    wine.warm_up();
    wine.reset_guest();
    wine
}

/// Written into the prefix once Wine created it completely (the first `wine` run and its
/// wineserver have exited). A prefix without it is the remains of a run stopped while Wine was
/// creating it, or of a `wine` started outside [`take`]: it is deleted and created again.
const READY: &str = "aero-prefix-ready";

fn init_prefix() -> Result<PathBuf, String> {
    let probe = Command::new("wine").arg("--version").output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => {
            return Err(
                "wine is not installed or does not run: these tests execute the Guest \
                        Tools .cmd scripts in Wine's cmd. Install it with scripts/install-deps \
                        (Debian packages wine64 and wine)."
                    .into(),
            )
        }
    }
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wineprefix");
    if prefix.join(READY).exists() {
        return Ok(prefix);
    }
    // A half-made prefix: stop its server (if any) and start from nothing.
    let _ = quiet(Command::new("wineserver").arg("-k"), &prefix).status();
    if prefix.exists() {
        fs::remove_dir_all(&prefix).map_err(|e| {
            format!(
                "cannot remove the unfinished prefix {}: {e}",
                prefix.display()
            )
        })?;
    }
    // First use: Wine creates the prefix (10-30 s). Null stdio: Wine's background services
    // inherit it and would hold pipes open.
    let status = quiet(
        Command::new("wine").args(["cmd", "/c", "exit", "0"]),
        &prefix,
    )
    .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
    .status()
    .map_err(|e| format!("cannot start wine: {e}"))?;
    // Wait for the server that started with the prefix to save the registry and exit (it also
    // lets warm_up start the lingering one the harness controls).
    let _ = quiet(Command::new("wineserver").arg("-w"), &prefix).status();
    if !prefix.join("system.reg").exists() {
        return Err(format!(
            "wine ({status}) did not create its prefix at {}",
            prefix.display()
        ));
    }
    fs::write(prefix.join(READY), b"")
        .map_err(|e| format!("cannot mark the prefix {} ready: {e}", prefix.display()))?;
    Ok(prefix)
}

/// `cmd` for `prefix`, without Wine's debug output and with null stdio.
fn quiet<'a>(cmd: &'a mut Command, prefix: &Path) -> &'a mut Command {
    cmd.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
}

/// `Z:\...` for a host path: Wine maps the host root to drive Z.
pub fn win_path(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

/// The host paths as the guest sees them (`win_path`), lower-cased, as a set.
pub fn win_set(paths: &[PathBuf]) -> BTreeSet<String> {
    paths
        .iter()
        .map(|p| win_path(p).to_ascii_lowercase())
        .collect()
}

/// The strings lower-cased, as a set (Windows compares paths and names case-blind).
pub fn lower_set<S: AsRef<str>>(v: &[S]) -> BTreeSet<String> {
    v.iter().map(|s| s.as_ref().to_ascii_lowercase()).collect()
}

/// The CriticalDeviceDatabase key of a hardware ID (`\` becomes `#`).
pub fn cdd_key(hwid: &str) -> String {
    format!(r"{CDD_ROOT}\{}", hwid.replace('\\', "#"))
}

/// The class-code suffixes the storage pre-seed appends to each hardware ID (mass storage,
/// SCSI: class, subclass and interface; class and subclass), besides the ID itself.
pub const CDD_FORMS: [&str; 3] = ["", "&CC_010000", "&CC_0100"];

/// Every CriticalDeviceDatabase key the storage pre-seed writes for these hardware IDs: three
/// per ID (the ID and its two class-code forms), the key set Aero's setup.cmd writes.
pub fn cdd_keys<S: AsRef<str>>(hwids: &[S]) -> Vec<String> {
    hwids
        .iter()
        .flat_map(|h| CDD_FORMS.map(|form| cdd_key(&format!("{}{form}", h.as_ref()))))
        .collect()
}

/// The INF paths pnputil was asked to add, in call order.
pub fn pnputil_infs(run: &ScriptRun) -> Vec<String> {
    run.calls_to("pnputil")
        .iter()
        .filter_map(|c| {
            c.iter()
                .find(|a| a.to_ascii_lowercase().ends_with(".inf") && a.contains('\\'))
        })
        .cloned()
        .collect()
}

/// The oem INFs a Windows 7 uninstall asked pnputil to delete (`pnputil -f -d oemN.inf`), in
/// call order; any call in another syntax fails the test.
pub fn pnputil_deleted_win7(run: &ScriptRun) -> Vec<String> {
    run.calls_to("pnputil")
        .iter()
        .map(|c| {
            assert_eq!(&c[1..3], ["-f", "-d"], "Windows 7 syntax: {c:?}");
            c[3].clone()
        })
        .collect()
}

/// Setup made storage service `svc` (binary `sys`) boot-critical, as `reg query` sees it: the
/// service key starts at boot in the SCSI miniport group, and the CriticalDeviceDatabase keys
/// of each hardware ID and its two class-code forms ([`cdd_keys`]) name the service with the
/// SCSI adapter class.
pub fn assert_boot_critical_storage<S: AsRef<str>>(w: &Wine, svc: &str, sys: &str, hwids: &[S]) {
    let svc_key = format!(r"HKLM\SYSTEM\CurrentControlSet\Services\{svc}");
    let val = |name: &str| {
        w.reg_value(&svc_key, name)
            .unwrap_or_else(|| panic!("{svc_key} has no {name}"))
    };
    assert_eq!(val("Start"), ("REG_DWORD".into(), "0x0".into()));
    assert_eq!(val("Type"), ("REG_DWORD".into(), "0x1".into()));
    assert_eq!(val("ErrorControl"), ("REG_DWORD".into(), "0x1".into()));
    assert_eq!(val("Group"), ("REG_SZ".into(), "SCSI miniport".into()));
    assert_eq!(
        val("ImagePath"),
        ("REG_EXPAND_SZ".into(), format!(r"system32\drivers\{sys}"))
    );
    for key in cdd_keys(hwids) {
        assert_eq!(
            w.reg_value(&key, "Service"),
            Some(("REG_SZ".into(), svc.to_string())),
            "{key}"
        );
        assert_eq!(
            w.reg_value(&key, "ClassGUID").map(|v| v.1),
            Some("{4D36E97B-E325-11CE-BFC1-08002BE10318}".into()),
            "{key}"
        );
        assert_eq!(
            w.reg_value(&key, "Class"),
            Some(("REG_SZ".into(), "SCSIAdapter".into())),
            "{key}"
        );
    }
}

/// The CriticalDeviceDatabase subkeys whose names start with `prefix` (a hardware ID with `\`
/// as `#`), as Wine's `reg query` lists them: finds keys nobody named in advance.
pub fn cdd_keys_starting_with(w: &Wine, prefix: &str) -> Vec<String> {
    let out = w.retrying("reg query", &["reg", "query", CDD_ROOT]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let marker = r"\criticaldevicedatabase\";
    text.lines()
        .filter_map(|l| {
            let at = l.to_ascii_lowercase().find(marker)?;
            Some(l[at + marker.len()..].trim().to_string())
        })
        .filter(|k| {
            k.to_ascii_lowercase()
                .starts_with(&prefix.to_ascii_lowercase())
        })
        .collect()
}

/// An uninstall under `/force` after a test-signed install removed the certificate `thumb` from
/// both stores and left test signing on (Aero's meaning of `/force`: the signature mode stays
/// as it is), keeping setup's record of it so that an interactive uninstall can still offer it.
pub fn assert_certs_removed_test_signing_kept(w: &Wine, un: &ScriptRun, thumb: &str) {
    for store in ["Root", "TrustedPublisher"] {
        assert!(
            un.calls_to("certutil")
                .iter()
                .any(|c| c[1..] == ["-delstore", store, thumb]),
            "certutil -delstore {store} {thumb}: {un:#?}"
        );
    }
    assert!(un.calls_to("bcdedit").is_empty(), "{un:#?}");
    assert!(w.state_dir().join("testsigning-enabled-by-setup").exists());
}

/// The lines of a file the scripts keep in their state dir (none when it does not exist).
pub fn state_lines(w: &Wine, file: &str) -> Vec<String> {
    fs::read_to_string(w.state_dir().join(file))
        .map(|s| s.lines().map(|l| l.trim_end().to_string()).collect())
        .unwrap_or_default()
}

/// The stand-ins' directory in the repository.
pub fn stubs_dir() -> PathBuf {
    super::repo().join("tests/guest/stubs")
}

impl Wine {
    /// The host path of a `C:\` path inside the prefix (Wine keeps Windows' own dirs lower-case).
    pub fn drive_c(&self, rel: &str) -> PathBuf {
        self.prefix.join("drive_c").join(rel)
    }

    /// `C:\AeroGuestTools`, where the scripts keep their state and logs.
    pub fn state_dir(&self) -> PathBuf {
        self.drive_c("AeroGuestTools")
    }

    /// Where the storage pre-seed copies the driver binary.
    pub fn system_driver(&self, name: &str) -> PathBuf {
        self.drive_c("windows/system32/drivers").join(name)
    }

    /// `wine ARGS` for a harness step (not a script under test), run again up to twice when
    /// it fails for another reason than an absent registry key (Wine's reg says "Unable to
    /// find the specified registry key"; that answer is final). Rarely (once in wave 2's runs,
    /// twice counting the key reset) a harness step exited non-zero with the guest unchanged;
    /// the cause is not found yet (not the wineserver's persistence timeout: 25 of 25 clients
    /// started at that boundary succeeded). Every harness registry step goes through here, the
    /// queries included (a failed query used to read as an absent key), and each failure is
    /// printed with its output, so the log of a run that needed a retry says why.
    fn retrying(&self, what: &str, args: &[&str]) -> std::process::Output {
        let absent = |o: &std::process::Output| {
            String::from_utf8_lossy(&o.stdout).contains("Unable to find the specified registry key")
                || String::from_utf8_lossy(&o.stderr)
                    .contains("Unable to find the specified registry key")
        };
        let mut out = self.wine().args(args).output().expect("run wine");
        for attempt in 2..=3 {
            if out.status.success() || absent(&out) {
                break;
            }
            eprintln!(
                "wine harness: `{what}` failed ({}), attempt {attempt} of 3 follows\n--- stdout\n{}\n--- stderr\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(500));
            out = self.wine().args(args).output().expect("run wine");
        }
        out
    }

    fn wine(&self) -> Command {
        let mut c = Command::new("wine");
        c.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .stdin(Stdio::null());
        c
    }

    /// Starts the prefix's wineserver (kept 60 s after its last client) and Wine's background
    /// services with null stdio. Otherwise the first `wine` of a test starts them holding that
    /// run's output pipes open, and reading the output waits until the server exits.
    fn warm_up(&self) {
        // Fails harmlessly when a server for the prefix already runs (started here by an
        // earlier test: no Wine process of these tests starts one outside `take`).
        let _ = quiet(Command::new("wineserver").arg("-p60"), &self.prefix).status();
        let mut boot = self.wine();
        boot.args(["cmd", "/c", "exit", "0"]);
        let _ = quiet(&mut boot, &self.prefix).status();
    }

    /// Removes whatever a script run left in the guest from the fixture's media: the state dir,
    /// the storage binaries and every registry key the storage pre-seed may write for the
    /// fixture's hardware IDs. [`take`] does it before each test; tests that run the scripts
    /// several times from a clean guest call it between runs.
    pub fn reset_guest(&self) {
        let _ = fs::remove_dir_all(self.state_dir());
        let _ = fs::remove_file(self.system_driver("viostor.sys"));
        let _ = fs::remove_file(self.system_driver("aero_virtio_blk.sys"));
        // Every key a test may create, deleted in one cmd run.
        let mut keys = vec![
            SERVICE_KEY.to_string(),
            r"HKLM\SYSTEM\CurrentControlSet\Services\aero_virtio_blk".to_string(),
        ];
        keys.extend(cdd_keys(&[
            r"PCI\VEN_1AF4&DEV_1042",
            r"PCI\VEN_1AF4&DEV_1042&REV_01",
        ]));
        self.reg_delete_keys(&keys);
    }

    /// Deletes these registry keys (and their subkeys) in the guest in one cmd run, ignoring
    /// absent ones. `take` resets the fixture's keys with it; tests on media they did not build
    /// (tests/guest/recipe_media.rs) name the keys that media's devices.cmd implies.
    pub fn reg_delete_keys(&self, keys: &[String]) {
        let mut script = String::from("@echo off\r\n");
        for key in keys {
            script.push_str(&format!("reg delete \"{key}\" /f >nul 2>&1\r\n"));
        }
        script.push_str("exit /b 0\r\n");
        let dir = tempfile::Builder::new()
            .prefix("regdel-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        let file = dir.path().join("regdel.cmd");
        fs::write(&file, script).expect("write regdel.cmd");
        let out = self.retrying("reg delete", &["cmd", "/c", &win_path(&file)]);
        assert!(
            out.status.success(),
            "resetting registry keys in the Wine guest failed ({})\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Makes the prefix report this Windows version to `ver` (per prefix, so per test).
    pub fn set_version(&self, v: WinVer) {
        let name = match v {
            WinVer::Win7 => "win7",
            WinVer::Win10 => "win10",
        };
        let out = self.retrying(
            "reg add Version",
            &[
                "reg",
                "add",
                r"HKCU\Software\Wine",
                "/v",
                "Version",
                "/d",
                name,
                "/f",
            ],
        );
        assert!(out.status.success(), "cannot set the Wine Windows version");
    }

    /// Runs `media/<script> args...` through cmd with the stand-ins first on PATH.
    pub fn run(&self, media: &Path, script: &str, args: &[&str], stubs: &Stubs) -> ScriptRun {
        let work = tempfile::Builder::new()
            .prefix("run-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        let log = work.path().join("calls.log");
        let hashes = work.path().join("hashes.txt");
        fs::write(&hashes, hash_table(media)).expect("write hash table");
        // A wrapper so PROCESSOR_ARCHITECTURE can be set (Wine overrides the host variable) and
        // the media path may hold spaces and parentheses like a real download folder.
        let mut wrapper = String::from("@echo off\r\n");
        if let Some(arch) = stubs.arch {
            wrapper.push_str(&format!("set PROCESSOR_ARCHITECTURE={arch}\r\n"));
        }
        wrapper.push_str(&format!(
            "\"{}\" {}\r\n",
            win_path(&media.join(script)),
            args.join(" ")
        ));
        let wrapper_path = work.path().join("run.cmd");
        fs::write(&wrapper_path, wrapper).expect("write wrapper");

        let mut cmd = self.wine();
        cmd.args(["cmd", "/c", &win_path(&wrapper_path)])
            .current_dir(work.path())
            .env("WINEPATH", win_path(&stubs_dir()))
            .env("AERO_STUB_LOG", win_path(&log))
            .env("AERO_STUB_DIR", win_path(work.path()))
            .env("AERO_STUB_HASHES", win_path(&hashes))
            .env("AERO_STUB_NOADMIN", if stubs.not_admin { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match stubs.testsigning {
            Some(v) => cmd.env("AERO_STUB_TESTSIGNING", v),
            None => cmd.env_remove("AERO_STUB_TESTSIGNING"),
        };
        match stubs.nointegritychecks {
            Some(v) => cmd.env("AERO_STUB_NOINTEGRITYCHECKS", v),
            None => cmd.env_remove("AERO_STUB_NOINTEGRITYCHECKS"),
        };
        match stubs.pnputil_fail {
            Some(v) => cmd.env("AERO_STUB_PNPUTIL_FAIL", v),
            None => cmd.env_remove("AERO_STUB_PNPUTIL_FAIL"),
        };
        match &stubs.cert_present {
            Some(v) => cmd.env("AERO_STUB_CERT_PRESENT", v),
            None => cmd.env_remove("AERO_STUB_CERT_PRESENT"),
        };
        if let Some(text) = stubs.stdin {
            let answers = work.path().join("stdin.txt");
            fs::write(&answers, text.replace('\n', "\r\n")).expect("write stdin");
            cmd.stdin(fs::File::open(&answers).expect("open stdin"));
        }
        let child = cmd.spawn().expect("start wine");
        let out = wait_guarded(child);
        let calls = fs::read(&log)
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .map(split_args)
                    .filter(|a| !a.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        ScriptRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
            stderr: String::from_utf8_lossy(&out.stderr).replace("\r\n", "\n"),
            calls,
        }
    }

    /// Runs `script` (a .cmd file in `dir`) with cmd in `dir`, without the stand-ins.
    pub fn cmd_in(&self, dir: &Path, script: &str) -> ScriptRun {
        let child = self
            .wine()
            .args(["cmd", "/c", script])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wine");
        let out = wait_guarded(child);
        ScriptRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
            stderr: String::from_utf8_lossy(&out.stderr).replace("\r\n", "\n"),
            calls: Vec::new(),
        }
    }

    /// `reg query KEY /v NAME` in the guest: the value's data as Wine's reg prints it, if present.
    pub fn reg_value(&self, key: &str, name: &str) -> Option<(String, String)> {
        let out = self.retrying("reg query /v", &["reg", "query", key, "/v", name]);
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            let n = words.next()?;
            if !n.eq_ignore_ascii_case(name) {
                return None;
            }
            let ty = words.next()?.to_string();
            let data = words.collect::<Vec<_>>().join(" ");
            Some((ty, data))
        })
    }

    /// `reg export KEY` in the guest: the key with all its values and subkeys, as bytes
    /// (empty when the key does not exist). Two exports are equal when nothing under the key
    /// changed in between.
    pub fn reg_export(&self, key: &str) -> Vec<u8> {
        let dir = tempfile::Builder::new()
            .prefix("regexp-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        let file = dir.path().join("export.reg");
        let out = self.retrying(
            "reg export",
            &["reg", "export", key, &win_path(&file), "/y"],
        );
        if !out.status.success() {
            return Vec::new();
        }
        fs::read(&file).expect("read reg export")
    }

    /// Every file under `C:\` of the guest with its size and modification time: two snapshots
    /// are equal when no file was created, deleted or written in between.
    pub fn drive_c_snapshot(&self) -> BTreeSet<(PathBuf, u64, std::time::SystemTime)> {
        tree_snapshot(&self.prefix.join("drive_c"))
    }

    /// Whether `reg query KEY` finds the key.
    pub fn reg_key_exists(&self, key: &str) -> bool {
        self.retrying("reg query", &["reg", "query", key])
            .status
            .success()
    }
}

fn wait_guarded(mut child: std::process::Child) -> std::process::Output {
    // Read the pipes on threads so a chatty script cannot block on a full pipe.
    let mut so = child.stdout.take().expect("stdout pipe");
    let mut se = child.stderr.take().expect("stderr pipe");
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut so, &mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut se, &mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for wine") {
            break s;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            panic!("the script under Wine did not finish within {HANG_GUARD:?}; it probably loops");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    }
}

/// Every file under `root` with its size and modification time (symlinks not followed: Wine
/// links the user's folders to the host home).
pub fn tree_snapshot(root: &Path) -> BTreeSet<(PathBuf, u64, std::time::SystemTime)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let md = e.metadata().expect("file metadata");
            (
                e.into_path(),
                md.len(),
                md.modified().expect("modification time"),
            )
        })
        .collect()
}

/// Splits a logged command line the way the scripts quoted it.
pub fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// The certutil stand-in's answers: every media file's SHA-256 and SHA-1, computed here from
/// the bytes on disk right before the run (Wine cannot wait for a host program's output, so the
/// stand-in looks the values up instead of hashing itself). Hex bytes are space-separated, as
/// Windows 7's certutil prints them.
fn hash_table(media: &Path) -> String {
    use sha1::{Digest, Sha1};
    let mut out = String::new();
    for e in walkdir::WalkDir::new(media).sort_by_file_name() {
        let e = e.expect("walk media");
        if !e.file_type().is_file() {
            continue;
        }
        let bytes = fs::read(e.path()).expect("read media file");
        let sha256 = aero_recipe::hash::sha256_bytes(&bytes);
        let sha1 = aero_recipe::hash::hex(&Sha1::digest(&bytes));
        out.push_str(&format!(
            "{}|{}|{}\r\n",
            win_path(e.path()),
            spaced(&sha256),
            spaced(&sha1)
        ));
    }
    out
}

fn spaced(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// SHA-1 hex of bytes (a certificate's thumbprint is the SHA-1 of its DER bytes).
pub fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    aero_recipe::hash::hex(&Sha1::digest(bytes))
}
