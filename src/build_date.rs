//! Where a build's timestamp comes from when the user gives none: the `SOURCE_DATE_EPOCH`
//! environment variable, else the commit time of the working directory's git `HEAD` (so media
//! built from one commit are identical, as the earlier CI wrapper made them), else 0.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// The default timestamp and, in words, where it came from.
pub fn default_epoch(cwd: &Path) -> Result<(i64, String)> {
    if let Some(v) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        let n = v.trim().parse::<i64>().map_err(|_| {
            Error::invalid(format!(
                "SOURCE_DATE_EPOCH=`{v}` is not a number of seconds since 1970"
            ))
            .with_help("set it to an integer such as 1700000000, or unset it")
        })?;
        return Ok((n, "the SOURCE_DATE_EPOCH environment variable".into()));
    }
    if let Some(n) = head_commit_time(cwd) {
        return Ok((
            n,
            "the HEAD commit time of the working directory's git repository".into(),
        ));
    }
    Ok((
        0,
        "none given (0: no SOURCE_DATE_EPOCH and no git repository here)".into(),
    ))
}

/// `git log -1 --format=%ct` in `cwd`; `None` without git, outside a repository, or before the
/// first commit.
fn head_commit_time(cwd: &Path) -> Option<i64> {
    let out = Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    std::str::from_utf8(&out.stdout).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_repository_the_commit_time_is_none() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(head_commit_time(d.path()), None);
    }
}
