//! Hostile INF files through `aero-recipe inf`, under a watchdog and a memory limit.
//!
//! Bytes that are not an INF (binary garbage, whatever its size or encoding) and INFs Windows
//! would not read as written (a 10 MB line, an unterminated quote, strings that refer to each
//! other) are refused: exit 1 and a first stderr line naming the problem. Large but legal INFs
//! are read in time and memory linear in the input, with a report whose size is linear too.

use std::ffi::OsStr;
use std::path::Path;

use crate::util::hostile::*;
use crate::util::*;

const HEADER: &str = "[Version]\r\nSignature=\"$Windows NT$\"\r\n";
const TEN_MB: usize = 10 << 20;

/// Deterministic pseudo-random bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

fn inf_refused(bytes: &[u8], needles: &[&str]) {
    inf_refused_run(bytes, needles);
}

/// Run `aero-recipe inf` on `bytes`: exit 1, a first line holding every needle, no report on
/// stdout and no file written.
fn inf_refused_run(bytes: &[u8], needles: &[&str]) -> Run {
    let sb = Sandbox::new();
    let path = sb.input("x.inf");
    std::fs::write(&path, bytes).unwrap();
    let before = sb.snapshot();
    let run = refused(&sb.cwd(), &["inf".as_ref(), path.as_os_str()], needles);
    assert!(run.stdout.is_empty(), "a refused INF printed a report");
    assert_eq!(before, sb.snapshot(), "`aero-recipe inf` wrote a file");
    run
}

/// Run `aero-recipe inf` on `bytes`; it must succeed with a report at most 16 times the size
/// of the input. Returns the report.
fn inf_read(bytes: &[u8]) -> String {
    let sb = Sandbox::new();
    let path = sb.input("x.inf");
    std::fs::write(&path, bytes).unwrap();
    let before = sb.snapshot();
    let args: [&OsStr; 2] = ["inf".as_ref(), path.as_os_str()];
    let run = run_cli(&sb.cwd(), &args);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stdout.len() <= 16 * bytes.len().max(1024),
        "a {}-byte INF gave a {}-byte report",
        bytes.len(),
        run.stdout.len()
    );
    assert_eq!(before, sb.snapshot(), "`aero-recipe inf` wrote a file");
    run.stdout
}

fn warnings_of(report: &str) -> Vec<&str> {
    report
        .lines()
        .skip_while(|l| l.trim() != "warnings:")
        .skip(1)
        .collect()
}

#[test]
fn binary_garbage_is_not_an_inf() {
    // Raw noise (it holds NUL bytes), noise without NULs or brackets, noise after a UTF-16 BOM,
    // a 10 MB single line of it, and nothing at all.
    inf_refused(&noise(1 << 20, 1), &["NUL character", "not an INF file"]);
    let clean: Vec<u8> = noise(1 << 20, 2)
        .into_iter()
        .map(|b| if b == 0 || b == b'[' { b'x' } else { b })
        .collect();
    inf_refused(&clean, &["no [Version] section", "not an INF file"]);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(noise(1 << 20, 3));
    inf_refused(&utf16, &["not an INF file"]);
    let line: Vec<u8> = noise(TEN_MB, 4)
        .into_iter()
        .map(|b| match b {
            0 | b'\n' | b'\r' | b'[' => b'.',
            b => b,
        })
        .collect();
    inf_refused(&line, &["no [Version] section"]);
    inf_refused(b"", &["no [Version] section"]);
}

#[test]
fn garbage_after_a_version_header_is_refused_with_a_bounded_report() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend(
        noise(1 << 20, 5)
            .into_iter()
            .map(|b| if b == 0 { b' ' } else { b }),
    );
    // Not UTF-8, so read as Windows-1252, which decodes every byte; the noise leaves quotes
    // open on many of its lines: every one is counted, the first 20 are shown.
    let run = inf_refused_run(
        &bytes,
        &[
            "not a usable INF (1385 problems; the first 20 are shown)",
            "unterminated `\"`",
        ],
    );
    assert_eq!(
        run.stderr.matches("unterminated `\"`").count(),
        21,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.len() < 200_000,
        "{} bytes of diagnostics",
        run.stderr.len()
    );
}

