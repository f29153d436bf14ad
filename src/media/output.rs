//! Atomic outputs of one run: every output is written to a temporary name inside the output
//! directory and renamed to its final name only when all of them succeeded.
//!
//! Guarantees, in the order a user would notice them:
//! - earlier outputs stay byte-identical until [`OutputSet::commit`] renames the new ones over
//!   them; an error, a panic (unwinding) or Ctrl-C before that leaves them untouched and removes
//!   every temporary file (dropping an [`OutputSet`] cleans up);
//! - two runs into the same output directory at once cannot corrupt each other: the second one is
//!   refused while the first holds a `flock` on `.aero-recipe.lock` (the kernel drops it when
//!   the holder dies, so there is no stale lock to take over and no race to take it twice);
//! - Ctrl-C only sets a flag ([`check_interrupted`] turns it into [`Error::Interrupted`] at the
//!   next file or chunk), so writers stop at a clean point and unwind through the drops above.
//!   A second Ctrl-C removes the temporaries and lock files still registered and exits at once
//!   (status 130), for a run stuck where it does not check the flag.
//!
//! Renaming several files is not one atomic step, so the renames are journalled
//! ([`JOURNAL_FILE`]): every temporary is synced, then the journal written, then the renames
//! done, then the journal removed. A run killed in between (kill -9, power loss) leaves the
//! journal; the next run into the directory finishes the renames before anything else, and
//! `verify` reports the directory as an interrupted commit until then.

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

