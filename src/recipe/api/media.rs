//! `media::` in recipes: assemble a media tree and publish it (ISO, ZIP, manifest) atomically.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, Map, Module, NativeCallContext};
use serde::Deserialize;
use serde_json::Value;

use super::handles::{
    CheckedDrivers, ContractHandle, DriversHandle, Files, MediaHandle, SpecHandle,
};
use super::{reg, Ctx};
use crate::catalog;
use crate::drivers::DriverSet;
use crate::error::{Error, Result};
use crate::guest_tools::{self, Profile, SigningPolicy};
use crate::input::InputFile;
use crate::media::manifest::Package;
use crate::media::publish::{publish, Publish};
use crate::media::{local, Media};
use crate::recipe::context::RunContext;
use crate::recipe::errors::{rr, rr_at, to_rhai, RhaiResult};
use crate::recipe::params::Params;
use crate::recipe::strict;

/// The options of `m.write(#{...})`; unknown keys are refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteOptions {
    out_dir: String,
    package_name: String,
    version: String,
    build_id: String,
    source_date_epoch: i64,
    iso: Option<String>,
    volume_id: Option<String>,
    zip: Option<String>,
    dir: Option<String>,
    #[serde(default)]
    manifest_copies: Vec<String>,
    #[serde(default)]
    side_files: BTreeMap<String, String>,
    #[serde(default)]
    inputs: BTreeMap<String, Value>,
    manifest_in_media: Option<bool>,
    signing_policy: Option<String>,
}

fn new_handle(media: Media, profile: Option<Profile>) -> MediaHandle {
    MediaHandle {
        media: Rc::new(RefCell::new(media)),
        profile: profile.map(Rc::new),
        catalogs: Rc::default(),
    }
}

/// The catalog rule for drivers placed on `mh`: its Guest Tools signing policy (with the
/// certificates the media ship under certs/ for `test`), else none (problems are warnings).
fn catalog_policy(mh: &MediaHandle) -> Result<catalog::Policy> {
    let Some(profile) = &mh.profile else {
        return Ok(catalog::Policy::None);
    };
    Ok(match profile.policy {
        SigningPolicy::None => catalog::Policy::None,
        SigningPolicy::Production => catalog::Policy::Production,
        SigningPolicy::Test => {
            let media = mh.media.borrow();
            let mut certs = Vec::new();
            for (path, entry) in media.files() {
                let lower = path.to_ascii_lowercase();
                if !lower.starts_with("certs/")
                    || ![".cer", ".crt", ".der", ".pem"]
                        .iter()
                        .any(|e| lower.ends_with(e))
                {
                    continue;
                }
                let bytes = entry.source.head(catalog::check::MAX_FILE_BYTES)?;
                if let Ok(c) = catalog::Cert::parse_file(&bytes) {
                    certs.push(c);
                }
            }
            catalog::Policy::Test(certs)
        }
    })
}

