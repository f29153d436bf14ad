//! `inf::` in recipes: what the tool sees in an INF file.

use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, Module, NativeCallContext};

use super::handles::InfHandle;
use super::{reg, Ctx};
use crate::arch::Arch;
use crate::inf::Inf;
use crate::recipe::errors::{rr, rr_at, RhaiResult};

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Array {
    items
        .into_iter()
        .map(|s| Dynamic::from(s.to_string()))
        .collect()
}

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    engine.register_type_with_name::<InfHandle>("Inf");
    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "load",
        &["path: String", "Inf"],
        "Read and parse an INF file (any encoding Windows accepts).",
        false,
        move |nc: NativeCallContext, path: &str| -> RhaiResult<InfHandle> {
            let p = rr_at(&nc, c.get()?.paths.input(path))?;
            Ok(InfHandle(Rc::new(rr_at(&nc, Inf::load(&p))?)))
        },
    );
    reg(
        &mut m,
        "services",
        &["inf: Inf", "Array"],
        "Names of every AddService entry, in file order (a null service is \"\").",
        true,
        |i: &mut InfHandle| -> Array { strings(i.0.services().iter().map(|s| s.name.as_str())) },
    );
    reg(
        &mut m,
        "hardware_ids",
        &["inf: Inf", "Array"],
        "Every hardware ID in the INF's models sections, in file order.",
        true,
        |i: &mut InfHandle| -> Array { strings(i.0.hardware_ids()) },
    );
    reg(
        &mut m,
        "has_models_for",
        &["inf: Inf", "arch: String", "bool"],
        "Whether the INF declares a models section for the architecture (x86, amd64, arm64).",
        true,
        |i: &mut InfHandle, arch: &str| -> RhaiResult<bool> {
            let a = rr(Arch::from_user(arch))?;
            Ok(i.0.has_models_for(a))
        },
    );
    reg(
        &mut m,
        "referenced_files",
        &["inf: Inf", "Array"],
        "Every file the INF references (catalogs, copied files, service binaries, co-installers).",
        true,
        |i: &mut InfHandle| -> Array {
            let mut names: Vec<&str> =
                i.0.referenced_files()
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect();
            names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            strings(names)
        },
    );
    engine.register_static_module("inf", m.into());
}
