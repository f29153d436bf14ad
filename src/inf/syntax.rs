//! INF syntax: physical lines -> logical lines -> sections of `key = value, ...` entries.
//!
//! The rules (from the INF syntax reference): section names are case-insensitive and sections of
//! the same name are merged; `;` starts a comment unless it is inside double quotes; a `\` as the
//! last non-blank character continues the line; values are separated by commas outside quotes;
//! inside quotes `""` is a literal `"`. Nothing here fails: oddities become [`Warning`]s so a
//! report can show them with their line.

use std::collections::BTreeMap;

use super::model::Warning;

/// A section of an INF: its name as first written, and its entries in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name between the brackets, as first written (sections are merged by lowercase name).
    pub name: String,
    /// 1-based line of the first header of this section.
    pub line: usize,
    /// The entries of every header of this name, in file order.
    pub entries: Vec<Entry>,
}

/// One logical line inside a section: `key = value, value` or a bare `value, value` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The text left of the first `=` outside quotes, unquoted and trimmed; `None` without `=`.
    pub key: Option<String>,
    /// The comma-separated values, unquoted and trimmed (empty values kept: positions matter).
    pub values: Vec<String>,
    /// The whole right-hand side as one unquoted value, commas kept, when there are several
    /// values; with one value it is that value (see [`Entry::value_text`]) and not kept twice.
    pub(super) whole: Option<String>,
    /// 1-based line where the logical line starts.
    pub line: usize,
}

impl Section {
    /// Whether this section's name equals `name`, ignoring case.
    pub fn is(&self, name: &str) -> bool {
        eq_name(&self.name, name)
    }

    /// The entries whose key equals `key`, ignoring case.
    pub fn entries_named<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.key.as_deref().is_some_and(|k| eq_name(k, key)))
    }

    /// The first value of the first entry named `key`.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.key.as_deref().is_some_and(|k| eq_name(k, key)))
            .and_then(|e| e.values.first())
            .map(String::as_str)
    }
}

impl Entry {
    /// The whole right-hand side as one unquoted value, commas kept (how `[Strings]` reads it).
    pub fn value_text(&self) -> &str {
        match &self.whole {
            Some(whole) => whole,
            None => self.values.first().map_or("", String::as_str),
        }
    }

    /// The key followed by the values: every token of the line.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.key
            .iter()
            .chain(self.values.iter())
            .map(String::as_str)
    }
}

/// Case-insensitive name comparison, as Windows compares INF section and key names.
pub fn eq_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (!a.is_ascii() && a.to_lowercase() == b.to_lowercase())
}

/// The lookup form of a name (sections, keys, string tokens).
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// Sections in file order, with a case-insensitive index.
#[derive(Debug, Clone, Default)]
pub struct Sections {
    list: Vec<Section>,
    index: BTreeMap<String, usize>,
}

impl Sections {
    /// Every section, in the order their names first appear.
    pub fn all(&self) -> &[Section] {
        &self.list
    }

    /// Mutable access for the substitution pass.
    pub(super) fn all_mut(&mut self) -> &mut [Section] {
        &mut self.list
    }

    /// The section named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Section> {
        self.index.get(&fold(name)).and_then(|i| self.list.get(*i))
    }

    fn open(&mut self, name: &str, line: usize) -> usize {
        let key = fold(name);
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        self.list.push(Section {
            name: name.to_string(),
            line,
            entries: Vec::new(),
        });
        let i = self.list.len() - 1;
        self.index.insert(key, i);
        i
    }
}

/// The most entries (non-blank logical lines in sections) and section headers, together,
/// aero-recipe reads from one INF. Large real driver INFs (display and printer drivers) have
/// tens of thousands; past this an INF is refused, so a file of millions of tiny lines or
/// headers cannot take gigabytes to parse.
pub const MAX_ENTRIES: usize = 1_000_000;

/// The most keys and values, all entries together, aero-recipe reads from one INF (each is
/// kept as its own string until the INF is extracted): a file of a million lines of many
/// short values is refused as well.
pub const MAX_FIELDS: usize = 2_000_000;