/// The catalog checks of the drivers `ships` accepts, reported next to the package rules: errors
/// fail the call with every problem, warnings go to the run; records go to the manifest.
fn check_catalogs(
    run: &RunContext,
    mh: &MediaHandle,
    set: &DriverSet,
    ships: &dyn Fn(&crate::drivers::Package) -> bool,
) -> Result<()> {
    let policy = catalog_policy(mh)?;
    // An OS name the catalog checks do not know (none such among virtio-win's) skips OSAttr.
    let os = set
        .target_os()
        .and_then(|o| catalog::OsTarget::parse(o).ok());
    let (report, records) = catalog::set::check_set(set, os.as_ref(), &policy, ships);
    for w in report.into_result()? {
        run.warn(w.to_string());
    }
    mh.catalogs.borrow_mut().extend(records);
    Ok(())
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
fn publish_recorded(run: &RunContext, media: &mut Media, req: &Publish) -> Result<()> {
    let published = publish(media, req, &|m| run.progress(m));
    run.progress_done();
    let published = published?;
    if !published.repaired.is_empty() {
        run.warn(format!(
            "{}: an earlier run was interrupted while it renamed its outputs; finished it ({}) before writing",
            req.out_dir.display(),
            published.repaired.join(", ")
        ));
    }
    run.record_outputs(published.records);
    Ok(())
}

fn package_of(p: &Params, name: &str) -> Result<Package> {
    Ok(Package {
        name: name.to_string(),
        version: p.str("version")?,
        build_id: p.str("build_id")?,
        source_date_epoch: p.int("source_date_epoch")?,
    })
}

/// The Guest Tools tree and profile from the recipe's shared parameters.
fn guest_tools_media(run: &RunContext, p: &Params) -> Result<MediaHandle> {
    let dir = run.paths.input(&p.str("guest_tools")?)?;
    let policy = SigningPolicy::parse(&p.str("signing_policy")?)?;
    let cert = match p.opt_str("cert")? {
        Some(c) => Some(run.paths.input(&c)?),
        None => None,
    };
    let media = guest_tools::media(&dir, policy, cert.as_deref())?;
    let profile = Profile {
        out_dir: run.output_dir(&p.str("out_dir")?)?,
        package: package_of(p, "aero-guest-tools")?,
        policy,
        volume_id: p.str("volume_id")?,
    };
    Ok(new_handle(media, Some(profile)))
}

fn records(inputs: &Map) -> Result<BTreeMap<String, Value>> {
    inputs
        .iter()
        .map(|(k, v)| {
            rhai::serde::from_dynamic::<Value>(v)
                .map(|v| (k.to_string(), v))
                .map_err(|e| {
                    Error::invalid(format!("manifest input `{k}` cannot be recorded: {e}"))
                })
        })
        .collect()
}

fn write_guest_tools(
    run: &RunContext,
    mh: &MediaHandle,
    s: &SpecHandle,
    k: &ContractHandle,
    inputs: &Map,
) -> Result<()> {
    let profile = mh.profile.as_ref().ok_or_else(|| {
        Error::invalid("write_guest_tools needs media made by media::guest_tools(p)").with_help(
            "start the media with media::guest_tools(p), or publish it with m.write(#{...})",
        )
    })?;
    let mut req = profile.publish_request(&s.record, &k.contract, &k.record, records(inputs)?)?;
    req.driver_catalogs = mh.catalogs.borrow().clone();
    publish_recorded(run, &mut mh.media.borrow_mut(), &req)
}

fn write_generic(run: &RunContext, mh: &MediaHandle, out: &Map) -> Result<()> {
    let o: WriteOptions = strict::decode("media.write options", out)?;
    let mut req = Publish::new(
        run.output_dir(&o.out_dir)?,
        Package {
            name: o.package_name,
            version: o.version,
            build_id: o.build_id,
            source_date_epoch: o.source_date_epoch,
        },
    );
    req.iso = match (o.iso, o.volume_id) {
        (Some(iso), Some(v)) => Some((iso, v)),
        (Some(_), None) => {
            return Err(Error::invalid(
                "media.write options: `iso` needs a `volume_id`",
            ))
        }
        (None, Some(_)) => {
            return Err(Error::invalid(
                "media.write options: `volume_id` is set but no `iso` is written",
            )
            .with_help("add iso: \"name.iso\", or drop volume_id"))
        }
        (None, None) => None,
    };
    req.zip = o.zip;
    req.dir = o.dir;
    if let Some(v) = o.manifest_in_media {
        req.manifest_in_media = v;
    }
    req.manifest_copies = o.manifest_copies;
    req.side_files = o
        .side_files
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    req.inputs = o.inputs;
    if let Some(v) = o.signing_policy {
        let policy = SigningPolicy::parse(&v)?;
        req.signing_policy = policy.as_str().into();
        req.certs_required = policy.certs_required();
    }
    req.driver_catalogs = mh.catalogs.borrow().clone();
    publish_recorded(run, &mut mh.media.borrow_mut(), &req)
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
        || new_handle(Media::new(), None),
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "guest_tools",
        &["p: Params", "Media"],
        "The guest-tools tree (p.guest_tools) as media, with certificates per p.signing_policy (stripped for production/none; p.cert added for test), and the publish profile (p.out_dir, version, build_id, source_date_epoch, volume_id) for write_guest_tools.",
        false,
        move |nc: NativeCallContext, p: Params| -> RhaiResult<MediaHandle> { rr_at(&nc, guest_tools_media(c.get()?, &p)) },
    );
    reg(
        &mut m,
        "add_devices_cmd",
        &["media: Media", "contract: Contract"],
        "Generate config/devices.cmd from the contract onto the media.",
        true,
        |mh: &mut MediaHandle, k: ContractHandle| -> RhaiResult<()> {
            rr(mh.media.borrow_mut().add_bytes(
                guest_tools::DEVICES_CMD,
                k.contract.render_devices_cmd().into_bytes(),
            ))
        },
    );
    let c = ctx.clone();
    reg(&mut m, "add_drivers", &["media: Media", "drivers: CheckedDrivers"], "Place validated drivers at drivers/<arch>/<name>/ (only those the spec lists, with its filters), after checking each INF's catalog: files covered, machine types, and the signer the media's signing policy asks for (test: a certificate under certs/).", true, move |mh: &mut MediaHandle, d: CheckedDrivers| -> RhaiResult<()> {
        let spec = &d.spec.spec;
        rr(check_catalogs(c.get()?, mh, &d.set, &|p| spec.driver(&p.name).is_some()))?;
        rr(d.set.add_to_media(Some(spec), &mut mh.media.borrow_mut()))
    });
    let c = ctx.clone();
    reg(
        &mut m,
        "add_path",
        &["media: Media", "dest: String", "source: String | Files", "()"],
        "Put a local file (as dest/<its name>) or directory (its shippable files), given as a path string, or input files (e.g. from virtio-win), under the media directory `dest`.",
        true,
        move |mh: &mut MediaHandle, dest: &str, source: Dynamic| -> RhaiResult<()> {
            if let Some(files) = source.clone().try_cast::<Files>() {
                let mut media = mh.media.borrow_mut();
                for f in files.0.iter() {
                    rr(local::add_input(&mut media, dest, &f.path, &f.source, f.size))?;
                }
                return Ok(());
            }
            let path = source.into_immutable_string().map_err(|t| {
                to_rhai(Error::invalid(format!("media path `{dest}`: expected a path string or input files, not {t}")))
            })?;
            let path = rr(c.get()?.paths.input(&path))?;
            rr(local::add_local(&mut mh.media.borrow_mut(), dest, &path))
        },
    );
    reg(
        &mut m,
        "add_text",
        &["media: Media", "dest: String", "text: String"],
        "Put generated text at the media path `dest`.",
        true,
        |mh: &mut MediaHandle, dest: &str, text: &str| -> RhaiResult<()> {
            rr(mh
                .media
                .borrow_mut()
                .add_bytes(dest, text.as_bytes().to_vec()))
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
            Ok(Files(Rc::new(vec![rr_at(&nc, InputFile::local_file(&p))?])))
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
            let run = c.get()?;
            rr(package_rules(run, &d).and_then(|()| check_catalogs(run, mh, &d.0, &|_| true)).and_then(|()| d.0.add_to_media(None, &mut mh.media.borrow_mut())))
        },
    );
    reg(
        &mut m,
        "add_bytes",
        &["media: Media", "dest: String", "bytes: Blob"],
        "Put generated bytes at the media path `dest`.",
        true,
        |mh: &mut MediaHandle, dest: &str, bytes: rhai::Blob| -> RhaiResult<()> {
            rr(mh.media.borrow_mut().add_bytes(dest, bytes))
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
            let run = c.get()?;
            rr(package_rules(run, &d).and_then(|()| check_catalogs(run, mh, &d.0, &|_| true)).and_then(|()| d.0.add_to_media_under(dir, &mut mh.media.borrow_mut())))
        },
    );
    reg(
        &mut m,
        "files",
        &["media: Media", "Array"],
        "Every file path on the media, sorted.",
        true,
        |mh: &mut MediaHandle| -> Array {
            mh.media
                .borrow()
                .files()
                .map(|(p, _)| Dynamic::from(p.to_string()))
                .collect()
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "write_guest_tools",
        &["media: Media", "spec: Spec", "contract: Contract", "inputs: Map"],
        "Write aero-guest-tools.iso, aero-guest-tools.zip, manifest.json and aero-guest-tools.manifest.json per the media's Guest Tools profile, all or nothing; `inputs` adds manifest input records (name -> value).",
        true,
        move |nc: NativeCallContext, mh: &mut MediaHandle, s: SpecHandle, k: ContractHandle, inputs: Map| -> RhaiResult<()> {
            rr_at(&nc, write_guest_tools(c.get()?, mh, &s, &k, &inputs))
        },
    );
    let c = ctx.clone();
    reg(
        &mut m,
        "write",
        &["media: Media", "out: Map"],
        "Publish the media, all or nothing: `out` has out_dir, package_name, version, build_id, source_date_epoch, at least one of iso (+ volume_id), zip, dir, and optionally manifest_copies, side_files (name -> text), inputs, manifest_in_media, signing_policy. Unknown keys are refused.",
        true,
        move |nc: NativeCallContext, mh: &mut MediaHandle, out: Map| -> RhaiResult<()> {
            let run = c.get()?;
            rr_at(&nc, write_generic(run, mh, &out))
        },
    );
    engine.register_static_module("media", m.into());
}
