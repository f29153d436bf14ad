//! The boundary between recipes and the core, and the CLI built on the parameter declarations:
//! nothing a user or a recipe says is silently dropped (unknown keys are refused with the
//! nearest name, pins are checked per canonical arch, `os` reaches the answer file, a default
//! never contradicts the user's choice), and the CLI tells what each recipe takes.

use std::path::Path;

use crate::util::recipe::*;
use crate::util::*;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn a_misspelled_map_key_is_refused_naming_it_and_the_nearest_key_and_nothing_is_written() {
    let user = User::new();
    let w = tempdir();
    write(
        w.path(),
        "zipp.rhai",
        "let p = params(#{ out_dir: param::out_dir(\"out\", \"where outputs go\") });\n\
         let m = media::empty();\n\
         m.add_text(\"a.txt\", \"hi\");\n\
         m.write(#{ out_dir: p.out_dir, package_name: \"x\", version: \"1\", build_id: \"b\", source_date_epoch: 0, zipp: \"x.zip\" });\n",
    );
    user.run(w.path(), &["run", "zipp.rhai"]).exits(1).says(&[
        "zipp.rhai:4:",
        "unknown key `zipp`",
        "did you mean `zip`?",
    ]);
    assert!(!w.path().join("out").exists());
}

#[test]
fn one_media_written_twice_gives_the_same_archive_with_one_manifest() {
    // The manifest is put on the media for the writing and taken off after it, so a second
    // write neither fails on "already has a manifest.json" nor lists the first one.
    let user = User::new();
    let w = tempdir();
    write(
        w.path(),
        "twice.rhai",
        "let p = params(#{ out_dir: param::out_dir(\"out\", \"where outputs go\") });\n\
         let m = media::empty();\n\
         m.add_text(\"a.txt\", \"hi\");\n\
         m.write(#{ out_dir: p.out_dir + \"/one\", zip: \"x.zip\", package_name: \"x\", version: \"1\", build_id: \"b\", source_date_epoch: 0 });\n\
         m.write(#{ out_dir: p.out_dir + \"/two\", zip: \"x.zip\", package_name: \"x\", version: \"1\", build_id: \"b\", source_date_epoch: 0 });\n",
    );
    user.run(w.path(), &["run", "twice.rhai"]).exits(0);
    let (one, two) = (
        w.path().join("out/one/x.zip"),
        w.path().join("out/two/x.zip"),
    );
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    let files: Vec<String> = bsdtar_files(&two).into_iter().collect();
    assert_eq!(files, ["a.txt", "manifest.json"]);
}

#[test]
fn guest_agent_pins_are_checked_per_canonical_arch_and_the_agent_lands_beside_the_drivers() {
    let user = User::new();
    let w = tempdir();
    let actual = sha256_file(&virtio_win_example().join("guest-agent/qemu-ga-x86_64.msi"));
    let (wrong_a, wrong_b) = ("a".repeat(64), "b".repeat(64));
    let pins = format!("guest_agent_sha256=amd64={wrong_a},x86={wrong_b}");
    let out = w.path().join("pinned");
    let out_set = format!("out_dir={}", out.display());
    user.run(
        w.path(),
        &[
            "run",
            "virtio-win-full",
            "--set",
            &out_set,
            "--set",
            "arches=x64",
            "--set",
            "guest_agent=true",
            "--set",
            &pins,
        ],
    )
    .exits(1)
    .says(&["amd64 guest agent", &actual, &wrong_a, "pinned for x86"]);
    assert!(!out.exists(), "a failed pin check writes nothing");

    // Right pin through the alias: accepted; the MSI sits under the canonical arch.
    let s = user.recipe(
        w.path(),
        "virtio-win-full",
        &w.path().join("ok"),
        &[
            "arches=x64",
            "guest_agent=true",
            &format!("guest_agent_sha256=x64={actual}"),
        ],
    );
    let files = bsdtar_files(&s.get("aero-guest-tools.zip").path);
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("tools/guest-agent/amd64/") && f.ends_with(".msi")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.starts_with("drivers/amd64/")),
        "{files:?}"
    );
    assert!(!files.iter().any(|f| f.contains("/x64/")), "{files:?}");

    // A pin while the agent is off is refused, not dropped.
    user.run(
        w.path(),
        &[
            "run",
            "virtio-win-full",
            "--set",
            "out_dir=never",
            "--set",
            &format!("guest_agent_sha256={actual}"),
        ],
    )
    .exits(1)
    .says(&["guest_agent_sha256", "guest_agent=true"]);
}

