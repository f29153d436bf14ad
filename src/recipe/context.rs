//! The state of one recipe run that API functions share: the recipe, input resolution, the
//! user's settings and the declared parameters, messages, outputs, and where it may write.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::params::{Decls, Kind, Params, Setting};
use super::resolve::{PathResolver, RecipeSource};
use super::sandbox::{lexical, real_path, Places};
use crate::error::{Error, Result};

/// How a run reports progress and messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Only errors on stderr.
    pub quiet: bool,
    /// Show progress lines (when stderr is a terminal).
    pub progress: bool,
    /// Write into an output directory that looks like someone else's (`--force`).
    pub force: bool,
}

/// One file a run wrote.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OutputFile {
    /// Path as the user would type it (relative to the working directory when below it).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// What a successful run produced (the `--json` summary).
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The recipe as named in messages.
    pub recipe: String,
    /// Every output written, in the order written.
    pub outputs: Vec<OutputFile>,
    /// Every warning raised.
    pub warnings: Vec<String>,
    /// Where the timestamps came from (`--set source_date_epoch`, the environment, git HEAD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_date_epoch_from: Option<String>,
}

/// State shared by the API functions during one run.
pub struct RunContext {
    /// The recipe being run.
    pub recipe: RecipeSource,
    /// Resolves relative input paths.
    pub paths: PathResolver,
    /// `--set` values.
    pub settings: Vec<Setting>,
    /// Stop at `params()` (for `list`/`check`).
    pub describe_only: bool,
    /// Messages settings.
    pub options: RunOptions,
    /// The declarations passed to `params()`.
    pub decls: RefCell<Option<Decls>>,
    /// The compiled recipe (for the checks `params()` makes once the declarations are known).
    pub ast: RefCell<Option<rhai::AST>>,
    /// The merged parameters `params()` returned (to report settings never read).
    pub params: RefCell<Option<Params>>,
    /// Warnings raised so far.
    pub warnings: RefCell<Vec<String>>,
    /// Outputs written so far.
    pub outputs: RefCell<Vec<OutputFile>>,
    /// Where `source_date_epoch()` took the default timestamp from.
    pub date_from: RefCell<Option<String>>,
    /// The phase shown by [`RunContext::progress`], if any.
    pub spinner: RefCell<Option<indicatif::ProgressBar>>,
    /// Directories the run may write into (from `out_dir` and `*_out_dir` parameters).
    pub output_roots: RefCell<Places>,
}

impl RunContext {
    /// The context of a run of `recipe` with `settings`, before `params()` is called.
    pub fn new(
        recipe: RecipeSource,
        paths: PathResolver,
        settings: Vec<Setting>,
        describe_only: bool,
        options: RunOptions,
    ) -> Self {
        RunContext {
            recipe,
            paths,
            settings,
            describe_only,
            options,
            decls: RefCell::default(),
            params: RefCell::default(),
            ast: RefCell::default(),
            warnings: RefCell::default(),
            outputs: RefCell::default(),
            output_roots: RefCell::default(),
            spinner: RefCell::default(),
            date_from: RefCell::default(),
        }
    }

    /// Record a warning (printed on stderr unless quiet, and listed in the summary).
    pub fn warn(&self, msg: impl Into<String>) {
        self.progress_done();
        let msg = msg.into();
        if self.warnings.borrow().contains(&msg) {
            return;
        }
        if !self.options.quiet {
            eprintln!("warning: {msg}");
        }
        self.warnings.borrow_mut().push(msg);
    }

    /// Warn about each parameter left at a bundled example default, naming what to set.
    pub fn announce_examples(&self, params: &Params) {
        for (name, value) in params.examples_used() {
            self.warn(format!(
                "`{name}` is the bundled example `{value}`, not a real input: the media are for trying the tool; pass --set {name}=... for real media"
            ));
        }
    }

    /// Record what a publish wrote, with paths as the user would type them (relative to the
    /// working directory when below it).
    pub fn record_outputs(&self, records: Vec<crate::media::output::OutputRecord>) {
        let cwd = std::env::current_dir().unwrap_or_default();
        self.outputs
            .borrow_mut()
            .extend(records.into_iter().map(|r| {
                OutputFile {
                    path: r
                        .path
                        .strip_prefix(&cwd)
                        .unwrap_or(&r.path)
                        .display()
                        .to_string(),
                    size: r.size,
                    sha256: r.sha256,
                }
            }));
    }

    /// Show a long phase (hashing, writing an image) on stderr when progress is on (a
    /// terminal) and not quiet: a spinner with the phase and its elapsed time, replaced by the
    /// next phase and cleared by [`RunContext::progress_done`].
    pub fn progress(&self, msg: &str) {
        if !self.options.progress || self.options.quiet {
            return;
        }
        let mut slot = self.spinner.borrow_mut();
        if let Some(old) = slot.take() {
            old.finish_and_clear();
        }
        let pb = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("  {spinner} {msg} ({elapsed})")
        {
            pb.set_style(style);
        }
        pb.set_message(msg.to_string());
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        *slot = Some(pb);
    }

