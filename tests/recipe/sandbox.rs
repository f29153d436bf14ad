//! The recipe sandbox, tried from the outside: imports that leave the recipe tree, `eval`, and
//! writes outside the output directories the run was given are each refused with a clear
//! message, and nothing appears where the recipe aimed.

use std::path::Path;

use crate::util::recipe::*;
use crate::util::*;

/// Write a recipe into `dir` and run it there; it must fail with exit 1 and say `needles`.
fn refused(user: &User, dir: &Path, name: &str, text: &str, needles: &[&str]) -> Run {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    user.run(dir, &["run", name]).exits(1).says(needles)
}

#[test]
fn imports_cannot_leave_the_recipe_tree() {
    let user = User::new();
    let w = tempdir();
    // A module one level up exists, so only the rule can stop the import.
    std::fs::write(w.path().join("x.rhai"), "fn f() { 1 }\n").unwrap();
    std::fs::create_dir_all(w.path().join("team/lib")).unwrap();

    let tail = "let p = params(#{ out_dir: \"out\" });\n";
    refused(
        &user,
        w.path(),
        "team/abs.rhai",
        &format!("import \"/etc/passwd\" as x;\n{tail}"),
        &["team/abs.rhai:1:", "/etc/passwd", "refused"],
    );
    refused(
        &user,
        w.path(),
        "team/up.rhai",
        &format!("import \"../x\" as x;\n{tail}"),
        &["team/up.rhai:1:", "../x", "refused"],
    );
    refused(
        &user,
        w.path(),
        "team/sneaky.rhai",
        &format!("import \"lib/../../x\" as x;\n{tail}"),
        &["team/sneaky.rhai:1:", "refused"],
    );
    // A module a shared module imports is held to the same rule.
    std::fs::write(
        w.path().join("team/lib/evil.rhai"),
        "import \"../../x\" as x;\nfn f() { 1 }\n",
    )
    .unwrap();
    refused(
        &user,
        w.path(),
        "team/via-lib.rhai",
        &format!("import \"lib/evil\" as e;\n{tail}"),
        &["refused", "../../x"],
    );
    // And eval is not there to get around it.
    refused(
        &user,
        w.path(),
        "team/eval.rhai",
        &format!("{tail}eval(\"1 + 1\");\n"),
        &["team/eval.rhai:2:", "eval", "disabled"],
    );
    assert!(!w.path().join("out").exists() && !w.path().join("team/out").exists());
}

/// A recipe that declares `out_dir = given` and then writes with `write_args`.
fn writer(given: &Path, prelude: &str, write_args: &str) -> String {
    format!(
        "let p = params(#{{ out_dir: \"{}\" }});\n{prelude}\
         let m = media::empty();\n\
         m.add_text(\"hello.txt\", \"hello\");\n\
         m.write(#{{ package_name: \"x\", version: \"1\", build_id: \"b\", source_date_epoch: 0, {write_args} }});\n",
        given.display()
    )
}

