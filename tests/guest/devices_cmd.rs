//! devices.cmd is sourced by a real cmd interpreter (Wine's) and every variable reads back
//! exactly, `&` in hardware IDs included.

use aero_recipe::contract::{parse_devices_cmd, Contract};

use crate::util::{repo, wine};

#[test]
fn cmd_sources_devices_cmd_and_reads_every_variable_back() {
    let mut contract =
        Contract::load(&repo().join("contracts/windows-device-contract-virtio-win.json")).unwrap();
    // An extra device with several `&` and an odd name: the generic prefix rule must hold.
    let mut extra = contract.devices[0].clone();
    extra.device = "extra-dev_2".into();
    extra.driver_service_name = "extra_svc".into();
    contract.devices.push(extra);

    let text = contract.render_devices_cmd();
    let expected = parse_devices_cmd(&text);
    assert!(expected.contains_key("AERO_EXTRA_DEV_2_HWIDS"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("devices.cmd"), &text).unwrap();
    // The wrapper prints NAME=<value> with the value between markers, one variable per line.
    let mut wrapper = String::from("@echo off\r\ncall devices.cmd\r\n");
    for name in expected.keys() {
        wrapper.push_str(&format!("echo {name}=[%{name}%]\r\n"));
    }
    wrapper.push_str("echo DONE\r\n");
    std::fs::write(dir.path().join("wrapper.cmd"), wrapper).unwrap();

    // Through the harness like every Wine test: its lock, its prefix, its wineserver.
    let w = wine::take();
    let run = w.cmd_in(dir.path(), "wrapper.cmd");
    run.expect_code(0);
    let stdout = run.stdout;
    assert!(stdout.contains("DONE"), "wrapper did not finish: {stdout}");
    let mut seen = 0;
    for line in stdout.lines() {
        let line = line.trim_end_matches('\r');
        let Some((name, rest)) = line.split_once("=[") else {
            continue;
        };
        let value = rest.strip_suffix(']').expect("marker");
        let want = &expected[name];
        let got: Vec<String> = if name.ends_with("_HWIDS") {
            // cmd keeps the quotes: the raw value is `"h1" "h2"`.
            assert!(
                value.starts_with('"') && value.ends_with('"'),
                "{name}: {value}"
            );
            value[1..value.len() - 1]
                .split("\" \"")
                .map(String::from)
                .collect()
        } else {
            vec![value.to_string()]
        };
        assert_eq!(&got, want, "{name} as cmd sees it");
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "cmd printed: {stdout}");
    assert!(stdout.contains("PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01"));
    assert_eq!(expected["AERO_VIRTIO_INPUT_SERVICE"], ["VirtioInput"]);
}