#[test]
fn ten_megabyte_single_lines() {
    // A million values on one line; one value of ten million characters; the same joined from
    // 10,000 continued lines.
    let mut commas = format!("{HEADER}[Manufacturer]\r\n%M%=Models\r\n[Models]\r\nDev=Inst,");
    commas.push_str(&"PCI\\VEN_1,".repeat(TEN_MB / 10));
    commas.push_str("\r\n");
    inf_refused(
        commas.as_bytes(),
        &["x.inf:6:", "line of 10485", "at most 1 MiB"],
    );

    let long = format!("{HEADER}Provider=\"{}\"\r\n", "p".repeat(TEN_MB));
    inf_refused(long.as_bytes(), &["x.inf:3:", "at most 1 MiB"]);

    let piece = format!("{}\\\r\n", "c".repeat(TEN_MB / 10_000));
    let continued = format!("{HEADER}[S]\r\nk={}\r\n", piece.repeat(10_000));
    inf_refused(continued.as_bytes(), &["x.inf:4:", "at most 1 MiB"]);
}

#[test]
fn millions_of_tiny_entries_or_headers_are_refused_at_the_limits() {
    // 3 million four-byte lines (12 MB): a section tree of millions of entries once took
    // gigabytes. Entries and headers count together, so the 1,000,001st is on that line.
    let text = format!("{HEADER}[Strings]\r\n{}", "a=b\r\n".repeat(3_000_000));
    inf_refused(
        text.as_bytes(),
        &[
            "x.inf:1000001:",
            "more than 1000000 entries and section headers",
            "not a driver INF",
        ],
    );
    // At the limit it is a legal INF, read under the same memory cap.
    let text = format!("{HEADER}[Strings]\r\n{}", "a=b\r\n".repeat(999_997));
    inf_read(text.as_bytes());
    // 2.5 million distinct section headers (28 MB; 3 million in 32 MB took 630 MB).
    let headers: String = (0..2_500_000).map(|i| format!("[s{i}]\r\n")).collect();
    inf_refused(
        format!("{HEADER}{headers}").as_bytes(),
        &["x.inf:1000001:", "entries and section headers"],
    );
    // A million lines of fifteen one-letter values (30 MB) took 1 GB.
    let values = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o\r\n".repeat(1_000_000);
    inf_refused(
        format!("{HEADER}[S]\r\n{values}").as_bytes(),
        &["x.inf:133337:", "more than 2000000 keys and values"],
    );
}

#[test]
fn a_string_over_the_windows_limit_is_refused() {
    // 4096 characters is the most Windows reads, substitutions included.
    let text = format!(
        "{HEADER}Provider=%P%\r\n[Strings]\r\nP=\"{}\"\r\n",
        "p".repeat(3000)
    );
    inf_read(text.as_bytes());
    let text = format!(
        "{HEADER}Provider=%P%%P%\r\n[Strings]\r\nP=\"{}\"\r\n",
        "p".repeat(3000)
    );
    inf_refused(
        text.as_bytes(),
        &["x.inf:3:", "6000 characters", "at most 4096"],
    );
}

