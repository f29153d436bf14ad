//! A static check that a PowerShell script can run on PowerShell 2.0 (what Windows 7 and Server
//! 2008 R2 ship): strings, here-strings, comments and `{} () []` closed and balanced, and none of
//! the syntax, cmdlets and .NET 4 APIs that only later versions have.
//!
//! No PowerShell runs on the build machines, so this is the guard for every script the tool
//! generates or ships (`first_logon.ps1`, `guest-tools/verify.ps1`). It is a lint, not a parser:
//! it knows PowerShell's quoting well enough to blank what is text (comments, single-quoted
//! strings, the literal text of double-quoted ones, typographic quotes included) and to keep
//! as code what PowerShell expands inside double quotes (`$variables` and `$( )`
//! subexpressions). It cannot see runtime-only differences (member enumeration on arrays,
//! cmdlet parameter sets).

use std::sync::LazyLock;

use regex::Regex;

/// Constructs that need PowerShell 3.0 or later (or .NET 4), as (case-insensitive regex over the
/// code, what follows the matched text in the message: the version and what to use instead).
pub const PS3_PLUS_CONSTRUCTS: &[(&str, &str)] = &[
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
    (r"\$\{?PSItem\b", "is PowerShell 3+; use $_"),
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
        r"\.(ForEach|Where)\s*[({]",
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
        r"^\s*workflow\s+\w",
        "(workflow) is PowerShell 3+; use a function",
    ),
    (
        r"\$\{?PSScriptRoot\b",
        "is PowerShell 3+ in scripts; use Split-Path $MyInvocation.MyCommand.Path",
    ),
    (
        r"\$\{?PSCommandPath\b",
        "is PowerShell 3+; use $MyInvocation.MyCommand.Path",
    ),
    (r"\$\{?PSDefaultParameterValues\b", "is PowerShell 3+"),
    (r"\$\{?using:", "is PowerShell 3+"),
    (
        r"\bGet-FileHash\b",
        "is PowerShell 4+; hash with System.Security.Cryptography",
    ),
    (
        r"\bInvoke-(WebRequest|RestMethod)\b",
        "is PowerShell 3+; use System.Net.WebClient",
    ),
    (
        r"\b(Expand|Compress)-Archive\b",
        "is PowerShell 5+; use the Shell.Application COM object",
    ),
    (
        r"\bNew-NetFirewallRule\b",
        "is Windows 8+ (NetSecurity module); use netsh advfirewall",
    ),
    (
        r"\bNew-TemporaryFile\b",
        "is PowerShell 5+; use [IO.Path]::GetTempFileName()",
    ),
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
    (r"(^|\s)-AsHashtable\b", "is PowerShell 6+"),
    (r"(^|\s)-(shl|shr)\b", "is PowerShell 3+"),
    (
        r"(^|\s)-(ErrorAction|EA)\s+Ignore\b",
        "is PowerShell 3+; use SilentlyContinue",
    ),
    (
        r"\b(Where-Object|ForEach-Object)\s+[A-Za-z_]",
        "simplified syntax is PowerShell 3+; use a script block",
    ),
    (r"\butf8(No)?BOM\b", "(encoding name) is PowerShell 6+"),
    (
        r"&&|\|\|",
        "(pipeline chain operator) is PowerShell 7+; test $? or $LASTEXITCODE",
    ),
    (
        r"\?\?|\?\.",
        "(null-coalescing / null-conditional operator) is PowerShell 7+",
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

static CONSTRUCTS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    PS3_PLUS_CONSTRUCTS
        .iter()
        .filter_map(|(re, why)| Regex::new(&format!("(?im){re}")).ok().map(|r| (r, *why)))
        .collect()
});

static REQUIRES: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*#requires\s+-version\s+([3-9]|[1-9][0-9])").ok());

static FUNCTION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*(function|filter)\s+([A-Za-z][\w-]*)").ok());

