//! Every bundled recipe, run the way a user runs it: with its defaults, from a directory that is
//! not the repository (the copies embedded in the binary are used, as after `cargo install`) and
//! from the repository root. The media are read back with xorriso, 7z, bsdtar and unzip, checked
//! with `aero-recipe verify`, and compared file by file with the inputs they were made from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::recipe::*;
use crate::util::*;
use aero_recipe::guest_tools::ROOT_FILES;

/// What a recipe's media must hold: files copied from inputs (media path -> source file) and
/// the files the tool generates.
struct Expected {
    copied: BTreeMap<String, PathBuf>,
    generated: BTreeSet<String>,
}

impl Expected {
    fn new() -> Self {
        Expected {
            copied: BTreeMap::new(),
            generated: ["manifest.json".to_string()].into(),
        }
    }

    /// Every shipped file of the driver build `src` at `dest/`.
    fn driver(&mut self, dest: &str, src: &Path) {
        let files = shipped_driver_files(src);
        assert!(!files.is_empty(), "{} has no files", src.display());
        for rel in files.keys() {
            self.copied.insert(format!("{dest}/{rel}"), src.join(rel));
        }
    }

    /// The guest-tools tree part of Guest Tools media under `signing_policy` test or none.
    fn guest_tools(&mut self, test_signing: bool) {
        let gt = repo().join("guest-tools");
        let is_cert = |rel: &str| {
            let l = rel.to_ascii_lowercase();
            l.ends_with(".cer") || l.ends_with(".crt") || l.ends_with(".p7b")
        };
        for rel in tree(&gt).keys() {
            let top = rel.split('/').next().unwrap_or_default();
            let ships = ROOT_FILES.contains(&rel.as_str())
                || (rel.contains('/') && ["config", "licenses", "tools", "certs"].contains(&top));
            if !ships
                || rel.eq_ignore_ascii_case("config/devices.cmd")
                || rel.to_ascii_lowercase().ends_with(".pdb")
                || (top == "certs" && is_cert(rel) && !test_signing)
            {
                continue;
            }
            self.copied.insert(rel.clone(), gt.join(rel));
        }
        for f in ROOT_FILES {
            assert!(
                self.copied.contains_key(f),
                "guest-tools/{f} is missing from the repository"
            );
        }
        if test_signing {
            self.copied.insert(
                "certs/aero-test.cer".into(),
                repo().join("examples/certs/aero-test.cer"),
            );
        }
        self.generated.insert("config/devices.cmd".into());
    }
}

