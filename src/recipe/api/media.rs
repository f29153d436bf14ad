//! `media::` in recipes: assemble a media tree and publish it (ISO, ZIP, manifest) atomically.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, Map, Module, NativeCallContext};
use serde_json::{json, Value};

use super::drivers::{CheckedDrivers, DriversHandle};
use super::spec::{ContractHandle, SpecHandle};
use super::{reg, Ctx};
use crate::error::{Error, Result};
use crate::guest_tools::{self, SigningPolicy};
use crate::media::manifest::Package;
use crate::media::publish::{publish, Publish};
use crate::media::{Media, Source};
use crate::recipe::errors::{rr, rr_at, RhaiResult};
use crate::recipe::{OutputFile, RunContext};

/// A media tree under assembly, as a recipe holds it (clones share the tree).
#[derive(Clone)]
pub struct MediaHandle(pub Rc<RefCell<Media>>);

/// Files taken from an input (an ISO or a tree), ready to place on media.
#[derive(Clone, Default)]
pub struct Files(pub Rc<Vec<(String, Source, u64)>>);

/// Read a string field of a recipe map, with a message naming the field when it is missing.
pub(crate) fn field_str(m: &Map, key: &str) -> Result<String> {
    match m.get(key) {
        Some(v) if v.is_string() => Ok(v.to_string()),
        Some(v) => Err(Error::invalid(format!(
            "`{key}` must be a string, not {}",
            v.type_name()
        ))),
        None => Err(Error::invalid(format!("`{key}` is missing"))),
    }
}

fn field_int(m: &Map, key: &str) -> Result<i64> {
    m.get(key)
        .and_then(|v| v.as_int().ok())
        .ok_or_else(|| Error::invalid(format!("`{key}` must be an integer")))
}

fn to_json(v: &Dynamic) -> Result<Value> {
    rhai::serde::from_dynamic::<Value>(v)
        .map_err(|e| Error::invalid(format!("cannot record a recipe value in the manifest: {e}")))
}

fn display_path(p: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    p.strip_prefix(&cwd).unwrap_or(p).display().to_string()
}

/// Drivers placed without a spec still meet the package rules (models for their arch,
/// referenced files shipped, .inf/.sys/.cat present); warnings go to the run.
fn package_rules(run: &RunContext, d: &DriversHandle) -> Result<()> {
    for w in crate::validate::validate_packages(&d.0).into_result()? {
        run.warn(w.to_string());
    }
    Ok(())
}

/// Publish `media` per `req` and record the outputs in the run.
fn publish_recorded(run: &RunContext, media: &Media, req: &Publish) -> Result<()> {
    let records = publish(media.clone(), req, &|m| run.progress(m))?;
    let mut outs = run.outputs.borrow_mut();
    for r in records {
        outs.push(OutputFile {
            path: display_path(&r.path),
            size: r.size,
            sha256: r.sha256,
        });
    }
    Ok(())
}

fn package_of(p: &Map, default_name: &str) -> Result<Package> {
    Ok(Package {
        name: p
            .get("package_name")
            .map(|v| v.to_string())
            .unwrap_or_else(|| default_name.to_string()),
        version: field_str(p, "version")?,
        build_id: field_str(p, "build_id")?,
        source_date_epoch: field_int(p, "source_date_epoch")?,
    })
}