#[test]
fn the_os_reaches_the_answer_file_and_a_product_key_is_taken() {
    let user = User::new();
    let w = tempdir();
    let key = "VK7JG-NPHTM-C97JM-9MPGT-3V66T";
    let w7 = user.recipe(
        w.path(),
        "windows-unattend",
        &w.path().join("w7"),
        &["os=w7", "firmware=bios"],
    );
    let w10 = user.recipe(
        w.path(),
        "windows-unattend",
        &w.path().join("w10"),
        &["os=win10", "firmware=bios", &format!("product_key={key}")],
    );
    let read = |s: &Summary| s.text("autounattend.xml");
    let (a7, a10) = (read(&w7), read(&w10));
    assert_ne!(a7, a10, "os must reach the answer file");
    xmllint(&a7);
    xmllint(&a10);
    assert!(
        a7.contains("<NetworkLocation>Home</NetworkLocation>"),
        "{a7}"
    );
    for absent in [
        "HideLocalAccountScreen",
        "HideOEMRegistrationScreen",
        "HideOnlineAccountScreens",
    ] {
        assert!(!a7.contains(absent), "Windows 7 has no {absent}:\n{a7}");
        assert!(
            a10.contains(absent),
            "Windows 10 answer files hide {absent}"
        );
    }
    assert!(a10.contains(&format!("<Key>{key}</Key>")), "{a10}");
}

#[test]
fn a_recipe_default_never_overrides_the_users_signing_policy() {
    let user = User::new();
    let w = tempdir();
    let s = user.recipe(
        w.path(),
        "aero-virtio",
        &w.path().join("none"),
        &["signing_policy=none"],
    );
    let files = bsdtar_files(&s.get("aero-guest-tools.zip").path);
    assert!(!files.iter().any(|f| f.ends_with(".cer")), "{files:?}");
    let manifest = s.text("manifest.json");
    assert!(manifest.contains("\"certs_required\": false"), "{manifest}");
    // A certificate the user names with a policy that ships none is a contradiction.
    user.run(
        w.path(),
        &[
            "run",
            "aero-virtio",
            "--set",
            "out_dir=x",
            "--set",
            "signing_policy=none",
            "--set",
            "cert=examples/certs/aero-test.cer",
        ],
    )
    .exits(1)
    .says(&["`cert`", "signing_policy=test"]);
}

#[test]
fn list_shows_each_parameter_typed_and_described_and_its_json_names_run() {
    let user = User::new();
    let w = tempdir();
    let text = user.run(w.path(), &["list", "virtio-win-full"]).ok().stdout;
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("virtio_win "))
        .unwrap_or_else(|| panic!("no virtio_win line:\n{text}"));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[line].contains("path = examples/virtio-win"),
        "{}",
        lines[line]
    );
    assert!(
        lines[line + 1].contains("virtio-win ISO"),
        "{}",
        lines[line + 1]
    );

    let json: serde_json::Value =
        serde_json::from_str(&user.run(w.path(), &["list", "--json"]).ok().stdout).unwrap();
    let infos = json.as_array().unwrap();
    assert_eq!(infos.len(), BUNDLED.len());
    for info in infos {
        let name = info["name"].as_str().unwrap();
        user.run(w.path(), &["check", name]).ok();
        let arches = &info["params"]["arches"];
        if !arches.is_null() {
            assert!(
                arches["default"].is_array(),
                "{name}: defaults are JSON values: {arches}"
            );
        }
    }
}