/// Name of the commit journal: present only while a commit renames its outputs into place.
/// Found by a later run, it means that commit was interrupted (power loss, kill -9): the run
/// finishes the renames it lists before anything else; `verify` reports it.
pub const JOURNAL_FILE: &str = ".aero-recipe.commit";

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
    /// Hashes taken while writing, by output name.
    hashes: Vec<(String, (u64, String))>,
    /// Outputs of an interrupted commit finished when the directory was opened.
    repaired: Vec<String>,
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
        // Finish an interrupted commit first: its temporaries are the new outputs.
        let repaired = roll_forward(&dir)?;
        remove_stale_temporaries(&dir)?;
        Ok(OutputSet {
            dir,
            pending: Vec::new(),
            hashes: Vec::new(),
            repaired,
            _lock: lock,
        })
    }

    /// The outputs of an interrupted commit that [`OutputSet::new`] finished, if any (the
    /// caller tells the user).
    pub fn repaired(&self) -> &[String] {
        &self.repaired
    }

    /// Give the size and SHA-256 of the output `name`, taken while it was written, so
    /// [`commit`](Self::commit) does not read it back.
    pub fn set_hash(&mut self, name: &str, size: u64, sha256: String) {
        self.hashes.retain(|(n, _)| n != name);
        self.hashes.push((name.to_string(), (size, sha256)));
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
        f.write_all(data).with_path("write", &temp)?;
        self.set_hash(name, data.len() as u64, hash::sha256_bytes(data));
        Ok(())
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
    ///
    /// The renames are journalled: before the first one, `.aero-recipe.commit` lists every
    /// output with its temporary name (all synced to disk); it is removed after the last. If
    /// the process dies in between, the next [`OutputSet::new`] in that directory finishes
    /// the renames, so the directory holds the whole previous set or the whole new one.
    pub fn commit(mut self) -> Result<Vec<OutputRecord>> {
        check_interrupted()?;
        let known = std::mem::take(&mut self.hashes);
        let hashed: Vec<Result<(u64, String)>> = self
            .pending
            .par_iter()
            .map(|p| {
                if p.is_dir {
                    tree_digest(&p.temp)
                } else if let Some((_, (size, sha))) = known.iter().find(|(n, _)| *n == p.name) {
                    sync(&p.temp)?;
                    Ok((*size, sha.clone()))
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
        let journal = Journal {
            outputs: self
                .pending
                .iter()
                .map(|p| JournalEntry {
                    name: p.name.clone(),
                    temp: file_name(&p.temp),
                    is_dir: p.is_dir,
                })
                .collect(),
        };
        write_journal(&self.dir, &journal)?;
        // From here on the temporaries belong to the journal: a failure leaves them for the
        // next run to finish, so none is removed on drop.
        let pending = std::mem::take(&mut self.pending);
        {
            let mut live = live();
            for p in &pending {
                live.remove(&p.temp);
            }
        }
        let mut records = Vec::with_capacity(sums.len());
        for (p, (size, sha256)) in pending.into_iter().zip(sums) {
            let dest = self.dir.join(&p.name);
            rename_into_place(&self.dir, &p.temp, &dest, p.is_dir).map_err(|e| {
                e.with_help(format!(
                    "the commit was interrupted; the next run into {} (or its cleanup) finishes it",
                    self.dir.display()
                ))
            })?;
            records.push(OutputRecord {
                path: dest,
                size,
                sha256,
            });
        }
        sync_dir(&self.dir);
        let journal_path = self.dir.join(JOURNAL_FILE);
        fs::remove_file(&journal_path).with_path("remove", &journal_path)?;
        sync_dir(&self.dir);
        records.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(records)
    }
}

/// The commit journal: each output's final name and the temporary it is renamed from.
#[derive(Debug, Serialize, serde::Deserialize)]
struct Journal {
    outputs: Vec<JournalEntry>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
struct JournalEntry {
    name: String,
    temp: String,
    is_dir: bool,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Make the renames and removals in `dir` durable (best effort: a failure changes nothing
/// visible).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn write_journal(dir: &Path, journal: &Journal) -> Result<()> {
    let path = dir.join(JOURNAL_FILE);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".journal.tmp-{}-{n}", std::process::id()));
    let text = serde_json::to_vec_pretty(journal)
        .map_err(|e| Error::invalid(format!("cannot write the commit journal: {e}")))?;
    let mut f = File::create(&temp).with_path("create", &temp)?;
    f.write_all(&text).with_path("write", &temp)?;
    f.sync_all().with_path("sync", &temp)?;
    fs::rename(&temp, &path).with_path("rename the commit journal to", &path)?;
    sync_dir(dir);
    Ok(())
}

/// Rename the finished temporary `temp` to `dest`. A directory cannot be renamed over a
/// non-empty one: the old one is moved aside first under a temporary name (removed here, or
/// by the next run's cleanup after a crash).
fn rename_into_place(dir: &Path, temp: &Path, dest: &Path, is_dir: bool) -> Result<()> {
    let aside = (is_dir && dest.is_dir()).then(|| {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        dir.join(format!(
            ".{}.tmp-{}-{n}",
            file_name(dest),
            std::process::id()
        ))
    });
    if let Some(aside) = &aside {
        fs::rename(dest, aside).with_path("move aside the previous output", dest)?;
    }
    fs::rename(temp, dest).with_path("rename the finished output to", dest)?;
    if let Some(aside) = aside {
        let _ = fs::remove_dir_all(aside);
    }
    Ok(())
}

/// The journal of an interrupted commit in `dir`: the outputs it had not finished renaming
/// (`None` when there is no journal).
pub fn interrupted_commit(dir: &Path) -> Result<Option<Vec<String>>> {
    Ok(read_journal(dir)?.map(|j| {
        j.outputs
            .into_iter()
            .filter(|e| dir.join(&e.temp).exists())
            .map(|e| e.name)
            .collect()
    }))
}

fn read_journal(dir: &Path) -> Result<Option<Journal>> {
    let path = dir.join(JOURNAL_FILE);
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    let journal: Journal = serde_json::from_slice(&text).map_err(|e| {
        Error::invalid(format!("{} is not a commit journal: {e}", path.display())).with_help(
            "it is written by aero-recipe while it renames outputs; if no run wrote it, remove it",
        )
    })?;
    for e in &journal.outputs {
        if check_output_name(&e.name).is_err() || !is_temporary_name(&e.temp) {
            return Err(Error::invalid(format!(
                "{} names `{}` <- `{}`, which is not an output and its temporary",
                path.display(),
                e.name.escape_debug(),
                e.temp.escape_debug()
            ))
            .with_help("remove the journal if no aero-recipe run wrote it"));
        }
    }
    Ok(Some(journal))
}

/// Finish the renames of an interrupted commit (see [`OutputSet::commit`]); the names of
/// the outputs it finished.
fn roll_forward(dir: &Path) -> Result<Vec<String>> {
    let Some(journal) = read_journal(dir)? else {
        return Ok(Vec::new());
    };
    let mut done = Vec::new();
    for e in &journal.outputs {
        let temp = dir.join(&e.temp);
        let dest = dir.join(&e.name);
        if fs::symlink_metadata(&temp).is_ok() {
            rename_into_place(dir, &temp, &dest, e.is_dir)?;
            done.push(e.name.clone());
        } else if fs::symlink_metadata(&dest).is_err() {
            return Err(Error::invalid(format!(
                "cannot finish the interrupted commit in {}: neither `{}` nor its temporary exists",
                dir.display(),
                e.name
            ))
            .with_help("run again after removing the journal (.aero-recipe.commit); the outputs will be rebuilt"));
        }
    }
    sync_dir(dir);
    let path = dir.join(JOURNAL_FILE);
    fs::remove_file(&path).with_path("remove", &path)?;
    sync_dir(dir);
    Ok(done)
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

fn sync(temp: &Path) -> Result<()> {
    File::open(temp)
        .and_then(|f| f.sync_all())
        .with_path("sync", temp)
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

/// The exclusive lock of an output directory: `flock` on `.aero-recipe.lock`, which the
/// kernel releases when the process ends however it ends, so a lock is never stale and two
/// runs can never both hold it. The file names the holder (pid) for messages; it is removed
/// on drop.
struct DirLock {
    path: PathBuf,
    _file: File,
}

impl DirLock {
    fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        // The holder removes the file before it unlocks, so a run that opened the old file
        // can lock a name that no longer exists: check that the locked file is still the one
        // at `path`, and start again if not.
        for _ in 0..16 {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_path("open the lock file", &path)?;
            if !try_lock(&f) {
                let mut text = String::new();
                let _ = f.read_to_string(&mut text);
                let holder = text
                    .split_whitespace()
                    .next()
                    .and_then(|s| s.parse::<u32>().ok());
                return Err(in_use(dir, &path, holder));
            }
            if !same_file(&f, &path) {
                continue;
            }
            f.set_len(0).with_path("write", &path)?;
            writeln!(f, "{}", std::process::id()).with_path("write", &path)?;
            live().insert(path.clone());
            return Ok(DirLock { path, _file: f });
        }
        Err(in_use(dir, &path, None))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Remove the name while still holding the lock (see `acquire`); closing unlocks.
        let _ = fs::remove_file(&self.path);
        live().remove(&self.path);
    }
}

/// Take an exclusive `flock` without waiting; false when another process holds it.
#[cfg(unix)]
fn try_lock(f: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; flock has no other preconditions.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(_: &File) -> bool {
    true
}

/// Whether the open file `f` is the file currently at `path`.
#[cfg(unix)]
fn same_file(f: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
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
        "wait for that run to finish, or use another output directory ({} is locked by a running process)",
        lock.display()
    ))
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
