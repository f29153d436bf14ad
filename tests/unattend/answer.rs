//! autounattend.xml: parsed back with an XML parser (roxmltree) and checked by xmllint.

use crate::util::xmllint;

use aero_recipe::arch::Arch;
use aero_recipe::unattend::{AnswerFile, Firmware, ImageSelector};
use base64::Engine as _;
use regex::Regex;
use roxmltree::{Document, Node};

const NS: &str = "urn:schemas-microsoft-com:unattend";
const WCM: &str = "http://schemas.microsoft.com/WMIConfig/2002/State";

fn model(arch: Arch, firmware: Firmware, image: ImageSelector) -> AnswerFile {
    AnswerFile::new(arch, firmware, image, "aero-vm", "builder", "S3cret!")
}

/// Renders twice (the bytes must not change), runs xmllint on the result and returns it.
fn render(a: &AnswerFile) -> String {
    let xml = a.render().expect("valid model renders");
    assert_eq!(
        a.clone().render().unwrap(),
        xml,
        "same model, different bytes"
    );
    xmllint(&xml);
    xml
}

fn named<'a, 'i>(doc: &'a Document<'i>, name: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .inspect(|n| {
            assert_eq!(
                n.tag_name().namespace(),
                Some(NS),
                "{name} not in the unattend namespace"
            )
        })
        .collect()
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text(n: Node, name: &str) -> Option<String> {
    child(n, name).map(|c| c.text().unwrap_or("").to_string())
}

fn texts(doc: &Document, name: &str) -> Vec<String> {
    named(doc, name)
        .into_iter()
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

fn passes(doc: &Document) -> Vec<String> {
    named(doc, "settings")
        .into_iter()
        .map(|n| n.attribute("pass").unwrap_or("").to_string())
        .collect()
}

/// Component named `name` in the settings of `pass`.
fn component<'a, 'i>(doc: &'a Document<'i>, pass: &str, name: &str) -> Option<Node<'a, 'i>> {
    named(doc, "settings")
        .into_iter()
        .find(|s| s.attribute("pass") == Some(pass))?
        .children()
        .find(|c| c.is_element() && c.attribute("name") == Some(name))
}

fn decode_password(value: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .expect("password value is base64");
    assert_eq!(bytes.len() % 2, 0, "UTF-16LE has an even length");
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).expect("password value is UTF-16LE")
}

fn drive_letters(text: &str) -> Vec<String> {
    Regex::new(r"(?i)[a-z]:\\")
        .unwrap()
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .collect()
}

#[test]
fn bios_answer_file_has_three_passes_mbr_layout_and_image_index() {
    let xml = render(&model(Arch::Amd64, Firmware::Bios, ImageSelector::Index(3)));
    let doc = Document::parse(&xml).expect("the answer file parses");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "unattend");
    assert_eq!(root.tag_name().namespace(), Some(NS));
    assert_eq!(root.lookup_namespace_uri(Some("wcm")), Some(WCM));
    assert_eq!(passes(&doc), ["windowsPE", "specialize", "oobeSystem"]);

    for c in named(&doc, "component") {
        assert_eq!(c.attribute("processorArchitecture"), Some("amd64"));
        assert_eq!(c.attribute("publicKeyToken"), Some("31bf3856ad364e35"));
        assert_eq!(c.attribute("language"), Some("neutral"));
        assert_eq!(c.attribute("versionScope"), Some("nonSxS"));
    }

    // MBR: system 100 MB NTFS active, Windows the rest.
    let created = named(&doc, "CreatePartition");
    let layout: Vec<(Option<String>, Option<String>, Option<String>)> = created
        .iter()
        .map(|p| {
            (
                child_text(*p, "Type"),
                child_text(*p, "Size"),
                child_text(*p, "Extend"),
            )
        })
        .collect();
    assert_eq!(
        layout,
        [
            (Some("Primary".into()), Some("100".into()), None),
            (Some("Primary".into()), None, Some("true".into())),
        ]
    );
    let modified = named(&doc, "ModifyPartition");
    assert_eq!(modified.len(), 2);
    assert_eq!(child_text(modified[0], "Active").as_deref(), Some("true"));
    assert_eq!(child_text(modified[0], "Format").as_deref(), Some("NTFS"));
    assert_eq!(child_text(modified[1], "Format").as_deref(), Some("NTFS"));
    assert_eq!(texts(&doc, "WillWipeDisk"), ["true"]);

    let install_to = named(&doc, "InstallTo")[0];
    assert_eq!(child_text(install_to, "DiskID").as_deref(), Some("0"));
    assert_eq!(child_text(install_to, "PartitionID").as_deref(), Some("2"));
    let meta = named(&doc, "MetaData")[0];
    assert_eq!(meta.attribute((WCM, "action")), Some("add"));
    assert_eq!(child_text(meta, "Key").as_deref(), Some("/IMAGE/INDEX"));
    assert_eq!(child_text(meta, "Value").as_deref(), Some("3"));
    assert_eq!(texts(&doc, "AcceptEula"), ["true"]);

    let specialize = component(&doc, "specialize", "Microsoft-Windows-Shell-Setup").unwrap();
    assert_eq!(
        child_text(specialize, "ComputerName").as_deref(),
        Some("aero-vm")
    );
    assert_eq!(child_text(specialize, "TimeZone").as_deref(), Some("UTC"));
    let locale = component(
        &doc,
        "windowsPE",
        "Microsoft-Windows-International-Core-WinPE",
    )
    .unwrap();
    for field in ["InputLocale", "SystemLocale", "UILanguage", "UserLocale"] {
        assert_eq!(
            child_text(locale, field).as_deref(),
            Some("en-US"),
            "{field}"
        );
    }

    // Nothing the user did not ask for: no driver paths, bypasses, product key or drive letter.
    assert!(named(&doc, "DriverPaths").is_empty());
    assert!(named(&doc, "RunSynchronous").is_empty());
    assert_eq!(
        texts(&doc, "WillShowUI").last().map(String::as_str),
        Some("Never")
    );
    assert!(named(&doc, "Key")
        .iter()
        .all(|k| k.parent().unwrap().tag_name().name() != "ProductKey"));
    assert_eq!(drive_letters(&xml), Vec::<String>::new());
}

