//! Atomic outputs of one run: every output is written to a temporary name inside the output
//! directory and renamed to its final name only when all of them succeeded.
//!
//! Guarantees, in the order a user would notice them:
//! - earlier outputs stay byte-identical until [`OutputSet::commit`] renames the new ones over
//!   them; an error, a panic (unwinding) or Ctrl-C before that leaves them untouched and removes
//!   every temporary file (dropping an [`OutputSet`] cleans up);
//! - two runs into the same output directory at once cannot corrupt each other: the second one is
//!   refused while the first holds `.aero-recipe.lock` (a lock left by a dead process is detected
//!   by its pid and taken over);
//! - Ctrl-C only sets a flag ([`check_interrupted`] turns it into [`Error::Interrupted`] at the
//!   next file or chunk), so writers stop at a clean point and unwind through the drops above.
//!   A second Ctrl-C removes the temporaries and lock files still registered and exits at once
//!   (status 130), for a run stuck where it does not check the flag.
//!
//! Renaming several files is not one atomic step: if a rename itself fails (disk removed,
//! permissions changed mid-run), the outputs renamed before it are new and the rest old. Every
//! temporary is synced to disk before the first rename to keep that window as small as it gets.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once};

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::hash;

/// Name of the lock file held in an output directory while a run writes into it.
pub const LOCK_FILE: &str = ".aero-recipe.lock";

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();
/// Temporaries and lock files alive in this process: removed by a second Ctrl-C before exiting.
static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
/// Makes temporary names unique within the process across output sets.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Install the Ctrl-C handler once per process (later calls do nothing).
///
/// If the embedding program already installed its own handler, that one stays and Ctrl-C is
/// only noticed through [`request_interrupt`], which such a handler can call.
pub fn install_interrupt_handler() {
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                remove_live_files();
                std::process::exit(130);
            }
        });
    });
}