#[test]
fn cli_mistakes_exit_2_naming_the_nearest_name() {
    let user = User::new();
    let w = tempdir();
    user.run(w.path(), &["run", "virtio-win-ful"])
        .exits(2)
        .says(&["did you mean `virtio-win-full`?"]);
    for typo in ["virtiowin=x", "virtio-win=x"] {
        user.run(w.path(), &["run", "virtio-win-full", "--set", typo])
            .exits(2)
            .says(&["did you mean `virtio_win`?"]);
    }
    let r = user
        .run(
            w.path(),
            &[
                "run",
                "virtio-win-full",
                "--json",
                "--set",
                "virtio_win=no-such.iso",
            ],
        )
        .exits(1)
        .says(&["virtio_win", "no-such.iso"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("virtio_win"),
        "{v}"
    );
}

#[test]
fn a_params_file_sets_typed_values_under_the_command_line() {
    let user = User::new();
    let w = tempdir();
    let p = write(
        w.path(),
        "p.json",
        r#"{"os": "w10", "arches": ["amd64"], "version": "9.9"}"#,
    );
    let out = w.path().join("pj");
    let r = user
        .run(
            w.path(),
            &[
                "run",
                "virtio-win-full",
                "--json",
                "--params",
                &p,
                "--set",
                "version=1.2.3",
                "--set",
                &format!("out_dir={}", out.display()),
            ],
        )
        .ok();
    let s = Summary::parse(w.path(), &r.stdout);
    let files = bsdtar_files(&s.get("aero-guest-tools.zip").path);
    assert!(
        files.iter().any(|f| f.starts_with("drivers/amd64/")),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f.starts_with("drivers/x86/")),
        "{files:?}"
    );
    // The w10 build, not the recipe's default w7 one.
    let media = w.path().join("media");
    extract_iso(&s.get("aero-guest-tools.iso").path, &media);
    let shipped = std::fs::read(media.join("drivers/amd64/viostor/viostor.inf")).unwrap();
    let w10 = std::fs::read(virtio_win_example().join("viostor/w10/amd64/viostor.inf")).unwrap();
    assert!(
        shipped == w10,
        "the params file's os=w10 must choose the w10 build"
    );
    let manifest = s.text("manifest.json");
    assert!(
        manifest.contains("\"version\": \"1.2.3\""),
        "--set wins over the file:\n{manifest}"
    );
    // Commas inside a JSON array item survive.
    let s = user.recipe(
        w.path(),
        "windows-unattend",
        &w.path().join("u"),
        &[r#"extra_commands=["reg add HKLM\\X /v A /d 1,2 /f"]"#],
    );
    let iso = &s.get("autounattend.iso").path;
    let dest = w.path().join("x");
    extract_iso(iso, &dest);
    let script = std::fs::read_to_string(dest.join("first_logon.ps1")).unwrap();
    assert!(script.contains("/d 1,2 /f"), "{script}");
}

#[test]
fn check_finds_unknown_functions_methods_and_parameters_before_running() {
    let user = User::new();
    let w = tempdir();
    write(
        w.path(),
        "typos.rhai",
        "import \"lib/guest_tools\" as gt;\n\
         let p = params(gt::declarations(\"x\", \"none\") + #{ drivers_dir: param::path(\"d\", \"drivers\") });\n\
         let d = drivers::packagr(p.drivers_dir);\n\
         let c = contract::load(p.contract, 3);\n\
         print(p.mytools);\n\
         d.mergee(d);\n",
    );
    let calls = [
        "typos.rhai:3:",
        "did you mean `drivers::packager`?",
        "`contract::load` takes 1 argument(s), not 2",
        "did you mean `.merge(...)`?",
    ];
    // `check` knows the declarations too; a run stops at the calls, before reading anything.
    let r = user
        .run(w.path(), &["check", "typos.rhai"])
        .exits(1)
        .says(&calls)
        .says(&["`p.mytools`"]);
    assert!(r.stderr.contains("typos.rhai:5:"), "{}", r.stderr);
    // One block: one error line, every problem indented below it.
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Error:"), "{}", r.stderr);
    user.run(w.path(), &["run", "typos.rhai"])
        .exits(1)
        .says(&calls);
    // With the calls right, a run stops at `params()` on the undeclared name.
    write(
        w.path(),
        "key.rhai",
        "import \"lib/guest_tools\" as gt;\n\
         let p = params(gt::declarations(\"x\", \"none\"));\n\
         let vw = virtio_win::open(p.virtio_wim);\n",
    );
    user.run(w.path(), &["run", "key.rhai"]).exits(1).says(&[
        "key.rhai:3:",
        "`p.virtio_wim`",
        "no parameter `virtio_wim`",
    ]);
}

#[test]
fn runs_on_the_bundled_examples_say_so_and_verify_takes_the_output_directory() {
    let user = User::new();
    let w = tempdir();
    let out = w.path().join("o");
    let s = user.recipe(w.path(), "virtio-win-full", &out, &[]);
    assert!(
        s.warnings
            .iter()
            .any(|x| x.contains("`virtio_win` is the bundled example")),
        "{:?}",
        s.warnings
    );
    user.run(w.path(), &["verify", &out.display().to_string()])
        .ok();
    // A changed manifest copy beside the media is found.
    let copy = out.join("aero-guest-tools.manifest.json");
    let text = std::fs::read_to_string(&copy)
        .unwrap()
        .replace("\"version\": \"0.0.0\"", "\"version\": \"6.6.6\"");
    std::fs::write(&copy, text).unwrap();
    let r = user
        .run(w.path(), &["verify", &out.display().to_string()])
        .exits(1);
    assert!(
        r.stdout.contains("aero-guest-tools.manifest.json"),
        "{}",
        r.stdout
    );
}

#[test]
fn completions_man_and_a_closed_pipe() {
    let user = User::new();
    let w = tempdir();
    let bash = user.run(w.path(), &["completions", "bash"]).ok().stdout;
    assert!(
        bash.contains("complete -F") && bash.contains("verify"),
        "{bash}"
    );
    let man = user.run(w.path(), &["man"]).ok().stdout;
    assert!(man.contains(".TH aero-recipe 1"), "{man}");
    let bin = env!("CARGO_BIN_EXE_aero-recipe");
    let r = run(tool("bash").args([
        "-c",
        "set -o pipefail; \"$0\" api | head -c 1 >/dev/null",
        bin,
    ]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let r = run(tool("bash").args(["-c", "\"$0\" api > /dev/full", bin]));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        !r.stderr.contains("panicked") && r.stderr.contains("standard output"),
        "{}",
        r.stderr
    );
}

#[test]
fn out_dir_refuses_someone_elses_directory_without_force() {
    let user = User::new();
    let w = tempdir();
    let theirs = w.path().join("theirs");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
    let set = format!("out_dir={}", theirs.display());
    user.run(w.path(), &["run", "virtio-win-full", "--set", &set])
        .exits(1)
        .says(&["refusing to write into out_dir", "--force"]);
    user.run(
        w.path(),
        &["run", "virtio-win-full", "--force", "--set", &set],
    )
    .ok();
    assert!(theirs.join("aero-guest-tools.iso").is_file() && theirs.join("notes.txt").is_file());
    // A second run into an output directory of ours needs no --force.
    user.run(w.path(), &["run", "virtio-win-full", "--set", &set])
        .ok();
}

#[test]
fn the_readme_recipe_table_names_every_declared_parameter() {
    let user = User::new();
    let w = tempdir();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&user.run(w.path(), &["list", "--json"]).ok().stdout).unwrap();
    let common = [
        "out_dir",
        "version",
        "build_id",
        "signing_policy",
        "source_date_epoch",
        "spec",
        "contract",
        "guest_tools",
        "volume_id",
        "cert",
    ];
    let section = readme
        .split("### Bundled recipes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a Bundled recipes section");
    for common_param in common {
        assert!(
            section.contains(&format!("`{common_param}`")),
            "README omits `{common_param}`"
        );
    }
    let mut previous = String::new();
    for info in json.as_array().unwrap() {
        let name = info["name"].as_str().unwrap();
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("README's recipe table has no row for {name}"));
        let input = row.split('|').nth(2).unwrap().trim().to_string();
        let input = if input == "as above" {
            previous.clone()
        } else {
            input
        };
        let declared: Vec<&str> = info["params"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let guest_tools = declared.contains(&"guest_tools");
        for p in &declared {
            if guest_tools && common.contains(p) {
                continue;
            }
            assert!(
                input.contains(&format!("`{p}`")),
                "README row {name} does not name parameter `{p}`: {input}"
            );
        }
        // Every name the row gives as a parameter (outside the parenthesised defaults) is
        // declared.
        let mut depth = 0;
        let bare: String = input
            .chars()
            .filter(|c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => return depth == 0,
                }
                false
            })
            .collect();
        for quoted in bare.split('`').skip(1).step_by(2) {
            if quoted
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                assert!(
                    declared.contains(&quoted),
                    "{name}: README names `{quoted}`, which is not declared"
                );
            }
        }
        previous = input;
    }
}

