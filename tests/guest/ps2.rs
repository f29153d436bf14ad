//! A static check that a script keeps to PowerShell 2.0 (what Windows 7 ships): balanced
//! `{} () []` outside strings and comments, and none of the syntax, cmdlets and .NET 4 APIs that
//! only later PowerShell versions have. No PowerShell runs on the build machines, so this is
//! the guard; it cannot see runtime-only differences (member enumeration on arrays, cmdlet
//! parameter sets), which verify.ps1 avoids by style.

use regex::Regex;

/// One rule: a case-insensitive pattern over code (strings and comments blanked) and why.
const RULES: &[(&str, &str)] = &[
    (
        r"\[ordered\]",
        "is PowerShell 3+; fill a hashtable and write keys in a fixed order",
    ),
    (
        r"\[pscustomobject\]",
        "is PowerShell 3+; use New-Object PSObject -Property",
    ),
    (
        r"(^|[\s(])-(not)?in\b",
        "is PowerShell 3+; use -contains / -notcontains",
    ),
    (r"\$PSItem\b", "is PowerShell 3+; use $_"),
    (r"::new\s*\(", "is PowerShell 5+; use New-Object"),
    (
        r"\bConvert(To|From)-Json\b",
        "is PowerShell 3+; write or read the JSON by hand",
    ),
    (
        r"\b(Get|New|Set|Remove|Invoke)-Cim\w+",
        "is PowerShell 3+; use Get-WmiObject",
    ),
    (
        r"\.(ForEach|Where)\s*\(",
        "(method form) is PowerShell 4+; use the pipeline",
    ),
    (
        r"^\s*using\s+(namespace|module|assembly)\b",
        "is PowerShell 5+",
    ),
    (
        r"^\s*(class|enum)\s+\w",
        "(type definition) is PowerShell 5+",
    ),
    (
        r"\$PSScriptRoot\b",
        "is PowerShell 3+ in scripts; use Split-Path $MyInvocation.MyCommand.Path",
    ),
    (
        r"\$PSCommandPath\b",
        "is PowerShell 3+; use $MyInvocation.MyCommand.Path",
    ),
    (r"\$PSDefaultParameterValues\b", "is PowerShell 3+"),
    (r"\$using:", "is PowerShell 3+"),
    (
        r"\bGet-FileHash\b",
        "is PowerShell 4+; hash with System.Security.Cryptography",
    ),
    (r"\bInvoke-(WebRequest|RestMethod)\b", "is PowerShell 3+"),
    (
        r"(^|\s)-Raw\b",
        "(Get-Content -Raw) is PowerShell 3+; use [IO.File]::ReadAllText",
    ),
    (
        r"(^|\s)-(File|Directory)\b",
        "(Get-ChildItem) is PowerShell 3+; filter on PSIsContainer",
    ),
    (r"(^|\s)-Tail\b", "(Get-Content -Tail) is PowerShell 3+"),
    (r"(^|\s)-NoNewline\b", "is PowerShell 5+"),
    (
        r"(^|\s)-Depth\b",
        "is PowerShell 3+ (ConvertTo-Json) or 5+ (Get-ChildItem)",
    ),
    (r"(^|\s)-(shl|shr)\b", "is PowerShell 3+"),
    (
        r"\b(Where-Object|ForEach-Object)\s+[A-Za-z_]",
        "simplified syntax is PowerShell 3+; use a script block",
    ),
    (r"(^|\s)-Encoding\s+utf8(No)?BOM\b", "is PowerShell 6+"),
    (
        r"\?\?|\?\.|&&|\|\|",
        "(null-coalescing / pipeline chain) is PowerShell 7+",
    ),
    (
        r"IsNullOrWhiteSpace",
        "is .NET 4; PowerShell 2.0 runs on .NET 2.0/3.5",
    ),
    (
        r"Is64Bit(OperatingSystem|Process)",
        "is .NET 4; test PROCESSOR_ARCHITECTURE instead",
    ),
    (r"::ReadLines\s*\(", "is .NET 4; use ReadAllLines"),
    (
        r"\bEnumerate(Files|Directories|FileSystemEntries)\b",
        "is .NET 4; use Get*",
    ),
    (r"\.HasFlag\s*\(", "is .NET 4; use -band"),
];