/// Tokenise INF text into sections; oddities are returned as warnings, never as errors.
pub fn parse(text: &str) -> (Sections, Vec<Warning>) {
    let mut warnings = Vec::new();
    let mut sections = Sections::default();
    let mut current: Option<usize> = None;
    let mut warned_outside = false;
    let mut budget = Budget::default();
    logical_lines(text, &mut warnings, &mut |line, logical, warnings| {
        let trimmed = logical.trim();
        if trimmed.is_empty() {
            return true;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let name = match header.find(']') {
                Some(end) => {
                    let after = header[end + 1..].trim();
                    if !after.is_empty() {
                        warnings.push(Warning::new(
                            line,
                            format!("text `{after}` after the section header is ignored"),
                        ));
                    }
                    header[..end].trim()
                }
                None => {
                    warnings.push(Warning::new(
                        line,
                        "section header has no closing `]`; the rest of the line is taken as its name",
                    ));
                    header.trim()
                }
            };
            if name.is_empty() {
                warnings.push(Warning::new(line, "section header with an empty name"));
            }
            if let Some(refusal) = budget.charge(0) {
                warnings.push(Warning::fatal(line, refusal));
                return false;
            }
            current = Some(sections.open(name, line));
            return true;
        }
        match current.and_then(|i| sections.list.get_mut(i)) {
            Some(section) => {
                let entry = entry(trimmed, line);
                if let Some(refusal) =
                    budget.charge(entry.values.len() + usize::from(entry.key.is_some()))
                {
                    warnings.push(Warning::fatal(line, refusal));
                    return false;
                }
                section.entries.push(entry);
            }
            None => {
                if !warned_outside {
                    warnings.push(Warning::new(
                        line,
                        "text before the first section header is ignored",
                    ));
                    warned_outside = true;
                }
            }
        }
        true
    });
    (sections, warnings)
}

/// What one INF has taken of [`MAX_ENTRIES`] and [`MAX_FIELDS`] so far.
#[derive(Default)]
struct Budget {
    lines: usize,
    fields: usize,
}

impl Budget {
    /// Count one more section header or entry with `fields` keys and values; past either
    /// limit, the reason the INF is refused.
    fn charge(&mut self, fields: usize) -> Option<String> {
        self.lines += 1;
        self.fields += fields;
        let what = if self.lines > MAX_ENTRIES {
            format!("more than {MAX_ENTRIES} entries and section headers")
        } else if self.fields > MAX_FIELDS {
            format!("more than {MAX_FIELDS} keys and values")
        } else {
            return None;
        };
        Some(format!(
            "{what}: aero-recipe reads INFs of at most {MAX_ENTRIES} entries and section headers \
             and {MAX_FIELDS} keys and values (large driver INFs have tens of thousands of \
             entries); this is not a driver INF"
        ))
    }
}

/// Split one logical line (comment already removed) into key and values.
fn entry(text: &str, line: usize) -> Entry {
    let (key, rhs) = match find_unquoted(text, '=') {
        Some(i) => (Some(field(&text[..i])), &text[i + 1..]),
        None => (None, text),
    };
    let parts = split_unquoted(rhs, ',');
    // One part is the whole right-hand side: its value is the whole value.
    let whole = (parts.len() > 1).then(|| field(rhs));
    Entry {
        key,
        values: parts.into_iter().map(field).collect(),
        whole,
        line,
    }
}

/// The longest logical line aero-recipe reads, in bytes after continuations are joined. Driver
/// INFs stay far below (long `AddReg` binary values run to a few kilobytes); a longer line is
/// refused instead of being parsed.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// What [`logical_lines`] hands each logical line to: its 1-based first line, its text and
/// the warnings; `false` stops the reading.
type OnLine<'f> = dyn FnMut(usize, &str, &mut Vec<Warning>) -> bool + 'f;

/// Hand each logical line, with the 1-based line number it starts on, to `on_line`: comments
/// removed, continuations joined. One line at a time, so parsing never holds a second copy of
/// the text. A line over [`MAX_LINE_BYTES`] is reported and left out.
fn logical_lines(text: &str, warnings: &mut Vec<Warning>, on_line: &mut OnLine) {
    let mut pending: Option<(usize, String)> = None;
    for (i, physical) in physical_lines(text).enumerate() {
        let line = i + 1;
        let (content, open_quote) = strip_comment(physical);
        if open_quote {
            warnings.push(Warning::fatal(
                line,
                "unterminated `\"`: Windows would read the rest of the line, `;` and `,` \
                 included, as quoted text; close the quote",
            ));
        }
        let end_trimmed = content.trim_end();
        match end_trimmed.strip_suffix('\\') {
            Some(head) if !open_quote => {
                let (_, buf) = pending.get_or_insert_with(|| (line, String::new()));
                buf.push_str(head);
            }
            _ => {
                let go_on = match pending.take() {
                    Some((start, mut buf)) => {
                        buf.push_str(content);
                        finish(start, &buf, warnings, on_line)
                    }
                    None => finish(line, content, warnings, on_line),
                };
                if !go_on {
                    return;
                }
            }
        }
    }
    if let Some((start, buf)) = pending {
        warnings.push(Warning::new(
            start,
            "line continuation `\\` at the end of the file",
        ));
        finish(start, &buf, warnings, on_line);
    }
}

