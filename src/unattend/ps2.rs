//! A static check that a PowerShell script can run on PowerShell 2.0 (Windows 7 / Server 2008
//! R2 out of the box): strings, here-strings and comments closed, `()`, `[]` and `{}` balanced,
//! and none of the constructs newer versions introduced.
//!
//! It is a lint, not a parser: it knows PowerShell's quoting well enough not to flag text inside
//! single-quoted strings or comments (user values live there), and it looks inside
//! double-quoted strings, since PowerShell expands those.

use std::sync::LazyLock;

use regex::Regex;

/// Constructs that need PowerShell 3.0 or later, as (case-insensitive regex, what and since).
pub const PS3_PLUS_CONSTRUCTS: &[(&str, &str)] = &[
    (r"\[ordered\]", "[ordered] dictionaries need PowerShell 3.0"),
    (
        r"\[pscustomobject\]",
        "[pscustomobject] needs PowerShell 3.0",
    ),
    (r"::new\s*\(", "::new() constructors need PowerShell 5.0"),
    (
        r"\$PSScriptRoot\b",
        "$PSScriptRoot in scripts needs PowerShell 3.0",
    ),
    (r"\$PSCommandPath\b", "$PSCommandPath needs PowerShell 3.0"),
    (r"\$PSItem\b", "$PSItem needs PowerShell 3.0"),
    (
        r"(^|[\s(])-(not)?in\b",
        "the -in / -notin operators need PowerShell 3.0",
    ),
    (r"\bConvertTo-Json\b", "ConvertTo-Json needs PowerShell 3.0"),
    (
        r"\bConvertFrom-Json\b",
        "ConvertFrom-Json needs PowerShell 3.0",
    ),
    (r"\bGet-FileHash\b", "Get-FileHash needs PowerShell 4.0"),
    (r"\bExpand-Archive\b", "Expand-Archive needs PowerShell 5.0"),
    (
        r"\bCompress-Archive\b",
        "Compress-Archive needs PowerShell 5.0",
    ),
    (
        r"\bInvoke-WebRequest\b",
        "Invoke-WebRequest needs PowerShell 3.0",
    ),
    (
        r"\bInvoke-RestMethod\b",
        "Invoke-RestMethod needs PowerShell 3.0",
    ),
    (
        r"\bGet-CimInstance\b",
        "Get-CimInstance needs PowerShell 3.0",
    ),
    (
        r"\bNew-NetFirewallRule\b",
        "New-NetFirewallRule needs Windows 8 / PowerShell 3.0",
    ),
    (
        r"\bNew-TemporaryFile\b",
        "New-TemporaryFile needs PowerShell 5.0",
    ),
    (
        r"\.(ForEach|Where)\s*[({]",
        "the .ForEach()/.Where() methods need PowerShell 4.0",
    ),
    (r"\$using:", "the $using: scope needs PowerShell 3.0"),
    (
        r"^\s*(class|enum)\s+\w+",
        "class and enum definitions need PowerShell 5.0",
    ),
    (
        r"^\s*using\s+(namespace|module|assembly)\b",
        "using statements need PowerShell 5.0",
    ),
    (r"^\s*workflow\s+\w", "workflows need PowerShell 3.0"),
    (
        r"\s-(shl|shr)\b",
        "the -shl/-shr operators need PowerShell 3.0",
    ),
    (r"\s-Raw\b", "-Raw (Get-Content) needs PowerShell 3.0"),
    (r"\s-NoNewline\b", "-NoNewline needs PowerShell 5.0"),
    (r"\s-AsHashtable\b", "-AsHashtable needs PowerShell 6.0"),
    (
        r"\butf8NoBOM\b",
        "the utf8NoBOM encoding needs PowerShell 6.0",
    ),
    (
        r"\s-(ErrorAction|EA)\s+Ignore\b",
        "-ErrorAction Ignore needs PowerShell 3.0",
    ),
    (
        r"&&|\|\|",
        "the && and || pipeline chain operators need PowerShell 7.0",
    ),
    (r"\?\?|\?\.", "the ?? and ?. operators need PowerShell 7.0"),
];

