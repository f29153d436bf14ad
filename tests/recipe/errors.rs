//! Failures a recipe author or user meets, end to end: each exits 1 (usage errors 2) with a
//! message that points at the recipe line that made the call and at the cause in its own file;
//! runaway recipes stop at the operations limit; `aero-recipe api` documents every function.

use std::path::Path;

use crate::util::recipe::*;
use crate::util::*;

/// Write `text` as `name` in `dir` and return its path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// The bundled copy of a recipe file's text, for computing expected line numbers.
fn recipe_text(rel: &str) -> String {
    std::fs::read_to_string(repo().join("recipes").join(rel)).unwrap()
}

#[test]
fn a_bad_argument_points_at_the_recipe_line_and_the_module_line() {
    let user = User::new();
    let w = tempdir();

    // A bad value straight from the recipe.
    let recipe = "//! Selects drivers for an architecture that does not exist.\n\
                  let p = params(#{ out_dir: \"out\" });\n\
                  let vw = virtio_win::open(\"examples/virtio-win\");\n\
                  let d = vw.select([\"viostor\"], \"w7\", [\"sparc\"]);\n";
    write(w.path(), "bad-arch.rhai", recipe);
    let line = line_of(recipe, "\"sparc\"");
    user.run(w.path(), &["run", "bad-arch.rhai"])
        .exits(1)
        .says(&[&format!("bad-arch.rhai:{line}:"), "sparc"]);

    // A value of the wrong type.
    let recipe = "let p = params(#{ out_dir: \"out\" });\nlet i = inf::load(42);\n";
    write(w.path(), "bad-type.rhai", recipe);
    user.run(w.path(), &["run", "bad-type.rhai"])
        .exits(1)
        .says(&["bad-type.rhai:2:", "inf::load"]);

    // A bad value that a shared module passes on: both lines are shown.
    let recipe = "//! Hands a bogus signing policy to the shared Guest Tools steps.\n\
                  import \"lib/guest_tools\" as gt;\n\
                  let p = params(gt::defaults(\"x\") + #{ signing_policy: \"bogus\", spec: \"specs/win7-aero-virtio.json\" });\n\
                  let drivers = drivers::packager(\"examples/aero-virtio-drivers\");\n\
                  let contract = contract::load(p.contract);\n\
                  gt::build(p, drivers, contract, #{}, #{});\n";
    write(w.path(), "bad-policy.rhai", recipe);
    let lib_line = line_of(&recipe_text("lib/guest_tools.rhai"), "media::guest_tools(");
    let out = w.path().join("out");
    user.run(
        w.path(),
        &[
            "run",
            "bad-policy.rhai",
            "--set",
            &format!("out_dir={}", out.display()),
        ],
    )
    .exits(1)
    .says(&[
        &format!("bad-policy.rhai:{}:", line_of(recipe, "gt::build(")),
        &format!("lib/guest_tools.rhai (bundled):{lib_line}:"),
        "bogus",
        "test, production or none",
    ]);
    assert!(!out.exists());
}

#[test]
fn a_spec_with_an_unknown_field_points_at_the_field() {
    let user = User::new();
    let w = tempdir();
    let spec = std::fs::read_to_string(repo().join("specs/win7-aero-virtio.json")).unwrap();
    let bad = spec.replacen(
        "\"expected_hardware_ids\"",
        "\"expected_hardware_idz\": [\"x\"],\n      \"expected_hardware_ids\"",
        1,
    );
    assert_ne!(bad, spec);
    let path = write(w.path(), "team-spec.json", &bad);
    let field_line = line_of(&bad, "expected_hardware_idz");
    let recipe_line = line_of(&recipe_text("aero-virtio.rhai"), "gt::build(");
    let lib_line = line_of(&recipe_text("lib/guest_tools.rhai"), "spec::load(");
    for cwd in [w.path(), &repo()] {
        let out = w.path().join("out");
        let run = user
            .run(
                cwd,
                &[
                    "run",
                    "aero-virtio",
                    "--set",
                    &format!("spec={path}"),
                    "--set",
                    &format!("out_dir={}", out.display()),
                ],
            )
            .exits(1);
        // Off a terminal the renderer wraps a long first line into `  │ ` continuation lines
        // where the width runs out, which moves with the temp path's length (and broke
        // `lib/` from `guest_tools.rhai` once the did-you-mean hint lengthened the line):
        // the needles are looked for in the text with the wraps joined.
        let joined = run.stderr.replace("\n  │ ", "");
        for needle in [
            if cwd == repo() {
                format!("recipes/aero-virtio.rhai:{recipe_line}:")
            } else {
                format!("aero-virtio.rhai (bundled):{recipe_line}:")
            },
            format!("lib/guest_tools.rhai:{lib_line}:"),
            format!("team-spec.json:{field_line}:"),
            "expected_hardware_idz".to_string(),
            "expected_hardware_ids".to_string(),
        ] {
            assert!(
                joined.contains(&needle),
                "{}: stderr does not mention {needle:?}:\n{}",
                run.what,
                run.stderr
            );
        }
        assert!(!out.exists());
    }
}