/// What `recipe` with its defaults must put on its media.
fn expected(recipe: &str) -> Expected {
    let ex = repo().join("examples");
    let vw = ex.join("virtio-win");
    let mut e = Expected::new();
    let arches = [("x86", "x86", "x86"), ("amd64", "x64", "amd64")];
    match recipe {
        "aero-virtio" => {
            e.guest_tools(true);
            for (arch, _, _) in arches {
                for name in ["aero_virtio_blk", "aero_virtio_net"] {
                    e.driver(
                        &format!("drivers/{arch}/{name}"),
                        &ex.join(format!("aero-virtio-drivers/{arch}/{name}")),
                    );
                }
            }
        }
        "custom-recipe" => {
            e.guest_tools(true);
            for (arch, _, _) in arches {
                for name in [
                    "aerogpu",
                    "virtio-blk",
                    "virtio-input",
                    "virtio-net",
                    "virtio-snd",
                ] {
                    e.driver(
                        &format!("drivers/{arch}/{name}"),
                        &ex.join(format!("aero-drivers/{arch}/{name}")),
                    );
                }
            }
            e.copied.insert(
                "tools/team/collect-logs.cmd".into(),
                ex.join("team-tools/collect-logs.cmd"),
            );
        }
        "aerogpu-only" => {
            e.guest_tools(true);
            for (arch, _, _) in arches {
                e.driver(
                    &format!("drivers/{arch}/aerogpu"),
                    &ex.join(format!("aero-drivers/{arch}/aerogpu")),
                );
            }
        }
        "ci-signed" => {
            e.guest_tools(true);
            // CI layout `<driverRel>/{x86,x64}/` with the built-in renames.
            let rels = [
                ("aerogpu", "drivers/aerogpu"),
                ("virtio-blk", "windows7/virtio-blk"),
                ("virtio-input", "windows7/virtio-input"),
                ("virtio-net", "windows7/virtio-net"),
                ("virtio-snd", "windows7/virtio-snd"),
            ];
            for (arch, ci_arch, _) in arches {
                for (name, rel) in rels {
                    e.driver(
                        &format!("drivers/{arch}/{name}"),
                        &ex.join(format!("ci-packages/{rel}/{ci_arch}")),
                    );
                }
            }
        }
        "virtio-win-full" | "virtio-win-minimal" => {
            e.guest_tools(false);
            let mut names = vec![("viostor", "viostor"), ("netkvm", "NetKVM")];
            if recipe == "virtio-win-full" {
                // viosnd is best effort and absent from the example tree.
                names.push(("vioinput", "vioinput"));
            }
            for (arch, _, vw_arch) in arches {
                for (name, dir) in &names {
                    e.driver(
                        &format!("drivers/{arch}/{name}"),
                        &vw.join(format!("{dir}/w7/{vw_arch}")),
                    );
                }
            }
            e.copied.insert(
                "licenses/virtio-win/virtio-win_license.txt".into(),
                vw.join("virtio-win_license.txt"),
            );
        }
        "virtio-win-driver-pack" => {
            let names = [
                ("viostor", "viostor"),
                ("vioscsi", "vioscsi"),
                ("netkvm", "NetKVM"),
                ("vioinput", "vioinput"),
                ("balloon", "Balloon"),
                ("viogpudo", "viogpudo"),
            ];
            for (arch, _, vw_arch) in arches {
                for (name, dir) in names {
                    e.driver(
                        &format!("drivers/{arch}/{name}"),
                        &vw.join(format!("{dir}/w10/{vw_arch}")),
                    );
                }
            }
            e.copied.insert(
                "licenses/virtio-win/virtio-win_license.txt".into(),
                vw.join("virtio-win_license.txt"),
            );
        }
        "windows-unattend" => {
            for (name, dir) in [
                ("viostor", "viostor"),
                ("vioscsi", "vioscsi"),
                ("netkvm", "NetKVM"),
            ] {
                e.driver(
                    &format!("$WinPEDriver$/{name}"),
                    &vw.join(format!("{dir}/w11/amd64")),
                );
            }
            for (name, dir) in [
                ("balloon", "Balloon"),
                ("vioinput", "vioinput"),
                ("viofs", "viofs"),
                ("viogpudo", "viogpudo"),
            ] {
                e.driver(
                    &format!("drivers/{name}"),
                    &vw.join(format!("{dir}/w11/amd64")),
                );
            }
            e.copied.insert(
                "guest-agent/qemu-ga-x86_64.msi".into(),
                vw.join("guest-agent/qemu-ga-x86_64.msi"),
            );
            e.generated.insert("autounattend.xml".into());
            e.generated.insert("first_logon.ps1".into());
        }
        other => panic!("no expectations for recipe {other}"),
    }
    e
}

