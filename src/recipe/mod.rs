//! The Rhai recipe runner: one hardened engine per run, parameters, module resolution, and
//! the conversion of failures into diagnostics that name the recipe line and the cause.

pub mod api;
pub mod assets;
pub mod context;
mod engine;
pub mod errors;
pub mod init;
pub mod lint;
pub mod params;
pub mod resolve;
pub mod sandbox;
pub mod strict;

use std::collections::BTreeMap;
use std::rc::Rc;

use rhai::AST;
use serde::Serialize;

use crate::error::{Error, Result};
pub use context::{OutputFile, RunContext, RunOptions, RunSummary};
use params::{ParamInfo, Setting};
use resolve::PathResolver;

/// A recipe's description for `list` and `check`.
#[derive(Debug, Clone, Serialize)]
pub struct RecipeInfo {
    /// The name to run it by (`aero-recipe run <name>`): the argument it was described by.
    pub name: String,
    /// The recipe as messages name it (`virtio-win-full.rhai (bundled)`, or its path).
    pub source: String,
    /// The first paragraph of the `//!` doc comment at the top of the recipe.
    pub doc: String,
    /// Each parameter: type, default or required, description.
    pub params: BTreeMap<String, ParamInfo>,
}

impl RecipeInfo {
    /// Parameters given as bare defaults, without a type and a description (older recipes).
    pub fn undeclared(&self) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(_, p)| p.description.is_empty())
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

fn prepare(
    recipe: &str,
    settings: Vec<Setting>,
    describe_only: bool,
    options: RunOptions,
) -> Result<(Rc<RunContext>, rhai::Engine, AST)> {
    let src = resolve::find_recipe(recipe)?;
    let mut paths = PathResolver::new(&src.dir)?;
    paths.allow_user_paths(
        &settings
            .iter()
            .flat_map(Setting::path_candidates)
            .collect::<Vec<_>>(),
    );
    let ctx = Rc::new(RunContext::new(
        src,
        paths,
        settings,
        describe_only,
        options,
    ));
    let engine = engine::build(&ctx);
    let ast = engine::compile(&engine, &ctx.recipe)?;
    *ctx.ast.borrow_mut() = Some(ast.clone());
    Ok((ctx, engine, ast))
}

/// Run a recipe (path or bundled name) with `--set` settings and, optionally, a `--params`
/// file (JSON object) whose values `--set` overrides.
pub fn run(
    recipe: &str,
    settings: &[String],
    params_file: Option<&std::path::Path>,
    options: RunOptions,
) -> Result<RunSummary> {
    let mut all = Vec::new();
    if let Some(path) = params_file {
        all = params::settings_from_file(path)?;
    }
    all.extend(params::parse_settings(settings)?);
    let settings = all;
    let (ctx, engine, ast) = prepare(recipe, settings, false, options)?;
    lint::check(&engine, &ctx.recipe, &ast, None)?;
    engine
        .run_ast(&ast)
        .map_err(|e| errors::from_rhai(*e, &ctx.recipe.display, engine::MAX_OPERATIONS))?;
    if let Some(p) = ctx.params.borrow().as_ref() {
        for key in p.unused_settings() {
            ctx.warn(format!(
                "--set {key}=... was not used: the recipe never read parameter `{key}`"
            ));
        }
    }
    let params = ctx.params.borrow();
    let date_from = match params.as_ref() {
        Some(p) if p.user_set("source_date_epoch") => {
            Some("the source_date_epoch parameter".to_string())
        }
        _ => ctx.date_from.borrow().clone(),
    };
    let summary = RunSummary {
        recipe: ctx.recipe.display.clone(),
        outputs: ctx.outputs.borrow().clone(),
        warnings: ctx.warnings.borrow().clone(),
        source_date_epoch_from: date_from,
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
            force: false,
        },
    )?;
    match engine.run_ast(&ast) {
        Ok(()) => {}
        Err(e) if errors::is_describe_stop(&e) => {}
        Err(e) => {
            return Err(errors::from_rhai(
                *e,
                &ctx.recipe.display,
                engine::MAX_OPERATIONS,
            ))
        }
    }
    let params = ctx
        .decls
        .borrow()
        .as_ref()
        .map(params::Decls::describe)
        .unwrap_or_default();
    let doc = ctx
        .recipe
        .text
        .lines()
        .take_while(|l| l.starts_with("//!") && !l.trim_start_matches("//!").trim().is_empty())
        .map(|l| l.trim_start_matches("//!").trim())
        .collect::<Vec<_>>()
        .join(" ");
    lint::check(&engine, &ctx.recipe, &ast, ctx.decls.borrow().as_ref())?;
    if ctx.decls.borrow().is_none() {
        return Err(Error::invalid(format!("{}: the recipe never calls params(#{{...}})", ctx.recipe.display))
            .with_help("declare the recipe's parameters: let p = params(#{ out_dir: param::out_dir(\"out/x\", \"where the outputs go\") });"));
    }
    Ok(RecipeInfo {
        name: recipe.to_string(),
        source: ctx.recipe.display.clone(),
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

    /// The declarations are what `list`, `check` and `--set` parsing work from: every bundled
    /// recipe declares every parameter with a type (not a bare default) and a description.
    #[test]
    fn every_bundled_recipe_declares_every_parameter_with_a_type_and_a_description() {
        let names = assets::bundled_recipe_names();
        assert!(names.len() >= 7, "{names:?}");
        for name in names {
            let info = describe(&name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(!info.params.is_empty(), "{name} declares no parameters");
            for (param, p) in &info.params {
                assert!(
                    !p.description.is_empty(),
                    "{name}: parameter `{param}` has no description (a bare default, not param::<type>(...))"
                );
                assert!(
                    !p.kind.is_empty(),
                    "{name}: parameter `{param}` has no type"
                );
            }
            assert!(
                info.params
                    .get("out_dir")
                    .is_some_and(|p| p.kind == "output dir"),
                "{name}: out_dir must be declared with param::out_dir"
            );
        }
    }
}