#[test]
fn a_driver_missing_its_inf_is_named_with_the_recipe_line() {
    let user = User::new();
    let w = tempdir();
    let drivers = w.path().join("drivers");
    copy_tree(&repo().join("examples/aero-virtio-drivers"), &drivers);
    std::fs::remove_file(drivers.join("amd64/aero_virtio_net/aero_virtio_net.inf")).unwrap();
    let recipe_line = line_of(&recipe_text("aero-virtio.rhai"), "gt::build(");
    let lib_line = line_of(&recipe_text("lib/guest_tools.rhai"), "spec.check(");
    let out = w.path().join("out");
    user.run(
        w.path(),
        &[
            "run",
            "aero-virtio",
            "--set",
            &format!("drivers_dir={}", drivers.display()),
            "--set",
            &format!("out_dir={}", out.display()),
        ],
    )
    .exits(1)
    .says(&[
        &format!("aero-virtio.rhai (bundled):{recipe_line}:"),
        &format!("lib/guest_tools.rhai:{lib_line}:"),
        "amd64/aero_virtio_net",
        ".inf",
    ]);
    assert!(!out.exists());

    // An INF the spec expects by name: the message names it and what is there instead.
    let spec = std::fs::read_to_string(repo().join("specs/win7-aero-virtio.json")).unwrap();
    let wants = spec.replacen(
        "\"name\": \"aero_virtio_net\",",
        "\"name\": \"aero_virtio_net\",\n      \"expected_inf_files\": [\"aero_virtio_net.inf\", \"netextra.inf\"],",
        1,
    );
    assert_ne!(wants, spec);
    let spec_path = write(w.path(), "wants-inf.json", &wants);
    user.run(
        w.path(),
        &[
            "run",
            "aero-virtio",
            "--set",
            &format!("spec={spec_path}"),
            "--set",
            &format!("out_dir={}", out.display()),
        ],
    )
    .exits(1)
    .says(&[
        &format!("aero-virtio.rhai (bundled):{recipe_line}:"),
        &format!("lib/guest_tools.rhai:{lib_line}:"),
        "x86/aero_virtio_net",
        "amd64/aero_virtio_net",
        "netextra.inf",
    ]);
    assert!(!out.exists());
}

#[test]
fn an_endless_loop_stops_at_the_operations_limit() {
    let user = User::new();
    let w = tempdir();
    write(
        w.path(),
        "loop.rhai",
        "let p = params(#{ out_dir: \"out\" });\nwhile true {}\n",
    );
    user.run(w.path(), &["run", "loop.rhai"])
        .exits(1)
        .says(&["loop.rhai:2:", "operations limit"]);
    assert!(!w.path().join("out").exists());
}

