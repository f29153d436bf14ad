//! Private keys never ship, whatever they are named: fixtures made at test time with `openssl`
//! (and `ssh-keygen` when present) are given as the certificate, or hidden in a copy of the
//! guest-tools tree or the driver tree; each run exits 1 naming the file and what it holds,
//! and writes nothing. The real certificate, DER or PEM, still ships.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::recipe::*;
use crate::util::*;

/// Run `program args` in `dir`; a missing tool or a failure fails the test loudly.
fn tool_in(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{program}` ({e}); install it with scripts/install-deps")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Key and certificate fixtures, generated once per test in a temporary directory.
struct Fixtures {
    dir: tempfile::TempDir,
}

impl Fixtures {
    fn new() -> Self {
        let dir = tempdir();
        let d = dir.path();
        tool_in(
            d,
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-subj",
                "/CN=aero key test",
                "-days",
                "2",
            ],
        );
        tool_in(
            d,
            "openssl",
            &[
                "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.cer",
            ],
        );
        tool_in(
            d,
            "openssl",
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "key.pem",
                "-in",
                "cert.pem",
                "-out",
                "bundle.p12",
                "-passout",
                "pass:x",
            ],
        );
        tool_in(
            d,
            "openssl",
            &[
                "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out",
                "key.p8",
            ],
        );
        let cert = fs::read(d.join("cert.pem")).unwrap();
        let key = fs::read(d.join("key.pem")).unwrap();
        fs::write(d.join("combined.crt"), [cert, key].concat()).unwrap();
        let ssh = Command::new("ssh-keygen")
            .current_dir(d)
            .args(["-q", "-t", "ed25519", "-N", "", "-f", "id_ed25519"])
            .status();
        if !ssh.is_ok_and(|s| s.success()) {
            // No ssh-keygen: the armour alone is what is looked for.
            fs::write(
                d.join("id_ed25519"),
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            )
            .unwrap();
        }
        Fixtures { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn bytes(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap()
    }

    /// Copy the fixture `from` to `to` (a new name) in the fixture directory; its path.
    fn renamed(&self, from: &str, to: &str) -> PathBuf {
        fs::copy(self.path(from), self.path(to)).unwrap();
        self.path(to)
    }
}

/// `aero-recipe run aero-virtio --set out_dir=<w>/out` plus `sets`, in `w`.
fn run_virtio(user: &User, w: &Path, sets: &[String]) -> Run {
    let out = format!("out_dir={}", w.join("out").display());
    let mut args = vec!["run", "aero-virtio", "--set", &out];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    user.run(w, &args)
}

/// The run exits 1, names `name` and says `what`, and the output directory was never made.
fn refused(user: &User, sets: &[String], name: &str, what: &str) {
    let w = tempdir();
    run_virtio(user, w.path(), sets)
        .exits(1)
        .says(&[name, what]);
    assert!(
        !w.path().join("out").exists(),
        "{name}: out_dir was written"
    );
}

#[test]
fn the_certificate_slot_refuses_keys_whatever_their_name() {
    let f = Fixtures::new();
    let user = User::new();
    let cases = [
        (f.path("combined.crt"), "a PEM private key"),
        (
            f.renamed("bundle.p12", "bundle.cer"),
            "a PKCS#12 archive (it holds a private key)",
        ),
        (f.renamed("key.p8", "key.cer"), "a DER private key"),
        (f.renamed("id_ed25519", "ssh.crt"), "OPENSSH PRIVATE KEY"),
        (f.renamed("key.pem", "plain.cer"), "PRIVATE KEY"),
    ];
    for (path, what) in &cases {
        let name = path.file_name().unwrap().to_str().unwrap();
        refused(&user, &[format!("cert={}", path.display())], name, what);
    }
    // The combined file says the key follows the certificate.
    refused(
        &user,
        &[format!("cert={}", f.path("combined.crt").display())],
        "combined.crt",
        "after the certificate",
    );
}

#[test]
fn the_certificate_slot_refuses_what_is_not_a_certificate() {
    let f = Fixtures::new();
    let user = User::new();
    fs::write(f.path("notes.cer"), "just some text\n").unwrap();
    refused(
        &user,
        &[format!("cert={}", f.path("notes.cer").display())],
        "notes.cer",
        "neither a DER certificate nor a PEM CERTIFICATE",
    );
}

#[test]
fn the_real_certificate_ships_der_and_pem() {
    let f = Fixtures::new();
    let user = User::new();
    for name in ["cert.cer", "cert.pem"] {
        let path = if name == "cert.pem" {
            f.renamed("cert.pem", "cert-pem.crt")
        } else {
            f.path(name)
        };
        let w = tempdir();
        run_virtio(&user, w.path(), &[format!("cert={}", path.display())]).ok();
        assert!(
            w.path().join("out/aero-guest-tools.zip").is_file(),
            "{name}"
        );
    }
}

/// A copy of the bundled guest-tools tree with `name` added holding `bytes`.
fn guest_tools_with(name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let t = tempdir();
    copy_tree(&repo().join("guest-tools"), t.path());
    let p = t.path().join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
    t
}

#[test]
fn keys_in_the_guest_tools_tree_are_refused_by_content() {
    let f = Fixtures::new();
    let user = User::new();
    let real = format!("cert={}", f.path("cert.cer").display());
    let mut notes = b"Signing notes: the key below is for the lab only.\n\n".to_vec();
    notes.extend(f.bytes("key.pem"));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("tools/notes.txt", notes, "a PEM private key"),
        ("tools/id_rsa", f.bytes("key.pem"), "PRIVATE KEY"),
        (
            "tools/id_ed25519",
            f.bytes("id_ed25519"),
            "OPENSSH PRIVATE KEY",
        ),
        ("tools/data.bin", f.bytes("bundle.p12"), "a PKCS#12 archive"),
        (
            "tools/sign.pfx.bak",
            f.bytes("bundle.p12"),
            "a PKCS#12 archive",
        ),
        ("tools/key.dat", f.bytes("key.p8"), "a DER private key"),
        (
            "certs/combined.crt",
            f.bytes("combined.crt"),
            "a PEM private key",
        ),
        (
            "certs/bundle.cer",
            f.bytes("bundle.p12"),
            "a PKCS#12 archive",
        ),
    ];
    for (rel, bytes, what) in cases {
        let tree = guest_tools_with(rel, &bytes);
        let name = rel.rsplit('/').next().unwrap();
        refused(
            &user,
            &[
                format!("guest_tools={}", tree.path().display()),
                real.clone(),
            ],
            name,
            what,
        );
    }
    // A certs/ file that is no certificate at all is refused too.
    let tree = guest_tools_with("certs/readme.cer", b"see the wiki");
    refused(
        &user,
        &[
            format!("guest_tools={}", tree.path().display()),
            real.clone(),
        ],
        "readme.cer",
        "neither a DER certificate",
    );
    // The same tree with only the real certificates ships.
    let tree = guest_tools_with("certs/extra.crt", &f.bytes("cert.pem"));
    let w = tempdir();
    run_virtio(
        &user,
        w.path(),
        &[format!("guest_tools={}", tree.path().display()), real],
    )
    .ok();
}

#[test]
fn keys_in_the_driver_tree_are_refused_by_content() {
    let f = Fixtures::new();
    let user = User::new();
    for rel in [
        "amd64/aero_virtio_blk/notes.txt",
        "amd64/aero_virtio_blk/id_rsa",
    ] {
        let t = tempdir();
        copy_tree(&repo().join("examples/aero-virtio-drivers"), t.path());
        let mut text = b"build notes\n".to_vec();
        text.extend(f.bytes("key.pem"));
        fs::write(t.path().join(rel), text).unwrap();
        refused(
            &user,
            &[
                format!("drivers_dir={}", t.path().display()),
                format!("cert={}", f.path("cert.cer").display()),
            ],
            rel.rsplit('/').next().unwrap(),
            "a PEM private key",
        );
    }
}

#[test]
fn keys_given_to_add_path_are_refused_by_content() {
    let f = Fixtures::new();
    let user = User::new();
    let sources = [
        ("\"extra\"", "notes.txt", "a PEM private key"),
        ("\"data.bin\"", "data.bin", "a PKCS#12 archive"),
        (
            "media::input_files(\"data.bin\")",
            "data.bin",
            "a PKCS#12 archive",
        ),
    ];
    for (source, name, what) in sources {
        // The inputs sit in the working directory: a recipe reads only there, its own tree,
        // the bundled files and paths the user passes.
        let w = tempdir();
        let extra = w.path().join("extra");
        fs::create_dir(&extra).unwrap();
        fs::write(extra.join("ok.txt"), "fine\n").unwrap();
        let mut notes = b"lab notes\n".to_vec();
        notes.extend(f.bytes("key.pem"));
        fs::write(extra.join("notes.txt"), &notes).unwrap();
        fs::copy(f.path("bundle.p12"), w.path().join("data.bin")).unwrap();
        fs::copy(f.path("cert.cer"), w.path().join("cert.cer")).unwrap();
        let recipe = format!(
            "import \"lib/guest_tools\" as gt;\n\
             let p = params(gt::defaults(\"x\") + #{{ spec: \"specs/win7-aero-virtio.json\", cert: \"cert.cer\" }});\n\
             let drivers = drivers::packager(\"examples/aero-virtio-drivers\");\n\
             let contract = contract::load(p.contract);\n\
             gt::build(p, drivers, contract, #{{ \"tools/extra\": {source} }}, #{{}});\n"
        );
        fs::write(w.path().join("extra.rhai"), recipe).unwrap();
        let out = format!("out_dir={}", w.path().join("out").display());
        user.run(w.path(), &["run", "extra.rhai", "--set", &out])
            .exits(1)
            .says(&[name, what]);
        assert!(
            !w.path().join("out").exists(),
            "{name}: out_dir was written"
        );
    }
}