#[test]
fn hostile_params_files_are_usage_errors_naming_the_file() {
    let user = User::new();
    let w = tempdir();
    let big = w.path().join("big.json");
    std::fs::write(&big, " ".repeat(2 << 20)).unwrap();
    let truncated = write(w.path(), "trunc.json", "{\"os\": ");
    let list = write(w.path(), "list.json", "[\"os=w10\"]");
    for (file, says) in [
        (big.display().to_string(), "over 1 MiB"),
        (truncated, "trunc.json:"),
        (list, "a JSON object"),
        ("/dev/zero".to_string(), "not a regular file"),
    ] {
        user.run(w.path(), &["run", "virtio-win-full", "--params", &file])
            .exits(2)
            .says(&[says]);
    }
    assert!(!w.path().join("out").exists());
}

#[test]
fn every_version_line_of_the_manifest_is_the_package_version() {
    // Aero's setup.cmd, without PowerShell, reads every line with a "version" key.
    let user = User::new();
    let w = tempdir();
    let s = user.recipe(
        w.path(),
        "virtio-win-full",
        &w.path().join("o"),
        &["version=4.5.6"],
    );
    let manifest = s.text("manifest.json");
    let lines: Vec<&str> = manifest
        .lines()
        .filter(|l| l.contains("\"version\""))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("\"4.5.6\""), "{lines:?}");
    assert!(
        manifest.contains("\"upstream_version\"") && manifest.contains("\"release\""),
        "{manifest}"
    );
}

#[test]
fn without_an_epoch_the_dates_come_from_the_git_head_commit_and_the_summary_says_so() {
    let user = User::new();
    let w = tempdir();
    let repo_dir = w.path().join("team");
    git_repo_at(&repo_dir, 1_712_345_678);
    let out = repo_dir.join("out");
    let mut cmd = user.cmd_sde(
        &repo_dir,
        None,
        &[
            "run",
            "virtio-win-full",
            "--json",
            "--set",
            &format!("out_dir={}", out.display()),
        ],
    );
    let r = run(&mut cmd).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["source_date_epoch_from"]
            .as_str()
            .unwrap()
            .contains("git"),
        "{v}"
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"source_date_epoch\": 1712345678"),
        "{manifest}"
    );
}
