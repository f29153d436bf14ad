//! Global recipe functions: the build epoch and warnings.

use rhai::{Engine, Module};

use super::{reg, Ctx};
use crate::error::Error;
use crate::recipe::errors::{rr, RhaiResult};

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