#[test]
fn writes_stay_in_the_output_directories_the_run_was_given() {
    let user = User::new();
    let w = tempdir();
    let given = w.path().join("given");
    let elsewhere = w.path().join("elsewhere");
    let e = elsewhere.display();

    let cases = [
        // Straight to another directory.
        ("", format!("out_dir: \"{e}\", zip: \"x.zip\"")),
        // Changing the parameter after params() does not widen what was given.
        (
            "p.out_dir = \"ELSEWHERE\";\n",
            "out_dir: p.out_dir, zip: \"x.zip\"".to_string(),
        ),
        // Climbing out of the given directory.
        (
            "",
            "out_dir: p.out_dir + \"/../elsewhere\", zip: \"x.zip\"".to_string(),
        ),
        // Output names that climb out.
        (
            "",
            "out_dir: p.out_dir, zip: \"../elsewhere/x.zip\"".to_string(),
        ),
        ("", "out_dir: p.out_dir, dir: \"../elsewhere\"".to_string()),
        (
            "",
            "out_dir: p.out_dir, zip: \"x.zip\", manifest_copies: [\"../elsewhere/m.json\"]"
                .to_string(),
        ),
        (
            "",
            "out_dir: p.out_dir, zip: \"x.zip\", side_files: #{ \"../elsewhere/s.txt\": \"x\" }"
                .to_string(),
        ),
        (
            "",
            format!("out_dir: p.out_dir, iso: \"{e}/x.iso\", volume_id: \"X\""),
        ),
    ];
    for (i, (prelude, args)) in cases.iter().enumerate() {
        let prelude = prelude.replace("ELSEWHERE", &e.to_string());
        let name = format!("w{i}.rhai");
        let r = refused(&user, w.path(), &name, &writer(&given, &prelude, args), &[]);
        let line = line_of(&writer(&given, &prelude, args), "m.write(");
        assert!(
            r.stderr.contains(&format!("{name}:{line}:"))
                && (r.stderr.contains("outside") || r.stderr.contains("invalid output name")),
            "case {i} ({args}): the refusal should name the recipe line and why:\n{}",
            r.stderr
        );
        assert!(
            !elsewhere.exists(),
            "case {i} ({args}): something was written to {e}"
        );
    }

    // Media paths that climb out of a directory output are refused too.
    for dest in ["../../escape.txt", "a/../../../escape.txt"] {
        let text = format!(
            "let p = params(#{{ out_dir: \"{}\" }});\n\
             let m = media::empty();\n\
             m.add_text(\"{dest}\", \"x\");\n\
             m.write(#{{ out_dir: p.out_dir, package_name: \"x\", version: \"1\", build_id: \"b\", source_date_epoch: 0, dir: \"d\" }});\n",
            given.display()
        );
        refused(
            &user,
            w.path(),
            "climb.rhai",
            &text,
            &["climb.rhai:3:", ".."],
        );
        assert!(!w.path().join("escape.txt").exists() && !given.join("escape.txt").exists());
    }

    // The Guest Tools writer obeys the same rule.
    let text = format!(
        "import \"lib/guest_tools\" as gt;\n\
         let p = params(gt::defaults(\"x\") + #{{ spec: \"specs/win7-aero-virtio.json\", cert: \"examples/certs/aero-test.cer\", out_dir: \"{}\" }});\n\
         let drivers = drivers::packager(\"examples/aero-virtio-drivers\");\n\
         let contract = contract::load(p.contract);\n\
         p.out_dir = \"{e}\";\n\
         gt::build(p, drivers, contract, #{{}}, #{{}});\n",
        given.display()
    );
    refused(
        &user,
        w.path(),
        "gt.rhai",
        &text,
        &["gt.rhai:6:", "outside"],
    );
    assert!(!elsewhere.exists());

    // The same recipe writing where it was told succeeds, so the refusals above are the rule
    // and not a broken writer.
    let ok = writer(&given, "", "out_dir: p.out_dir, zip: \"x.zip\"");
    std::fs::write(w.path().join("fine.rhai"), ok).unwrap();
    user.run(w.path(), &["run", "fine.rhai"]).ok();
    assert!(given.join("x.zip").is_file());
    let other = w.path().join("other");
    user.run(
        w.path(),
        &[
            "run",
            "fine.rhai",
            "--set",
            &format!("out_dir={}", other.display()),
        ],
    )
    .ok();
    assert!(
        other.join("x.zip").is_file(),
        "--set out_dir moves the outputs"
    );
    assert!(!elsewhere.exists());
}

#[test]
fn a_recipe_default_out_dir_stays_in_the_working_directory() {
    let user = User::new();
    let w = tempdir();
    let outside = tempdir();
    let text = writer(outside.path(), "", "out_dir: p.out_dir, zip: \"x.zip\"");
    std::fs::write(w.path().join("far.rhai"), &text).unwrap();
    user.run(w.path(), &["run", "far.rhai"]).exits(1).says(&[
        "default out_dir",
        "outside the working directory",
        "--set out_dir=",
    ]);
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    // The user saying so is enough.
    let set = format!("out_dir={}", outside.path().display());
    user.run(w.path(), &["run", "far.rhai", "--set", &set]).ok();
    assert!(outside.path().join("x.zip").is_file());
}

#[test]
fn symbolic_links_do_not_widen_what_a_recipe_may_touch() {
    let user = User::new();
    let w = tempdir();
    let outside = tempdir();
    let given = w.path().join("given");
    std::fs::create_dir(&given).unwrap();
    std::os::unix::fs::symlink(outside.path(), given.join("link")).unwrap();
    // An earlier run's output, so the directory is the run's own.
    std::fs::write(given.join("x.manifest.json"), "{}").unwrap();
    // Writing through a link inside the output directory.
    refused(
        &user,
        w.path(),
        "through.rhai",
        &writer(&given, "", "out_dir: p.out_dir + \"/link\", zip: \"x.zip\""),
        &["through.rhai:4:", "outside", "symbolic links"],
    );
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());

    // An import that is a link out of the recipe tree.
    std::fs::write(outside.path().join("m.rhai"), "fn f() { 1 }\n").unwrap();
    std::fs::create_dir_all(w.path().join("team/lib")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("m.rhai"),
        w.path().join("team/lib/m.rhai"),
    )
    .unwrap();
    refused(
        &user,
        w.path(),
        "team/imp.rhai",
        "import \"lib/m\" as m;\nlet p = params(#{ out_dir: \"out\" });\n",
        &[
            "team/imp.rhai:1:",
            "lib/m.rhai",
            "symbolic link out of the recipe tree",
        ],
    );

    // Host files the user never passed, directly or through a link in the working directory.
    std::os::unix::fs::symlink("/etc/passwd", w.path().join("innocent.txt")).unwrap();
    for path in ["/etc/passwd", "innocent.txt"] {
        let text = format!(
            "let p = params(#{{ out_dir: \"out\" }});\n\
             let f = media::input_files(\"{path}\");\n"
        );
        refused(
            &user,
            w.path(),
            "host.rhai",
            &text,
            &[
                "host.rhai:2:",
                path,
                "outside the places this run may read",
                "--set",
            ],
        );
    }
    assert!(!w.path().join("out").exists());
}