#[test]
fn a_megabyte_line_of_distinct_unknown_string_tokens() {
    // Every token is undefined: one warning each, found in linear time.
    let tokens: Vec<String> = (0..100_000).map(|i| format!("%k{i}%")).collect();
    let text = format!("{HEADER}[S]\r\nk={}\r\n", tokens.join(","));
    let report = inf_read(text.as_bytes());
    let warnings = warnings_of(&report);
    assert_eq!(warnings.len(), tokens.len());
    assert!(
        warnings[0].contains("`%k0%` is not defined in [Strings]"),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_copy_list_named_a_million_times_is_read_once() {
    // A CopyFiles list of 100,000 files, named 500,000 times on one line (just under 1 MiB).
    let mut text = format!("{HEADER}[Inst]\r\nCopyFiles=");
    text.push_str(&"L,".repeat(500_000));
    text.push_str("\r\n[L]\r\n");
    for i in 0..100_000 {
        text.push_str(&format!("f{i}.sys\r\n"));
    }
    let report = inf_read(text.as_bytes());
    assert!(report.contains("f99999.sys"));
}

#[test]
fn a_service_install_section_named_by_every_add_service_is_read_once() {
    // 300,000 AddService lines naming one install section of 200,000 lines without a
    // ServiceBinary.
    let mut text = format!("{HEADER}[Inst.Services]\r\n");
    for i in 0..300_000 {
        text.push_str(&format!("AddService=s{i},2,Svc\r\n"));
    }
    text.push_str("[Svc]\r\n");
    text.push_str(&"ServiceType=1\r\n".repeat(200_000));
    let report = inf_read(text.as_bytes());
    assert!(report.contains("s299999  flags 0x00000002 function driver  install [Svc]"));
    let missing = warnings_of(&report)
        .iter()
        .filter(|w| w.contains("[Svc] has no ServiceBinary"))
        .count();
    assert_eq!(
        missing, 1,
        "the section's problem is reported once, at its line"
    );
}

#[test]
fn one_long_file_name_does_not_pad_every_line_of_the_report() {
    let mut text = format!("{HEADER}[SourceDisksFiles]\r\n{}=1\r\n", "n".repeat(4096));
    for i in 0..200_000 {
        text.push_str(&format!("f{i}=1\r\n"));
    }
    inf_read(text.as_bytes());
}

#[test]
fn unterminated_quotes_are_refused_at_their_lines() {
    let text = format!(
        "{HEADER}Provider=\"Vendor, Inc ; not a comment\r\nClass=Net\r\n[S]\r\nk=\"{}\r\n",
        "q".repeat(1000)
    );
    let run = inf_refused_run(
        text.as_bytes(),
        &["x.inf:3:", "unterminated `\"`", "(and 1 more)"],
    );
    assert!(
        run.stderr.contains("x.inf:6:1: unterminated"),
        "every problem is reported:\n{}",
        run.stderr
    );
}

#[test]
fn recursive_string_substitutions_are_refused() {
    // Mutual and self references, and a chain that would double at each step if expanded
    // again (2^60 characters): found by one pass over [Strings], each at its line.
    let mut text = format!("{HEADER}Provider=%A%\r\nClass=%Self%\r\nDriverVer=%D60%\r\n");
    text.push_str("[Strings]\r\nA=\"%B%\"\r\nB=\"%A%\"\r\nSelf=\"<%Self%>\"\r\nD0=x\r\n");
    for i in 1..=60 {
        text.push_str(&format!("D{i}=\"%D{}%%D{}%\"\r\n", i - 1, i - 1));
    }
    let run = inf_refused_run(
        text.as_bytes(),
        &[
            "63 problems",
            "the first 20 are shown",
            "x.inf:7:",
            "string `A` refers to the string `%B%`",
        ],
    );
    assert!(
        run.stderr.contains("string `Self` refers to itself"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("string `D17` refers to the string `%D16%`"),
        "{}",
        run.stderr
    );
}

#[test]
fn path_is_named_in_every_refusal() {
    let sb = Sandbox::new();
    let path = sb.input("garbage.inf");
    std::fs::write(&path, noise(4096, 9)).unwrap();
    let run = refused(
        &sb.cwd(),
        &["inf".as_ref(), path.as_os_str()],
        &["garbage.inf"],
    );
    assert!(Path::new(&path).exists() && run.stdout.is_empty());
}

#[test]
fn a_fifo_or_a_huge_file_given_as_an_inf_is_refused_at_once() {
    let sb = Sandbox::new();
    let fifo = sb.input("pipe.inf");
    assert!(tool("mkfifo").arg(&fifo).status().unwrap().success());
    // Nothing ever writes into the FIFO: a reader that opened it would wait forever.
    refused(
        &sb.cwd(),
        &["inf".as_ref(), fifo.as_os_str()],
        &["pipe.inf", "FIFO", "not a regular file"],
    );
    // 700 MB (sparse): refused by its size before a byte is read.
    let big = sb.input("big.inf");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(700 << 20)
        .unwrap();
    refused(
        &sb.cwd(),
        &["inf".as_ref(), big.as_os_str()],
        &["big.inf", "too large for an INF file"],
    );
}

#[test]
fn worker_threads_that_cannot_start_are_an_error_not_a_panic() {
    // A process limit of 1 for the user running the tool: its first thread cannot start. Root
    // ignores that limit, so as root the tool runs as `nobody` (from a directory anyone can
    // read: a link to the binary and a copy of the INF).
    let dir = tempdir();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("aero-recipe");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_aero-recipe"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_aero-recipe"), &bin).unwrap();
    }
    let inf = dir.path().join("netkvm.inf");
    std::fs::copy(
        repo().join("examples/virtio-win/NetKVM/w10/amd64/netkvm.inf"),
        &inf,
    )
    .unwrap();
    let mut cmd = tool("prlimit");
    cmd.arg("--nproc=1").current_dir(dir.path());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cmd.args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]);
    }
    let r = run(cmd.arg(&bin).args(["--jobs", "4", "inf"]).arg(&inf));
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.exits(1)
        .says(&["cannot start 4 worker threads", "--jobs"]);
}