fn add_value(run: &RunContext, m: &mut Media, dest: &str, value: &Dynamic) -> Result<()> {
    let dest = dest.trim_matches('/');
    if let Some(files) = value.clone().try_cast::<Files>() {
        for (name, source, size) in files.0.iter() {
            m.add(&format!("{dest}/{name}"), source.clone(), *size)?;
        }
        return Ok(());
    }
    if !value.is_string() {
        return Err(Error::invalid(format!(
            "media path `{dest}`: expected a file or directory path or input files, not {}",
            value.type_name()
        )));
    }
    let path = run.paths.input(&value.to_string())?;
    if path.is_dir() {
        let (files, problems) = crate::policy::shipped_files(&path)?;
        if !problems.is_empty() {
            return Err(Error::many(
                format!("{} cannot be shipped", path.display()),
                problems,
            ));
        }
        for f in files {
            m.add_file(&format!("{dest}/{}", f.rel), &f.path)?;
        }
        Ok(())
    } else {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::invalid(format!("{} has no UTF-8 file name", path.display())))?;
        m.add_file(&format!("{dest}/{name}"), &path)
    }
}

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    engine.register_type_with_name::<MediaHandle>("Media");
    engine.register_type_with_name::<Files>("Files");
    let mut m = Module::new();

    reg(
        &mut m,
        "empty",
        &["Media"],
        "An empty media tree.",
        false,
        || MediaHandle(Rc::new(RefCell::new(Media::new()))),
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "guest_tools",
        &["dir: String", "signing_policy: String", "cert: String", "Media"],
        "The guest-tools tree as media, with certificates per signing policy (stripped for production/none; `cert` added for test; \"\" for none).",
        false,
        move |nc: NativeCallContext, dir: &str, policy: &str, cert: &str| -> RhaiResult<MediaHandle> {
            let run = c.get()?;
            let dir = rr_at(&nc, run.paths.input(dir))?;
            let policy = rr_at(&nc, SigningPolicy::parse(policy))?;
            let cert = if cert.is_empty() { None } else { Some(rr_at(&nc, run.paths.input(cert))?) };
            let media = rr_at(&nc, guest_tools::media(&dir, policy, cert.as_deref()))?;
            Ok(MediaHandle(Rc::new(RefCell::new(media))))
        },
    );
    reg(
        &mut m,
        "add_devices_cmd",
        &["media: Media", "contract: Contract"],
        "Generate config/devices.cmd from the contract onto the media.",
        true,
        |mh: &mut MediaHandle, k: ContractHandle| -> RhaiResult<()> {
            rr(mh.0.borrow_mut().add_bytes(
                guest_tools::DEVICES_CMD,
                k.contract.render_devices_cmd().into_bytes(),
            ))
        },
    );
    reg(&mut m, "add_drivers", &["media: Media", "drivers: CheckedDrivers"], "Place validated drivers at drivers/<arch>/<name>/ (only those the spec lists, with its filters).", true, |mh: &mut MediaHandle, d: CheckedDrivers| -> RhaiResult<()> {
        rr(d.set.add_to_media(Some(&d.spec.spec), &mut mh.0.borrow_mut()))
    });
    let c = ctx.clone();
    reg(
        &mut m,
        "add_path",
        &["media: Media", "dest: String", "source", "()"],
        "Put a local file or directory (a path string), or input files (e.g. from virtio-win), under the media directory `dest`.",
        true,
        move |mh: &mut MediaHandle, dest: &str, value: Dynamic| -> RhaiResult<()> {
            let run = c.get()?;
            rr(add_value(run, &mut mh.0.borrow_mut(), dest, &value))
        },
    );
    reg(
        &mut m,
        "add_text",
        &["media: Media", "dest: String", "text: String"],
        "Put generated text at the media path `dest`.",
        true,
        |mh: &mut MediaHandle, dest: &str, text: &str| -> RhaiResult<()> {
            rr(mh.0.borrow_mut().add_bytes(dest, text.as_bytes().to_vec()))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "input_files",
        &["path: String", "Files"],
        "A local input file, as files to place on media (its base name is kept).",
        false,
        move |nc: NativeCallContext, path: &str| -> RhaiResult<Files> {
            let p = rr_at(&nc, c.get()?.paths.input(path))?;
            let meta = rr_at(
                &nc,
                std::fs::metadata(&p).map_err(|e| Error::io("read", &p, e)),
            )?;
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if !meta.is_file() {
                return Err(crate::recipe::errors::to_rhai(Error::invalid(format!(
                    "{} is not a file",
                    p.display()
                ))));
            }
            Ok(Files(Rc::new(vec![(
                name,
                Source::File(p.clone()),
                meta.len(),
            )])))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "add_driver_set",
        &["media: Media", "drivers: DriverSet"],
        "Place every driver of the set at drivers/<arch>/<name>/ with the default file filters (no spec: for plain driver packs).",
        true,
        move |mh: &mut MediaHandle, d: DriversHandle| -> RhaiResult<()> {
            rr(package_rules(c.get()?, &d).and_then(|()| d.0.add_to_media(None, &mut mh.0.borrow_mut())))
        },
    );
    reg(
        &mut m,
        "add_bytes",
        &["media: Media", "dest: String", "bytes: Blob"],
        "Put generated bytes at the media path `dest`.",
        true,
        |mh: &mut MediaHandle, dest: &str, bytes: rhai::Blob| -> RhaiResult<()> {
            rr(mh.0.borrow_mut().add_bytes(dest, bytes))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "add_drivers_under",
        &["media: Media", "dir: String", "drivers: DriverSet"],
        "Place drivers of one architecture at <dir>/<name>/ (e.g. the `$WinPEDriver$` folder Windows Setup scans), with the default file filters.",
        true,
        move |mh: &mut MediaHandle, dir: &str, d: DriversHandle| -> RhaiResult<()> {
            rr(package_rules(c.get()?, &d).and_then(|()| d.0.add_to_media_under(dir, &mut mh.0.borrow_mut())))
        },
    );
    reg(
        &mut m,
        "files",
        &["media: Media", "Array"],
        "Every file path on the media, sorted.",
        true,
        |mh: &mut MediaHandle| -> Array {
            mh.0.borrow()
                .files()
                .map(|(p, _)| Dynamic::from(p.to_string()))
                .collect()
        },
    );

    let c = ctx.clone();
    reg(
        &mut m,
        "write_guest_tools",
        &["media: Media", "p: Map", "spec: Spec", "contract: Contract", "inputs: Map"],
        "Write aero-guest-tools.iso, aero-guest-tools.zip, manifest.json and aero-guest-tools.manifest.json into p.out_dir, all or nothing.",
        true,
        move |mh: &mut MediaHandle, p: Map, s: SpecHandle, k: ContractHandle, inputs: Map| -> RhaiResult<()> {
            let run = c.get()?;
            rr(write_guest_tools(run, &mh.0.borrow(), &p, &s, &k, &inputs))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "write",
        &["media: Media", "out: Map"],
        "Publish the media: `out` has out_dir, package_name, version, build_id, source_date_epoch and any of iso+volume_id, zip, dir, manifest_copies, side_files (name -> text), inputs, manifest_in_media.",
        true,
        move |mh: &mut MediaHandle, out: Map| -> RhaiResult<()> {
            let run = c.get()?;
            rr(write_generic(run, &mh.0.borrow(), &out))
        },
    );
    engine.register_static_module("media", m.into());
}

fn write_guest_tools(
    run: &RunContext,
    media: &Media,
    p: &Map,
    s: &SpecHandle,
    k: &ContractHandle,
    inputs: &Map,
) -> Result<()> {
    let out_dir = run.output_dir(&field_str(p, "out_dir")?)?;
    let policy = SigningPolicy::parse(&field_str(p, "signing_policy")?)?;
    let mut req = Publish::new(out_dir, package_of(p, "aero-guest-tools")?);
    req.signing_policy = policy.as_str().into();
    req.certs_required = policy.certs_required();
    req.inputs.insert(
        "packaging_spec".into(),
        json!({ "path": s.file.name, "sha256": s.file.sha256 }),
    );
    req.inputs.insert(
        "windows_device_contract".into(),
        json!({
            "path": k.file.name,
            "sha256": k.file.sha256,
            "contract_name": k.contract.contract_name,
            "contract_version": k.contract.contract_version,
            "schema_version": k.contract.schema_version,
        }),
    );
    for (key, v) in inputs {
        req.inputs.insert(key.to_string(), to_json(v)?);
    }
    req.iso = Some(("aero-guest-tools.iso".into(), field_str(p, "volume_id")?));
    req.zip = Some("aero-guest-tools.zip".into());
    req.manifest_copies = vec![
        "manifest.json".into(),
        "aero-guest-tools.manifest.json".into(),
    ];
    publish_recorded(run, media, &req)
}

fn write_generic(run: &RunContext, media: &Media, out: &Map) -> Result<()> {
    let out_dir = run.output_dir(&field_str(out, "out_dir")?)?;
    let name = field_str(out, "package_name")?;
    let mut req = Publish::new(out_dir, package_of(out, &name)?);
    if let Some(v) = out.get("iso") {
        req.iso = Some((v.to_string(), field_str(out, "volume_id")?));
    }
    req.zip = out.get("zip").map(|v| v.to_string());
    req.dir = out.get("dir").map(|v| v.to_string());
    if let Some(v) = out.get("manifest_in_media") {
        req.manifest_in_media = v
            .as_bool()
            .map_err(|_| Error::invalid("`manifest_in_media` must be true or false"))?;
    }
    if let Some(list) = out
        .get("manifest_copies")
        .and_then(|v| v.read_lock::<Array>().map(|a| a.clone()))
    {
        req.manifest_copies = list.iter().map(|v| v.to_string()).collect();
    }
    if let Some(files) = out
        .get("side_files")
        .and_then(|v| v.read_lock::<Map>().map(|m| m.clone()))
    {
        req.side_files = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string().into_bytes()))
            .collect();
    }
    if let Some(inputs) = out
        .get("inputs")
        .and_then(|v| v.read_lock::<Map>().map(|m| m.clone()))
    {
        let mut rec = BTreeMap::new();
        for (k, v) in &inputs {
            rec.insert(k.to_string(), to_json(v)?);
        }
        req.inputs = rec;
    }
    if let Some(v) = out.get("signing_policy") {
        let policy = SigningPolicy::parse(&v.to_string())?;
        req.signing_policy = policy.as_str().into();
        req.certs_required = policy.certs_required();
    }
    publish_recorded(run, media, &req)
}
