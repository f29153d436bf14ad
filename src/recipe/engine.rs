//! Building the hardened Rhai engine of a run and compiling the recipe once.

use std::rc::Rc;

use rhai::{Engine, OptimizationLevel, AST};

use super::api;
use super::context::RunContext;
use super::resolve::{RecipeModules, RecipeSource};
use crate::error::{Error, Result};

/// Operations a recipe may perform before it is stopped (recipes orchestrate; Rust works).
pub const MAX_OPERATIONS: u64 = 5_000_000;

fn harden(engine: &mut Engine) {
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(64);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(4 << 20);
    engine.set_max_array_size(100_000);
    engine.set_max_map_size(100_000);
    engine.set_max_modules(64);
    engine.set_max_variables(10_000);
    engine.set_max_functions(10_000);
    engine.disable_symbol("eval");
    engine.set_strict_variables(true);
    engine.set_fail_on_invalid_map_property(true);
    // API functions read files: never evaluate them at compile time.
    engine.set_optimization_level(OptimizationLevel::None);
}

/// An engine with the full API registered, for a run.
pub fn build(ctx: &Rc<RunContext>) -> Engine {
    let mut engine = Engine::new();
    harden(&mut engine);
    let quiet = ctx.options.quiet;
    engine.on_print(move |s| {
        if !quiet {
            eprintln!("{s}");
        }
    });
    engine.on_debug(move |s, src, pos| {
        if !quiet {
            eprintln!(
                "[debug {}:{}] {s}",
                src.unwrap_or("recipe"),
                pos.line().unwrap_or(0)
            );
        }
    });
    engine.on_progress(|_| {
        crate::media::output::is_interrupted()
            .then(|| rhai::Dynamic::from(super::errors::Interrupted))
    });
    engine.set_module_resolver(RecipeModules::new(&ctx.recipe.dir));
    api::register(&mut engine, Some(ctx));
    engine
}

/// An engine with the API registered but no run context (for `api` and definitions).
pub fn bare() -> Engine {
    let mut engine = Engine::new();
    harden(&mut engine);
    api::register(&mut engine, None);
    engine
}

/// Compile the recipe once; syntax errors point at the recipe line.
pub fn compile(engine: &Engine, src: &RecipeSource) -> Result<AST> {
    let mut ast = engine.compile(&src.text).map_err(|e| {
        let (line, col) = (e.1.line().unwrap_or(1), e.1.position().unwrap_or(1));
        Error::at_line(
            std::path::Path::new(&src.display),
            &src.text,
            line,
            col,
            format!("syntax error: {}", e.0),
        )
    })?;
    ast.set_source(src.display.clone());
    Ok(ast)
}