/// Mark the run as interrupted, exactly as Ctrl-C does (for embedders and tests).
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether Ctrl-C was pressed (or [`request_interrupt`] called) in this process.
pub fn is_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// `Err(Error::Interrupted)` once Ctrl-C was pressed; writers call it between files and chunks.
pub fn check_interrupted() -> Result<()> {
    if is_interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

fn live() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    // A panic while holding the lock cannot leave the set inconsistent: keep using it.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

fn remove_live_files() {
    for p in live().iter() {
        let _ = fs::remove_file(p);
    }
}

/// One committed output: where it is, its size and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputRecord {
    /// The final path (the output directory as given, joined with the output's name).
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

struct Pending {
    name: String,
    temp: PathBuf,
    /// A directory output (a plain copy of a media) rather than a file.
    is_dir: bool,
}

/// The outputs of one run into one directory; see the module documentation for the guarantees.
pub struct OutputSet {
    dir: PathBuf,
    pending: Vec<Pending>,
    _lock: DirLock,
}

impl OutputSet {
    /// Create (if needed) and lock `out_dir` for this run; removes temporaries left by a run
    /// that was killed without a chance to clean up.
    pub fn new(out_dir: impl Into<PathBuf>) -> Result<Self> {
        install_interrupt_handler();
        let dir = out_dir.into();
        fs::create_dir_all(&dir).with_path("create the output directory", &dir)?;
        let lock = DirLock::acquire(&dir)?;
        remove_stale_temporaries(&dir)?;
        Ok(OutputSet {
            dir,
            pending: Vec::new(),
            _lock: lock,
        })
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The temporary path for a new output `name` (checked: plain name, not yet pending).
    fn new_temp(&self, name: &str) -> Result<PathBuf> {
        check_interrupted()?;
        check_output_name(name)?;
        if self.pending.iter().any(|p| p.name == name) {
            return Err(Error::invalid(format!(
                "output `{name}` is written twice in one run"
            )));
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Ok(self
            .dir
            .join(format!(".{name}.tmp-{}-{n}", std::process::id())))
    }

    /// Start the output `name` (a plain file name): returns a new, empty temporary file in the
    /// output directory that becomes `name` at [`commit`](Self::commit).
    pub fn create(&mut self, name: &str) -> Result<File> {
        let temp = self.new_temp(name)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_path("create", &temp)?;
        live().insert(temp.clone());
        self.pending.push(Pending {
            name: name.to_string(),
            temp,
            is_dir: false,
        });
        Ok(file)
    }

    /// Start the directory output `name`: returns a new, empty temporary directory in the
    /// output directory that replaces `name` at [`commit`](Self::commit).
    pub fn create_dir(&mut self, name: &str) -> Result<PathBuf> {
        let temp = self.new_temp(name)?;
        fs::create_dir(&temp).with_path("create", &temp)?;
        live().insert(temp.clone());
        self.pending.push(Pending {
            name: name.to_string(),
            temp: temp.clone(),
            is_dir: true,
        });
        Ok(temp)
    }

    /// Write the whole output `name` from memory (manifest files and other small outputs).
    pub fn write_bytes(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let mut f = self.create(name)?;
        let temp = self.temp_path(name);
        f.write_all(data).with_path("write", &temp)
    }

    /// Where the temporary of a pending output is (for error messages).
    fn temp_path(&self, name: &str) -> PathBuf {
        self.pending
            .iter()
            .find(|p| p.name == name)
            .map_or_else(|| self.dir.join(name), |p| p.temp.clone())
    }

    /// Sync, hash and rename every output to its final name, replacing earlier outputs; only
    /// then are they visible. Returns the records sorted by name.
    pub fn commit(mut self) -> Result<Vec<OutputRecord>> {
        check_interrupted()?;
        let hashed: Vec<Result<(u64, String)>> = self
            .pending
            .par_iter()
            .map(|p| {
                if p.is_dir {
                    tree_digest(&p.temp)
                } else {
                    sync_and_hash(&p.temp)
                }
            })
            .collect();
        let mut sums = Vec::with_capacity(hashed.len());
        for h in hashed {
            sums.push(h?);
        }
        check_interrupted()?;
        let mut records = Vec::with_capacity(sums.len());
        let pending = std::mem::take(&mut self.pending);
        let mut rest = pending.into_iter().zip(sums).peekable();
        while let Some((p, (size, sha256))) = rest.next() {
            let dest = self.dir.join(&p.name);
            // A directory cannot be renamed over a non-empty one: move the old one aside first
            // (under a temporary name, so a crash leaves it for the next run's cleanup).
            let old = (p.is_dir && dest.is_dir()).then(|| {
                let n = COUNTER.fetch_add(1, Ordering::Relaxed);
                self.dir
                    .join(format!(".{}.tmp-{}-{n}", p.name, std::process::id()))
            });
            if let Some(old) = &old {
                if let Err(e) = fs::rename(&dest, old) {
                    self.pending.push(p);
                    self.pending.extend(rest.map(|(p, _)| p));
                    return Err(Error::io("move aside the previous output", dest, e));
                }
            }
            if let Err(e) = fs::rename(&p.temp, &dest) {
                // Put the unrenamed ones back so Drop removes them.
                self.pending.push(p);
                self.pending.extend(rest.map(|(p, _)| p));
                return Err(Error::io("rename the finished output to", dest, e).with_help(
                    "outputs renamed before this one were replaced; run again to get a consistent set",
                ));
            }
            live().remove(&p.temp);
            if let Some(old) = old {
                let _ = fs::remove_dir_all(old);
            }
            records.push(OutputRecord {
                path: dest,
                size,
                sha256,
            });
        }
        // Make the renames themselves durable; a failure here changes nothing visible.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        records.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(records)
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        let mut live = live();
        for p in self.pending.drain(..) {
            let _ = if p.is_dir {
                fs::remove_dir_all(&p.temp)
            } else {
                fs::remove_file(&p.temp)
            };
            live.remove(&p.temp);
        }
    }
}

fn sync_and_hash(temp: &Path) -> Result<(u64, String)> {
    let f = File::open(temp).with_path("open", temp)?;
    f.sync_all().with_path("sync", temp)?;
    let (sha, size) = match hash::sha256_reader(InterruptibleRead(f)) {
        Err(_) if is_interrupted() => return Err(Error::Interrupted),
        r => r.with_path("read", temp)?,
    };
    Ok((size, sha))
}

/// Total size and a digest of a directory output: SHA-256 over sorted `path\0sha256\n` lines.
fn tree_digest(dir: &Path) -> Result<(u64, String)> {
    let (files, problems) = crate::policy::walk(dir)?;
    if let Some(p) = problems.into_iter().next() {
        return Err(p);
    }
    let mut lines = String::new();
    let mut total = 0;
    for f in files {
        check_interrupted()?;
        let (sha, size) = hash::sha256_file(&f.path)?;
        total += size;
        lines.push_str(&format!("{}\0{sha}\n", f.rel));
    }
    Ok((total, hash::sha256_bytes(lines.as_bytes())))
}

/// A reader that fails once Ctrl-C was pressed, so long reads (hashing a large file) stop
/// promptly; callers turn that failure into [`Error::Interrupted`] by checking
/// [`is_interrupted`]. (The error is not `ErrorKind::Interrupted`, which read loops retry.)
pub struct InterruptibleRead<R>(pub R);

impl<R: Read> Read for InterruptibleRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if is_interrupted() {
            return Err(io::Error::other("interrupted by Ctrl-C"));
        }
        self.0.read(buf)
    }
}

/// Output names are plain file names: no directories, nothing hidden, nothing that escapes.
fn check_output_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control);
    if bad {
        return Err(Error::invalid(format!(
            "invalid output name `{}`",
            name.escape_debug()
        ))
        .with_help("an output is a plain file name such as `aero-guest-tools.zip`, written directly in the output directory"));
    }
    Ok(())
}

