//! Building the hardened Rhai engine of a run and compiling the recipe once.

use std::rc::Rc;
use std::time::{Duration, Instant};

use rhai::{Engine, OptimizationLevel, AST};

use super::api;
use super::context::RunContext;
use super::resolve::{RecipeModules, RecipeSource};
use crate::error::{Error, Result};

/// Operations a recipe may perform before it is stopped (recipes orchestrate; Rust works).
pub const MAX_OPERATIONS: u64 = 5_000_000;

/// Time a recipe's own code may run, not counting the core functions it calls (which do the
/// real work and may take minutes on large payloads): a few seconds are typical.
/// `AERO_RECIPE_MAX_SCRIPT_SECONDS` changes it (tests, unusual recipes).
pub const MAX_SCRIPT_TIME: Duration = Duration::from_secs(120);

fn max_script_time() -> Duration {
    std::env::var("AERO_RECIPE_MAX_SCRIPT_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(MAX_SCRIPT_TIME, Duration::from_secs)
}

/// Measures the time spent running recipe code. Rhai reports progress before each
/// operation; the gap between two reports is the previous operation. A gap longer than
/// [`NATIVE_CALL`] is a core function doing real work (writing an image, hashing a tree) and
/// is not counted; every shorter gap is.
struct ScriptClock {
    last: Option<Instant>,
    spent: Duration,
    budget: Duration,
}

/// Longer than any single script operation on bounded strings and arrays.
const NATIVE_CALL: Duration = Duration::from_millis(50);

impl ScriptClock {
    /// Count the operation that just ended; true once the budget is spent.
    fn tick(&mut self) -> bool {
        let now = Instant::now();
        if let Some(last) = self.last {
            let gap = now.duration_since(last);
            if gap < NATIVE_CALL {
                self.spent += gap;
            }
        }
        self.last = Some(now);
        self.spent > self.budget
    }
}

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
    let budget = max_script_time();
    let clock = std::cell::RefCell::new(ScriptClock {
        last: None,
        spent: Duration::ZERO,
        budget,
    });
    engine.on_progress(move |_| {
        if crate::media::output::is_interrupted() {
            return Some(rhai::Dynamic::from(super::errors::Interrupted));
        }
        clock.borrow_mut().tick().then(|| {
            rhai::Dynamic::from(format!(
                "the recipe's own code ran for more than {} s (the work it asks of the core does not count); recipes orchestrate: move heavy loops into fewer calls",
                budget.as_secs()
            ))
        })
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