    /// End the phase shown by [`RunContext::progress`].
    pub fn progress_done(&self) {
        if let Some(pb) = self.spinner.borrow_mut().take() {
            pb.finish_and_clear();
        }
    }

    /// Print an informational line on stderr unless quiet.
    pub fn info(&self, msg: impl AsRef<str>) {
        self.progress_done();
        if !self.options.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// Every input path the user set (`--set virtio_win=...`) must exist: the error names the
    /// parameter, before any work starts. (Defaults are the recipe's: they are found, or fail,
    /// where the recipe uses them.)
    pub fn check_inputs(&self, decls: &Decls, params: &Params) -> Result<()> {
        let mut problems = Vec::new();
        for (name, d) in &decls.0 {
            if d.kind != Kind::Path || !params.user_set(name) {
                continue;
            }
            if let Some(value) = params.peek_str(name) {
                if let Err(e) = self.paths.input(&value) {
                    problems.push(e.context(format!("--set {name}={value}")));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::many(
                format!("{} input(s) not found", problems.len()),
                problems,
            ))
        }
    }

    /// Take the run's output directories from its merged parameters: every parameter
    /// declared as `param::out_dir`. Recipes write only below these. A directory the user
    /// chose (`--set`, a params file) may be anywhere the checks below allow; a recipe's own
    /// default must stay inside the working directory, so running a recipe never writes
    /// elsewhere without the user saying so.
    pub fn allow_outputs(&self, params: &Params) -> Result<()> {
        let cwd =
            std::env::current_dir().map_err(|e| Error::io("read", "the working directory", e))?;
        let cwd = real_path(&cwd).map_err(|e| Error::io("resolve", &cwd, e))?;
        for (name, dir) in params.output_dirs() {
            let abs = std::path::absolute(&dir).map_err(|e| Error::io("resolve", &dir, e))?;
            let real = real_path(&abs).map_err(|e| Error::io("resolve", &dir, e))?;
            if !params.user_set(&name) && !real.starts_with(&cwd) {
                return Err(Error::invalid(format!(
                    "the recipe's default {name} `{dir}` is outside the working directory ({})",
                    real.display()
                ))
                .with_help(format!(
                    "a recipe writes outside the working directory only where the user says so: pass --set {name}=DIR"
                )));
            }
            if !self.options.force {
                output_dir_problem(&dir, &real)?;
            }
            self.output_roots.borrow_mut().allow_dir(&real);
        }
        Ok(())
    }

    /// The output directory `dir`, which must be inside one the run was given (see
    /// [`RunContext::allow_outputs`]), symbolic links resolved: a recipe cannot write
    /// anywhere else.
    pub fn output_dir(&self, dir: &str) -> Result<PathBuf> {
        let abs = std::path::absolute(dir).map_err(|e| Error::io("resolve", dir, e))?;
        if self.output_roots.borrow().contains(&abs) {
            Ok(abs)
        } else {
            Err(Error::invalid(format!(
                "refusing to write to `{dir}`: it is outside the run's output directories{}",
                if real_path(&abs).is_ok_and(|r| r != lexical(&abs)) {
                    " once symbolic links are resolved"
                } else {
                    ""
                }
            ))
            .with_help(
                "recipes write only below their output-directory parameters (`out_dir`, declared with param::out_dir); pass --set out_dir=... to choose it",
            ))
        }
    }
}

/// Refuse an output directory a run should not write into without `--force`: the file-system
/// root, the home directory, or an existing directory that holds files but none of a run's
/// outputs (manifests, the lock, temporaries): that is someone else's directory.
fn output_dir_problem(given: &str, abs: &Path) -> Result<()> {
    let norm = abs.to_path_buf();
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .and_then(|h| real_path(&h).ok());
    let why = if norm.parent().is_none() {
        Some("it is the root of the file system".to_string())
    } else if home.as_deref() == Some(norm.as_path()) {
        Some("it is the home directory".to_string())
    } else if let Ok(entries) = std::fs::read_dir(&norm) {
        let names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let ours = |n: &str| {
            n == "manifest.json"
                || n.ends_with(".manifest.json")
                || n == crate::media::output::LOCK_FILE
                || n == crate::media::output::JOURNAL_FILE
                || n.contains(".tmp-")
        };
        (!names.is_empty() && !names.iter().any(|n| ours(n))).then(|| {
            format!(
                "it already holds {} entr{} and none of a run's outputs",
                names.len(),
                if names.len() == 1 { "y" } else { "ies" }
            )
        })
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err(Error::invalid(format!("refusing to write into out_dir `{given}`: {why}"))
            .with_help("choose a new or empty directory (--set out_dir=...), or pass --force to write there anyway")),
    }
}
