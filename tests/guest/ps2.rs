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
    for (i, line) in masked.lines().enumerate() {
        for (pattern, why) in RULES {
            let re = Regex::new(&format!("(?i){pattern}")).expect("rule regex");
            if let Some(m) = re.find(line) {
                problems.push(format!("line {}: `{}` {why}", i + 1, m.as_str().trim()));
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
