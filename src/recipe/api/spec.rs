//! `spec::` and `contract::` in recipes: the packaging spec, the device contract, and the
//! validation of a driver set against them.

use std::rc::Rc;

use rhai::{Engine, Module, NativeCallContext};

use super::handles::{CheckedDrivers, ContractHandle, DriversHandle, SpecHandle};
use super::{reg, Ctx};
use crate::contract::Contract;
use crate::media::manifest::input_record;
use crate::recipe::errors::{rr, rr_at, RhaiResult};
use crate::spec::Spec;
use crate::validate::validate;

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    engine.register_type_with_name::<SpecHandle>("Spec");
    engine.register_type_with_name::<ContractHandle>("Contract");

    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "load",
        &["path: String", "Spec"],
        "Load a packaging spec (strict: unknown fields and bad values are errors, all reported).",
        false,
        move |nc: NativeCallContext, path: &str| -> RhaiResult<SpecHandle> {
            let p = rr_at(&nc, c.get()?.paths.input(path))?;
            let spec = rr_at(&nc, Spec::load(&p))?;
            Ok(SpecHandle {
                spec: Rc::new(spec),
                record: rr_at(&nc, input_record(&p))?,
            })
        },
    );
    reg(
        &mut m,
        "is_required",
        &["spec: Spec", "driver: String", "bool"],
        "Whether the spec lists the driver as required (names compare case-insensitively).",
        true,
        |s: &mut SpecHandle, name: &str| -> bool {
            s.spec.driver(name).is_some_and(|d| d.required)
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "check",
        &["spec: Spec", "drivers: DriverSet", "contract: Contract", "CheckedDrivers"],
        "Validate drivers against the spec and contract, reporting every problem at once; returns what will ship.",
        true,
        move |s: &mut SpecHandle, d: DriversHandle, k: ContractHandle| -> RhaiResult<CheckedDrivers> {
            let run = c.get()?;
            let report = validate(&d.0, &s.spec, Some(&k.contract.devices_cmd_vars()));
            for w in rr(report.into_result())? {
                run.warn(w.to_string());
            }
            Ok(CheckedDrivers { set: d.0.clone(), spec: s.clone() })
        },
    );
    engine.register_static_module("spec", m.into());

    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "load",
        &["path: String", "Contract"],
        "Load a Windows device contract (the source of config/devices.cmd).",
        false,
        move |nc: NativeCallContext, path: &str| -> RhaiResult<ContractHandle> {
            let p = rr_at(&nc, c.get()?.paths.input(path))?;
            let contract = rr_at(&nc, Contract::load(&p))?;
            Ok(ContractHandle {
                contract: Rc::new(contract),
                record: rr_at(&nc, input_record(&p))?,
            })
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "with_services_from",
        &["contract: Contract", "drivers: DriverSet", "Contract"],
        "The contract with each device's service name taken from the shipped INFs (the function driver's first AddService).",
        true,
        move |k: &mut ContractHandle, d: DriversHandle| -> RhaiResult<ContractHandle> {
            let run = c.get()?;
            let infs = d.0.infs();
            let (derived, notes) = rr(k.contract.derive_services(&infs))?;
            for n in notes {
                run.info(n);
            }
            Ok(ContractHandle { contract: Rc::new(derived), record: k.record.clone() })
        },
    );
    reg(
        &mut m,
        "with_binaries_from",
        &["contract: Contract", "shipped: CheckedDrivers", "Contract"],
        "The contract with each device's driver binary (devices.cmd <PREFIX>_SYS) from the shipped INFs' ServiceBinary; empty for devices no shipped INF declares.",
        true,
        |k: &mut ContractHandle, d: CheckedDrivers| -> RhaiResult<ContractHandle> {
            let c = rr(k.contract.with_shipped_binaries(&d.set, &d.spec.spec))?;
            Ok(ContractHandle { contract: Rc::new(c), record: k.record.clone() })
        },
    );
    reg(
        &mut m,
        "devices_cmd",
        &["contract: Contract", "String"],
        "The config/devices.cmd text this contract generates (CRLF).",
        true,
        |k: &mut ContractHandle| -> String { k.contract.render_devices_cmd() },
    );
    engine.register_static_module("contract", m.into());
}