#[test]
fn unknown_settings_list_the_known_ones_and_bad_usage_exits_2() {
    let user = User::new();
    let w = tempdir();
    let list = user.run(w.path(), &["list", "--json"]).ok().stdout;
    let infos: serde_json::Value = serde_json::from_str(&list).unwrap();
    for recipe in BUNDLED {
        let info = infos
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"].as_str().unwrap().starts_with(recipe))
            .unwrap_or_else(|| panic!("list --json lacks {recipe}"));
        let known: Vec<&str> = info["params"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(known.contains(&"out_dir"), "{recipe}: {known:?}");
        let r = user
            .run(w.path(), &["run", recipe, "--set", "no_such_key=1"])
            .exits(2)
            .says(&["no_such_key"]);
        for k in known {
            assert!(
                r.stderr.contains(k),
                "{recipe}: the message should list `{k}`:\n{}",
                r.stderr
            );
        }
    }

    for args in [
        &["run"][..],
        &["run", "virtio-win-full", "--sett", "x=1"],
        &["frobnicate"],
        &["run", "virtio-win-full", "--json=maybe"],
        &[],
    ] {
        user.run(w.path(), args).exits(2);
    }
    user.run(w.path(), &["run", "no-such-recipe"])
        .exits(2)
        .says(&["no-such-recipe", "virtio-win-full"]);
}

/// Registered functions, read from the registration calls in `src/recipe/api/*.rs`: name and
/// parameter names.
fn registered() -> Vec<(String, Vec<String>)> {
    let re = regex::Regex::new(r#"reg\(\s*&mut m,\s*"(\w+)",\s*&\[([^\]]*)\]"#).unwrap();
    let mut out = Vec::new();
    for e in std::fs::read_dir(repo().join("src/recipe/api")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for c in re.captures_iter(&text) {
            let params = c[2]
                .split(',')
                .map(|p| p.trim().trim_matches('"'))
                .filter(|p| p.contains(':'))
                .map(|p| p.split(':').next().unwrap().trim().to_string())
                .collect();
            out.push((c[1].to_string(), params));
        }
    }
    out
}

#[test]
fn api_documents_every_registered_function() {
    let user = User::new();
    let w = tempdir();
    let api = user.run(w.path(), &["api"]).ok().stdout;
    assert!(!api.contains("(undocumented)"), "{api}");
    let lines: Vec<&str> = api.lines().collect();
    let entries: Vec<(&str, &str)> = lines
        .chunks(2)
        .map(|c| {
            assert!(
                c.len() == 2 && c[1].starts_with("    "),
                "each function has one indented description line: {c:?}"
            );
            (c[0], c[1].trim())
        })
        .collect();
    let funcs = registered();
    assert!(
        funcs.len() >= 30,
        "found only {} registrations",
        funcs.len()
    );
    assert_eq!(
        entries.len(),
        funcs.len(),
        "one reference entry per registration"
    );
    for (name, params) in &funcs {
        let (head, doc) = entries
            .iter()
            .find(|(h, _)| {
                h.starts_with(&format!("{name}("))
                    || h.contains(&format!("::{name}("))
                    || h.contains(&format!(".{name}("))
            })
            .unwrap_or_else(|| panic!("`aero-recipe api` lacks {name}:\n{api}"));
        // A method's receiver is the value before the dot, not a listed parameter.
        let shown: Vec<&String> = if head.contains(&format!(".{name}(")) {
            params.iter().skip(1).collect()
        } else {
            params.iter().collect()
        };
        for p in shown {
            assert!(
                head.contains(&format!("{p}:"))
                    || head.contains(&format!("{p},"))
                    || head.contains(&format!("{p})")),
                "{head}: parameter `{p}` is not shown"
            );
        }
        assert!(
            doc.len() > 15 && doc.ends_with('.') && doc.chars().next().unwrap().is_uppercase(),
            "{head}: the description is not a sentence: {doc:?}"
        );
    }

    // The language-server definitions come from the same registrations.
    let defs = w.path().join("defs");
    user.run(
        w.path(),
        &["api", "--definitions", &defs.display().to_string()],
    )
    .ok();
    let all: String = tree(&defs)
        .into_values()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    for (name, _) in &funcs {
        assert!(
            all.contains(&format!("fn {name}(")),
            "definitions lack `fn {name}(`"
        );
    }
}

#[test]
fn check_passes_the_bundled_recipes_and_points_at_syntax_errors() {
    let user = User::new();
    let w = tempdir();
    let custom = repo().join("examples/custom-recipe.rhai");
    let mut args = vec!["check"];
    args.extend(BUNDLED);
    let custom = custom.display().to_string();
    args.push(&custom);
    let r = user.run(w.path(), &args).ok();
    assert_eq!(
        r.stdout.lines().filter(|l| l.starts_with("ok: ")).count(),
        8,
        "{}",
        r.stdout
    );

    let text = "let p = params(#{ out_dir: \"out\" });\nlet x = [1, 2;\n";
    write(w.path(), "broken.rhai", text);
    user.run(w.path(), &["check", "broken.rhai", "virtio-win-full"])
        .exits(1)
        .says(&["broken.rhai:2:", "syntax error"]);
}