/// The media tree (as extracted by external tools) holds exactly what `expected` says, byte
/// for byte, and its manifest.json lists every other file with the right size and hash.
fn check_content(recipe: &str, media: &BTreeMap<String, Vec<u8>>) {
    let e = expected(recipe);
    let want: BTreeSet<String> = e
        .copied
        .keys()
        .cloned()
        .chain(e.generated.iter().cloned())
        .collect();
    let have: BTreeSet<String> = media.keys().cloned().collect();
    assert_eq!(have, want, "{recipe}: files on the media");
    for (dest, src) in &e.copied {
        assert!(
            media[dest] == std::fs::read(src).unwrap(),
            "{recipe}: {dest} differs from {}",
            src.display()
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&media["manifest.json"]).expect("manifest.json on the media");
    let listed = manifest_files(&manifest);
    let actual: BTreeMap<String, (u64, String)> = media
        .iter()
        .filter(|(p, _)| p.as_str() != "manifest.json")
        .map(|(p, b)| (p.clone(), (b.len() as u64, sha256_hex(b))))
        .collect();
    assert_eq!(listed, actual, "{recipe}: manifest.json files list");
}

/// Every way of reading an ISO lists the same files.
fn check_iso_listings(iso: &Path, files: &BTreeSet<String>) {
    assert_eq!(
        &xorriso_files(iso),
        files,
        "xorriso -find {}",
        iso.display()
    );
    assert_eq!(&sevenz_files(iso), files, "7z l {}", iso.display());
    assert_eq!(&bsdtar_files(iso), files, "bsdtar -tf {}", iso.display());
}

/// Every way of reading a ZIP lists the same files, and unzip finds no error.
fn check_zip_listings(zip: &Path, files: &BTreeSet<String>) {
    unzip_test(zip);
    assert_eq!(&sevenz_files(zip), files, "7z l {}", zip.display());
    assert_eq!(&bsdtar_files(zip), files, "bsdtar -tf {}", zip.display());
}

/// All the checks of one recipe's outputs in `out`.
fn check_outputs(user: &User, recipe: &str, out: &Path, s: &Summary) {
    let names: BTreeSet<&str> = s.outputs.keys().map(String::as_str).collect();
    let scratch = tempdir();
    match recipe {
        "virtio-win-driver-pack" => {
            let want: BTreeSet<&str> = [
                "virtio-win-driver-pack",
                "virtio-win-driver-pack.zip",
                "virtio-win-driver-pack.manifest.json",
            ]
            .into();
            assert_eq!(names, want, "{recipe}: outputs");
            let dir = out.join("virtio-win-driver-pack");
            let zip = out.join("virtio-win-driver-pack.zip");
            user.verify(&dir);
            user.verify(&zip);
            let media = tree(&dir);
            let files: BTreeSet<String> = media.keys().cloned().collect();
            check_zip_listings(&zip, &files);
            let from_zip = scratch.path().join("zip");
            extract_zip(&zip, &from_zip);
            assert!(
                tree(&from_zip) == media,
                "{recipe}: ZIP and directory differ"
            );
            assert_eq!(
                media["manifest.json"],
                std::fs::read(out.join("virtio-win-driver-pack.manifest.json")).unwrap(),
                "{recipe}: the manifest copy beside the outputs"
            );
            check_content(recipe, &media);
        }
        "windows-unattend" => {
            let want: BTreeSet<&str> = [
                "autounattend.iso",
                "autounattend.xml",
                "autounattend.manifest.json",
            ]
            .into();
            assert_eq!(names, want, "{recipe}: outputs");
            let iso = out.join("autounattend.iso");
            let dir = scratch.path().join("iso");
            extract_iso(&iso, &dir);
            user.verify(&dir);
            let media = tree(&dir);
            check_iso_listings(&iso, &media.keys().cloned().collect());
            assert_eq!(
                media["autounattend.xml"],
                std::fs::read(out.join("autounattend.xml")).unwrap(),
                "{recipe}: the XML beside the ISO is the one on it"
            );
            assert_eq!(
                media["manifest.json"],
                std::fs::read(out.join("autounattend.manifest.json")).unwrap(),
                "{recipe}: the manifest copy beside the ISO"
            );
            check_content(recipe, &media);
            user.verify(&iso);
        }
        _ => {
            let want: BTreeSet<&str> = [
                "aero-guest-tools.iso",
                "aero-guest-tools.zip",
                "manifest.json",
                "aero-guest-tools.manifest.json",
            ]
            .into();
            assert_eq!(names, want, "{recipe}: outputs");
            let iso = out.join("aero-guest-tools.iso");
            let zip = out.join("aero-guest-tools.zip");
            user.verify(&zip);
            let from_iso = scratch.path().join("iso");
            let from_zip = scratch.path().join("zip");
            extract_iso(&iso, &from_iso);
            extract_zip(&zip, &from_zip);
            user.verify(&from_iso);
            user.verify(&from_zip);
            let media = tree(&from_iso);
            assert!(tree(&from_zip) == media, "{recipe}: ISO and ZIP differ");
            let files: BTreeSet<String> = media.keys().cloned().collect();
            check_iso_listings(&iso, &files);
            check_zip_listings(&zip, &files);
            let manifest = std::fs::read(out.join("manifest.json")).unwrap();
            assert_eq!(media["manifest.json"], manifest, "{recipe}: manifest.json");
            assert_eq!(
                std::fs::read(out.join("aero-guest-tools.manifest.json")).unwrap(),
                manifest,
                "{recipe}: the manifest alias"
            );
            assert!(
                files.iter().any(|f| f.starts_with("drivers/")),
                "{recipe}: no drivers"
            );
            check_content(recipe, &media);
            user.verify(&iso);
        }
    }
}

#[test]
fn every_bundled_recipe_runs_with_its_defaults_from_anywhere() {
    let user = User::new();
    let elsewhere = tempdir();
    let cwd = elsewhere.path();

    let list = user.run(cwd, &["list"]).ok().stdout;
    let listed: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with(char::is_whitespace))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(listed, BUNDLED, "aero-recipe list");

    let from_repo = tempdir();
    for recipe in BUNDLED {
        // Not the repository: relative out_dir, bundled copies of recipes and examples.
        let rel_out = PathBuf::from("out").join(recipe);
        let s = user.recipe(cwd, recipe, &rel_out, &[]);
        let out_a = cwd.join(&rel_out);
        s.check_against(&out_a);
        check_outputs(&user, recipe, &out_a, &s);

        // The repository root: the recipe and inputs on disk, an absolute out_dir.
        let out_b = from_repo.path().join(recipe);
        let s = user.recipe(&repo(), recipe, &out_b, &[]);
        s.check_against(&out_b);
        for (name, bytes) in tree(&out_a) {
            for leak in [cwd, repo().as_path(), from_repo.path(), user.cache()] {
                let needle = leak.to_str().unwrap().as_bytes();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{recipe}: {name} contains the local path {}",
                    leak.display()
                );
            }
        }
        assert!(
            tree(&out_a) == tree(&out_b),
            "{recipe}: outputs differ between a run from the repository and one from elsewhere"
        );
    }
}