/// The cmdlets of Windows PowerShell 2.0. A `Verb-Noun` command that is neither one of these
/// nor a function the script defines is reported: later modules (NetAdapter, Storage, ...) and
/// cmdlets added in 3.0+ are the commonest way a script stops working on Windows 7.
const PS2_CMDLETS: &str = "\
    Add-Computer Add-Content Add-History Add-Member Add-PSSnapin Add-Type Checkpoint-Computer \
    Clear-Content Clear-EventLog Clear-History Clear-Item Clear-ItemProperty Clear-Variable \
    Compare-Object Complete-Transaction Connect-WSMan Convert-Path ConvertFrom-Csv \
    ConvertFrom-SecureString ConvertFrom-StringData ConvertTo-Csv ConvertTo-Html \
    ConvertTo-SecureString ConvertTo-Xml Copy-Item Copy-ItemProperty Debug-Process \
    Disable-ComputerRestore Disable-PSBreakpoint Disable-PSRemoting \
    Disable-PSSessionConfiguration Disconnect-WSMan Enable-ComputerRestore Enable-PSBreakpoint \
    Enable-PSRemoting Enable-PSSessionConfiguration Enter-PSSession Exit-PSSession Export-Alias \
    Export-Clixml Export-Console Export-Counter Export-Csv Export-FormatData Export-ModuleMember \
    Export-PSSession ForEach-Object Format-Custom Format-List Format-Table Format-Wide Get-Acl \
    Get-Alias Get-AuthenticodeSignature Get-ChildItem Get-Command Get-ComputerRestorePoint \
    Get-Content Get-Counter Get-Credential Get-Culture Get-Date Get-Event Get-EventLog \
    Get-EventSubscriber Get-ExecutionPolicy Get-FormatData Get-Help Get-History Get-Host \
    Get-HotFix Get-Item Get-ItemProperty Get-Job Get-Location Get-Member Get-Module \
    Get-PfxCertificate Get-Process Get-PSBreakpoint Get-PSCallStack Get-PSDrive Get-PSProvider \
    Get-PSSession Get-PSSessionConfiguration Get-PSSnapin Get-Random Get-Service Get-TraceSource \
    Get-Transaction Get-UICulture Get-Unique Get-Variable Get-WinEvent Get-WmiObject \
    Get-WSManCredSSP Get-WSManInstance Group-Object Import-Alias Import-Clixml Import-Counter \
    Import-Csv Import-LocalizedData Import-Module Import-PSSession Invoke-Command \
    Invoke-Expression Invoke-History Invoke-Item Invoke-WmiMethod Invoke-WSManAction Join-Path \
    Limit-EventLog Measure-Command Measure-Object Move-Item Move-ItemProperty New-Alias \
    New-Event New-EventLog New-Item New-ItemProperty New-Module New-ModuleManifest New-Object \
    New-PSDrive New-PSSession New-PSSessionOption New-Service New-TimeSpan New-Variable \
    New-WebServiceProxy New-WSManInstance New-WSManSessionOption Out-Default Out-File \
    Out-GridView Out-Host Out-Null Out-Printer Out-String Pop-Location Push-Location Read-Host \
    Receive-Job Register-EngineEvent Register-ObjectEvent Register-PSSessionConfiguration \
    Register-WmiEvent Remove-Computer Remove-Event Remove-EventLog Remove-Item \
    Remove-ItemProperty Remove-Job Remove-Module Remove-PSBreakpoint Remove-PSDrive \
    Remove-PSSession Remove-PSSnapin Remove-Variable Remove-WmiObject Remove-WSManInstance \
    Rename-Item Rename-ItemProperty Reset-ComputerMachinePassword Resolve-Path Restart-Computer \
    Restart-Service Restore-Computer Resume-Service Select-Object Select-String Select-Xml \
    Send-MailMessage Set-Acl Set-Alias Set-AuthenticodeSignature Set-Content Set-Date \
    Set-ExecutionPolicy Set-Item Set-ItemProperty Set-Location Set-PSBreakpoint Set-PSDebug \
    Set-PSSessionConfiguration Set-Service Set-StrictMode Set-TraceSource Set-Variable \
    Set-WmiInstance Set-WSManInstance Set-WSManQuickConfig Show-EventLog Sort-Object Split-Path \
    Start-Job Start-Process Start-Service Start-Sleep Start-Transaction Start-Transcript \
    Stop-Computer Stop-Job Stop-Process Stop-Service Stop-Transcript Suspend-Service Tee-Object \
    Test-ComputerSecureChannel Test-Connection Test-ModuleManifest Test-Path Test-WSMan \
    Trace-Command Undo-Transaction Unregister-Event Unregister-PSSessionConfiguration \
    Update-FormatData Update-List Update-TypeData Use-Transaction Wait-Event Wait-Job \
    Wait-Process Where-Object Write-Debug Write-Error Write-EventLog Write-Host Write-Output \
    Write-Progress Write-Verbose Write-Warning";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Code,
    Single,
    Double,
    HereSingle,
    HereDouble,
    LineComment,
    BlockComment,
}

