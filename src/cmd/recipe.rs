//! `aero-recipe run|list|check|api`.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::recipe::{self, assets, RunOptions};
use aero_recipe::Result;

use super::Context;

/// Arguments of `aero-recipe run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Recipe path, or bundled name (`virtio-win-full` or `virtio-win-full.rhai`).
    pub recipe: String,
    /// Set a recipe parameter; repeatable. Arrays take comma lists (`arches=x86,amd64`) or
    /// JSON arrays (`extra_commands=["a, b","c"]`); an empty value unsets an optional path.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Read parameters from a JSON object file (`{"os": "w10", "arches": ["amd64"]}`);
    /// `--set` overrides its values.
    #[arg(long = "params", value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Print a JSON summary (outputs with path, size, sha256; warnings) on stdout; on
    /// failure, an object with the error.
    #[arg(long)]
    pub json: bool,
    /// Write into an out_dir that is `/`, the home directory, or a non-empty directory
    /// without a run's outputs (refused otherwise).
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `aero-recipe list`.
#[derive(clap::Args)]
pub struct ListArgs {
    /// Show one recipe's parameters, one per line (type, default or "required", description).
    pub recipe: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `aero-recipe check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Recipes to check (paths or bundled names).
    #[arg(required = true)]
    pub recipes: Vec<String>,
    /// Print one JSON object per recipe (name, ok, parameters or error) as an array on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `aero-recipe api`.
#[derive(clap::Args)]
pub struct ApiArgs {
    /// Write Rhai definition files for the language server into DIR instead of printing.
    #[arg(long, value_name = "DIR")]
    pub definitions: Option<PathBuf>,
}

/// Run a recipe.
pub fn run(ctx: &Context, a: &RunArgs) -> Result<ExitCode> {
    aero_recipe::media::output::install_interrupt_handler();
    let summary = match recipe::run(
        &a.recipe,
        &a.set,
        a.params.as_deref(),
        RunOptions {
            quiet: ctx.quiet,
            progress: ctx.stderr_is_tty,
            force: a.force,
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            if a.json {
                let v = serde_json::json!({ "recipe": a.recipe, "error": super::error_json(&e) });
                super::outln!("{}", to_json(&v)?)?;
            }
            return Err(e);
        }
    };
    if a.json {
        super::outln!("{}", to_json(&summary)?)?;
    } else if !ctx.quiet {
        for o in &summary.outputs {
            eprintln!(
                "wrote {} ({}, sha256 {})",
                o.path,
                aero_recipe::media::publish::human_size(o.size),
                o.sha256
            );
        }
        if let Some(from) = &summary.source_date_epoch_from {
            eprintln!("timestamps from {from}");
        }
        if !summary.warnings.is_empty() {
            eprintln!("{} warning(s)", summary.warnings.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// List bundled recipes, or one recipe's parameters.
pub fn list(_ctx: &Context, a: &ListArgs) -> Result<ExitCode> {
    if let Some(r) = &a.recipe {
        let info = recipe::describe(r)?;
        if a.json {
            super::outln!("{}", to_json(&info)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        super::outln!("{}: {}", info.source, info.doc)?;
        let width = info.params.keys().map(String::len).max().unwrap_or(0);
        for (name, p) in &info.params {
            let when = p
                .only_when
                .as_ref()
                .map(|w| format!(" (only when {w})"))
                .unwrap_or_default();
            super::outln!(
                "  {name:<width$}  {} = {}{when}\n  {:width$}  {}",
                p.kind,
                p.default_text(),
                "",
                p.description
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let infos = assets::bundled_recipe_names()
        .iter()
        .map(|n| recipe::describe(n))
        .collect::<Result<Vec<_>>>()?;
    if a.json {
        super::outln!("{}", to_json(&infos)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (name, info) in assets::bundled_recipe_names().iter().zip(&infos) {
        let params: Vec<&str> = info.params.keys().map(String::as_str).collect();
        super::outln!("{name}: {}", info.doc)?;
        super::outln!("    parameters: {}", params.join(" "))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Check recipes.
pub fn check(ctx: &Context, a: &CheckArgs) -> Result<ExitCode> {
    let mut problems = Vec::new();
    let mut results = Vec::new();
    for r in &a.recipes {
        match recipe::describe(r) {
            Ok(info) => {
                let bare = info.undeclared();
                if !bare.is_empty() {
                    eprintln!(
                        "warning: {}: parameter(s) declared without a type and description: {}; declare each as param::<type>(default, \"what it is for\")",
                        info.source,
                        bare.join(", ")
                    );
                }
                if a.json {
                    results.push(serde_json::json!({
                        "recipe": r, "ok": true, "undeclared": bare, "params": info.params,
                    }));
                } else if !ctx.quiet {
                    super::outln!("ok: {} ({} parameters)", info.source, info.params.len())?;
                }
            }
            Err(e) => {
                if a.json {
                    results.push(serde_json::json!({ "recipe": r, "ok": false, "error": super::error_json(&e) }));
                }
                problems.push(e);
            }
        }
    }
    if a.json {
        super::outln!("{}", to_json(&results)?)?;
    }
    if problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(aero_recipe::Error::many(
            format!("{} recipe(s) failed the check", problems.len()),
            problems,
        ))
    }
}

/// Copy a bundled recipe into an editable tree.
pub fn init(ctx: &Context, recipe_name: &str, dir: &std::path::Path) -> Result<ExitCode> {
    let written = recipe::init::init(recipe_name, dir)?;
    if !ctx.quiet {
        for p in &written {
            eprintln!("wrote {}", p.display());
        }
        let name = recipe_name.strip_suffix(".rhai").unwrap_or(recipe_name);
        eprintln!(
            "edit it, then: aero-recipe run {}",
            dir.join("recipes").join(format!("{name}.rhai")).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Print the API reference.
pub fn api(_ctx: &Context, a: &ApiArgs) -> Result<ExitCode> {
    match &a.definitions {
        Some(dir) => recipe::write_definitions(dir)?,
        None => super::out!("{}", recipe::api_reference()?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn to_json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map_err(|e| aero_recipe::Error::invalid(format!("cannot render JSON: {e}")))
}
