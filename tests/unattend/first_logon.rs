//! first_logon.ps1: PowerShell 2.0 static check, hashes, step order, safe quoting of user values.

use aero_recipe::unattend::{ps2_problems, FirstLogon, MediaFile, OpenSsh, OpenSshKind};

const AGENT_SHA: &str = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789ABCDEF";
const SSH_SHA: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhsd2Jlc3RrZXlldmVyZm9ydGVzdGluZ3M= user@host";

fn full(kind: OpenSshKind) -> FirstLogon {
    FirstLogon {
        guest_agent: Some(MediaFile::new("guest-agent/qemu-ga-x86_64.msi", AGENT_SHA)),
        openssh: Some(OpenSsh {
            file: MediaFile::new(
                match kind {
                    OpenSshKind::Msi => "OpenSSH-Win64-v9.8.1.0.msi",
                    OpenSshKind::Zip => "OpenSSH-Win64.zip",
                },
                SSH_SHA,
            ),
            kind,
        }),
        authorized_keys: vec![
            KEY.into(),
            "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= second".into(),
        ],
        extra_commands: vec![
            "reg add HKLM\\Software\\Aero /v Ready /d 1 /f".into(),
            "ver".into(),
        ],
        ..FirstLogon::default()
    }
}

/// Renders twice (same bytes) and asserts the PowerShell 2.0 check finds nothing.
fn render(f: &FirstLogon) -> String {
    let s = f.render().expect("valid model renders");
    assert_eq!(
        f.clone().render().unwrap(),
        s,
        "same model, different bytes"
    );
    let problems = ps2_problems(&s);
    assert!(
        problems.is_empty(),
        "not PowerShell 2.0 clean: {problems:#?}\n{s}"
    );
    s
}

/// Step names in script order.
fn steps(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("Invoke-Step '"))
        .map(|l| l.split('\'').next().unwrap_or("").to_string())
        .collect()
}

/// The value of the first single-quoted PowerShell string on `line`, un-doubled.
fn first_ps_string(line: &str) -> String {
    let start = line.find('\'').expect("a quoted string") + 1;
    let mut out = String::new();
    let mut chars = line[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            match chars.peek() {
                Some(n)
                    if matches!(n, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') =>
                {
                    out.push(*n);
                    chars.next();
                }
                _ => return out,
            }
        } else {
            out.push(c);
        }
    }
    panic!("unterminated string on {line}");
}

#[test]
fn msi_script_verifies_hashes_before_installing_and_runs_steps_in_order() {
    let s = render(&full(OpenSshKind::Msi));
    for needle in [
        "Set-StrictMode -Version 2.0",
        "$ErrorActionPreference = 'Stop'",
        "$MyInvocation.MyCommand.Path",
        "[System.Security.Cryptography.SHA256]::Create()",
        "/qn /norestart",
        "3010",
        "administrators_authorized_keys",
        "/inheritance:r /grant *S-1-5-32-544:F /grant *S-1-5-18:F",
        "netsh.exe",
        "Start-Service -Name 'sshd'",
        r"'%SystemRoot%\Temp\aero-first-logon.log'",
        "exit 1",
    ] {
        assert!(s.contains(needle), "missing `{needle}`");
    }
    assert!(
        !regex::Regex::new(r"(?i)[a-z]:\\").unwrap().is_match(&s),
        "the script names no drive letter: paths come from the media and %SystemRoot%"
    );
    assert!(s.contains(&format!("'{}'", AGENT_SHA.to_ascii_lowercase())));
    assert!(s.contains(&format!("'{SSH_SHA}'")));
    assert!(s.contains(r"(Join-Path $MediaRoot 'guest-agent\qemu-ga-x86_64.msi')"));
    assert!(
        !s.contains("    Install-OpenSshZip "),
        "no ZIP expansion for an MSI"
    );
    assert_eq!(
        steps(&s),
        [
            "verify SHA-256 of the installers on the media",
            "install the guest agent",
            "install OpenSSH server (MSI)",
            "open TCP port 22 for sshd",
            "start sshd automatically",
            "write administrators_authorized_keys",
            "extra command 1 of 2",
            "extra command 2 of 2",
            "turn off automatic logon and clear the stored password",
            "write the done marker",
        ]
    );
    // Both hashes are checked in the first step, before anything is installed.
    let verify = s.find("Invoke-Step 'verify SHA-256").unwrap();
    let install = s.find("Invoke-Step 'install the guest agent'").unwrap();
    let checks: Vec<usize> = s
        .match_indices("    Assert-Sha256 ")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(checks.len(), 2);
    assert!(checks.iter().all(|i| (verify..install).contains(i)));
    assert_eq!(
        s.lines()
            .filter(|l| l.contains("ssh-") || l.contains("ecdsa-"))
            .count(),
        2
    );
}