struct Open {
    ch: char,
    line: usize,
    col: usize,
    /// A `$(` inside a double-quoted string: the string resumes when it closes.
    resume: Option<Mode>,
}

/// Every problem found, as "line N: ..." messages; empty when the script passes.
pub fn check(src: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let masked = mask(src, &mut problems);
    let rules: Vec<(Regex, &str)> = RULES
        .iter()
        .map(|(pattern, why)| {
            (
                Regex::new(&format!("(?i){pattern}")).expect("rule regex"),
                *why,
            )
        })
        .collect();
    for (i, line) in masked.lines().enumerate() {
        for (re, why) in &rules {
            if let Some(m) = re.find(line) {
                problems.push(format!("line {}: `{}` {why}", i + 1, m.as_str().trim()));
            }
        }
    }
    let defined: Vec<String> = Regex::new(r"(?im)^\s*function\s+([A-Za-z][\w-]*)")
        .expect("regex")
        .captures_iter(&masked)
        .map(|c| c[1].to_ascii_lowercase())
        .collect();
    let command = Regex::new(r"(^|[^\w$.\-])([A-Za-z]+-[A-Za-z]+)\b").expect("regex");
    for (i, line) in masked.lines().enumerate() {
        for c in command.captures_iter(line) {
            let name = &c[2];
            let lower = name.to_ascii_lowercase();
            let known = PS2_CMDLETS
                .split_whitespace()
                .any(|k| k.eq_ignore_ascii_case(name));
            if !known && !defined.contains(&lower) {
                problems.push(format!(
                    "line {}: `{name}` is neither a PowerShell 2.0 cmdlet nor a function of this script",
                    i + 1
                ));
            }
        }
    }
    let requires = Regex::new(r"(?i)^\s*#requires\s+-version\s+([3-9]|\d\d)").expect("regex");
    for (i, line) in src.lines().enumerate() {
        if requires.is_match(line) {
            problems.push(format!("line {}: #requires a version above 2", i + 1));
        }
    }
    problems
}

