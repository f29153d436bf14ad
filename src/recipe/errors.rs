//! Carrying Rust errors through Rhai and back: the CLI shows the recipe line that made the
//! failing call and the cause with its own diagnostic (INF line, JSON field).

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, EvalAltResult, Position};

use crate::error::Error;

/// A Rust error travelling inside a Rhai runtime error.
#[derive(Clone)]
pub struct RustError(Rc<RefCell<Option<Error>>>);

/// Result type of API functions.
pub type RhaiResult<T> = std::result::Result<T, Box<EvalAltResult>>;

/// Wrap a Rust error for Rhai.
pub fn to_rhai(e: Error) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(
        Dynamic::from(RustError(Rc::new(RefCell::new(Some(e))))),
        Position::NONE,
    )
    .into()
}

/// Convert a library result for Rhai.
pub fn rr<T>(r: crate::Result<T>) -> RhaiResult<T> {
    r.map_err(to_rhai)
}

fn at(source: &str, pos: Position, fallback: &str) -> String {
    let file = if source.is_empty() { fallback } else { source };
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

/// Turn a Rhai error into the crate error: location of the outermost recipe frame, the call
/// chain through modules, and the Rust cause when there is one.
pub fn from_rhai(err: EvalAltResult, recipe: &str, max_operations: u64) -> Error {
    let location = at("", err.position(), recipe);
    let mut chain = Vec::new();
    let mut cur = err;
    loop {
        match cur {
            EvalAltResult::ErrorInFunctionCall(name, source, inner, pos) => {
                if !source.is_empty() {
                    chain.push(format!(
                        "in `{name}` at {}",
                        at(&source, inner.position(), &source)
                    ));
                } else if !pos.is_none() {
                    chain.push(format!("in `{name}`"));
                }
                cur = *inner;
            }
            EvalAltResult::ErrorInModule(path, inner, _) => {
                chain.push(format!("in module `{path}`"));
                cur = *inner;
            }
            other => {
                cur = other;
                break;
            }
        }
    }
    let via = if chain.is_empty() {
        String::new()
    } else {
        format!(" ({})", chain.join(", "))
    };
    match cur {
        EvalAltResult::ErrorRuntime(v, _) if v.is::<RustError>() => {
            let cause = v.cast::<RustError>().0.borrow_mut().take().unwrap_or_else(|| Error::invalid("error already reported"));
            Error::Recipe(Box::new(crate::error::RecipeError { location, message: format!("{cause}{via}"), cause }))
        }
        EvalAltResult::ErrorTooManyOperations(_) => Error::invalid(format!(
            "{location}: the recipe stopped after {max_operations} operations (operations limit){via}"
        ))
        .with_help("a recipe only orchestrates; look for an endless loop"),
        EvalAltResult::ErrorTerminated(v, _) if v.is::<Interrupted>() => Error::Interrupted,
        EvalAltResult::ErrorTerminated(v, _) if v.is_string() => {
            Error::invalid(format!("{location}: {v}{via}"))
                .with_help("a recipe only orchestrates; look for a loop doing heavy string or array work")
        }
        other => {
            let mut msg = other.to_string();
            // Rhai appends " (line N, position M)"; the location already says it.
            if let Some(i) = msg.rfind(" (line ") {
                msg.truncate(i);
            }
            Error::invalid(format!("{location}: {msg}{via}"))
        }
    }
}

/// Marker carried by the early stop that `describe` uses.
#[derive(Clone)]
pub struct DescribeStop;

/// Whether `e` is the early stop of a describe run.
pub fn is_describe_stop(e: &EvalAltResult) -> bool {
    match e {
        EvalAltResult::ErrorTerminated(v, _) => v.is::<DescribeStop>(),
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => is_describe_stop(inner),
        _ => false,
    }
}

/// Marker value for a run stopped by Ctrl-C.
#[derive(Clone)]
pub struct Interrupted;

/// Convert a library result for Rhai, recording the recipe position of the call.
/// (Rhai does not fill the position for failing `namespace::function(...)` calls itself.)
pub fn rr_at<T>(nc: &rhai::NativeCallContext, r: crate::Result<T>) -> RhaiResult<T> {
    r.map_err(|e| {
        let mut err = to_rhai(e);
        err.set_position(nc.call_position());
        err
    })
}
