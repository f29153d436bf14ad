//! `drivers::` in recipes: driver sets from each input layout.

use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, Module, NativeCallContext};

use super::handles::{CheckedDrivers, DriversHandle};
use super::{reg, Ctx};
use crate::ci_packages;
use crate::drivers::DriverSet;
use crate::recipe::errors::{rr, rr_at, RhaiResult};

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    engine.register_type_with_name::<DriversHandle>("DriverSet");
    engine.register_type_with_name::<CheckedDrivers>("CheckedDrivers");
    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "packager",
        &["dir: String", "DriverSet"],
        "Read drivers in the packager layout `<arch>/<driver>/...` (arch dirs x86/win32/i386, amd64/x64, arm64/aarch64).",
        false,
        move |nc: NativeCallContext, dir: &str| -> RhaiResult<DriversHandle> {
            let p = rr_at(&nc, c.get()?.paths.input(dir))?;
            Ok(DriversHandle(Rc::new(rr_at(&nc, DriverSet::from_packager_layout(&p))?)))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "ci_packages",
        &["path: String", "name_map: Array", "DriverSet"],
        "Read CI's signed packages (`<driverRel>/{x86,x64}/`, a bundle .zip or its extracted tree); `name_map` adds \"driverRel=name\" renames.",
        false,
        move |nc: NativeCallContext, path: &str, name_map: Array| -> RhaiResult<DriversHandle> {
            let p = rr_at(&nc, c.get()?.paths.input(path))?;
            let items: Vec<String> = name_map.iter().map(|v| v.to_string()).collect();
            let map = rr_at(&nc, ci_packages::parse_name_map(&items))?;
            Ok(DriversHandle(Rc::new(rr_at(&nc, ci_packages::open(&p, &map))?)))
        },
    );
    reg(
        &mut m,
        "merge",
        &["drivers: DriverSet", "other: DriverSet"],
        "Add every package of `other` to this set.",
        true,
        |d: &mut DriversHandle, other: DriversHandle| -> RhaiResult<()> {
            rr(Rc::make_mut(&mut d.0).merge(&other.0))
        },
    );
    reg(
        &mut m,
        "names",
        &["drivers: DriverSet", "Array"],
        "The driver directory names in the set, sorted and unique.",
        true,
        |d: &mut DriversHandle| -> Array { d.0.names().into_iter().map(Dynamic::from).collect() },
    );
    reg(
        &mut m,
        "arches",
        &["drivers: DriverSet", "Array"],
        "The architectures the set has drivers for (x86, amd64, arm64).",
        true,
        |d: &mut DriversHandle| -> Array {
            d.0.arches()
                .into_iter()
                .map(|a| Dynamic::from(a.to_string()))
                .collect()
        },
    );
    engine.register_static_module("drivers", m.into());
}