#[test]
fn import_cycles_are_named_not_a_crash() {
    let user = User::new();
    let w = tempdir();
    std::fs::create_dir_all(w.path().join("lib")).unwrap();
    std::fs::write(
        w.path().join("lib/a.rhai"),
        "import \"lib/b\" as b;\nfn f() { 1 }\n",
    )
    .unwrap();
    std::fs::write(
        w.path().join("lib/b.rhai"),
        "import \"lib/a\" as a;\nfn g() { 1 }\n",
    )
    .unwrap();
    let r = refused(
        &user,
        w.path(),
        "cyc.rhai",
        "import \"lib/a\" as a;\nlet p = params(#{ out_dir: \"out\" });\n",
        &["import cycle", "lib/a.rhai -> lib/b.rhai -> lib/a.rhai"],
    );
    assert!(!r.stderr.contains("overflow"), "{}", r.stderr);
    refused(
        &user,
        w.path(),
        "me.rhai",
        "import \"me\" as me;\nlet p = params(#{ out_dir: \"out\" });\n",
        &["import cycle", "me.rhai -> me.rhai"],
    );
}

#[test]
fn a_recipe_busy_in_its_own_code_is_stopped_by_the_clock() {
    let user = User::new();
    let w = tempdir();
    // Within the operations limit, but each operation works on a 4 MB string.
    let text = "let p = params(#{ out_dir: \"out\" });\n\
                let s = \"a\";\n\
                for i in 0..22 { s += s; }\n\
                for i in 0..1000000 { let t = s.to_upper(); }\n";
    std::fs::write(w.path().join("busy.rhai"), text).unwrap();
    let started = std::time::Instant::now();
    run(user
        .cmd(w.path(), &["run", "busy.rhai"])
        .env("AERO_RECIPE_MAX_SCRIPT_SECONDS", "2"))
    .exits(1)
    .says(&["busy.rhai:4:", "ran for more than 2 s"]);
    // Generous: the limit is script time; this only shows the run ended instead of taking hours.
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

/// `aero-recipe ARGS` in `cwd` as cron or a systemd unit runs it: no HOME, no XDG_CACHE_HOME,
/// TMPDIR = `tmp`.
fn homeless(tmp: &Path, cwd: &Path, args: &[&str]) -> Run {
    run(aero()
        .current_dir(cwd)
        .args(args)
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .env("TMPDIR", tmp)
        .env("SOURCE_DATE_EPOCH", "0"))
}

#[test]
fn the_unpacked_bundled_files_are_private_and_checked_before_use() {
    let tmp = tempdir();
    let w = tempdir();
    let run_into = |out: &str| {
        let set = format!("out_dir={out}");
        homeless(
            tmp.path(),
            w.path(),
            &[
                "run",
                "aero-virtio",
                "--set",
                "signing_policy=none",
                "--set",
                &set,
            ],
        )
    };
    let build = |out: &str| {
        run_into(out).ok();
        let zip = w.path().join(out).join("aero-guest-tools.zip");
        tool_ok(tool("unzip").arg("-p").arg(&zip).arg("setup.cmd"))
    };
    let genuine = std::fs::read_to_string(repo().join("guest-tools/setup.cmd")).unwrap();
    assert_eq!(build("first"), genuine);

    // The cache is per user and private.
    let caches: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(caches.len(), 1, "{caches:?}");
    let base = &caches[0];
    assert!(base
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("aero-recipe-cache-"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(base).unwrap().permissions().mode() & 0o777,
        0o700
    );

    // A planted setup.cmd in the unpacked copy (as if someone could write there) never ships.
    let root = std::fs::read_dir(base)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(root.join("guest-tools/setup.cmd"), "echo owned\r\n").unwrap();
    std::fs::write(root.join("guest-tools/planted.cmd"), "echo owned\r\n").unwrap();
    assert_eq!(build("second"), genuine);
    assert!(!root.join("guest-tools/planted.cmd").exists());

    // A cache directory others can write into is refused, naming it.
    std::fs::set_permissions(base, std::fs::Permissions::from_mode(0o777)).unwrap();
    run_into("third").exits(1).says(&[
        "refusing the cache directory",
        "others can write into it",
        "XDG_CACHE_HOME",
    ]);
    assert!(!w.path().join("third").exists());
}
