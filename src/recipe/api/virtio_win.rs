//! `virtio_win::` in recipes: an upstream virtio-win ISO or tree, driver selection by OS and
//! architecture, provenance, notices and the guest agent.

use std::collections::BTreeMap;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, Map, Module, NativeCallContext};

use super::handles::{DriversHandle, Files, VirtioWinHandle};
use super::{reg, Ctx};
use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::recipe::errors::{rr, rr_at, to_rhai, RhaiResult};
use crate::virtio_win::{SourceFile, VirtioWin};

fn strings(items: &Array) -> Vec<String> {
    items.iter().map(|v| v.to_string()).collect()
}

fn arches(items: &Array) -> Result<Vec<Arch>> {
    Arch::list_from_user(&strings(items))
}

fn pins(map: &Map) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn files(list: Vec<SourceFile>) -> Files {
    Files(Rc::new(
        list.into_iter()
            .map(|f| SourceFile::new(f.name(), f.source.clone(), f.size))
            .collect(),
    ))
}

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    engine.register_type_with_name::<VirtioWinHandle>("VirtioWin");
    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "open",
        &["path: String", "VirtioWin"],
        "Open an upstream virtio-win ISO (no extraction) or extracted tree; hashes it once for provenance.",
        false,
        move |nc: NativeCallContext, path: &str| -> RhaiResult<VirtioWinHandle> {
            let run = c.get()?;
            let p = rr_at(&nc, run.paths.input(path))?;
            run.info(format!("reading {path}"));
            run.progress(&format!("hashing and indexing {path}"));
            let vw = VirtioWin::open(&p);
            run.progress_done();
            Ok(VirtioWinHandle(Rc::new(rr_at(&nc, vw)?)))
        },
    );
    reg(
        &mut m,
        "verify_sha256",
        &["vw: VirtioWin", "sha256: String | ()", "()"],
        "Stop unless the ISO (or the tree digest) has this SHA-256: pins the exact upstream input (() from an unset param::sha256 checks nothing).",
        true,
        |vw: &mut VirtioWinHandle, sha: Dynamic| -> RhaiResult<()> {
            if sha.is_unit() {
                return Ok(());
            }
            let sha = sha
                .into_immutable_string()
                .map_err(|t| to_rhai(Error::invalid(format!("verify_sha256 takes a SHA-256 string or (), not {t}"))))?;
            rr(vw.0.verify_sha256(&sha))
        },
    );
    reg(
        &mut m,
        "select",
        &["vw: VirtioWin", "drivers: Array", "os: String", "arches: Array", "DriverSet"],
        "The drivers' builds for the OS (w7, w10, 2k22, ...) and architectures; any missing build is an error listing what exists.",
        true,
        |vw: &mut VirtioWinHandle, drivers: Array, os: &str, arch_list: Array| -> RhaiResult<DriversHandle> {
            let arch_list = rr(arches(&arch_list))?;
            let names = strings(&drivers);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let sel = rr(vw.0.select(&names, os, &arch_list))?;
            Ok(DriversHandle(Rc::new(rr(sel.to_driver_set(&arch_list))?)))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "select_available",
        &["vw: VirtioWin", "drivers: Array", "os: String", "arches: Array", "DriverSet"],
        "Best effort: the builds that exist for the OS and architectures; each missing one is a warning.",
        true,
        move |vw: &mut VirtioWinHandle, drivers: Array, os: &str, arch_list: Array| -> RhaiResult<DriversHandle> {
            let run = c.get()?;
            let arch_list = rr(arches(&arch_list))?;
            let names = strings(&drivers);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let sel = rr(vw.0.select_optional(&names, os, &arch_list))?;
            for miss in &sel.missing {
                run.warn(format!("optional driver skipped: {}", miss.message));
            }
            Ok(DriversHandle(Rc::new(rr(sel.to_driver_set(&arch_list))?)))
        },
    );
    reg(&mut m, "provenance", &["vw: VirtioWin", "Map"], "What exactly the input was (name, volume label, SHA-256, size, upstream version), for manifest.json.", true, |vw: &mut VirtioWinHandle| -> RhaiResult<Dynamic> {
        rhai::serde::to_dynamic(vw.0.provenance())
    });
    reg(
        &mut m,
        "notices",
        &["vw: VirtioWin", "Files"],
        "The licence and notice files at the root of the input (for licenses/virtio-win/).",
        true,
        |vw: &mut VirtioWinHandle| -> Files { files(vw.0.notices()) },
    );
    reg(
        &mut m,
        "guest_agents",
        &["vw: VirtioWin", "arches: Array", "pins: Map", "Map"],
        "The QEMU guest agent MSI per architecture (a map: canonical arch -> Files), each checked against its pin (a param::pins value: canonical arch -> SHA-256); a pin for an arch not built is refused; every problem at once.",
        true,
        |vw: &mut VirtioWinHandle, arch_list: Array, pin_map: Map| -> RhaiResult<Map> {
            let arch_list = rr(arches(&arch_list))?;
            let found = rr(vw.0.guest_agents(&arch_list, &pins(&pin_map)))?;
            Ok(found.into_iter().map(|(a, f)| (a.to_string().into(), Dynamic::from(files(vec![f])))).collect())
        },
    );
    reg(
        &mut m,
        "guest_agent",
        &["vw: VirtioWin", "arch: String", "pins: Map", "Files"],
        "The QEMU guest agent MSI for one architecture, checked against its pin in `pins` (canonical arch -> SHA-256, or one bare pin under `*`).",
        true,
        |vw: &mut VirtioWinHandle, arch: &str, pin_map: Map| -> RhaiResult<Files> {
            let a = rr(Arch::from_user(arch))?;
            let found = rr(vw.0.guest_agents(&[a], &pins(&pin_map)))?;
            Ok(files(found.into_iter().map(|(_, f)| f).collect()))
        },
    );
    engine.register_static_module("virtio_win", m.into());
}