/// The source with string contents and comments replaced by spaces (line breaks kept), and
/// bracket balance checked on the way.
fn mask(src: &str, problems: &mut Vec<String>) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut stack: Vec<Open> = Vec::new();
    let mut mode = Mode::Code;
    let (mut line, mut col) = (1usize, 0usize);
    let mut string_start = (0usize, 0usize);
    let mut i = 0;
    let at_line_start = |out: &str| out.rsplit('\n').next().is_some_and(|l| l.trim().is_empty());
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        col += 1;
        if c == '\n' {
            line += 1;
            col = 0;
            if mode == Mode::LineComment {
                mode = Mode::Code;
            }
            out.push('\n');
            i += 1;
            continue;
        }
        match mode {
            Mode::Code => {
                let prev = out.chars().last();
                let token_start = prev.is_none_or(|p| p.is_whitespace() || ";(){}|=,".contains(p));
                match c {
                    '<' if next == Some('#') => {
                        mode = Mode::BlockComment;
                        out.push_str("  ");
                        i += 2;
                        col += 1;
                        continue;
                    }
                    '#' if token_start => {
                        mode = Mode::LineComment;
                        out.push(' ');
                    }
                    '`' => {
                        // Escape or line continuation: the next char is not syntax.
                        out.push(' ');
                        if let Some(n) = next {
                            out.push(if n == '\n' { '\n' } else { ' ' });
                            if n == '\n' {
                                line += 1;
                                col = 0;
                            } else {
                                col += 1;
                            }
                            i += 2;
                            continue;
                        }
                    }
                    '@' if matches!(next, Some('"') | Some('\'')) && rest_is_eol(&chars, i + 2) => {
                        mode = if next == Some('"') {
                            Mode::HereDouble
                        } else {
                            Mode::HereSingle
                        };
                        string_start = (line, col);
                        out.push_str("@\"");
                        i += 2;
                        col += 1;
                        continue;
                    }
                    '\'' => {
                        mode = Mode::Single;
                        string_start = (line, col);
                        out.push('\'');
                    }
                    '"' => {
                        mode = Mode::Double;
                        string_start = (line, col);
                        out.push('"');
                    }
                    '{' | '(' | '[' => {
                        stack.push(Open {
                            ch: c,
                            line,
                            col,
                            resume: None,
                        });
                        out.push(c);
                    }
                    '}' | ')' | ']' => {
                        let want = match c {
                            '}' => '{',
                            ')' => '(',
                            _ => '[',
                        };
                        match stack.pop() {
                            Some(open) if open.ch == want => {
                                out.push(c);
                                if let Some(m) = open.resume {
                                    mode = m;
                                }
                            }
                            Some(open) => problems.push(format!(
                                "line {line}: `{c}` does not match `{}` opened at line {} column {}",
                                open.ch, open.line, open.col
                            )),
                            None => problems.push(format!("line {line}: `{c}` closes nothing")),
                        }
                    }
                    _ => out.push(c),
                }
            }
            Mode::LineComment => out.push(' '),
            Mode::BlockComment => {
                if c == '#' && next == Some('>') {
                    mode = Mode::Code;
                    out.push_str("  ");
                    i += 2;
                    col += 1;
                    continue;
                }
                out.push(' ');
            }
            Mode::Single => {
                if c == '\'' {
                    if next == Some('\'') {
                        out.push_str("  ");
                        i += 2;
                        col += 1;
                        continue;
                    }
                    mode = Mode::Code;
                    out.push('\'');
                } else {
                    out.push(' ');
                }
            }
            Mode::Double => match c {
                '`' => {
                    out.push(' ');
                    if next.is_some_and(|n| n != '\n') {
                        out.push(' ');
                        i += 2;
                        col += 1;
                        continue;
                    }
                }
                '"' if next == Some('"') => {
                    out.push_str("  ");
                    i += 2;
                    col += 1;
                    continue;
                }
                '"' => {
                    mode = Mode::Code;
                    out.push('"');
                }
                '$' if next == Some('(') => {
                    stack.push(Open {
                        ch: '(',
                        line,
                        col: col + 1,
                        resume: Some(Mode::Double),
                    });
                    mode = Mode::Code;
                    out.push_str("$(");
                    i += 2;
                    col += 1;
                    continue;
                }
                _ => out.push(' '),
            },
            Mode::HereSingle | Mode::HereDouble => {
                let close = if mode == Mode::HereDouble { '"' } else { '\'' };
                if c == close && next == Some('@') && at_line_start(&out) {
                    mode = Mode::Code;
                    out.push_str("\"@");
                    i += 2;
                    col += 1;
                    continue;
                }
                out.push(' ');
            }
        }
        i += 1;
    }
    match mode {
        Mode::Code | Mode::LineComment => {}
        Mode::BlockComment => problems.push("unterminated <# block comment".into()),
        _ => problems.push(format!(
            "unterminated string opened at line {} column {}",
            string_start.0, string_start.1
        )),
    }
    for open in stack {
        problems.push(format!(
            "`{}` opened at line {} column {} is unclosed",
            open.ch, open.line, open.col
        ));
    }
    out
}

/// Whether only spaces and tabs follow `from` up to the end of the line (a here-string opener).
fn rest_is_eol(chars: &[char], from: usize) -> bool {
    chars[from.min(chars.len())..]
        .iter()
        .take_while(|c| **c != '\n')
        .all(|c| *c == ' ' || *c == '\t' || *c == '\r')
}