static COMMAND: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(^|[^\w$.\-])([A-Za-z]+-[A-Za-z]+)\b").ok());

/// Every reason `script` may not run on PowerShell 2.0, one `line N: ...` message each, in
/// line order; empty when none is found.
pub fn ps2_problems(script: &str) -> Vec<String> {
    let script = script.strip_prefix('\u{feff}').unwrap_or(script);
    let masked = mask(script);
    let code = masked.code.as_str();
    let mut problems = masked.problems;
    let mut flagged = Vec::new();
    for (re, why) in CONSTRUCTS.iter() {
        for m in re.find_iter(code) {
            let (at, text) = trimmed(code, m.start(), m.as_str());
            problems.push((line_of(code, at), format!("`{text}` {why}")));
            flagged.push(m.range());
        }
    }
    problems.extend(unknown_commands(code, &flagged));
    if let Some(re) = REQUIRES.as_ref() {
        for m in re.find_iter(script) {
            let (at, text) = trimmed(script, m.start(), m.as_str());
            problems.push((
                line_of(script, at),
                format!("`{text}` demands a newer PowerShell than 2.0"),
            ));
        }
    }
    problems.sort_by_key(|(line, _)| *line);
    problems
        .into_iter()
        .map(|(line, text)| format!("line {line}: {text}"))
        .collect()
}

/// `Verb-Noun` commands that are neither PowerShell 2.0 cmdlets nor functions of the script,
/// except where a construct rule already said why (`flagged` byte ranges of `code`).
fn unknown_commands(code: &str, flagged: &[std::ops::Range<usize>]) -> Vec<(usize, String)> {
    let (Some(function), Some(command)) = (FUNCTION.as_ref(), COMMAND.as_ref()) else {
        return Vec::new();
    };
    let defined: Vec<String> = function
        .captures_iter(code)
        .filter_map(|c| c.get(2))
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect();
    let mut problems = Vec::new();
    for c in command.captures_iter(code) {
        let Some(name) = c.get(2) else { continue };
        let known = PS2_CMDLETS
            .split_whitespace()
            .any(|k| k.eq_ignore_ascii_case(name.as_str()));
        let already = flagged
            .iter()
            .any(|r| r.start < name.end() && name.start() < r.end);
        if !known && !already && !defined.contains(&name.as_str().to_ascii_lowercase()) {
            problems.push((
                line_of(code, name.start()),
                format!(
                    "`{}` is neither a PowerShell 2.0 cmdlet nor a function of this script",
                    name.as_str()
                ),
            ));
        }
    }
    problems
}

/// The byte offset and text of a match without the white space a pattern may take before it
/// (a `(^|\s)` prefix can be the previous line's newline).
fn trimmed<'a>(text: &'a str, start: usize, matched: &'a str) -> (usize, &'a str) {
    let body = matched.trim_start();
    let at = start + (matched.len() - body.len());
    (at.min(text.len()), body.trim_end())
}

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |s| s.matches('\n').count()) + 1
}

fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}')
}

fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201c}' | '\u{201d}' | '\u{201e}')
}

/// Where the lexer is: in code, or inside a comment or string of some kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    LineComment,
    BlockComment,
    Single,
    Double,
    HereSingle,
    HereDouble,
}

/// An open bracket waiting for its closer.
struct Open {
    ch: char,
    line: usize,
    col: usize,
    /// A `$(` inside a double-quoted string: the string resumes when it closes.
    resume: Option<Mode>,
}

/// The script with comments and string text blanked (newlines kept so line numbers stay true),
/// and the unclosed or unbalanced strings, comments and brackets found on the way.
struct Masked {
    code: String,
    problems: Vec<(usize, String)>,
}

/// Walks the script's characters, writing each one to `code` as itself or blanked.
struct Cursor<'a> {
    chars: &'a [char],
    i: usize,
    line: usize,
    col: usize,
    code: String,
}