#[test]
fn uefi_layout_for_every_architecture() {
    for (arch, name) in [
        (Arch::X86, "x86"),
        (Arch::Amd64, "amd64"),
        (Arch::Arm64, "arm64"),
    ] {
        let image = ImageSelector::Name("Windows 11 Pro".into());
        let mut a = model(arch, Firmware::Uefi, image);
        if arch == Arch::X86 {
            a.os = "w10".into();
        }
        let xml = render(&a);
        let doc = Document::parse(&xml).unwrap();
        assert_eq!(passes(&doc), ["windowsPE", "specialize", "oobeSystem"]);
        assert!(named(&doc, "component")
            .iter()
            .all(|c| c.attribute("processorArchitecture") == Some(name)));
        let layout: Vec<(Option<String>, Option<String>)> = named(&doc, "CreatePartition")
            .iter()
            .map(|p| (child_text(*p, "Type"), child_text(*p, "Size")))
            .collect();
        assert_eq!(
            layout,
            [
                (Some("EFI".into()), Some("100".into())),
                (Some("MSR".into()), Some("16".into())),
                (Some("Primary".into()), None),
            ]
        );
        let modified = named(&doc, "ModifyPartition");
        assert_eq!(child_text(modified[0], "Format").as_deref(), Some("FAT32"));
        assert_eq!(child_text(modified[2], "Format").as_deref(), Some("NTFS"));
        assert!(
            named(&doc, "Active").is_empty(),
            "GPT has no active partition"
        );
        let install_to = named(&doc, "InstallTo")[0];
        assert_eq!(child_text(install_to, "PartitionID").as_deref(), Some("3"));
        let meta = named(&doc, "MetaData")[0];
        assert_eq!(child_text(meta, "Key").as_deref(), Some("/IMAGE/NAME"));
        assert_eq!(child_text(meta, "Value").as_deref(), Some("Windows 11 Pro"));
        assert_eq!(drive_letters(&xml), Vec::<String>::new());
    }
}

