//! Global recipe functions: the build epoch and warnings.

use rhai::{Engine, Module};

use super::{reg, Ctx};
use crate::error::Error;
use crate::recipe::errors::{rr, RhaiResult};

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "source_date_epoch",
        &["i64"],
        "The default build timestamp: the SOURCE_DATE_EPOCH environment variable, else the HEAD commit time of the working directory's git repository, else 0 (the run summary says which).",
        true,
        move || -> RhaiResult<i64> {
            let run = c.get()?;
            let cwd = rr(std::env::current_dir().map_err(|e| Error::io("read", "the working directory", e)))?;
            let (n, from) = rr(crate::build_date::default_epoch(&cwd))?;
            *run.date_from.borrow_mut() = Some(from);
            Ok(n)
        },
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
