//! Packaging specs: every field rule of the spec format, positions in errors, and a broken
//! spec reporting all of its mistakes at once.

use std::collections::BTreeMap;
use std::path::Path;

use aero_recipe::contract::{parse_devices_cmd, Contract};
use aero_recipe::spec::Spec;

use crate::util::rules::{has, property_names, schema, sorted};
use crate::util::*;

fn ok(text: &str) -> Spec {
    Spec::parse(Path::new("s.json"), text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn errors(text: &str) -> Vec<String> {
    let e = Spec::parse(Path::new("s.json"), text).expect_err("spec should be refused");
    e.problems().iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_broken_spec_reports_every_mistake_at_its_field() {
    let text = r#"{
  "$schema": 42,
  "drivers": [
    {"name": "viostor", "required": "yes", "colour": 1},
    {"name": " netkvm", "required": true},
    {"name": "a/b", "required": true, "expected_inf_files": ["x.sys", "sub/y.inf", "ok.INF"]},
    {"name": "VioStor", "required": false},
    {"name": "x", "expected_hardware_ids": ["PCI\\VEN_(1AF4"], "allow_extensions": ["PFX", ".pdb", ""]},
    {"name": "y", "required": false, "allow_path_regexes": ["["],
     "expected_hardware_ids_from_devices_cmd_var": "NOT-A-VAR"},
    {"name": "..", "required": true},
    {"name": "CON", "required": true}
  ],
  "fail_on_unlisted_driver_dirs": "no",
  "required_driver": []
}"#;
    let errs = errors(text);
    has(&errs, "s.json:2:14:", "`$schema` must be a string");
    has(&errs, "s.json:4:37:", "must be true or false");
    has(&errs, "s.json:4:44:", "unknown field `drivers[0].colour`");
    has(&errs, "s.json:5:14:", "surrounding whitespace");
    has(&errs, "s.json:6:14:", "path separator");
    has(&errs, "s.json:6:62:", "`x.sys` is not an INF base name");
    has(&errs, "s.json:6:71:", "`sub/y.inf` is not an INF base name");
    has(&errs, "s.json:7:14:", "listed twice");
    has(&errs, "s.json:8:5:", "missing field `drivers[4].required`");
    has(&errs, "s.json:8:45:", "not a valid regex");
    has(&errs, "s.json:8:85:", "private key material");
    has(
        &errs,
        "s.json:8:100:",
        "`drivers[4].allow_extensions[2]` is empty",
    );
    has(&errs, "s.json:9:61:", "not a valid regex");
    has(&errs, "s.json:10:52:", "devices.cmd variable name");
    has(&errs, "s.json:11:14:", "not a directory name");
    has(
        &errs,
        "s.json:12:14:",
        "packaging rule: name `CON` uses the reserved Windows device name",
    );
    has(&errs, "s.json:14:35:", "must be true or false");
    has(&errs, "s.json:15:3:", "unknown field `required_driver`");
    assert_eq!(errs.len(), 18, "{errs:#?}");
    // The rendered diagnostic carries the help for unknown fields.
    let e = Spec::parse(Path::new("s.json"), text).unwrap_err();
    let all = format!("{e:?}");
    assert!(all.contains("fields allowed here"), "{all}");
}

#[test]
fn syntax_errors_and_duplicate_keys_have_positions() {
    let e = Spec::parse(
        Path::new("s.json"),
        "{\n  \"drivers\": [\n    {\"name\": \"a\",}\n  ]\n}",
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("s.json:3:18: invalid JSON"),
        "{e}"
    );
    let errs = errors(r#"{"drivers": [{"name": "a", "required": true, "required": false}]}"#);
    has(&errs, "s.json:1:46:", "given twice");
}

#[test]
fn shipped_specs_load_with_their_drivers() {
    let expect: &[(&str, &[(&str, bool)])] = &[
        (
            "win7-signed",
            &[
                ("aerogpu", true),
                ("virtio-blk", true),
                ("virtio-net", true),
                ("virtio-input", true),
                ("virtio-snd", false),
            ],
        ),
        (
            "win7-aero-guest-tools",
            &[
                ("aerogpu", true),
                ("virtio-blk", true),
                ("virtio-net", true),
                ("virtio-input", true),
                ("virtio-snd", false),
            ],
        ),
        ("win7-virtio-win", &[("viostor", true), ("netkvm", true)]),
        (
            "win7-virtio-full",
            &[
                ("viostor", true),
                ("netkvm", true),
                ("vioinput", false),
                ("viosnd", false),
            ],
        ),
        (
            "win7-aero-virtio",
            &[("aero_virtio_blk", true), ("aero_virtio_net", true)],
        ),
        ("win7-aerogpu-only", &[("aerogpu", true)]),
    ];
    for (name, drivers) in expect {
        let spec = Spec::load(&repo().join(format!("specs/{name}.json"))).unwrap();
        let got: Vec<(&str, bool)> = spec
            .drivers()
            .iter()
            .map(|d| (d.name.as_str(), d.required))
            .collect();
        assert_eq!(&got, drivers, "{name}");
    }
    // The devices.cmd-driven specs resolve against devices.cmd rendered from the contract.
    let vars = parse_devices_cmd(
        &Contract::load(&repo().join("contracts/windows-device-contract.json"))
            .unwrap()
            .render_devices_cmd(),
    );
    for name in ["win7-signed", "win7-aero-guest-tools"] {
        let spec = Spec::load(&repo().join(format!("specs/{name}.json"))).unwrap();
        for d in spec.drivers() {
            d.devices_cmd_hardware_ids(Some(&vars)).unwrap();
            d.all_expected_services(Some(&vars)).unwrap();
        }
    }
    let signed = Spec::load(&repo().join("specs/win7-signed.json")).unwrap();
    let blk = signed.driver("virtio-blk").unwrap();
    assert_eq!(
        blk.devices_cmd_hardware_ids(Some(&vars)).unwrap(),
        ["PCI\\VEN_1AF4&DEV_1042"]
    );
    assert_eq!(
        blk.all_expected_services(Some(&vars)).unwrap(),
        ["aero_virtio_blk"]
    );
}

#[test]
fn schema_lists_exactly_the_loader_fields() {
    let schema = schema("specs/packaging-spec.schema.json");
    let (top, driver) = aero_recipe::spec::known_fields();
    assert_eq!(property_names(&schema), sorted(top));
    assert_eq!(property_names(&schema["$defs"]["driver"]), sorted(driver));
}

#[test]
fn defaults_and_schema_field_ignored() {
    let s = ok(
        r#"{"$schema": "./packaging-spec.schema.json", "drivers": [{"name": "a", "required": false}]}"#,
    );
    assert!(!s.fail_on_unlisted_driver_dirs);
    assert!(!s.require_optional_drivers_on_all_arches);
    let s = ok(
        r#"{"fail_on_unlisted_driver_dirs": true, "require_optional_drivers_on_all_arches": true,
                  "drivers": [{"name": "a", "required": true}]}"#,
    );
    assert!(s.fail_on_unlisted_driver_dirs && s.require_optional_drivers_on_all_arches);
}

#[test]
fn no_drivers_is_an_error() {
    has(&errors("{}"), "s.json:1:1:", "lists no drivers");
    has(
        &errors(r#"{"drivers": [], "required_drivers": []}"#),
        "s.json:1:1:",
        "lists no drivers",
    );
}

#[test]
fn legacy_required_drivers_merge_case_insensitively() {
    let s = ok(r#"{
      "drivers": [{"name": "viostor", "required": false, "expected_hardware_ids": ["DEV_1042"]},
                  {"name": "netkvm", "required": false}],
      "required_drivers": [{"name": "VIOSTOR"}, {"name": "NetKVM", "expected_hardware_ids": ["DEV_1041"],
                                       "expected_hardware_ids_from_devices_cmd_var": "AERO_VIRTIO_NET_HWIDS"},
                           {"name": "extra"}]
    }"#);
    let d: Vec<_> = s
        .drivers()
        .iter()
        .map(|d| (d.name.as_str(), d.required))
        .collect();
    assert_eq!(d, [("viostor", true), ("netkvm", true), ("extra", true)]);
    let net = s.driver("netkvm").unwrap();
    assert_eq!(net.expected_hardware_ids[0].as_str(), "DEV_1041");
    assert_eq!(
        net.expected_hardware_ids_from_devices_cmd_var.as_deref(),
        Some("AERO_VIRTIO_NET_HWIDS")
    );
    assert_eq!(s.driver("viostor").unwrap().expected_hardware_ids.len(), 1);
    // `required` has no default, legacy entry or not (Aero's schema requires it), and a legacy
    // entry is an object (a bare name is refused, as by Aero's schema and packager).
    has(
        &errors(r#"{"drivers": [{"name": "netkvm"}], "required_drivers": [{"name": "netkvm"}]}"#),
        "s.json:1:14:",
        "missing field `drivers[0].required`",
    );
    has(
        &errors(r#"{"required_drivers": ["netkvm"]}"#),
        "s.json:1:23:",
        "must be an object with `name`",
    );
    has(
        &errors(r#"{"drivers": [{"name": "netkvm"}]}"#),
        "s.json:1:14:",
        "missing field `drivers[0].required`",
    );
    has(
        &errors(r#"{"required_drivers": [{"name": "a", "required": true}]}"#),
        "s.json:1:37:",
        "unknown field",
    );
}

#[test]
fn aero_gpu_is_normalised() {
    let s = ok(r#"{"drivers": [{"name": "Aero-GPU", "required": true}]}"#);
    assert_eq!(s.drivers()[0].name, "aerogpu");
    assert!(s.driver("aero-gpu").is_some());
    assert!(s.driver("AEROGPU").is_some());
    has(
        &errors(
            r#"{"drivers": [{"name": "aerogpu", "required": true}, {"name": "aero-gpu", "required": true}]}"#,
        ),
        "s.json:1:62:",
        "listed twice",
    );
}

#[test]
fn names_must_be_plain_directory_names() {
    for bad in ["", " a", "a ", ".", "..", "a/b", "a\\b", "nul", "a:b"] {
        let json = serde_json::json!({"drivers": [{"name": bad, "required": true}]}).to_string();
        assert!(
            Spec::parse(Path::new("s.json"), &json).is_err(),
            "{bad:?} accepted"
        );
        let json = serde_json::json!({"required_drivers": [bad]}).to_string();
        assert!(
            Spec::parse(Path::new("s.json"), &json).is_err(),
            "legacy {bad:?} accepted"
        );
    }
}

#[test]
fn regexes_are_case_insensitive_and_extensions_normalised() {
    let s = ok(r#"{"drivers": [{"name": "a", "required": true,
        "expected_hardware_ids": ["^pci\\\\ven_1af4&dev_1042"],
        "allow_extensions": [".PDB", "map"], "allow_path_regexes": ["^SYMBOLS/"]}]}"#);
    let d = &s.drivers()[0];
    assert!(d.expected_hardware_ids[0].is_match("PCI\\VEN_1AF4&DEV_1042&REV_01"));
    assert!(d.allow_path_regexes[0].is_match("symbols/x.pdb"));
    assert_eq!(d.allow_extensions, ["pdb", "map"]);
}

#[test]
fn devices_cmd_variables_resolve_to_hwid_bases() {
    let s = ok(r#"{"drivers": [{"name": "a", "required": true,
        "expected_hardware_ids_from_devices_cmd_var": "AERO_X_HWIDS",
        "expected_add_services": ["one"],
        "expected_add_services_from_devices_cmd_var": "AERO_X_SERVICE"}]}"#);
    let d = &s.drivers()[0];
    let mut vars: BTreeMap<String, Vec<String>> = BTreeMap::new();
    vars.insert(
        "AERO_X_HWIDS".into(),
        vec![
            "PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01".into(),
            "PCI\\VEN_1AF4&DEV_1042".into(),
            "ACPI\\QEMU0002".into(),
        ],
    );
    vars.insert("aero_x_service".into(), vec!["two".into()]);
    assert_eq!(
        d.devices_cmd_hardware_ids(Some(&vars)).unwrap(),
        ["PCI\\VEN_1AF4&DEV_1042", "ACPI\\QEMU0002"]
    );
    assert_eq!(
        d.all_expected_services(Some(&vars)).unwrap(),
        ["one", "two"]
    );
    let missing = d
        .devices_cmd_hardware_ids(Some(&BTreeMap::new()))
        .unwrap_err();
    assert!(
        missing.to_string().contains("does not set `AERO_X_HWIDS`"),
        "{missing}"
    );
    let none = d.all_expected_services(None).unwrap_err();
    assert!(
        none.to_string().contains("no devices.cmd was given"),
        "{none}"
    );
}