/// Whether `name` is the temporary of an output (`.NAME.tmp-PID-N`).
fn is_temporary_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some((base, tail)) = rest.rsplit_once(".tmp-") else {
        return false;
    };
    let mut parts = tail.split('-');
    let numeric =
        |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    !base.is_empty() && numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
}

/// With the lock held no other run writes here, so any temporary left is from a killed run.
fn remove_stale_temporaries(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).with_path("list", dir)? {
        let entry = entry.with_path("list", dir)?;
        let name = entry.file_name();
        if let Some(name) = name.to_str() {
            if is_temporary_name(name) {
                let p = entry.path();
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    fs::remove_dir_all(&p).with_path("remove the stale temporary", &p)?;
                } else {
                    fs::remove_file(&p).with_path("remove the stale temporary", &p)?;
                }
            }
        }
    }
    Ok(())
}

/// The exclusive lock of an output directory, released (file removed) on drop.
struct DirLock {
    path: PathBuf,
}

impl DirLock {
    fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        // Two attempts: the second after removing a lock whose process is gone.
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    live().insert(path.clone());
                    let lock = DirLock { path };
                    writeln!(f, "{}", std::process::id()).with_path("write", &lock.path)?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if !process_alive(pid) => {
                            // Stale: its run was killed. Someone else may race us to it;
                            // create_new above settles who wins.
                            let _ = fs::remove_file(&path);
                        }
                        _ => return Err(in_use(dir, &path, holder)),
                    }
                }
                Err(e) => return Err(Error::io("create the lock file", path, e)),
            }
        }
        Err(in_use(dir, &path, None))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        live().remove(&self.path);
    }
}

fn in_use(dir: &Path, lock: &Path, pid: Option<u32>) -> Error {
    let by = match pid {
        Some(pid) if pid == std::process::id() => " (by this same process)".to_string(),
        Some(pid) => format!(" (pid {pid})"),
        None => String::new(),
    };
    Error::invalid(format!(
        "output directory {} is in use by another aero-recipe run{by}",
        dir.display()
    ))
    .with_help(format!(
        "wait for that run to finish, or use another output directory; if no such run exists, delete {}",
        lock.display()
    ))
}

/// Whether a process with this pid exists (Linux: /proc); elsewhere assume it does.
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised() {
        assert!(is_temporary_name(".a.zip.tmp-12-0"));
        assert!(!is_temporary_name("a.zip.tmp-12-0"));
        assert!(!is_temporary_name(".a.zip.tmp-12"));
        assert!(!is_temporary_name(".a.zip.tmp-x-1"));
        assert!(!is_temporary_name(LOCK_FILE));
    }

    #[test]
    fn output_names_are_plain() {
        assert!(check_output_name("aero-guest-tools.iso").is_ok());
        for bad in ["", ".hidden", "a/b", "..", "a\\b", "x\ny"] {
            assert!(check_output_name(bad).is_err(), "{bad:?}");
        }
    }
}
