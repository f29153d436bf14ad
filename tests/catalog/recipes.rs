//! The catalog checks inside recipes: the signer the test-signing policy expects, and the
//! manifest's record of each package's catalog.

use crate::util::recipe::User;
use crate::util::{repo, tempdir};

const VIRTIO_CERT: &str = "examples/virtio-win/cert/Virtio_Win_Red_Hat_CA.cer";
const AERO_CERT: &str = "examples/certs/aero-test.cer";

#[test]
fn test_signing_with_a_certificate_that_did_not_sign_the_catalogs_fails_naming_the_signer() {
    let user = User::new();
    let out = tempdir();
    let out_set = format!("out_dir={}", out.path().join("wrong").display());
    let cert_set = format!("cert={AERO_CERT}");
    user.run(
        &repo(),
        &[
            "run",
            "virtio-win-minimal",
            "--set",
            &out_set,
            "--set",
            "signing_policy=test",
            "--set",
            &cert_set,
        ],
    )
    .exits(1)
    .says(&[
        "viostor/w7/amd64/viostor.cat",
        "NetKVM/w7/x86/netkvm.cat",
        "signed by `CN=Sample stand-in for the virtio-win CA",
        "Aero example test signing certificate",
    ]);
    assert!(!out.path().join("wrong/manifest.json").exists());
}

#[test]
fn test_signing_with_the_signers_certificate_succeeds_and_the_manifest_records_the_catalogs() {
    let user = User::new();
    let out = tempdir();
    let cert_set = format!("cert={VIRTIO_CERT}");
    let dest = out.path().join("right");
    user.recipe(
        &repo(),
        "virtio-win-minimal",
        &dest,
        &["signing_policy=test", &cert_set],
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join("manifest.json")).unwrap()).unwrap();
    let cats = m["driver_catalogs"].as_array().expect("driver_catalogs");
    let drivers: Vec<&str> = cats.iter().map(|c| c["driver"].as_str().unwrap()).collect();
    assert_eq!(
        drivers,
        ["amd64/netkvm", "amd64/viostor", "x86/netkvm", "x86/viostor"]
    );
    // The signer's thumbprint is the SHA-1 of the certificate the media ship.
    use sha1::{Digest, Sha1};
    let der = std::fs::read(repo().join(VIRTIO_CERT)).unwrap();
    let thumb: String = Sha1::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    for c in cats {
        assert_eq!(c["signer_thumbprint"], thumb.as_str(), "{c}");
        assert_eq!(c["hash_algorithm"], "sha1", "{c}"); // the Windows 7 builds use SHA-1
        assert!(c["signer"]
            .as_str()
            .unwrap()
            .contains("CN=Sample stand-in for the virtio-win CA"));
    }
}

#[test]
fn aero_recipes_ship_the_certificate_that_signed_their_catalogs() {
    let user = User::new();
    let out = tempdir();
    let dest = out.path().join("aero");
    user.recipe(&repo(), "aero-virtio", &dest, &[]);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["signing_policy"], "test");
    for c in m["driver_catalogs"].as_array().unwrap() {
        assert!(c["signer"]
            .as_str()
            .unwrap()
            .contains("CN=Aero example test signing certificate"));
        assert_eq!(c["hash_algorithm"], "sha256");
    }
}