/// Hand on a finished logical line, or report it when it is over [`MAX_LINE_BYTES`].
fn finish(start: usize, text: &str, warnings: &mut Vec<Warning>, on_line: &mut OnLine) -> bool {
    if text.len() > MAX_LINE_BYTES {
        warnings.push(Warning::fatal(
            start,
            format!(
                "line of {} bytes: aero-recipe reads INF lines of at most 1 MiB \
                 (driver INFs stay far below); this is not a driver INF",
                text.len()
            ),
        ));
        true
    } else {
        on_line(start, text, warnings)
    }
}

/// The byte offset where each physical line starts (line `n` is at index `n - 1`).
pub fn line_starts(text: &str) -> Vec<usize> {
    let base = text.as_ptr() as usize;
    physical_lines(text)
        .map(|l| l.as_ptr() as usize - base)
        .collect()
}

/// Physical lines, split at CRLF, LF or a lone CR.
fn physical_lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let from = start;
        match bytes[from..].iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                let end = from + i;
                let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
                start = end + 1 + usize::from(crlf);
                Some(&text[from..end])
            }
            None => {
                start = bytes.len();
                Some(&text[from..])
            }
        }
    })
}

/// The line up to a `;` outside quotes, and whether a quote was left open.
fn strip_comment(line: &str) -> (&str, bool) {
    let mut in_quote = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            ';' if !in_quote => return (&line[..i], false),
            _ => {}
        }
    }
    (line, in_quote)
}

/// Byte offset of the first `needle` outside double quotes.
fn find_unquoted(text: &str, needle: char) -> Option<usize> {
    let mut in_quote = false;
    for (i, c) in text.char_indices() {
        if c == '"' {
            in_quote = !in_quote;
        } else if c == needle && !in_quote {
            return Some(i);
        }
    }
    None
}

/// Split at every `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(i) = find_unquoted(rest, sep) {
        parts.push(&rest[..i]);
        rest = &rest[i + sep.len_utf8()..];
    }
    parts.push(rest);
    parts
}