#[test]
fn zip_script_expands_with_shell_application_and_runs_install_sshd() {
    let s = render(&full(OpenSshKind::Zip));
    assert!(s.contains("System.IO.Compression.DeflateStream"));
    assert!(s.contains("Install-OpenSshZip (Join-Path $MediaRoot 'OpenSSH-Win64.zip')"));
    assert!(s.contains("'install-sshd.ps1'"));
    assert!(steps(&s).contains(&"install OpenSSH server (ZIP)".to_string()));
}

#[test]
fn minimal_script_only_writes_the_done_marker() {
    let s = render(&FirstLogon::default());
    assert_eq!(
        steps(&s),
        [
            "turn off automatic logon and clear the stored password",
            "write the done marker"
        ]
    );
    assert!(!s.contains("Invoke-Step 'verify"));
}

#[test]
fn user_values_stay_inside_their_single_quoted_strings() {
    // If quoting broke, the [ordered] and $(...) would become code and the PS2 check would
    // flag them; the decoded literal must equal the input exactly.
    let hostile = [
        "echo it's ' ; [ordered]@{} ; '",
        "echo typographic \u{2019} ; [ordered]@{} ; \u{2018}",
        "echo $(Remove-Item -Recurse C:\\) `n \"quoted\" & ver",
        "echo ünïcødé 日本 > %TEMP%\\x.txt",
    ];
    let f = FirstLogon {
        extra_commands: hostile.iter().map(|s| s.to_string()).collect(),
        log_path: r"D:\logs\it's here.log".into(),
        ..FirstLogon::default()
    };
    let s = render(&f);
    let decoded: Vec<String> = s
        .lines()
        .filter(|l| l.trim_start().starts_with("Invoke-CommandLine '"))
        .map(first_ps_string)
        .collect();
    assert_eq!(decoded, hostile);
    let log_line = s.lines().find(|l| l.starts_with("$LogPath = ")).unwrap();
    assert_eq!(first_ps_string(log_line), r"D:\logs\it's here.log");
}

#[test]
fn render_bytes_is_utf8_with_bom() {
    let f = FirstLogon {
        extra_commands: vec!["echo ü".into()],
        ..FirstLogon::default()
    };
    let bytes = f.render_bytes().unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    assert_eq!(
        std::str::from_utf8(&bytes[3..]).unwrap(),
        f.render().unwrap()
    );
}

#[test]
fn validation_reports_every_problem_at_once() {
    let f = FirstLogon {
        guest_agent: Some(MediaFile::new("C:/agent.msi", "abc")),
        openssh: Some(OpenSsh {
            file: MediaFile::new("OpenSSH-Win64.msi", SSH_SHA),
            kind: OpenSshKind::Zip,
        }),
        authorized_keys: vec!["not a key".into()],
        extra_commands: vec!["  ".into(), "ok\u{7}".into()],
        log_path: "a\u{0}b".into(),
        done_marker: "x|y".into(),
    };
    let err = f.render().expect_err("an invalid model must not render");
    let problems: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    for needle in [
        "guest_agent file `C:/agent.msi`",
        "guest_agent sha256 `abc`",
        "openssh file `OpenSSH-Win64.msi` does not end in `.zip`",
        "authorized_keys[0]",
        "extra_commands[0] is empty",
        "extra_commands[1] contains control character U+0007",
        "log_path contains control character U+0000",
        "done_marker `x|y`",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "no problem says `{needle}`: {problems:#?}"
        );
    }
    assert_eq!(problems.len(), 8, "{problems:#?}");
}

#[test]
fn ps2_check_catches_newer_constructs_a_hand_edit_could_add() {
    let good = render(&full(OpenSshKind::Msi));
    for (snippet, what) in [
        ("$h = Get-FileHash $p", "Get-FileHash"),
        ("$o = [pscustomobject]@{ a = 1 }", "[pscustomobject]"),
        (
            "$l = [System.Collections.Generic.List[string]]::new()",
            "::new(",
        ),
        ("if ($x -in @(1, 2)) { }", "-in"),
        ("$j = $o | ConvertTo-Json", "ConvertTo-Json"),
        ("$d = Split-Path $PSScriptRoot", "$PSScriptRoot"),
    ] {
        let edited = format!("{good}\n{snippet}\n");
        let problems = ps2_problems(&edited);
        assert_eq!(problems.len(), 1, "{snippet}: {problems:#?}");
        let line = edited.lines().count();
        assert!(
            problems[0].starts_with(&format!("line {line}:")) && problems[0].contains(what),
            "{snippet}: {problems:#?}"
        );
    }
    let unbalanced = good.replacen(
        "Invoke-Step 'install the guest agent' {",
        "Invoke-Step 'install the guest agent' (",
        1,
    );
    assert!(!ps2_problems(&unbalanced).is_empty());
}
