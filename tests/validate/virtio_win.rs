//! Upstream-shaped virtio-win packages pass the project's virtio-win specs, and the virtio-win
//! contract takes its service names from their INFs.

use crate::util::validate::*;
use crate::util::*;
use aero_recipe::contract::{parse_devices_cmd, Contract};
use aero_recipe::drivers::DriverSet;
use aero_recipe::media::Media;
use aero_recipe::spec::Spec;
use aero_recipe::validate::validate;

#[test]
fn full_and_minimal_specs_accept_the_upstream_packages() {
    let t = tempfile::tempdir().unwrap();
    virtio_win_tree(t.path(), true);
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    assert_eq!(set.packages().len(), 8);

    let contract =
        Contract::load(&repo().join("contracts/windows-device-contract-virtio-win.json")).unwrap();
    let derived = contract.with_services_from(&set.infs()).unwrap();
    let vars = parse_devices_cmd(&derived.render_devices_cmd());
    assert_eq!(vars["AERO_VIRTIO_BLK_SERVICE"], ["viostor"]);
    assert_eq!(vars["AERO_VIRTIO_NET_SERVICE"], ["netkvm"]);
    assert_eq!(vars["AERO_VIRTIO_INPUT_SERVICE"], ["VirtioInput"]);
    assert_eq!(vars["AERO_VIRTIO_INPUT_SYS"], ["vioinput.sys"]);
    assert_eq!(vars["AERO_VIRTIO_SND_SERVICE"], ["viosnd"]);
    // No GPU driver ships: the contract's entry stays as it was.
    assert_eq!(vars["AERO_GPU_SERVICE"], ["aerogpu"]);

    let full = Spec::load(&repo().join("specs/win7-virtio-full.json")).unwrap();
    let report = validate(&set, &full, Some(&vars));
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);

    let minimal = Spec::load(&repo().join("specs/win7-virtio-win.json")).unwrap();
    let report = validate(&set, &minimal, Some(&vars));
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    // vioinput and viosnd are not listed: warned about, not shipped.
    assert_eq!(report.warnings.len(), 4, "{:#?}", report.warnings);
    let mut media = Media::new();
    set.add_to_media(Some(&minimal), &mut media).unwrap();
    let paths: Vec<&str> = media.files().map(|(p, _)| p).collect();
    assert!(paths.contains(&"drivers/amd64/viostor/viostor.inf"));
    assert!(paths.contains(&"drivers/x86/netkvm/netkvm.cat"));
    assert!(!paths.iter().any(|p| p.contains("vioinput")));
}

#[test]
fn the_full_spec_treats_missing_optional_drivers_as_warnings() {
    let t = tempfile::tempdir().unwrap();
    virtio_win_tree(t.path(), false);
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    let full = Spec::load(&repo().join("specs/win7-virtio-full.json")).unwrap();
    let report = validate(&set, &full, None);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let w: Vec<String> = report.warnings.iter().map(|p| p.to_string()).collect();
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(
        w[0].contains("optional driver `vioinput` was not found"),
        "{w:#?}"
    );
}

#[test]
fn an_x86_only_inf_under_amd64_is_caught() {
    let t = tempfile::tempdir().unwrap();
    virtio_win_tree(t.path(), false);
    // The amd64 viostor package carries the x86 INF: the mistake the earlier tool missed.
    write_package(
        t.path(),
        "amd64",
        "viostor",
        &InfShape::viostor().only("NTx86.6.1"),
    );
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    let spec = Spec::load(&repo().join("specs/win7-virtio-win.json")).unwrap();
    let report = validate(&set, &spec, None);
    let e: Vec<String> = report.errors.iter().map(|p| p.to_string()).collect();
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with("amd64/viostor/viostor.inf: shipped for amd64 but declares no NTamd64 models section (it has: [Std.NTx86.6.1])"),
        "{e:#?}"
    );
}

#[test]
fn two_drivers_claiming_one_device_is_an_error_listing_both() {
    let t = tempfile::tempdir().unwrap();
    virtio_win_tree(t.path(), false);
    let other = InfShape::simple("vioblk2", "otherstor", &["PCI\\VEN_1AF4&DEV_1042&REV_01"]);
    write_package(t.path(), "amd64", "vioblk2", &other);
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    let contract =
        Contract::load(&repo().join("contracts/windows-device-contract-virtio-win.json")).unwrap();
    let err = contract
        .with_services_from(&set.infs())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`otherstor` (amd64/vioblk2/vioblk2.inf)"),
        "{err}"
    );
    assert!(
        err.contains("`viostor` (x86/viostor/viostor.inf, amd64/viostor/viostor.inf)"),
        "{err}"
    );
}