/// One token: quotes removed (`""` inside quotes is a literal `"`), blanks outside quotes trimmed
/// at both ends; blanks inside quotes are kept.
fn field(text: &str) -> String {
    let mut chars: Vec<(char, bool)> = Vec::with_capacity(text.len());
    let mut in_quote = false;
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        if c == '"' {
            if in_quote && it.peek() == Some(&'"') {
                it.next();
                chars.push(('"', true));
            } else {
                in_quote = !in_quote;
            }
            continue;
        }
        chars.push((c, in_quote));
    }
    let blank = |&(c, quoted): &(char, bool)| !quoted && c.is_whitespace();
    let start = chars.iter().position(|c| !blank(c)).unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(|c| !blank(c))
        .map_or(start, |i| i + 1);
    chars
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|(c, _)| *c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Entry {
        let (s, _) = parse(&format!("[S]\n{text}\n"));
        s.all()[0].entries[0].clone()
    }

    #[test]
    fn semicolon_inside_quotes_is_not_a_comment() {
        let e = one(r#"Desc = "a;b", c ; comment "x;y""#);
        assert_eq!(e.key.as_deref(), Some("Desc"));
        assert_eq!(e.values, vec!["a;b", "c"]);
    }

    #[test]
    fn comma_and_equals_inside_quotes_stay_in_the_value() {
        let e = one(r#"HKR,,CoInstallers32,0x00010000, "WdfCoInstaller01009.dll,WdfCoInstaller""#);
        assert_eq!(e.key, None);
        assert_eq!(
            e.values,
            vec![
                "HKR",
                "",
                "CoInstallers32",
                "0x00010000",
                "WdfCoInstaller01009.dll,WdfCoInstaller"
            ]
        );
        let e = one(r#""a=b" = "x""y""#);
        assert_eq!(e.key.as_deref(), Some("a=b"));
        assert_eq!(e.values, vec![r#"x"y"#]);
        let e = one(r#"k = "  padded  ", """#);
        assert_eq!(e.values, vec!["  padded  ", ""]);
    }

    #[test]
    fn value_text_is_the_whole_right_hand_side_however_it_is_stored() {
        let e = one(r#"Desc = a, "b, c" , d"#);
        assert_eq!(e.values, vec!["a", "b, c", "d"]);
        assert_eq!(e.value_text(), "a, b, c , d");
        let e = one(r#"Desc = " quoted, one ""#);
        assert_eq!(e.value_text(), " quoted, one ");
        assert_eq!(e.whole, None, "one value is not kept twice");
        assert_eq!(one("bare").value_text(), "bare");
        assert_eq!(one("k =").value_text(), "");
    }

    #[test]
    fn entries_past_the_limit_stop_the_parse_with_one_fatal_warning() {
        // The header counts: the limit is reached on the last `a=b` but one.
        let text = format!("[S]\n{}[T]\nlate=1\n", "a=b\n".repeat(MAX_ENTRIES));
        let (s, w) = parse(&text);
        assert_eq!(s.all()[0].entries.len(), MAX_ENTRIES - 1);
        assert!(s.get("T").is_none(), "nothing after the limit is read");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].line, w[0].fatal), (MAX_ENTRIES + 1, true));
        assert!(
            w[0].message
                .contains("more than 1000000 entries and section headers"),
            "{}",
            w[0].message
        );
        // Headers alone count too.
        let headers: String = (0..MAX_ENTRIES + 1).map(|i| format!("[s{i}]\n")).collect();
        let (s, w) = parse(&headers);
        assert_eq!(s.all().len(), MAX_ENTRIES);
        assert_eq!((w[0].line, w[0].fatal), (MAX_ENTRIES + 1, true));
    }

    #[test]
    fn keys_and_values_past_the_limit_stop_the_parse() {
        // 200,000 lines of ten values: the 2,000,001st field is on the last line.
        let text = format!("[S]\n{}", "a,b,c,d,e,f,g,h,i,j\n".repeat(200_000));
        let (s, w) = parse(&text);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.all()[0].entries.len(), 200_000);
        let (s, w) = parse(&format!("{text}k=v\n"));
        assert_eq!(
            s.all()[0].entries.len(),
            200_000,
            "the entry over the limit is left out"
        );
        assert_eq!((w[0].line, w[0].fatal), (200_002, true));
        assert!(
            w[0].message.contains("more than 2000000 keys and values"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn backslash_continues_the_line_and_keeps_the_first_line_number() {
        let (s, w) = parse("[S]\r\nk = a, \\\r\n    b, \\ ; comment\r\n c\r\nnext = 1\r\n");
        let e = &s.all()[0].entries;
        assert_eq!(e[0].values, vec!["a", "b", "c"]);
        assert_eq!(e[0].line, 2);
        assert_eq!(e[1].key.as_deref(), Some("next"));
        assert_eq!(e[1].line, 5);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn backslash_inside_a_value_is_not_a_continuation() {
        let (s, _) = parse("[S]\nServiceBinary = %12%\\viostor.sys\nPath = \"C:\\\"\nx = 1\n");
        let e = &s.all()[0].entries;
        assert_eq!(e[0].values, vec!["%12%\\viostor.sys"]);
        assert_eq!(e[1].values, vec!["C:\\"]);
        assert_eq!(e.len(), 3);
    }

    #[test]
    fn section_names_are_case_insensitive_and_merged() {
        let (s, _) = parse("[Version]\na=1\n[strings]\nx=1\n[VERSION]\nb=2\n");
        assert_eq!(s.all().len(), 2);
        let v = s.get("version").unwrap();
        assert_eq!(v.name, "Version");
        assert_eq!(v.entries.len(), 2);
        assert_eq!(v.value("B"), Some("2"));
        assert!(s.get("STRINGS").unwrap().is("Strings"));
    }

    #[test]
    fn unterminated_quote_runs_to_end_of_line_and_is_fatal() {
        let (s, w) = parse("[S]\nk = \"abc ; not a comment, d\nnext = 2\n");
        let e = &s.all()[0].entries;
        assert_eq!(e[0].values, vec!["abc ; not a comment, d"]);
        assert_eq!(e[1].values, vec!["2"]);
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].line, w[0].fatal), (2, true));
    }

    #[test]
    fn a_line_over_the_limit_is_left_out_and_fatal() {
        let long = "x".repeat(MAX_LINE_BYTES / 2);
        let text = format!("[S]\nk = {long}\\\n{long}\nok = 1\nk2 = {long}\n");
        let (s, w) = parse(&text);
        let e = &s.all()[0].entries;
        assert_eq!(
            e.len(),
            2,
            "the joined line is over the limit, the last is not"
        );
        assert_eq!(e[0].key.as_deref(), Some("ok"));
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].line, w[0].fatal), (2, true));
        assert!(w[0].message.contains("1 MiB"), "{}", w[0].message);
    }

    #[test]
    fn oddities_do_not_panic() {
        for text in [
            "",
            "\\",
            "[",
            "[]",
            "]",
            "\"",
            "=",
            "[S]\n=\n,\n\"\n\\",
            "junk before\n[S]\nk=\\",
            "[S] trailing\n[T\nk = \"\"\"",
            "\r\r\n\n\u{feff}[S]\r",
        ] {
            let _ = parse(text);
        }
    }

    #[test]
    fn lone_cr_and_crlf_both_end_lines() {
        let (s, _) = parse("[S]\ra=1\r\nb=2\nc=3");
        let lines: Vec<usize> = s.all()[0].entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }
}