impl Cursor<'_> {
    fn at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn prev(&self) -> Option<char> {
        self.i
            .checked_sub(1)
            .and_then(|j| self.chars.get(j).copied())
    }

    /// Moves past `n` characters, writing them as code (`keep`) or as blanks.
    fn take(&mut self, n: usize, keep: bool) {
        for _ in 0..n {
            let Some(c) = self.at(0) else { return };
            self.code.push(if keep || c == '\n' { c } else { ' ' });
            self.i += 1;
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
    }

    /// How many characters a variable reference starting at the current `$` spans (`$name`,
    /// `$scope:name`, `${any name}`), or 0 when the `$` starts none.
    fn variable_len(&self) -> usize {
        match self.at(1) {
            Some('{') => (2..)
                .find(|&k| self.at(k).is_none_or(|c| c == '}' || c == '\n'))
                .map_or(0, |k| k + usize::from(self.at(k) == Some('}'))),
            Some(c) if c.is_alphanumeric() || c == '_' => (1..)
                .find(|&k| {
                    self.at(k)
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
                })
                .unwrap_or(1),
            _ => 0,
        }
    }
}

fn mask(script: &str) -> Masked {
    let chars: Vec<char> = script.chars().collect();
    let mut cur = Cursor {
        chars: &chars,
        i: 0,
        line: 1,
        col: 1,
        code: String::with_capacity(script.len()),
    };
    let mut problems = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut mode = Mode::Code;
    // Where the current comment or string began.
    let mut opened = (1, 1);
    while let Some(c) = cur.at(0) {
        let next = cur.at(1);
        let here = (cur.line, cur.col);
        match mode {
            Mode::Code => {
                if c == '`' {
                    // An escaped character (or line continuation) is code, but never syntax.
                    cur.take(2, true);
                } else if c == '<' && next == Some('#') {
                    opened = here;
                    mode = Mode::BlockComment;
                    cur.take(2, false);
                } else if c == '#' && starts_token(cur.prev()) {
                    mode = Mode::LineComment;
                    cur.take(1, false);
                } else if c == '@'
                    && next.is_some_and(|q| is_single_quote(q) || is_double_quote(q))
                    && rest_of_line_blank(&chars, cur.i + 2)
                {
                    opened = here;
                    mode = if next.is_some_and(is_single_quote) {
                        Mode::HereSingle
                    } else {
                        Mode::HereDouble
                    };
                    cur.take(2, false);
                } else if is_single_quote(c) || is_double_quote(c) {
                    opened = here;
                    mode = if is_single_quote(c) {
                        Mode::Single
                    } else {
                        Mode::Double
                    };
                    cur.take(1, false);
                } else if matches!(c, '(' | '[' | '{') {
                    stack.push(Open {
                        ch: c,
                        line: cur.line,
                        col: cur.col,
                        resume: None,
                    });
                    cur.take(1, true);
                } else if matches!(c, ')' | ']' | '}') {
                    let want = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    match stack.pop() {
                        Some(open) => {
                            if open.ch != want {
                                problems.push((
                                    cur.line,
                                    format!(
                                        "`{c}` closes `{}` opened at line {} column {}, \
                                         which it does not match",
                                        open.ch, open.line, open.col
                                    ),
                                ));
                            }
                            if let Some(m) = open.resume {
                                mode = m;
                            }
                        }
                        None => problems.push((cur.line, format!("`{c}` closes nothing"))),
                    }
                    cur.take(1, true);
                } else {
                    cur.take(1, true);
                }
            }
            Mode::LineComment => {
                if c == '\n' {
                    mode = Mode::Code;
                }
                cur.take(1, false);
            }
            Mode::BlockComment => {
                if c == '#' && next == Some('>') {
                    mode = Mode::Code;
                    cur.take(2, false);
                } else {
                    cur.take(1, false);
                }
            }
            Mode::Single => {
                if is_single_quote(c) && next.is_some_and(is_single_quote) {
                    // A doubled quote is a quote inside the string.
                    cur.take(2, false);
                } else {
                    if is_single_quote(c) {
                        mode = Mode::Code;
                    }
                    cur.take(1, false);
                }
            }
            Mode::HereSingle => {
                if is_single_quote(c) && next == Some('@') && cur.prev() == Some('\n') {
                    mode = Mode::Code;
                    cur.take(2, false);
                } else {
                    cur.take(1, false);
                }
            }
            Mode::Double | Mode::HereDouble => {
                let var = if c == '$' { cur.variable_len() } else { 0 };
                if c == '`' {
                    cur.take(2, false);
                } else if mode == Mode::Double && is_double_quote(c) {
                    if next.is_some_and(is_double_quote) {
                        cur.take(2, false);
                    } else {
                        mode = Mode::Code;
                        cur.take(1, false);
                    }
                } else if mode == Mode::HereDouble
                    && is_double_quote(c)
                    && next == Some('@')
                    && cur.prev() == Some('\n')
                {
                    mode = Mode::Code;
                    cur.take(2, false);
                } else if c == '$' && next == Some('(') {
                    // A subexpression is code until its `)`, then the string goes on.
                    stack.push(Open {
                        ch: '(',
                        line: cur.line,
                        col: cur.col + 1,
                        resume: Some(mode),
                    });
                    mode = Mode::Code;
                    cur.take(2, true);
                } else if var > 0 {
                    // PowerShell expands variables inside double quotes.
                    cur.take(var, true);
                } else {
                    cur.take(1, false);
                }
            }
        }
    }
    let (line, col) = opened;
    let unclosed = match mode {
        Mode::Code | Mode::LineComment => None,
        Mode::BlockComment => Some("block comment `<#`"),
        Mode::Single | Mode::Double => Some("string"),
        Mode::HereSingle | Mode::HereDouble => {
            Some("here-string (its closing `'@` / `\"@` must start a line)")
        }
    };
    if let Some(what) = unclosed {
        problems.push((
            line,
            format!("{what} opened at column {col} is never closed"),
        ));
    }
    for open in stack {
        problems.push((
            open.line,
            format!(
                "`{}` opened at column {} is never closed",
                open.ch, open.col
            ),
        ));
    }
    Masked {
        code: cur.code,
        problems,
    }
}