#[test]
fn the_custom_recipe_example_runs_from_elsewhere_and_keeps_stdout_for_json() {
    let user = User::new();
    let elsewhere = tempdir();
    let recipe = repo().join("examples/custom-recipe.rhai");
    let out = PathBuf::from("out");
    // The recipe prints a line; --json output on stdout must stay pure JSON.
    let s = user.recipe(elsewhere.path(), &recipe.display().to_string(), &out, &[]);
    let out = elsewhere.path().join(out);
    s.check_against(&out);
    check_outputs(&user, "custom-recipe", &out, &s);
}

#[test]
fn best_effort_drivers_that_are_missing_are_warnings_in_the_summary() {
    let user = User::new();
    let w = tempdir();
    let s = user.recipe(w.path(), "virtio-win-full", &w.path().join("out"), &[]);
    assert!(
        s.warnings.iter().any(|w| w.contains("viosnd")),
        "the summary should warn that the optional viosnd is absent: {:?}",
        s.warnings
    );
    // The same driver made strict is an error naming it, and nothing is written.
    let strict = w.path().join("strict");
    user.run(
        w.path(),
        &[
            "run",
            "virtio-win-full",
            "--set",
            &format!("out_dir={}", strict.display()),
            "--set",
            "strict_optional=true",
        ],
    )
    .exits(1)
    .says(&["viosnd"]);
    assert!(!strict.exists());
}

