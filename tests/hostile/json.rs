//! Hostile packaging specs and device contracts, loaded by a one-line recipe through
//! `aero-recipe run` (`spec::load` / `contract::load`): wrong types, duplicate keys, huge
//! arrays, deep nesting, oversized and non-UTF-8 files. Each is exit 1 with the problem named on
//! the first stderr line (file:line:column where there is one), within the watchdog and the
//! memory limit, and nothing is written.

use std::ffi::OsStr;

use crate::util::hostile::*;
use crate::util::*;

/// Which loader a case goes through.
#[derive(Clone, Copy)]
enum Kind {
    Spec,
    Contract,
}

impl Kind {
    fn call(self) -> &'static str {
        match self {
            Kind::Spec => "spec::load",
            Kind::Contract => "contract::load",
        }
    }
}

/// Load `bytes` as `doc.json` from a recipe; require a refusal naming `needles`. Returns the
/// run.
fn load_refused(kind: Kind, bytes: &[u8], needles: &[&str]) -> Run {
    let sb = Sandbox::new();
    std::fs::write(sb.input("doc.json"), bytes).unwrap();
    let recipe = sb.input("load.rhai");
    std::fs::write(&recipe, format!("{}(\"doc.json\");\n", kind.call())).unwrap();
    let before = sb.snapshot();
    let args: [&OsStr; 2] = ["run".as_ref(), recipe.as_os_str()];
    let run = refused(&sb.cwd(), &args, needles);
    assert_eq!(before, sb.snapshot(), "loading a document wrote a file");
    run
}

const GOOD_DEVICE: &str = r#"{"device": "virtio-blk", "pci_vendor_id": "0x1AF4",
    "pci_device_id": "0x1042", "hardware_id_patterns": ["PCI\\VEN_1AF4&DEV_1042&REV_01"],
    "driver_service_name": "viostor", "inf_name": "viostor.inf", "virtio_device_type": 2}"#;

fn contract_with(devices: &str) -> String {
    format!(
        r#"{{"schema_version": 1, "contract_name": "c", "contract_version": "1.0.0",
  "devices": {devices}}}"#
    )
}

#[test]
fn wrong_types_are_named_at_their_field() {
    for (doc, needle) in [
        (r#"[]"#, "must be an object, found an array"),
        (r#"null"#, "must be an object, found null"),
        (r#"{"drivers": "viostor"}"#, "`drivers` must be an array"),
        (
            r#"{"drivers": [7]}"#,
            "`drivers[0]` must be an object, found a number",
        ),
        (
            r#"{"drivers": [{"name": ["x"], "required": true}]}"#,
            "`drivers[0].name` must be a string, found an array",
        ),
        (
            r#"{"drivers": [{"name": "x", "required": "yes"}]}"#,
            "`drivers[0].required` must be true or false, found a string",
        ),
        (
            r#"{"drivers": [{"name": "x", "required": true, "expected_inf_files": "x.inf"}]}"#,
            "must be an array of strings, found a string",
        ),
        (
            r#"{"fail_on_unlisted_driver_dirs": 1, "drivers": []}"#,
            "must be true or false",
        ),
    ] {
        load_refused(Kind::Spec, doc.as_bytes(), &["doc.json:1:", needle]);
    }
    for (doc, needle) in [
        (contract_with("{}"), "`devices` must be an array"),
        (
            contract_with("[null]"),
            "`devices[0]` must be an object, found null",
        ),
        (
            contract_with(&format!("[{}]", GOOD_DEVICE.replace("\"0x1042\"", "4162"))),
            "pci_device_id",
        ),
        (
            contract_with(&format!("[{}]", GOOD_DEVICE.replace("2}", "\"two\"}"))),
            "virtio_device_type",
        ),
        (
            format!(
                r#"{{"schema_version": "1", "contract_name": 5, "contract_version": "1",
  "devices": [{GOOD_DEVICE}]}}"#
            ),
            "schema_version",
        ),
    ] {
        load_refused(Kind::Contract, doc.as_bytes(), &["doc.json:", needle]);
    }
}

#[test]
fn duplicate_keys_are_named() {
    let spec = r#"{"drivers": [{"name": "a", "required": true}],
 "drivers": [{"name": "b", "required": false}]}"#;
    load_refused(
        Kind::Spec,
        spec.as_bytes(),
        &["doc.json:2:2", "`drivers` is given twice"],
    );
    let device = GOOD_DEVICE.replace(
        "\"inf_name\": \"viostor.inf\"",
        "\"inf_name\": \"viostor.inf\", \"inf_name\": \"other.inf\"",
    );
    let contract = contract_with(&format!("[{device}]"));
    load_refused(
        Kind::Contract,
        contract.as_bytes(),
        &["`devices[0].inf_name` is given twice"],
    );
}

#[test]
fn huge_arrays_of_bad_items_report_the_first_problems_and_count_the_rest() {
    // 400,000 bad items in a 900 KB document: each problem carries the text for its snippet,
    // so all of them at once took gigabytes.
    let items = vec!["1"; 400_000].join(",");
    let spec = format!("{{\"drivers\": [{items}]}}");
    let run = load_refused(
        Kind::Spec,
        spec.as_bytes(),
        &[
            "400000 problems; the first 20 are shown",
            "`drivers[0]` must be an object",
        ],
    );
    assert!(
        run.stderr.len() < 64 << 20,
        "stderr is {} bytes",
        run.stderr.len()
    );
    let contract = contract_with(&format!("[{}]", vec!["[]"; 300_000].join(",")));
    load_refused(
        Kind::Contract,
        contract.as_bytes(),
        &["300000 problems; the first 20 are shown"],
    );
    // (Repeated hardware IDs are valid, as in Aero's schema: these carry a `%` devices.cmd
    // cannot hold.)
    let hwids = vec!["\"PCI\\\\VEN_1AF4&DEV_1042&REV_01%\""; 30_000].join(",");
    let device = GOOD_DEVICE.replace(
        "[\"PCI\\\\VEN_1AF4&DEV_1042&REV_01\"]",
        &format!("[{hwids}]"),
    );
    load_refused(
        Kind::Contract,
        contract_with(&format!("[{device}]")).as_bytes(),
        &["30000 problems; the first 20 are shown", "contains `%`"],
    );
}

