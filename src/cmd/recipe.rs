//! `aero-recipe run|list|check|api`.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::Result;

use super::Context;

/// Arguments of `aero-recipe run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Recipe path, or bundled name (`virtio-win-full` or `virtio-win-full.rhai`).
    pub recipe: String,
    /// Set a recipe parameter; repeatable. Arrays take comma lists (`arches=x86,amd64`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print a JSON summary (outputs with path, size, sha256; warnings) on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `aero-recipe list`.
#[derive(clap::Args)]
pub struct ListArgs {
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
}

/// Arguments of `aero-recipe api`.
#[derive(clap::Args)]
pub struct ApiArgs {
    /// Write Rhai definition files for the language server into DIR instead of printing.
    #[arg(long, value_name = "DIR")]
    pub definitions: Option<PathBuf>,
}

/// Run a recipe.
pub fn run(_ctx: &Context, _a: &RunArgs) -> Result<ExitCode> {
    Err(aero_recipe::Error::invalid(
        "`run` is not built yet (issue 4)",
    ))
}

/// List bundled recipes.
pub fn list(_ctx: &Context, _a: &ListArgs) -> Result<ExitCode> {
    Err(aero_recipe::Error::invalid(
        "`list` is not built yet (issue 4)",
    ))
}

/// Check recipes.
pub fn check(_ctx: &Context, _a: &CheckArgs) -> Result<ExitCode> {
    Err(aero_recipe::Error::invalid(
        "`check` is not built yet (issue 4)",
    ))
}

/// Print the API reference.
pub fn api(_ctx: &Context, _a: &ApiArgs) -> Result<ExitCode> {
    Err(aero_recipe::Error::invalid(
        "`api` is not built yet (issue 4)",
    ))
}