/// Input parameters that point `recipe` at the example copies below `examples`.
fn inputs_at(recipe: &str, examples: &Path) -> Vec<String> {
    let p = |k: &str, rel: &str| format!("{k}={}", examples.join(rel).display());
    match recipe {
        "virtio-win-full" | "windows-unattend" | "virtio-win-driver-pack" => {
            vec![p("virtio_win", "virtio-win")]
        }
        "ci-signed" => vec![
            p("packages", "ci-packages"),
            p("cert", "certs/aero-test.cer"),
        ],
        "aero-virtio" => vec![
            p("drivers_dir", "aero-virtio-drivers"),
            p("cert", "certs/aero-test.cer"),
        ],
        other => panic!("no inputs for {other}"),
    }
}

/// The bytes of every file output of a run (directory outputs by their trees).
fn output_bytes(s: &Summary) -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    for (name, o) in &s.outputs {
        if o.path.is_dir() {
            for (rel, b) in tree(&o.path) {
                all.insert(format!("{name}/{rel}"), b);
            }
        } else {
            all.insert(name.clone(), std::fs::read(&o.path).unwrap());
        }
    }
    all
}

#[test]
fn same_inputs_give_the_same_bytes_wherever_they_and_the_run_are() {
    let user = User::new();
    let work = tempdir();
    // The examples copied to another place, passed with --set from yet another directory.
    let copy = work.path().join("somewhere/else/examples");
    copy_tree(&repo().join("examples"), &copy);
    let other_cwd = work.path().join("cwd");
    std::fs::create_dir_all(&other_cwd).unwrap();

    for recipe in [
        "virtio-win-full",
        "ci-signed",
        "aero-virtio",
        "virtio-win-driver-pack",
        "windows-unattend",
    ] {
        let a = user.recipe(
            &repo(),
            recipe,
            &work.path().join(format!("{recipe}-a")),
            &[],
        );
        let sets = inputs_at(recipe, &copy);
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let b = user.recipe(
            &other_cwd,
            recipe,
            &work.path().join(format!("{recipe}-b")),
            &sets,
        );
        let (bytes_a, bytes_b) = (output_bytes(&a), output_bytes(&b));
        assert_eq!(
            bytes_a.keys().collect::<Vec<_>>(),
            bytes_b.keys().collect::<Vec<_>>(),
            "{recipe}: outputs"
        );
        for (name, bytes) in &bytes_a {
            assert!(
                bytes == &bytes_b[name],
                "{recipe}: {name} differs between the repository's examples and a copy elsewhere"
            );
        }

        // The epoch from --set equals the one from the environment; a different one changes
        // the image and is recorded.
        let out_c = work.path().join(format!("{recipe}-c"));
        let set_sde = format!("out_dir={}", out_c.display());
        let later = SDE + 86_400 * 400;
        let c = Summary::parse(
            &repo(),
            &run(&mut user.cmd_sde(
                &repo(),
                None,
                &[
                    "run",
                    recipe,
                    "--json",
                    "--set",
                    &set_sde,
                    "--set",
                    &format!("source_date_epoch={later}"),
                ],
            ))
            .ok()
            .stdout,
        );
        let out_d = work.path().join(format!("{recipe}-d"));
        let d = Summary::parse(
            &repo(),
            &run(&mut user.cmd_sde(
                &repo(),
                Some(later),
                &[
                    "run",
                    recipe,
                    "--json",
                    "--set",
                    &format!("out_dir={}", out_d.display()),
                ],
            ))
            .ok()
            .stdout,
        );
        assert!(
            output_bytes(&c) == output_bytes(&d),
            "{recipe}: --set source_date_epoch and SOURCE_DATE_EPOCH disagree"
        );
        let image = a
            .outputs
            .keys()
            .find(|n| n.ends_with(".iso") || n.ends_with(".zip"))
            .expect("an image output");
        assert_ne!(
            a.get(image).sha256,
            c.get(image).sha256,
            "{recipe}: a different SOURCE_DATE_EPOCH must change {image}"
        );
        let manifest = c
            .outputs
            .keys()
            .find(|n| n.ends_with("manifest.json"))
            .unwrap();
        assert_eq!(
            read_json(&c.get(manifest).path)["package"]["source_date_epoch"],
            serde_json::json!(later),
            "{recipe}: the manifest records the epoch"
        );
    }
}