#[test]
fn passwords_decode_to_password_followed_by_the_element_name() {
    let password = "pä$$ wörd <&> \"'\u{1F511}";
    let mut a = model(
        Arch::Amd64,
        Firmware::Uefi,
        ImageSelector::Description("d".into()),
    );
    a.password = password.into();
    let xml = render(&a);
    let doc = Document::parse(&xml).unwrap();

    let admin = named(&doc, "AdministratorPassword");
    assert_eq!(admin.len(), 1);
    assert_eq!(child_text(admin[0], "PlainText").as_deref(), Some("false"));
    assert_eq!(
        decode_password(&child_text(admin[0], "Value").unwrap()),
        format!("{password}AdministratorPassword")
    );

    // LocalAccount and AutoLogon passwords.
    let others = named(&doc, "Password");
    assert_eq!(others.len(), 2);
    for p in others {
        assert_eq!(child_text(p, "PlainText").as_deref(), Some("false"));
        assert_eq!(
            decode_password(&child_text(p, "Value").unwrap()),
            format!("{password}Password")
        );
    }
    assert!(!xml.contains("wörd"), "the password leaked in clear text");
    let meta = named(&doc, "MetaData")[0];
    assert_eq!(
        child_text(meta, "Key").as_deref(),
        Some("/IMAGE/DESCRIPTION")
    );
}

#[test]
fn plain_text_passwords_when_asked() {
    let mut a = model(Arch::Amd64, Firmware::Bios, ImageSelector::Index(1));
    a.password = "plain & <simple>".into();
    a.password_plaintext = true;
    let xml = render(&a);
    let doc = Document::parse(&xml).unwrap();
    let all: Vec<Node> = named(&doc, "AdministratorPassword")
        .into_iter()
        .chain(named(&doc, "Password"))
        .collect();
    assert_eq!(all.len(), 3);
    for p in all {
        assert_eq!(child_text(p, "PlainText").as_deref(), Some("true"));
        assert_eq!(child_text(p, "Value").as_deref(), Some("plain & <simple>"));
    }
    assert!(
        xml.contains("PLAIN TEXT"),
        "the file warns about plain-text passwords"
    );
}

