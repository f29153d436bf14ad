//! The JSON Schemas as an independent oracle for the loaders: over a corpus of documents (valid
//! ones and one mistake at a time), the `jsonschema` crate with the bundled schema and
//! `Contract`/`Spec` loading give the same verdict. Documents the schema accepts but a
//! packaging rule refuses are a separate list: the loader must refuse them and say
//! `packaging rule:` (so a user can tell the two apart).
//!
//! The corpus is set with `AERO_SCHEMA_CORPUS_DIR` to a directory, the test also writes each
//! document there (`contract-*.json`, `spec-*.json`) with its expected verdict in the name,
//! so the same corpus can be checked against another schema (e.g. Aero's published ones).

use serde_json::{json, Value};

use aero_recipe::contract::Contract;
use aero_recipe::spec::Spec;

use crate::util::rules::schema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Schema and loader accept.
    Valid,
    /// Schema and loader refuse.
    Invalid,
    /// The schema accepts; a documented packaging rule refuses.
    Rule,
}
use Verdict::*;

type Case = (&'static str, Verdict, Value);

fn contract_base() -> Value {
    json!({
        "$schema": "./windows-device-contract.schema.json",
        "schema_version": 1,
        "contract_name": "corpus-contract",
        "contract_version": "1.0.6",
        "devices": [
            {
                "device": "virtio-blk",
                "pci_vendor_id": "0x1AF4",
                "pci_device_id": "0x1042",
                "pci_device_id_transitional": "0x1001",
                "hardware_id_patterns": [
                    "PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01",
                    "PCI\\VEN_1AF4&DEV_1042"
                ],
                "driver_service_name": "blk_service",
                "inf_name": "blk.inf",
                "virtio_device_type": 2
            },
            {
                "device": "tablet-like",
                "pci_vendor_id": "0x1AF4",
                "pci_device_id": "0x1052",
                "hardware_id_patterns": ["PCI\\VEN_1AF4&DEV_1052&SUBSYS_00121AF4&REV_01"],
                "driver_service_name": "input_service",
                "inf_name": "tablet.inf"
            },
            {
                "device": "some-gpu",
                "pci_vendor_id": "0xA3A0",
                "pci_device_id": "0x0001",
                "hardware_id_patterns": ["PCI\\VEN_A3A0&DEV_0001"],
                "driver_service_name": "gpu",
                "inf_name": "gpu_dx11.INF"
            }
        ]
    })
}

/// The base contract with `f` applied.
fn c(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = contract_base();
    f(&mut v);
    v
}

fn dev(v: &mut Value, i: usize) -> &mut serde_json::Map<String, Value> {
    v["devices"][i].as_object_mut().unwrap()
}

fn contract_corpus() -> Vec<Case> {
    vec![
        ("base", Valid, contract_base()),
        (
            "no-schema-ref",
            Valid,
            c(|v| {
                v.as_object_mut().unwrap().remove("$schema");
            }),
        ),
        (
            "tablet-without-type",
            Valid,
            c(|v| {
                dev(v, 0).remove("pci_device_id_transitional");
            }),
        ),
        (
            "version-free-text",
            Valid,
            c(|v| v["contract_version"] = json!("1.0.6 beta")),
        ),
        (
            "name-with-spaces",
            Valid,
            c(|v| v["contract_name"] = json!("Aero contract (test)")),
        ),
        (
            "schema-version-float",
            Valid,
            c(|v| v["schema_version"] = json!(1.0)),
        ),
        (
            "lowercase-hex-digits",
            Valid,
            c(|v| {
                dev(v, 2).insert("pci_vendor_id".into(), json!("0xa3a0"));
            }),
        ),
        (
            "hwid-lowercase-digits",
            Valid,
            c(|v| {
                v["devices"][2]["hardware_id_patterns"] =
                    json!(["PCI\\VEN_a3a0&DEV_0001&SUBSYS_0001a3a0"])
            }),
        ),
        (
            "duplicate-hwids",
            Valid,
            c(|v| {
                v["devices"][2]["hardware_id_patterns"] =
                    json!(["PCI\\VEN_A3A0&DEV_0001", "PCI\\VEN_A3A0&DEV_0001"])
            }),
        ),
        (
            "transitional-any-hex",
            Valid,
            c(|v| {
                dev(v, 0).insert("pci_device_id_transitional".into(), json!("0xFFFF"));
            }),
        ),
        (
            "service-with-dots",
            Valid,
            c(|v| {
                dev(v, 2).insert("driver_service_name".into(), json!("gpu.v2"));
            }),
        ),
        (
            "inf-with-space",
            Valid,
            c(|v| {
                dev(v, 2).insert("inf_name".into(), json!("gpu dx11.inf"));
            }),
        ),
        (
            "device-name-dots",
            Valid,
            c(|v| {
                dev(v, 2).insert("device".into(), json!("gpu.v2"));
            }),
        ),
        (
            "virtio-type-non-virtio-name",
            Valid,
            c(|v| {
                dev(v, 1).insert("virtio_device_type".into(), json!(18));
            }),
        ),
        (
            "virtio-type-zero",
            Valid,
            c(|v| {
                let d = dev(v, 1);
                d.insert("virtio_device_type".into(), json!(0));
                d.insert("pci_device_id".into(), json!("0x1040"));
                d.insert(
                    "hardware_id_patterns".into(),
                    json!(["PCI\\VEN_1AF4&DEV_1040&REV_01"]),
                );
            }),
        ),
        (
            "missing-schema-version",
            Invalid,
            c(|v| {
                v.as_object_mut().unwrap().remove("schema_version");
            }),
        ),
        (
            "schema-version-2",
            Invalid,
            c(|v| v["schema_version"] = json!(2)),
        ),
        (
            "schema-version-string",
            Invalid,
            c(|v| v["schema_version"] = json!("1")),
        ),
        (
            "empty-contract-name",
            Invalid,
            c(|v| v["contract_name"] = json!("")),
        ),
        (
            "contract-name-number",
            Invalid,
            c(|v| v["contract_name"] = json!(7)),
        ),
        (
            "missing-contract-version",
            Invalid,
            c(|v| {
                v.as_object_mut().unwrap().remove("contract_version");
            }),
        ),
        ("empty-schema-ref", Invalid, c(|v| v["$schema"] = json!(""))),
        (
            "unknown-top-field",
            Invalid,
            c(|v| v["devicez"] = json!([])),
        ),
        ("devices-empty", Invalid, c(|v| v["devices"] = json!([]))),
        ("devices-object", Invalid, c(|v| v["devices"] = json!({}))),
        (
            "unknown-device-field",
            Invalid,
            c(|v| {
                dev(v, 0).insert("driver".into(), json!("x"));
            }),
        ),
        (
            "missing-inf-name",
            Invalid,
            c(|v| {
                dev(v, 0).remove("inf_name");
            }),
        ),
        (
            "missing-hwids",
            Invalid,
            c(|v| {
                dev(v, 0).remove("hardware_id_patterns");
            }),
        ),
        (
            "empty-hwids",
            Invalid,
            c(|v| {
                dev(v, 2).insert("hardware_id_patterns".into(), json!([]));
            }),
        ),
        (
            "hwids-null",
            Invalid,
            c(|v| {
                dev(v, 2).insert("hardware_id_patterns".into(), Value::Null);
            }),
        ),
        (
            "hwid-lowercase-prefix",
            Invalid,
            c(|v| v["devices"][2]["hardware_id_patterns"] = json!(["pci\\ven_a3a0&dev_0001"])),
        ),
        (
            "hwid-not-pci",
            Invalid,
            c(|v| v["devices"][2]["hardware_id_patterns"] = json!(["ACPI\\QEMU0002"])),
        ),
        (
            "hex-uppercase-x",
            Invalid,
            c(|v| {
                dev(v, 2).insert("pci_vendor_id".into(), json!("0XA3A0"));
            }),
        ),
        (
            "hex-three-digits",
            Invalid,
            c(|v| {
                dev(v, 2).insert("pci_device_id".into(), json!("0x001"));
            }),
        ),
        (
            "hex-number",
            Invalid,
            c(|v| {
                dev(v, 2).insert("pci_device_id".into(), json!(1));
            }),
        ),
        (
            "transitional-null",
            Invalid,
            c(|v| {
                dev(v, 0).insert("pci_device_id_transitional".into(), Value::Null);
            }),
        ),
        (
            "inf-with-dir",
            Invalid,
            c(|v| {
                dev(v, 2).insert("inf_name".into(), json!("sub\\gpu.inf"));
            }),
        ),
        (
            "inf-not-inf",
            Invalid,
            c(|v| {
                dev(v, 2).insert("inf_name".into(), json!("gpu.sys"));
            }),
        ),
        (
            "inf-bare-extension",
            Invalid,
            c(|v| {
                dev(v, 2).insert("inf_name".into(), json!(".inf"));
            }),
        ),
        (
            "empty-service",
            Invalid,
            c(|v| {
                dev(v, 2).insert("driver_service_name".into(), json!(""));
            }),
        ),
        (
            "empty-device-name",
            Invalid,
            c(|v| {
                dev(v, 2).insert("device".into(), json!(""));
            }),
        ),
        (
            "virtio-type-negative",
            Invalid,
            c(|v| {
                dev(v, 0).insert("virtio_device_type".into(), json!(-1));
            }),
        ),
        (
            "virtio-type-fraction",
            Invalid,
            c(|v| {
                dev(v, 0).insert("virtio_device_type".into(), json!(2.5));
            }),
        ),
        (
            "virtio-type-string",
            Invalid,
            c(|v| {
                dev(v, 0).insert("virtio_device_type".into(), json!("2"));
            }),
        ),
        (
            "device-not-object",
            Invalid,
            c(|v| v["devices"][1] = json!("tablet")),
        ),
        ("root-array", Invalid, json!([contract_base()])),
    ]
}

fn contract_rules() -> Vec<Case> {
    vec![
        (
            "virtio-name-without-type",
            Rule,
            c(|v| {
                dev(v, 0).remove("virtio_device_type");
            }),
        ),
        (
            "virtio-wrong-vendor",
            Rule,
            c(|v| {
                let d = dev(v, 1);
                d.insert("virtio_device_type".into(), json!(18));
                d.insert("pci_vendor_id".into(), json!("0x1234"));
                d.insert(
                    "hardware_id_patterns".into(),
                    json!(["PCI\\VEN_1234&DEV_1052&REV_01"]),
                );
            }),
        ),
        (
            "virtio-transitional-id",
            Rule,
            c(|v| {
                let d = dev(v, 0);
                d.insert("pci_device_id".into(), json!("0x1001"));
                d.insert(
                    "hardware_id_patterns".into(),
                    json!(["PCI\\VEN_1AF4&DEV_1001&REV_01"]),
                );
            }),
        ),
        (
            "virtio-no-rev01",
            Rule,
            c(|v| v["devices"][0]["hardware_id_patterns"] = json!(["PCI\\VEN_1AF4&DEV_1042"])),
        ),
        (
            "virtio-rev00",
            Rule,
            c(|v| {
                v["devices"][0]["hardware_id_patterns"] = json!([
                    "PCI\\VEN_1AF4&DEV_1042&REV_01",
                    "PCI\\VEN_1AF4&DEV_1042&REV_00"
                ])
            }),
        ),
        (
            "hwid-other-device",
            Rule,
            c(|v| v["devices"][2]["hardware_id_patterns"] = json!(["PCI\\VEN_A3A0&DEV_0002"])),
        ),
        (
            "hwid-longer-device-id",
            Rule,
            c(|v| v["devices"][2]["hardware_id_patterns"] = json!(["PCI\\VEN_A3A0&DEV_00010"])),
        ),
        (
            "hwid-with-quote",
            Rule,
            c(|v| v["devices"][2]["hardware_id_patterns"] = json!(["PCI\\VEN_A3A0&DEV_0001&\"x"])),
        ),
        (
            "hwid-with-space",
            Rule,
            c(|v| v["devices"][2]["hardware_id_patterns"] = json!(["PCI\\VEN_A3A0&DEV_0001 x"])),
        ),
        (
            "service-percent",
            Rule,
            c(|v| {
                dev(v, 2).insert("driver_service_name".into(), json!("gpu%PATH%"));
            }),
        ),
        (
            "blank-service",
            Rule,
            c(|v| {
                dev(v, 2).insert("driver_service_name".into(), json!("   "));
            }),
        ),
        (
            "contract-name-pipe",
            Rule,
            c(|v| v["contract_name"] = json!("a|b")),
        ),
        (
            "same-prefix",
            Rule,
            c(|v| {
                dev(v, 2).insert("device".into(), json!("tablet_like"));
            }),
        ),
        (
            "same-name",
            Rule,
            c(|v| {
                dev(v, 2).insert("device".into(), json!("TABLET-LIKE"));
            }),
        ),
    ]
}

fn spec_base() -> Value {
    json!({
        "$schema": "./packaging-spec.schema.json",
        "require_optional_drivers_on_all_arches": true,
        "drivers": [
            {
                "name": "aerogpu",
                "required": true,
                "expected_inf_files": ["aerogpu_dx11.inf"],
                "expected_add_services_from_devices_cmd_var": "AERO_GPU_SERVICE",
                "expected_hardware_ids_from_devices_cmd_var": "AERO_GPU_HWIDS"
            },
            {
                "name": "virtio-input",
                "required": false,
                "expected_inf_files": ["aero_virtio_input.inf", "aero_virtio_tablet.inf"],
                "expected_add_services": ["aero_virtio_input"],
                "expected_hardware_ids": ["PCI\\\\VEN_1AF4&DEV_1052"],
                "allow_extensions": [".pdb"],
                "allow_path_regexes": ["^symbols/.*\\.pdb$"]
            }
        ]
    })
}

fn s(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = spec_base();
    f(&mut v);
    v
}

fn drv(v: &mut Value, i: usize) -> &mut serde_json::Map<String, Value> {
    v["drivers"][i].as_object_mut().unwrap()
}

fn spec_corpus() -> Vec<Case> {
    vec![
        ("base", Valid, spec_base()),
        (
            "minimal",
            Valid,
            json!({"drivers": [{"name": "x", "required": false}]}),
        ),
        (
            "legacy-only",
            Valid,
            json!({"required_drivers": [{"name": "viostor"}]}),
        ),
        (
            "legacy-with-hwids",
            Valid,
            json!({"required_drivers": [{"name": "viostor", "expected_hardware_ids": ["VEN_1AF4"], "expected_hardware_ids_from_devices_cmd_var": null}]}),
        ),
        (
            "legacy-merges",
            Valid,
            s(|v| v["required_drivers"] = json!([{"name": "AEROGPU"}])),
        ),
        (
            "drivers-empty-legacy-given",
            Valid,
            json!({"drivers": [], "required_drivers": [{"name": "viostor"}]}),
        ),
        (
            "var-null",
            Valid,
            s(|v| {
                drv(v, 0).insert(
                    "expected_hardware_ids_from_devices_cmd_var".into(),
                    Value::Null,
                );
            }),
        ),
        (
            "flags-false",
            Valid,
            s(|v| {
                v["fail_on_unlisted_driver_dirs"] = json!(false);
                v["require_optional_drivers_on_all_arches"] = json!(false);
            }),
        ),
        (
            "empty-hwid-list",
            Valid,
            s(|v| {
                drv(v, 0).insert("expected_hardware_ids".into(), json!([]));
            }),
        ),
        (
            "aero-gpu-name",
            Valid,
            s(|v| {
                drv(v, 0).insert("name".into(), json!("aero-gpu"));
            }),
        ),
        (
            "uppercase-inf",
            Valid,
            s(|v| {
                drv(v, 0).insert("expected_inf_files".into(), json!(["AEROGPU_DX11.INF"]));
            }),
        ),
        (
            "name-with-space-inside",
            Valid,
            s(|v| {
                drv(v, 0).insert("name".into(), json!("aero gpu"));
            }),
        ),
        ("no-drivers-at-all", Invalid, json!({})),
        ("drivers-empty", Invalid, json!({"drivers": []})),
        (
            "drivers-null",
            Invalid,
            json!({"drivers": null, "required_drivers": [{"name": "x"}]}),
        ),
        (
            "required-drivers-null",
            Invalid,
            s(|v| v["required_drivers"] = Value::Null),
        ),
        (
            "legacy-string-item",
            Invalid,
            json!({"required_drivers": ["viostor"]}),
        ),
        (
            "legacy-unknown-field",
            Invalid,
            json!({"required_drivers": [{"name": "viostor", "required": true}]}),
        ),
        (
            "unknown-top-field",
            Invalid,
            s(|v| v["drivers_extra"] = json!([])),
        ),
        (
            "unknown-driver-field",
            Invalid,
            s(|v| {
                drv(v, 0).insert("expected_infs".into(), json!(["a.inf"]));
            }),
        ),
        (
            "missing-required",
            Invalid,
            s(|v| {
                drv(v, 0).remove("required");
            }),
        ),
        (
            "missing-required-though-legacy",
            Invalid,
            s(|v| {
                drv(v, 0).remove("required");
                v["required_drivers"] = json!([{"name": "aerogpu"}]);
            }),
        ),
        (
            "required-string",
            Invalid,
            s(|v| {
                drv(v, 0).insert("required".into(), json!("yes"));
            }),
        ),
        (
            "missing-name",
            Invalid,
            s(|v| {
                drv(v, 0).remove("name");
            }),
        ),
        (
            "empty-name",
            Invalid,
            s(|v| {
                drv(v, 0).insert("name".into(), json!(""));
            }),
        ),
        (
            "dot-name",
            Invalid,
            s(|v| {
                drv(v, 0).insert("name".into(), json!(".."));
            }),
        ),
        (
            "name-with-slash",
            Invalid,
            s(|v| {
                drv(v, 0).insert("name".into(), json!("a/b"));
            }),
        ),
        (
            "name-trailing-space",
            Invalid,
            s(|v| {
                drv(v, 0).insert("name".into(), json!("aerogpu "));
            }),
        ),
        (
            "inf-files-empty",
            Invalid,
            s(|v| {
                drv(v, 0).insert("expected_inf_files".into(), json!([]));
            }),
        ),
        (
            "inf-files-not-inf",
            Invalid,
            s(|v| {
                drv(v, 0).insert("expected_inf_files".into(), json!(["a.sys"]));
            }),
        ),
        (
            "inf-files-dir",
            Invalid,
            s(|v| {
                drv(v, 0).insert("expected_inf_files".into(), json!(["x/a.inf"]));
            }),
        ),
        (
            "inf-files-twice",
            Invalid,
            s(|v| {
                drv(v, 0).insert("expected_inf_files".into(), json!(["a.inf", "a.inf"]));
            }),
        ),
        (
            "services-empty",
            Invalid,
            s(|v| {
                drv(v, 1).insert("expected_add_services".into(), json!([]));
            }),
        ),
        (
            "service-padded",
            Invalid,
            s(|v| {
                drv(v, 1).insert("expected_add_services".into(), json!([" svc"]));
            }),
        ),
        (
            "hwid-regex-empty",
            Invalid,
            s(|v| {
                drv(v, 1).insert("expected_hardware_ids".into(), json!([""]));
            }),
        ),
        (
            "hwid-regex-twice",
            Invalid,
            s(|v| {
                drv(v, 1).insert("expected_hardware_ids".into(), json!(["A", "A"]));
            }),
        ),
        (
            "hwid-regex-newline",
            Invalid,
            s(|v| {
                drv(v, 1).insert("expected_hardware_ids".into(), json!(["A\nB"]));
            }),
        ),
        (
            "hwids-null",
            Invalid,
            s(|v| {
                drv(v, 1).insert("expected_hardware_ids".into(), Value::Null);
            }),
        ),
        (
            "hwids-string",
            Invalid,
            s(|v| {
                drv(v, 1).insert("expected_hardware_ids".into(), json!("PCI"));
            }),
        ),
        (
            "var-bad-name",
            Invalid,
            s(|v| {
                drv(v, 0).insert(
                    "expected_hardware_ids_from_devices_cmd_var".into(),
                    json!("AERO-GPU"),
                );
            }),
        ),
        (
            "var-empty",
            Invalid,
            s(|v| {
                drv(v, 0).insert(
                    "expected_add_services_from_devices_cmd_var".into(),
                    json!(""),
                );
            }),
        ),
        (
            "var-number",
            Invalid,
            s(|v| {
                drv(v, 0).insert(
                    "expected_add_services_from_devices_cmd_var".into(),
                    json!(3),
                );
            }),
        ),
        (
            "extension-twice",
            Invalid,
            s(|v| {
                drv(v, 1).insert("allow_extensions".into(), json!(["pdb", "pdb"]));
            }),
        ),
        (
            "path-regex-padded",
            Invalid,
            s(|v| {
                drv(v, 1).insert("allow_path_regexes".into(), json!(["x "]));
            }),
        ),
        (
            "flag-string",
            Invalid,
            s(|v| v["fail_on_unlisted_driver_dirs"] = json!("true")),
        ),
        ("schema-ref-empty", Invalid, s(|v| v["$schema"] = json!(""))),
        (
            "schema-ref-padded",
            Invalid,
            s(|v| v["$schema"] = json!(" x")),
        ),
        (
            "driver-not-object",
            Invalid,
            s(|v| v["drivers"][1] = json!("virtio-input")),
        ),
    ]
}

fn spec_rules() -> Vec<Case> {
    vec![
        (
            "duplicate-names",
            Rule,
            s(|v| {
                drv(v, 1).insert("name".into(), json!("AeroGPU"));
            }),
        ),
        (
            "aero-gpu-and-aerogpu",
            Rule,
            s(|v| {
                drv(v, 1).insert("name".into(), json!("aero-gpu"));
            }),
        ),
        (
            "reserved-name",
            Rule,
            s(|v| {
                drv(v, 1).insert("name".into(), json!("CON"));
            }),
        ),
        (
            "name-with-colon",
            Rule,
            s(|v| {
                drv(v, 1).insert("name".into(), json!("a:b"));
            }),
        ),
        (
            "bad-regex",
            Rule,
            s(|v| {
                drv(v, 1).insert("expected_hardware_ids".into(), json!(["PCI(["]));
            }),
        ),
        (
            "key-extension",
            Rule,
            s(|v| {
                drv(v, 1).insert("allow_extensions".into(), json!(["pfx"]));
            }),
        ),
        (
            "extension-wildcard",
            Rule,
            s(|v| {
                drv(v, 1).insert("allow_extensions".into(), json!(["*.pdb"]));
            }),
        ),
        (
            "regex-too-big",
            Rule,
            s(|v| {
                drv(v, 1).insert(
                    "expected_hardware_ids".into(),
                    json!(["\\w{50}\\w{50}\\w{50}"]),
                );
            }),
        ),
    ]
}

/// Schema verdict and loader verdict (with the loader's error text) for one document.
fn verdicts(
    schema_file: &str,
    doc: &Value,
    load: &dyn Fn(&str) -> Result<(), String>,
) -> (bool, Result<(), String>) {
    let schema = schema(schema_file);
    let validator = jsonschema::validator_for(&schema).expect("bundled schema compiles");
    let text = serde_json::to_string_pretty(doc).unwrap();
    (validator.is_valid(doc), load(&text))
}

fn dump(kind: &str, cases: &[Case]) {
    let Some(dir) = std::env::var_os("AERO_SCHEMA_CORPUS_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, verdict, doc) in cases {
        let v = format!("{verdict:?}").to_lowercase();
        std::fs::write(
            dir.join(format!("{kind}-{v}-{name}.json")),
            serde_json::to_string_pretty(doc).unwrap(),
        )
        .unwrap();
    }
}

fn check(
    kind: &str,
    schema_file: &str,
    corpus: Vec<Case>,
    rules: Vec<Case>,
    load: &dyn Fn(&str) -> Result<(), String>,
) {
    let agreeing = corpus.len();
    assert!(
        agreeing >= 30,
        "{kind}: only {agreeing} documents in the agreement corpus"
    );
    for v in [Valid, Invalid] {
        assert!(corpus.iter().any(|c| c.1 == v), "{kind}: no {v:?} document");
    }
    dump(kind, &corpus);
    dump(kind, &rules);
    let mut wrong = Vec::new();
    for (name, expected, doc) in corpus.iter().chain(rules.iter()) {
        let (schema_ok, loaded) = verdicts(schema_file, doc, load);
        let loader_ok = loaded.is_ok();
        let fine = match expected {
            Valid | Invalid => schema_ok == (*expected == Valid) && loader_ok == schema_ok,
            Rule => {
                schema_ok
                    && loaded
                        .as_ref()
                        .err()
                        .is_some_and(|e| e.contains("packaging rule:"))
            }
        };
        if !fine {
            wrong.push(format!(
                "{kind} `{name}` (expected {expected:?}): schema {}, loader {}",
                if schema_ok { "accepts" } else { "refuses" },
                match &loaded {
                    Ok(()) => "accepts".to_string(),
                    Err(e) => format!("refuses: {e}"),
                }
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn contract_loader_and_schema_agree() {
    check(
        "contract",
        "contracts/windows-device-contract.schema.json",
        contract_corpus(),
        contract_rules(),
        &|t| {
            Contract::from_json_str(t)
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
        },
    );
}

#[test]
fn spec_loader_and_schema_agree() {
    check(
        "spec",
        "specs/packaging-spec.schema.json",
        spec_corpus(),
        spec_rules(),
        &|t| {
            Spec::from_json_str(t)
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
        },
    );
}

#[test]
fn bundled_contracts_and_specs_satisfy_their_schemas() {
    let contract_schema = schema("contracts/windows-device-contract.schema.json");
    let spec_schema = schema("specs/packaging-spec.schema.json");
    let cv = jsonschema::validator_for(&contract_schema).unwrap();
    let sv = jsonschema::validator_for(&spec_schema).unwrap();
    let mut seen = 0;
    for (dir, v) in [("contracts", &cv), ("specs", &sv)] {
        for e in std::fs::read_dir(crate::util::repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".json") || name.ends_with(".schema.json") {
                continue;
            }
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", p.display());
            seen += 1;
        }
    }
    assert_eq!(seen, 8, "2 contracts and 6 specs");
}
