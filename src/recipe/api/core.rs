//! Global recipe functions: parameters, the build epoch, warnings.

use rhai::{Dynamic, Engine, EvalAltResult, Map, Module, NativeCallContext};

use super::{reg, Ctx};
use crate::error::Error;
use crate::recipe::engine::DescribeStop;
use crate::recipe::errors::{rr, to_rhai, RhaiResult};
use crate::recipe::params;

/// `SOURCE_DATE_EPOCH` from the environment, 0 when unset.
pub fn env_source_date_epoch() -> crate::Result<i64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse::<i64>().map_err(|_| {
            Error::invalid(format!(
                "SOURCE_DATE_EPOCH=`{v}` is not a number of seconds since 1970"
            ))
            .with_help("set it to an integer such as 1700000000, or unset it (0 is used)")
        }),
        _ => Ok(0),
    }
}

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "params",
        &["defaults: Map", "Map"],
        "Declare the recipe's parameters with their defaults; returns them merged with `--set KEY=VALUE` (typed from each default).",
        true,
        move |nc: NativeCallContext, defaults: Map| -> RhaiResult<Map> {
            let run = c.get()?;
            if run.defaults.borrow().is_some() {
                return Err(to_rhai(Error::invalid("params() was called twice; declare all parameters in one call")));
            }
            *run.defaults.borrow_mut() = Some(defaults.clone());
            if run.describe_only {
                return Err(EvalAltResult::ErrorTerminated(Dynamic::from(DescribeStop), nc.call_position()).into());
            }
            let merged = rr(params::merge(&defaults, &run.settings))?;
            rr(run.allow_outputs(&merged))?;
            Ok(merged)
        },
    );
    reg(
        &mut m,
        "source_date_epoch",
        &["i64"],
        "The build timestamp: the SOURCE_DATE_EPOCH environment variable, or 0 when unset.",
        true,
        || -> RhaiResult<i64> { rr(env_source_date_epoch()) },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "warn",
        &["message: String"],
        "Raise a warning: printed on stderr and listed in the `--json` summary.",
        true,
        move |msg: &str| -> RhaiResult<()> {
            c.get()?.warn(msg);
            Ok(())
        },
    );
    engine.register_global_module(m.into());
}