#[test]
fn hostile_values_round_trip_intact() {
    let mut a = model(
        Arch::Amd64,
        Firmware::Uefi,
        ImageSelector::Name("Windows <11> \"Pro\" & 'N' — žluť".into()),
    );
    a.username = "Jöns & O'Neil".into();
    a.password = "<\"&'>ü".into();
    a.timezone = "Pacific Standard Time (Mexico)".into();
    a.locale = "de-DE".into();
    a.input_locale = Some("0407:00000407;en-US".into());
    a.driver_paths = vec![r"E:\drivers\<x>&'y'".into(), r"\\server\share\日本".into()];
    a.first_logon_script = "setup-vm.ps1".into();
    let xml = render(&a);
    let doc = Document::parse(&xml).unwrap();

    let meta = named(&doc, "MetaData")[0];
    assert_eq!(
        child_text(meta, "Value").as_deref(),
        Some("Windows <11> \"Pro\" & 'N' — žluť")
    );
    assert_eq!(texts(&doc, "Username"), ["Jöns & O'Neil"]);
    assert_eq!(texts(&doc, "Name"), ["Jöns & O'Neil"]);
    assert_eq!(texts(&doc, "DisplayName"), ["Jöns & O'Neil"]);
    assert_eq!(texts(&doc, "TimeZone"), ["Pacific Standard Time (Mexico)"]);
    assert_eq!(texts(&doc, "UILanguage")[0], "de-DE");
    assert_eq!(texts(&doc, "SystemLocale"), ["de-DE", "de-DE"]);
    assert_eq!(
        texts(&doc, "InputLocale"),
        ["0407:00000407;en-US", "0407:00000407;en-US"]
    );
    let admin = named(&doc, "AdministratorPassword")[0];
    assert_eq!(
        decode_password(&child_text(admin, "Value").unwrap()),
        "<\"&'>üAdministratorPassword"
    );

    let paths = named(&doc, "PathAndCredentials");
    let got: Vec<(Option<&str>, Option<String>)> = paths
        .iter()
        .map(|p| (p.attribute((WCM, "keyValue")), child_text(*p, "Path")))
        .collect();
    assert_eq!(
        got,
        [
            (Some("1"), Some(r"E:\drivers\<x>&'y'".to_string())),
            (Some("2"), Some(r"\\server\share\日本".to_string())),
        ]
    );
    // The only drive letter is the one the user gave.
    assert_eq!(drive_letters(&xml), [r"E:\"]);

    let cmd = texts(&doc, "CommandLine");
    assert_eq!(cmd.len(), 1);
    assert!(
        cmd[0].contains("-File ($d.Name + 'setup-vm.ps1')"),
        "{}",
        cmd[0]
    );
    assert!(cmd[0].contains("'autounattend.xml'"), "{}", cmd[0]);
}

#[test]
fn win11_bypass_and_product_key() {
    let mut a = model(Arch::Amd64, Firmware::Uefi, ImageSelector::Index(6));
    a.win11_bypass = true;
    a.product_key = Some("vk7jg-nphtm-c97jm-9mpgt-3v66t".into());
    a.autologon_count = 3;
    let xml = render(&a);
    let doc = Document::parse(&xml).unwrap();
    let setup = component(&doc, "windowsPE", "Microsoft-Windows-Setup").unwrap();
    let commands: Vec<(Option<String>, Option<String>)> = setup
        .descendants()
        .filter(|n| n.tag_name().name() == "RunSynchronousCommand")
        .map(|n| (child_text(n, "Order"), child_text(n, "Path")))
        .collect();
    let expected: Vec<(Option<String>, Option<String>)> = [
        "TPM",
        "SecureBoot",
        "RAM",
        "CPU",
        "Storage",
    ]
    .iter()
    .enumerate()
    .map(|(i, what)| {
        (
            Some((i + 1).to_string()),
            Some(format!(
                r"reg add HKLM\SYSTEM\Setup\LabConfig /v Bypass{what}Check /t REG_DWORD /d 1 /f"
            )),
        )
    })
    .collect();
    assert_eq!(commands, expected);
    let key = named(&doc, "ProductKey")[0];
    assert_eq!(
        child_text(key, "Key").as_deref(),
        Some("VK7JG-NPHTM-C97JM-9MPGT-3V66T")
    );
    assert_eq!(texts(&doc, "LogonCount"), ["3"]);
    assert_eq!(drive_letters(&xml), Vec::<String>::new());
}

#[test]
fn validation_reports_every_problem_at_once() {
    let mut a = AnswerFile::new(
        Arch::Arm64,
        Firmware::Bios,
        ImageSelector::Index(0),
        "this-name-is-far-too-long",
        "Administrator",
        "",
    );
    a.locale = "english".into();
    a.input_locale = Some("de-DE;qwerty".into());
    a.timezone = "Mars/Olympus".into();
    a.product_key = Some("ABC".into());
    a.driver_paths = vec![String::new()];
    a.autologon_count = 0;
    a.first_logon_script = "../evil.ps1".into();
    let err = a.render().expect_err("an invalid model must not render");
    let problems: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    for field in [
        "arm64",
        "hostname",
        "username",
        "password",
        "locale",
        "input_locale",
        "timezone",
        "image_index",
        "product_key",
        "driver_paths[0]",
        "autologon_count",
        "first_logon_script",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(field)),
            "no problem names `{field}`: {problems:#?}"
        );
    }
    assert!(
        err.to_string()
            .starts_with("the answer file has 12 problems"),
        "{err}"
    );
}

#[test]
fn control_characters_are_refused_without_echoing_the_password() {
    let mut a = model(
        Arch::Amd64,
        Firmware::Bios,
        ImageSelector::Name("x\ny".into()),
    );
    a.password = "hunter\u{1}2".into();
    a.username = "tab\tuser".into();
    let err = a.render().unwrap_err();
    let problems: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("password") && p.contains("U+0001")));
    assert!(problems
        .iter()
        .any(|p| p.contains("username") && p.contains("U+0009")));
    assert!(problems
        .iter()
        .any(|p| p.contains("image_name") && p.contains("U+000A")));
    assert!(!err.to_string().contains("hunter"), "{err}");
}
