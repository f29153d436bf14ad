//! Verifying a run's output directory as a set: each ISO, ZIP and directory output against its
//! own manifest, every manifest copy beside them equal to a manifest inside the media, and
//! every side file (`autounattend.xml`) equal to the file of that name on the media.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::manifest::MANIFEST_NAME;
use super::output::{JOURNAL_FILE, LOCK_FILE};
use super::verify::{is_image, open_media, verify_opened, Problem, VerifyReport};
use crate::error::{IoContext, Result};
use crate::hash;

/// The result of [`verify_outputs`].
#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    /// The output directory as given.
    pub dir: String,
    /// One report per media output (ISO, ZIP, directory), by name.
    pub media: Vec<VerifyReport>,
    /// Problems of the set itself: manifest copies or side files that match no media.
    pub problems: Vec<Problem>,
}

impl SetReport {
    /// Whether every output matches.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.media.iter().all(VerifyReport::is_clean)
    }

    /// One line for humans.
    pub fn summary(&self) -> String {
        let bad = self.media.iter().filter(|r| !r.is_clean()).count() + self.problems.len();
        if bad == 0 {
            format!(
                "{}: output set of {} media, every file and every manifest copy matches",
                self.dir,
                self.media.len()
            )
        } else {
            format!("{}: output set has {bad} problem(s)", self.dir)
        }
    }
}

fn is_manifest_copy(name: &str) -> bool {
    name == MANIFEST_NAME || name.ends_with(".manifest.json")
}

/// The media outputs directly in `dir`: ISO and ZIP files, and directories holding a
/// manifest.json at their root.
fn media_outputs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_path("read", dir)? {
        let p = e.with_path("read", dir)?.path();
        if is_image(&p) || (p.is_dir() && p.join(MANIFEST_NAME).is_file()) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Whether `dir` is a run's output directory rather than media: it holds media outputs, and
/// its own manifest.json (if any) lists files that are not there (it is a copy).
pub fn is_output_dir(dir: &Path) -> Result<bool> {
    if !dir.is_dir() || media_outputs(dir)?.is_empty() {
        return Ok(false);
    }
    let root = dir.join(MANIFEST_NAME);
    // Only a regular file is read (a FIFO planted there would block the open).
    let Ok((file, _)) = crate::regular::open_regular(&root) else {
        return Ok(true);
    };
    let Ok(text) = std::io::read_to_string(file) else {
        return Ok(true);
    };
    let Ok(listed) = super::manifest::read_file_list(&root, &text) else {
        return Ok(true);
    };
    Ok(!listed.iter().any(|f| dir.join(&f.path).exists()))
}

/// Verify the output directory `dir` as a set (see the module documentation).
pub fn verify_outputs(dir: &Path) -> Result<SetReport> {
    let outputs = media_outputs(dir)?;
    let mut reports = Vec::new();
    let mut manifests = Vec::new();
    let mut views = Vec::new();
    for p in &outputs {
        let (format, media) = open_media(p)?;
        let (report, manifest) = verify_opened(p, format, media.as_ref())?;
        reports.push(report);
        manifests.push(manifest);
        views.push(media);
    }
    let mut problems = Vec::new();
    if let Some(unfinished) = super::output::interrupted_commit(dir)? {
        problems.push(Problem::Changed {
            path: JOURNAL_FILE.into(),
            reason: format!(
                "an interrupted commit: the set mixes old and new outputs ({} not yet renamed into place); the next run into this directory finishes it",
                if unfinished.is_empty() { "all renamed, journal left".to_string() } else { unfinished.join(", ") }
            ),
        });
    }
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(dir).with_path("read", dir)? {
        let e = e.with_path("read", dir)?;
        names.push((e.file_name().to_string_lossy().into_owned(), e.path()));
    }
    names.sort();
    for (name, path) in names {
        if outputs.contains(&path)
            || name == LOCK_FILE
            || name == JOURNAL_FILE
            || name.contains(".tmp-")
        {
            continue;
        }
        if !path.is_file() {
            problems.push(Problem::Extra { path: name });
            continue;
        }
        if is_manifest_copy(&name) {
            let text = std::fs::read_to_string(&path).with_path("read", &path)?;
            if !manifests.contains(&text) {
                problems.push(Problem::Changed {
                    path: name,
                    reason: "this manifest copy equals the manifest of none of the media beside it"
                        .into(),
                });
            }
            continue;
        }
        // A side file: the file of the same name at the root of some media.
        let (sha, size) = hash::sha256_file(&path)?;
        let mut on_media = false;
        let mut same = false;
        for v in &views {
            if v.files().contains_key(&name) {
                on_media = true;
                if v.hash(&name).is_ok_and(|(s, n)| s == sha && n == size) {
                    same = true;
                }
            }
        }
        match (on_media, same) {
            (_, true) => {}
            (true, false) => problems.push(Problem::Changed {
                path: name,
                reason: "differs from the file of that name on the media".into(),
            }),
            (false, _) => problems.push(Problem::Extra { path: name }),
        }
    }
    Ok(SetReport {
        dir: dir.display().to_string(),
        media: reports,
        problems,
    })
}