static CONSTRUCTS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    PS3_PLUS_CONSTRUCTS
        .iter()
        .filter_map(|(re, why)| Regex::new(&format!("(?im){re}")).ok().map(|r| (r, *why)))
        .collect()
});

static REQUIRES: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*#requires\s+-version\s+([3-9]|[1-9][0-9])").ok());

/// Every reason `script` may not run on PowerShell 2.0, one `line N: ...` message each;
/// empty when none is found.
pub fn ps2_problems(script: &str) -> Vec<String> {
    let script = script.strip_prefix('\u{feff}').unwrap_or(script);
    let lexed = lex(script);
    let mut problems = lexed.problems;
    problems.extend(bracket_problems(&lexed.code));
    for (re, why) in CONSTRUCTS.iter() {
        for m in re.find_iter(&lexed.expandable) {
            problems.push(format!(
                "line {}: `{}`: {why}",
                line_of(&lexed.expandable, m.start()),
                m.as_str().trim()
            ));
        }
    }
    if let Some(re) = REQUIRES.as_ref() {
        for m in re.find_iter(script) {
            problems.push(format!(
                "line {}: `{}` demands a newer PowerShell",
                line_of(script, m.start()),
                m.as_str().trim()
            ));
        }
    }
    problems
}

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |s| s.matches('\n').count()) + 1
}

/// The script with comments and strings blanked (`code`), and with comments and verbatim
/// strings blanked but expandable strings kept (`expandable`); newlines are kept in both so
/// line numbers stay true.
struct Lexed {
    code: String,
    expandable: String,
    problems: Vec<String>,
}

fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}')
}

fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201c}' | '\u{201d}' | '\u{201e}')
}

#[derive(Clone, Copy, PartialEq)]
enum Keep {
    Neither,
    ExpandableOnly,
    Both,
}

struct Out {
    code: String,
    expandable: String,
}

impl Out {
    fn push(&mut self, c: char, keep: Keep) {
        let blank = if c == '\n' { '\n' } else { ' ' };
        self.code.push(if keep == Keep::Both { c } else { blank });
        self.expandable
            .push(if keep == Keep::Neither { blank } else { c });
    }
}