fn starts_token(prev: Option<char>) -> bool {
    prev.is_none_or(|p| p.is_whitespace() || ";(){}|&,=".contains(p))
}

/// Whether only white space follows `from` up to the end of the line (a here-string opener).
fn rest_of_line_blank(chars: &[char], from: usize) -> bool {
    chars
        .get(from..)
        .unwrap_or(&[])
        .iter()
        .take_while(|c| **c != '\n')
        .all(|c| c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_construct_compiles() {
        assert_eq!(CONSTRUCTS.len(), PS3_PLUS_CONSTRUCTS.len());
        assert!(REQUIRES.is_some() && FUNCTION.is_some() && COMMAND.is_some());
        assert_eq!(ps2_problems("#Requires -Version 3.0\n").len(), 1);
    }

    #[test]
    fn clean_ps2_script_passes() {
        let s = "# a comment with [ordered] and -in\n\
                 Set-StrictMode -Version 2.0\n\
                 $x = 'it''s { not code [ordered]'\n\
                 $h = @'\n-in ::new( {\n'@\n\
                 if ($x -eq \"a`\"b\") { Write-Host ($x + ']') }\n\
                 <# block\n $PSScriptRoot #>\n";
        assert_eq!(ps2_problems(s), Vec::<String>::new());
    }

    #[test]
    fn finds_each_newer_construct_with_its_line() {
        let s =
            "$a = [ordered]@{}\n$b = 1 -in @(1)\n$c = Get-FileHash x\n$d = \"$PSScriptRoot\\x\"\n";
        let p = ps2_problems(s);
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(
            p[0].starts_with("line 1:") && p[0].contains("[ordered]"),
            "{p:?}"
        );
        assert!(p
            .iter()
            .any(|m| m.starts_with("line 2:") && m.contains("-in")));
        assert!(p
            .iter()
            .any(|m| m.starts_with("line 3:") && m.contains("Get-FileHash")));
        assert!(p
            .iter()
            .any(|m| m.starts_with("line 4:") && m.contains("$PSScriptRoot")));
    }

    #[test]
    fn finds_unbalanced_blocks_and_open_strings() {
        let p = ps2_problems("function f {\n  if ($x) { (1]\n}\n");
        assert!(p.iter().any(|m| m.contains("`]` closes `(`")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("never closed")), "{p:?}");
        let p = ps2_problems("$x = 'open\n");
        assert!(p.iter().any(|m| m.contains("line 1: string")), "{p:?}");
        // A typographic quote also ends a single-quoted string in PowerShell.
        let p = ps2_problems("$x = 'a\u{2019} ; [ordered]@{} ; 'b'\n");
        assert!(p.iter().any(|m| m.contains("[ordered]")), "{p:?}");
    }

    /// The check finds every rule it lists (so a clean script means something).
    #[test]
    fn catches_each_rule() {
        let bad = [
            ("$x = [ordered]@{}\r\n", "[ordered]"),
            ("$o = [pscustomobject]@{a=1}\r\n", "[pscustomobject]"),
            ("if ($a -in $b) { }\r\n", "-in"),
            ("if ($a -notin $b) { }\r\n", "-notin"),
            ("$l | % { $PSItem }\r\n", "$PSItem"),
            ("$s = [Text.StringBuilder]::new()\r\n", "::new("),
            ("$j = $o | ConvertTo-Json\r\n", "ConvertTo-Json"),
            ("$o = $t | ConvertFrom-Json\r\n", "ConvertFrom-Json"),
            (
                "Get-CimInstance Win32_OperatingSystem\r\n",
                "Get-CimInstance",
            ),
            ("$a.ForEach({ $_ })\r\n", ".ForEach("),
            ("$a.Where({ $_ })\r\n", ".Where("),
            ("$a.Where{ $_ }\r\n", ".Where{"),
            ("using namespace System.IO\r\n", "using namespace"),
            ("class Foo { }\r\n", "class"),
            ("workflow Go { }\r\n", "workflow"),
            ("$d = $PSScriptRoot\r\n", "$PSScriptRoot"),
            ("Get-FileHash x\r\n", "Get-FileHash"),
            ("Get-Content x -Raw\r\n", "-Raw"),
            ("Get-ChildItem -File\r\n", "-File"),
            ("$l | Where-Object Name -eq 1\r\n", "simplified"),
            ("[string]::IsNullOrWhiteSpace($s)\r\n", "IsNullOrWhiteSpace"),
            ("$p = $PSCommandPath\r\n", "$PSCommandPath"),
            (
                "$PSDefaultParameterValues = @{}\r\n",
                "$PSDefaultParameterValues",
            ),
            ("Invoke-Command { $using:x }\r\n", "$using:"),
            ("Invoke-WebRequest http://x\r\n", "Invoke-WebRequest"),
            ("Invoke-RestMethod http://x\r\n", "Invoke-RestMethod"),
            ("Invoke-CimMethod -Name x\r\n", "Invoke-CimMethod"),
            ("Expand-Archive a.zip b\r\n", "Expand-Archive"),
            ("Compress-Archive a b.zip\r\n", "Compress-Archive"),
            ("New-NetFirewallRule -Name x\r\n", "New-NetFirewallRule"),
            ("$t = New-TemporaryFile\r\n", "New-TemporaryFile"),
            ("Get-Content x -Tail 5\r\n", "-Tail"),
            ("Write-Host x -NoNewline\r\n", "-NoNewline"),
            ("Get-ChildItem -Recurse -Depth 2\r\n", "-Depth"),
            ("Get-ChildItem -Directory\r\n", "-Directory"),
            (
                "$h = $t | ConvertFrom-Json -AsHashtable\r\n",
                "-AsHashtable",
            ),
            ("$b = 1 -shl 2\r\n", "-shl"),
            (
                "Remove-Item x -ErrorAction Ignore\r\n",
                "-ErrorAction Ignore",
            ),
            ("Out-File x -Encoding utf8NoBOM\r\n", "utf8NoBOM"),
            ("$v = $a ?? $b\r\n", "??"),
            ("$v = $a?.Name\r\n", "?."),
            ("git pull && make\r\n", "&&"),
            ("git pull || exit 1\r\n", "||"),
            ("enum Color { Red }\r\n", "enum"),
            ("#requires -version 3.0\r\n", "#requires"),
            (
                "[Environment]::Is64BitOperatingSystem\r\n",
                "Is64BitOperatingSystem",
            ),
            ("[IO.File]::ReadLines('x')\r\n", "::ReadLines("),
            ("[IO.Directory]::EnumerateFiles('x')\r\n", "EnumerateFiles"),
            ("$f.HasFlag(1)\r\n", ".HasFlag("),
            (
                "Get-NetAdapter | Out-Null\r\n",
                "neither a PowerShell 2.0 cmdlet",
            ),
            ("function f { if ($a) { }\r\n", "never closed"),
            ("$a = (1 + 2]\r\n", "does not match"),
            ("$s = 'never closed\r\n", "never closed"),
            ("$s = \"never closed\r\n", "string opened at column 6"),
            ("$h = @'\r\nx\r\n  '@\r\n", "here-string"),
            ("<# open\r\n", "block comment"),
            ("$a = 1)\r\n", "closes nothing"),
        ];
        for (src, want) in bad {
            let p = ps2_problems(src);
            assert!(
                p.iter().any(|m| m.contains(want)),
                "{src:?}: want a problem mentioning {want}, got {p:?}"
            );
        }
        for (pattern, _) in PS3_PLUS_CONSTRUCTS {
            let re = Regex::new(&format!("(?im){pattern}")).unwrap();
            assert!(
                bad.iter().any(|(src, _)| re.is_match(&mask(src).code)),
                "no sample above fires the rule {pattern}"
            );
        }
        // Strings, here-strings and comments may mention anything.
        let fine = "# ConvertTo-Json [ordered] {\r\n<# -in ( #>\r\n$a = 'x -in y ('\r\n\
                    $b = \"v $($a.Length) }\"\r\n$h = @\"\r\n{ [ordered] (\r\n\"@\r\n\
                    $i = $list -contains 'in'\r\nWrite-Output ($a -join ',')\r\n\
                    function Get-Thing { Get-Thing }\r\n";
        assert_eq!(ps2_problems(fine), Vec::<String>::new());
    }

    #[test]
    fn double_quotes_expand_variables_and_subexpressions_only() {
        // Literal text in double quotes is not code; a variable or `$( )` inside is.
        let p = ps2_problems("Write-Host \"run Get-NetAdapter -in [ordered] && exit\"\n");
        assert_eq!(p, Vec::<String>::new());
        let p = ps2_problems("Write-Host \"at ${PSScriptRoot}: $(Get-FileHash \"x\")\"\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p.iter().any(|m| m.contains("`${PSScriptRoot`")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("`Get-FileHash`")), "{p:?}");
        // An escaped `$` is text; a quote inside a subexpression does not end the string.
        let p = ps2_problems("$m = \"`$PSItem $(Join-Path 'a' \"b)\") [ordered]\"\n");
        assert_eq!(p, Vec::<String>::new());
    }
}