/// Issue 14: an 8 KB spec with 700 `\w{50}` patterns aborted on regex compile memory. The
/// spec regex budget (count, pattern bytes, compiled size per regex) turns it into one clear
/// refusal under the memory limit, and a spec under the count cap whose patterns each compile
/// too large is refused per pattern.
#[test]
fn spec_regex_budget_bounds_hostile_patterns() {
    let many: Vec<String> = (0..700).map(|i| format!("\"\\\\w{{50}}{i}\"")).collect();
    let many = many.join(",");
    let spec = format!(
        r#"{{"drivers": [{{"name": "a", "required": true, "expected_hardware_ids": [{many}]}}]}}"#
    );
    assert!(spec.len() < 10 * 1024, "{} bytes", spec.len());
    load_refused(
        Kind::Spec,
        spec.as_bytes(),
        &[
            "packaging rule:",
            "700 regexes",
            "at most 256 patterns",
            "none is compiled",
        ],
    );
    let big: Vec<String> = (0..200).map(|i| format!("\"\\\\w{{50}}{i}\"")).collect();
    let spec = format!(
        r#"{{"drivers": [{{"name": "a", "required": true, "allow_path_regexes": [{}]}}]}}"#,
        big.join(",")
    );
    load_refused(
        Kind::Spec,
        spec.as_bytes(),
        &["200 problems", "compiles to more than 256 KiB"],
    );
}

#[test]
fn oversized_documents_are_refused_before_parsing() {
    let big = format!("{{\"drivers\": [{}]}}", vec!["1"; 6_000_000].join(","));
    load_refused(Kind::Spec, big.as_bytes(), &["larger than 1 MiB"]);
    let padded = format!("{}{}", contract_with("[]"), " ".repeat(2 << 20));
    load_refused(Kind::Contract, padded.as_bytes(), &["larger than 1 MiB"]);
}

#[test]
fn deep_nesting_and_bad_bytes_are_syntax_errors() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    load_refused(
        Kind::Spec,
        deep.as_bytes(),
        &["invalid JSON", "recursion limit"],
    );
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    load_refused(Kind::Contract, deep_obj.as_bytes(), &["invalid JSON"]);
    load_refused(
        Kind::Spec,
        b"{\"drivers\": [\xff\xfe]}",
        &["doc.json", "UTF-8"],
    );
    load_refused(Kind::Contract, b"{\"devices\": [", &["invalid JSON", "EOF"]);
    load_refused(Kind::Spec, b"", &["invalid JSON"]);
}

/// Load `text` as `doc.json` from a recipe; it must load (exit 0) within the watchdog.
fn loads(kind: Kind, text: &str) {
    let sb = Sandbox::new();
    std::fs::write(sb.input("doc.json"), text).unwrap();
    let recipe = sb.input("load.rhai");
    std::fs::write(&recipe, format!("{}(\"doc.json\");\n", kind.call())).unwrap();
    let args: [&OsStr; 2] = ["run".as_ref(), recipe.as_os_str()];
    let run = run_cli(&sb.cwd(), &args);
    assert_eq!(run.code, Some(0), "{}", reason(&run.stderr));
}

#[test]
fn big_valid_documents_load_in_linear_time() {
    // Just under the size limit, every list is long and every item distinct: duplicate checks
    // that compare each item with every other took minutes.
    let names: Vec<String> = (0..55_000)
        .map(|i| format!("{{\"name\":\"d{i}\"}}"))
        .collect();
    loads(
        Kind::Spec,
        &format!("{{\"required_drivers\": [{}]}}", names.join(",")),
    );
    let drivers: Vec<String> = (0..25_000)
        .map(|i| format!("{{\"name\": \"d{i}\", \"required\": true}}"))
        .collect();
    loads(
        Kind::Spec,
        &format!("{{\"drivers\": [{}]}}", drivers.join(",")),
    );
    let exts: Vec<String> = (0..100_000).map(|i| format!("\"e{i}\"")).collect();
    loads(
        Kind::Spec,
        &format!(
            "{{\"drivers\": [{{\"name\": \"x\", \"required\": true, \"allow_extensions\": [{}]}}]}}",
            exts.join(",")
        ),
    );
    let hwids: Vec<String> = (0..25_000)
        .map(|i| format!("\"PCI\\\\VEN_1AF4&DEV_1042&REV_01&X{i}\""))
        .collect();
    let device = GOOD_DEVICE.replace(
        "[\"PCI\\\\VEN_1AF4&DEV_1042&REV_01\"]",
        &format!("[{}]", hwids.join(",")),
    );
    loads(Kind::Contract, &contract_with(&format!("[{device}]")));
    let devices: Vec<String> = (0..4_000)
        .map(|i| {
            format!(
                r#"{{"device": "dev-{i}", "pci_vendor_id": "0x8086", "pci_device_id": "0x{i:04X}",
 "hardware_id_patterns": ["PCI\\VEN_8086&DEV_{i:04X}"], "driver_service_name": "s{i}",
 "inf_name": "d{i}.inf"}}"#
            )
        })
        .collect();
    loads(
        Kind::Contract,
        &contract_with(&format!("[{}]", devices.join(","))),
    );
}
