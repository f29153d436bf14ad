//! `virtio_win::` in recipes: an upstream virtio-win ISO or tree, driver selection by OS and
//! architecture, provenance, notices and the guest agent.

use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, Module, NativeCallContext};

use super::drivers::DriversHandle;
use super::media::Files;
use super::{reg, Ctx};
use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::recipe::errors::{rr, rr_at, RhaiResult};
use crate::virtio_win::{SourceFile, VirtioWin};

/// An opened virtio-win source, as a recipe holds it.
#[derive(Clone)]
pub struct VirtioWinHandle(pub Rc<VirtioWin>);

/// Architectures from a recipe array (any accepted spelling), every bad one reported.
pub(crate) fn arches_of(items: &Array) -> Result<Vec<Arch>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for v in items {
        match Arch::parse(&v.to_string()) {
            Some(a) if !out.contains(&a) => out.push(a),
            Some(_) => {}
            None => bad.push(Error::invalid(format!(
                "unknown architecture `{v}`; use {}",
                Arch::accepted_spellings()
            ))),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(Error::many("bad architecture list", bad))
    }
}

fn names_of(items: &Array) -> Vec<String> {
    items.iter().map(|v| v.to_string()).collect()
}

fn files(list: Vec<SourceFile>) -> Files {
    Files(Rc::new(
        list.into_iter()
            .map(|f| {
                (
                    f.path.rsplit('/').next().unwrap_or(&f.path).to_string(),
                    f.source,
                    f.size,
                )
            })
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
            Ok(VirtioWinHandle(Rc::new(rr_at(&nc, VirtioWin::open(&p))?)))
        },
    );
    reg(
        &mut m,
        "verify_sha256",
        &["vw: VirtioWin", "sha256: String"],
        "Stop unless the ISO (or the tree digest) has this SHA-256: pins the exact upstream input.",
        true,
        |vw: &mut VirtioWinHandle, sha: &str| -> RhaiResult<()> { rr(vw.0.verify_sha256(sha)) },
    );
    reg(
        &mut m,
        "select",
        &["vw: VirtioWin", "drivers: Array", "os: String", "arches: Array", "DriverSet"],
        "The drivers' builds for the OS (w7, w10, 2k22, ...) and architectures; any missing build is an error listing what exists.",
        true,
        |vw: &mut VirtioWinHandle, drivers: Array, os: &str, arches: Array| -> RhaiResult<DriversHandle> {
            let arches = rr(arches_of(&arches))?;
            let names = names_of(&drivers);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let sel = rr(vw.0.select(&names, os, &arches))?;
            Ok(DriversHandle(Rc::new(rr(sel.to_driver_set(&arches))?)))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "select_available",
        &["vw: VirtioWin", "drivers: Array", "os: String", "arches: Array", "DriverSet"],
        "Best effort: the builds that exist for the OS and architectures; each missing one is a warning.",
        true,
        move |vw: &mut VirtioWinHandle, drivers: Array, os: &str, arches: Array| -> RhaiResult<DriversHandle> {
            let run = c.get()?;
            let arches = rr(arches_of(&arches))?;
            let names = names_of(&drivers);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let sel = rr(vw.0.select_optional(&names, os, &arches))?;
            for miss in &sel.missing {
                run.warn(format!("optional driver skipped: {}", miss.message));
            }
            Ok(DriversHandle(Rc::new(rr(sel.to_driver_set(&arches))?)))
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
        "guest_agent",
        &["vw: VirtioWin", "arch: String", "sha256: String", "Files"],
        "The QEMU guest agent MSI for the architecture, checked against `sha256` unless it is \"\".",
        true,
        |vw: &mut VirtioWinHandle, arch: &str, sha: &str| -> RhaiResult<Files> {
            let a = rr(arches_of(&vec![Dynamic::from(arch.to_string())]))?;
            let expected = if sha.is_empty() { None } else { Some(sha) };
            let f = rr(vw.0.guest_agent(a[0], expected))?;
            Ok(files(vec![f]))
        },
    );
    engine.register_static_module("virtio_win", m.into());
}
