//! The Rhai recipe runner: one hardened engine per run, parameters, module resolution, and
//! the conversion of failures into diagnostics that name the recipe line and the cause.

pub mod api;
pub mod assets;
mod engine;
pub mod errors;
pub mod params;
pub mod resolve;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use rhai::{Map, AST};
use serde::Serialize;

use crate::error::{Error, Result};
use params::Setting;
use resolve::{PathResolver, RecipeSource};

/// How a run reports progress and messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Only errors on stderr.
    pub quiet: bool,
    /// Show progress lines (when stderr is a terminal).
    pub progress: bool,
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
}

/// A recipe's description for `list` and `check`.
#[derive(Debug, Clone, Serialize)]
pub struct RecipeInfo {
    /// The recipe as named in messages.
    pub name: String,
    /// The first paragraph of the `//!` doc comment at the top of the recipe.
    pub doc: String,
    /// Parameter names and their defaults.
    pub params: BTreeMap<String, String>,
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
    /// The defaults passed to `params()`.
    pub defaults: RefCell<Option<Map>>,
    /// Warnings raised so far.
    pub warnings: RefCell<Vec<String>>,
    /// Outputs written so far.
    pub outputs: RefCell<Vec<OutputFile>>,
    /// Directories the run may write into (from `out_dir` and `*_out_dir` parameters).
    pub output_roots: RefCell<Vec<PathBuf>>,
}

impl RunContext {
    /// Record a warning (printed on stderr unless quiet, and listed in the summary).
    pub fn warn(&self, msg: impl Into<String>) {
        let msg = msg.into();
        if self.warnings.borrow().contains(&msg) {
            return;
        }
        if !self.options.quiet {
            eprintln!("warning: {msg}");
        }
        self.warnings.borrow_mut().push(msg);
    }

    /// Print a progress line on stderr when progress is on (a terminal) and not quiet.
    pub fn progress(&self, msg: &str) {
        if self.options.progress && !self.options.quiet {
            eprintln!("  .. {msg}");
        }
    }

    /// Print an informational line on stderr unless quiet.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.options.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// Take the run's output directories from its merged parameters: `out_dir` and every
    /// string parameter named `*_out_dir`. Recipes write only below these.
    pub fn allow_outputs(&self, params: &Map) -> Result<()> {
        for (k, v) in params {
            if (k.as_str() == "out_dir" || k.ends_with("_out_dir")) && v.is_string() {
                let dir = v.to_string();
                let abs = std::path::absolute(&dir).map_err(|e| Error::io("resolve", &dir, e))?;
                self.output_roots.borrow_mut().push(abs);
            }
        }
        Ok(())
    }

    /// The output directory `dir`, which must be inside one the run was given (see
    /// [`RunContext::allow_outputs`]): a recipe cannot write anywhere else.
    pub fn output_dir(&self, dir: &str) -> Result<PathBuf> {
        let abs = std::path::absolute(dir).map_err(|e| Error::io("resolve", dir, e))?;
        let norm = lexical_normal(&abs);
        let roots = self.output_roots.borrow();
        if roots.iter().any(|r| norm.starts_with(lexical_normal(r))) {
            Ok(abs)
        } else {
            Err(Error::invalid(format!(
                "refusing to write to `{dir}`: it is outside the run's output directories"
            ))
            .with_help(
                "recipes write only below `out_dir` (or another parameter named `*_out_dir`); pass --set out_dir=... to choose it",
            ))
        }
    }
}

/// `a/b/../c` -> `a/c` without touching the file system (the directory may not exist yet).
fn lexical_normal(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn prepare(
    recipe: &str,
    settings: Vec<Setting>,
    describe_only: bool,
    options: RunOptions,
) -> Result<(Rc<RunContext>, rhai::Engine, AST)> {
    let src = resolve::find_recipe(recipe)?;
    let paths = PathResolver::new(&src.dir)?;
    let ctx = Rc::new(RunContext {
        recipe: src,
        paths,
        settings,
        describe_only,
        options,
        defaults: RefCell::default(),
        warnings: RefCell::default(),
        outputs: RefCell::default(),
        output_roots: RefCell::default(),
    });
    let engine = engine::build(&ctx);
    let ast = engine::compile(&engine, &ctx.recipe)?;
    Ok((ctx, engine, ast))
}

/// Run a recipe (path or bundled name) with `--set` settings.
pub fn run(recipe: &str, settings: &[String], options: RunOptions) -> Result<RunSummary> {
    let settings = params::parse_settings(settings)?;
    let (ctx, engine, ast) = prepare(recipe, settings, false, options)?;
    engine
        .run_ast(&ast)
        .map_err(|e| errors::from_rhai(*e, &ctx.recipe.display, engine::MAX_OPERATIONS))?;
    let summary = RunSummary {
        recipe: ctx.recipe.display.clone(),
        outputs: ctx.outputs.borrow().clone(),
        warnings: ctx.warnings.borrow().clone(),
    };
    Ok(summary)
}

/// Compile a recipe and run it up to its `params()` call to learn its parameters.
pub fn describe(recipe: &str) -> Result<RecipeInfo> {
    let (ctx, engine, ast) = prepare(
        recipe,
        Vec::new(),
        true,
        RunOptions {
            quiet: true,
            progress: false,
        },
    )?;
    match engine.run_ast(&ast) {
        Ok(()) => {}
        Err(e) if engine::is_describe_stop(&e) => {}
        Err(e) => {
            return Err(errors::from_rhai(
                *e,
                &ctx.recipe.display,
                engine::MAX_OPERATIONS,
            ))
        }
    }
    let params = ctx
        .defaults
        .borrow()
        .as_ref()
        .map(params::describe)
        .unwrap_or_default();
    let doc = ctx
        .recipe
        .text
        .lines()
        .take_while(|l| l.starts_with("//!") && !l.trim_start_matches("//!").trim().is_empty())
        .map(|l| l.trim_start_matches("//!").trim())
        .collect::<Vec<_>>()
        .join(" ");
    if ctx.defaults.borrow().is_none() {
        return Err(Error::invalid(format!("{}: the recipe never calls params(#{{...}})", ctx.recipe.display))
            .with_help("declare the recipe's parameters with their defaults: let p = params(#{ out_dir: \"out/x\" });"));
    }
    Ok(RecipeInfo {
        name: ctx.recipe.display.clone(),
        doc,
        params,
    })
}

/// The reference of every recipe function, generated from the registrations.
pub fn api_reference() -> Result<String> {
    api::reference(&engine::bare())
}

/// Write Rhai definition files (`*.d.rhai`) for the language server into `dir`.
pub fn write_definitions(dir: &std::path::Path) -> Result<()> {
    let engine = engine::bare();
    engine
        .definitions()
        .with_headers(true)
        .include_standard_packages(false)
        .write_to_dir(dir)
        .map_err(|e| Error::io("write definitions into", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_normal_removes_dot_dot() {
        assert_eq!(
            lexical_normal(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }
}
