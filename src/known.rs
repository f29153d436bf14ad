//! What one read of a local input file taught the run, so it is not read again for the same
//! answer: the key scan ([`keys::Scan`]) and the SHA-256 and length of the bytes that scan saw.
//!
//! The policy check reads every file that would ship to look for private keys; the same read
//! now also hashes it, and the manifest's hash pass and a second policy check (validation and
//! media building both ask) take the answer from here. An answer is trusted only while the
//! file's stamp (device, inode, size, modification and change times) is the one taken
//! *before* that read: any write to the file moves its change time, which no user can set back,
//! so an equal stamp means the bytes are the bytes that were scanned and hashed. The publish
//! step's own stamps ([`media::stamp`](crate::media::stamp)) then carry the same guarantee to
//! the commit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use crate::error::{IoContext, Result};
use crate::hash::{hex, HashingReader};
use crate::keys::{self, Scan};

/// The identity of a file's contents at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// The stamp of the file at `path` now.
pub fn stamp(path: &Path) -> Result<Stamp> {
    let meta = std::fs::metadata(path).with_path("read", path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }
    #[cfg(not(unix))]
    {
        let t = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or((0, 0), |d| (d.as_secs() as i64, d.subsec_nanos() as i64));
        Ok(Stamp {
            dev: 0,
            ino: 0,
            size: meta.len(),
            mtime: t,
            ctime: t,
        })
    }
}

/// What a whole read of a file found.
#[derive(Debug, Clone)]
pub struct Facts {
    pub scan: Scan,
    pub sha256: String,
    pub size: u64,
}

/// What the table keeps per file, compactly (a run may list tens of thousands): the digest
/// as bytes, and the head only for a `.der` file (the one judgement that reads it). A file
/// is remembered only when its scan found no key, so the [`Scan`] is rebuilt from these.
#[derive(Debug, Clone)]
struct Kept {
    stamp: Stamp,
    digest: [u8; 32],
    size: u64,
    head: Option<Box<[u8]>>,
}

impl Kept {
    fn facts(&self) -> Facts {
        Facts {
            scan: Scan {
                key: None,
                head: self.head.as_deref().map(<[u8]>::to_vec).unwrap_or_default(),
                len: self.size,
            },
            sha256: hex(&self.digest),
            size: self.size,
        }
    }
}

type Table = HashMap<PathBuf, Kept>;

fn table() -> MutexGuard<'static, Table> {
    static KNOWN: LazyLock<Mutex<Table>> = LazyLock::new(Mutex::default);
    KNOWN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The facts about `path` if they were learned and the file has not changed since.
pub fn recall(path: &Path) -> Option<Facts> {
    let cached = table().get(path).cloned()?;
    let now = stamp(path).ok()?;
    (now == cached.stamp).then(|| cached.facts())
}

/// Scan the local file `path` (listed as `rel`) for key material, hashing it in the same read;
/// remembered for [`recall`] when the scan read the whole file (it stops at the first key).
pub fn scan_file(path: &Path, rel: &str) -> Result<Scan> {
    let wants_head = is_der(rel);
    if let Some(f) = recall(path) {
        // A file first scanned under another name kept no head: read it again for this one.
        if !wants_head || f.scan.head.len() as u64 == f.size.min(keys::HEAD_BYTES) {
            return Ok(f.scan);
        }
    }
    let before = stamp(path)?;
    let mut reader = HashingReader::new(crate::regular::open(path)?);
    let scan = keys::scan(&mut reader).map_err(|e| keys::scan_error(rel, &e))?;
    let (digest, size) = reader.finish_digest();
    if scan.key.is_none() && size == scan.len && size == before.size {
        // The head only matters to judge a `.der` file; the others keep no bytes here.
        let kept = Kept {
            stamp: before,
            digest,
            size,
            head: wants_head.then(|| scan.head.clone().into_boxed_slice()),
        };
        table().insert(path.to_path_buf(), kept);
    }
    Ok(scan)
}

/// Whether the key judgement of a file listed as `rel` reads its head (only `.der` files').
fn is_der(rel: &str) -> bool {
    rel.to_ascii_lowercase().ends_with(".der")
}

/// SHA-256 and length of the local file `path`, from an earlier whole read when the file has
/// not changed since.
pub fn sha256(path: &Path) -> Option<(String, u64)> {
    recall(path).map(|f| (f.sha256, f.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_hold_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("drv.sys");
        std::fs::write(&p, b"MZ driver bytes").unwrap();
        assert!(sha256(&p).is_none(), "nothing is known before a read");
        let scan = scan_file(&p, "drv.sys").unwrap();
        assert!(scan.key.is_none());
        assert_eq!(sha256(&p), Some(crate::hash::sha256_file(&p).unwrap()));
        // Any write moves the change time: the facts are no longer trusted.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&p, b"MZ other bytes!").unwrap();
        assert!(sha256(&p).is_none());
        // A file with a key is refused by its scan and never remembered.
        let k = dir.path().join("k.txt");
        std::fs::write(&k, b"x\n-----BEGIN PRIVATE KEY-----\nAAAA\n").unwrap();
        assert!(scan_file(&k, "k.txt").unwrap().key.is_some());
        assert!(sha256(&k).is_none());
        // The same bytes scanned first under another name, then shipped as a `.der`: the
        // head its judgement needs is read again, not taken empty from the first scan.
        let c = dir.path().join("cert.bin");
        std::fs::write(&c, b"0\x82\x01\x0a some certificate bytes").unwrap();
        scan_file(&c, "cert.bin").unwrap();
        assert!(
            recall(&c).unwrap().scan.head.is_empty(),
            "no head kept for a .bin"
        );
        let again = scan_file(&c, "certs/cert.der").unwrap();
        assert_eq!(again.head, std::fs::read(&c).unwrap());
        assert_eq!(
            scan_file(&c, "cert.der").unwrap().head,
            again.head,
            "now kept"
        );
    }
}