fn lex(script: &str) -> Lexed {
    let chars: Vec<char> = script.chars().collect();
    let mut out = Out {
        code: String::with_capacity(script.len()),
        expandable: String::with_capacity(script.len()),
    };
    let mut problems = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |j: usize| chars.get(j).copied();
    while let Some(c) = at(i) {
        let start_line = line;
        let count_lines = |from: usize, to: usize| {
            chars
                .get(from..to)
                .map_or(0, |s| s.iter().filter(|c| **c == '\n').count())
        };
        let emit = |from: usize, to: usize, keep: Keep, out: &mut Out| {
            for &ch in chars.get(from..to).unwrap_or(&[]) {
                out.push(ch, keep);
            }
        };
        if c == '`' {
            // An escaped character (or line continuation) is code, whatever it is.
            let end = (i + 2).min(chars.len());
            emit(i, end, Keep::Both, &mut out);
            line += count_lines(i, end);
            i = end;
        } else if c == '<' && at(i + 1) == Some('#') {
            let end = find_seq(&chars, i + 2, &['#', '>']).map(|e| e + 2);
            if end.is_none() {
                problems.push(format!(
                    "line {start_line}: block comment `<#` is never closed"
                ));
            }
            let end = end.unwrap_or(chars.len());
            emit(i, end, Keep::Neither, &mut out);
            line += count_lines(i, end);
            i = end;
        } else if c == '#' && starts_token(i.checked_sub(1).and_then(at)) {
            let end = (i..chars.len())
                .find(|j| chars[*j] == '\n')
                .unwrap_or(chars.len());
            emit(i, end, Keep::Neither, &mut out);
            i = end;
        } else if c == '@'
            && at(i + 1).is_some_and(|q| is_single_quote(q) || is_double_quote(q))
            && rest_of_line_blank(&chars, i + 2)
        {
            let single = at(i + 1).is_some_and(is_single_quote);
            let end = here_string_end(&chars, i + 2, single);
            if end.is_none() {
                problems.push(format!(
                    "line {start_line}: here-string `@'`/`@\"` is never closed"
                ));
            }
            let end = end.unwrap_or(chars.len());
            let keep = if single {
                Keep::Neither
            } else {
                Keep::ExpandableOnly
            };
            emit(i, end, keep, &mut out);
            line += count_lines(i, end);
            i = end;
        } else if is_single_quote(c) || is_double_quote(c) {
            let single = is_single_quote(c);
            let end = quoted_end(&chars, i + 1, single);
            if end.is_none() {
                problems.push(format!(
                    "line {start_line}: string starting here is never closed"
                ));
            }
            let end = end.unwrap_or(chars.len());
            let keep = if single {
                Keep::Neither
            } else {
                Keep::ExpandableOnly
            };
            emit(i, end, keep, &mut out);
            line += count_lines(i, end);
            i = end;
        } else {
            out.push(c, Keep::Both);
            if c == '\n' {
                line += 1;
            }
            i += 1;
        }
    }
    Lexed {
        code: out.code,
        expandable: out.expandable,
        problems,
    }
}

fn starts_token(prev: Option<char>) -> bool {
    prev.is_none_or(|p| p.is_whitespace() || ";(){}|&,=".contains(p))
}

fn find_seq(chars: &[char], from: usize, seq: &[char]) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j..].starts_with(seq))
}

fn rest_of_line_blank(chars: &[char], from: usize) -> bool {
    chars[from.min(chars.len())..]
        .iter()
        .take_while(|c| **c != '\n')
        .all(|c| c.is_whitespace())
}

/// Index just past the closing `'@`/`"@`, which must start a line.
fn here_string_end(chars: &[char], from: usize, single: bool) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '\n' {
            let q = chars.get(j + 1).copied();
            let closes = q.is_some_and(|q| {
                if single {
                    is_single_quote(q)
                } else {
                    is_double_quote(q)
                }
            }) && chars.get(j + 2) == Some(&'@');
            if closes {
                return Some(j + 3);
            }
        }
        j += 1;
    }
    None
}

/// Index just past the closing quote of a string whose body starts at `from`.
fn quoted_end(chars: &[char], from: usize, single: bool) -> Option<usize> {
    let is_quote = if single {
        is_single_quote
    } else {
        is_double_quote
    };
    let mut j = from;
    while let Some(&c) = chars.get(j) {
        if !single && c == '`' {
            j += 2;
        } else if is_quote(c) {
            if chars.get(j + 1).is_some_and(|n| is_quote(*n)) {
                j += 2;
            } else {
                return Some(j + 1);
            }
        } else {
            j += 1;
        }
    }
    None
}

fn bracket_problems(code: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut line = 1;
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            // The escaped character is never a bracket; an escaped newline still ends a line.
            '`' => line += usize::from(chars.next() == Some('\n')),
            '(' | '[' | '{' => stack.push((c, line)),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match stack.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, open_line)) => problems.push(format!(
                        "line {line}: `{c}` closes `{open}` opened on line {open_line}"
                    )),
                    None => problems.push(format!("line {line}: `{c}` closes nothing")),
                }
            }
            _ => {}
        }
    }
    for (open, open_line) in stack {
        problems.push(format!("line {open_line}: `{open}` is never closed"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_construct_compiles() {
        assert_eq!(CONSTRUCTS.len(), PS3_PLUS_CONSTRUCTS.len());
        assert!(REQUIRES.is_some());
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
}
