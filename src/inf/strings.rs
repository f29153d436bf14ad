//! `%strkey%` substitution from `[Strings]`.
//!
//! Tokens come from the undecorated `[Strings]` section first; locale sections (`[Strings.0409]`
//! ...) only supply keys it lacks. `%%` is a literal `%`. Substitution is a single pass over the
//! token as written: a replacement is never scanned again, so self-referencing strings cannot
//! loop. Unknown tokens stay as written: numeric ones are directory ids (`%12%`), others get a
//! warning.

use std::collections::{BTreeMap, BTreeSet};

use super::model::Warning;
use super::syntax::{fold, Sections};

/// The longest string Windows reads from an INF, after substitution (setupapi.h's
/// `MAX_INF_STRING_LENGTH`).
pub const MAX_STRING_CHARS: usize = 4096;

/// The string table of an INF.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    map: BTreeMap<String, String>,
}

/// Whether `name` is `Strings` or a locale variant `Strings.<locale>`.
pub fn is_strings_section(name: &str) -> bool {
    let n = fold(name);
    n == "strings" || n.starts_with("strings.")
}

impl Strings {
    /// Collect the string table: undecorated `[Strings]` wins over `[Strings.*]` sections.
    pub fn from_sections(sections: &Sections) -> Strings {
        let mut map = BTreeMap::new();
        let (plain, localised): (Vec<_>, Vec<_>) = sections
            .all()
            .iter()
            .filter(|s| is_strings_section(&s.name))
            .partition(|s| fold(&s.name) == "strings");
        for section in plain.into_iter().chain(localised) {
            for entry in &section.entries {
                if let Some(key) = &entry.key {
                    map.entry(fold(key))
                        .or_insert_with(|| entry.value_text().to_string());
                }
            }
        }
        Strings { map }
    }

    /// The value of string token `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(&fold(key)).map(String::as_str)
    }

    /// Replace `%key%` tokens and `%%` in `text`; unknown keys are passed to `unknown`.
    pub fn substitute(&self, text: &str, unknown: &mut dyn FnMut(&str)) -> String {
        if !text.contains('%') {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for piece in pieces(text) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Percent => out.push('%'),
                Piece::Token(key) => match self.get(key) {
                    Some(value) => out.push_str(value),
                    None => {
                        unknown(key);
                        out.push('%');
                        out.push_str(key);
                        out.push('%');
                    }
                },
            }
        }
        out
    }

    /// Substitute every token of every section except the string sections themselves.
    pub fn apply(&self, sections: &mut Sections, warnings: &mut Vec<Warning>) {
        for section in sections.all_mut() {
            if is_strings_section(&section.name) {
                continue;
            }
            for entry in &mut section.entries {
                // In order of appearance, each once; the set keeps a line with a million
                // distinct tokens linear.
                let mut missing: Vec<String> = Vec::new();
                let mut seen: BTreeSet<String> = BTreeSet::new();
                let mut note = |key: &str| {
                    let is_dirid = !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit());
                    if !is_dirid && seen.insert(key.to_string()) {
                        missing.push(key.to_string());
                    }
                };
                if let Some(key) = &mut entry.key {
                    *key = self.substitute(key, &mut note);
                }
                for value in &mut entry.values {
                    *value = self.substitute(value, &mut note);
                }
                if let Some(whole) = &mut entry.whole {
                    *whole = self.substitute(whole, &mut |_| {});
                }
                for key in missing {
                    warnings.push(Warning::new(
                        entry.line,
                        format!(
                            "string token `%{key}%` is not defined in [Strings]; kept as written"
                        ),
                    ));
                }
            }
        }
    }

    /// Report, as fatal, what Windows would not read as written: a `[Strings]` value naming
    /// another string (Windows substitutes once, so the token would be shown as written), and
    /// any key or value over [`MAX_STRING_CHARS`] after substitution. Run after [`Strings::apply`].
    pub fn check(&self, sections: &Sections, warnings: &mut Vec<Warning>) {
        for section in sections.all() {
            let strings = is_strings_section(&section.name);
            for entry in &section.entries {
                // A `[Strings]` entry is one string; elsewhere each key and value is one.
                let texts: Vec<&str> = if strings {
                    vec![entry.value_text()]
                } else {
                    entry.tokens().collect()
                };
                // Bytes bound characters from above: count only the texts whose bytes are over.
                let chars = texts
                    .iter()
                    .filter(|t| t.len() > MAX_STRING_CHARS)
                    .map(|t| t.chars().count())
                    .max()
                    .unwrap_or(0);
                if chars > MAX_STRING_CHARS {
                    warnings.push(Warning::fatal(
                        entry.line,
                        format!(
                            "a string of {chars} characters: Windows reads INF strings of at most \
                             {MAX_STRING_CHARS} characters (after %strkey% substitution)"
                        ),
                    ));
                }
                if strings {
                    self.check_references(
                        entry.key.as_deref(),
                        entry.value_text(),
                        entry.line,
                        warnings,
                    );
                }
            }
        }
    }

    fn check_references(
        &self,
        key: Option<&str>,
        value: &str,
        line: usize,
        warnings: &mut Vec<Warning>,
    ) {
        let named = pieces(value).find_map(|p| match p {
            Piece::Token(t) if self.get(t).is_some() => Some(t),
            _ => None,
        });
        if let Some(other) = named {
            let key = key.unwrap_or("");
            let what = if fold(other) == fold(key) {
                "itself".to_string()
            } else {
                format!("the string `%{other}%`")
            };
            warnings.push(Warning::fatal(
                line,
                format!(
                    "string `{key}` refers to {what}: Windows substitutes once, so `%{other}%` \
                     would be shown as written; write the text out (or `%%` for a literal `%`)"
                ),
            ));
        }
    }
}

/// A piece of text scanned for string tokens.
enum Piece<'a> {
    /// Literal text.
    Text(&'a str),
    /// `%%`: a literal `%`.
    Percent,
    /// `%key%`: the key between the percent signs.
    Token(&'a str),
}

/// The pieces of `text` in order; a lone `%` without a closing one is literal text.
fn pieces(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(start) = rest.find('%') else {
            return Some(Piece::Text(std::mem::take(&mut rest)));
        };
        if start > 0 {
            let (t, r) = rest.split_at(start);
            rest = r;
            return Some(Piece::Text(t));
        }
        let after = &rest[1..];
        match after.find('%') {
            Some(0) => {
                rest = &after[1..];
                Some(Piece::Percent)
            }
            Some(end) => {
                rest = &after[end + 1..];
                Some(Piece::Token(&after[..end]))
            }
            None => Some(Piece::Text(std::mem::take(&mut rest))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::syntax::parse;
    use super::*;

    fn table(text: &str) -> Strings {
        Strings::from_sections(&parse(text).0)
    }

    #[test]
    fn percent_percent_is_a_literal_percent() {
        let s = table("[Strings]\nA = \"x\"\n");
        let mut unknown = Vec::new();
        let out = s.substitute("100%% %A% %%A%%", &mut |k| unknown.push(k.to_string()));
        assert_eq!(out, "100% x %A%");
        assert!(unknown.is_empty());
    }

    #[test]
    fn keys_are_case_insensitive_and_unknown_ones_are_kept() {
        let s = table("[strings]\nVendor = \"Red Hat, Inc.\"\n");
        let mut unknown = Vec::new();
        let out = s.substitute("%VENDOR%|%12%\\a.sys|%nope%|50%", &mut |k| {
            unknown.push(k.to_string())
        });
        assert_eq!(out, "Red Hat, Inc.|%12%\\a.sys|%nope%|50%");
        assert_eq!(unknown, vec!["12", "nope"]);
    }

    #[test]
    fn self_reference_is_substituted_once_and_fatal() {
        let text = "[Strings]\nA = \"%A%%B%\"\nB = \"%a%\"\nC = \"100%% %12% %nope% 50%\"\n";
        let s = table(text);
        assert_eq!(s.substitute("%A%", &mut |_| {}), "%A%%B%");
        assert_eq!(s.substitute("%B%", &mut |_| {}), "%a%");
        let mut w = Vec::new();
        s.check(&parse(text).0, &mut w);
        let got: Vec<_> = w.iter().map(|w| (w.line, w.fatal)).collect();
        assert_eq!(got, [(2, true), (3, true)], "{w:?}");
        assert!(
            w[0].message.contains("`A` refers to itself"),
            "{}",
            w[0].message
        );
        assert!(
            w[1].message.contains("`B` refers to the string `%a%`"),
            "{}",
            w[1].message
        );
    }

    #[test]
    fn strings_over_the_windows_limit_are_fatal() {
        let ok = "é".repeat(MAX_STRING_CHARS);
        let long = "x".repeat(MAX_STRING_CHARS + 1);
        let text = format!(
            "[M]\nk = {ok}, %Long%\nfine = %Ok%\n[Strings]\nOk = \"{ok}\"\nLong = {long}\n"
        );
        let (mut sections, mut w) = parse(&text);
        let s = Strings::from_sections(&sections);
        s.apply(&mut sections, &mut w);
        s.check(&sections, &mut w);
        let got: Vec<_> = w.iter().map(|w| w.line).collect();
        assert_eq!(got, [2, 6], "{w:?}");
        assert!(w[0].message.contains("4097 characters"), "{}", w[0].message);
    }

    #[test]
    fn undecorated_strings_win_over_locale_sections() {
        let s = table("[Strings.0407]\nA = \"de\"\nOnly = \"o\"\n[Strings]\nA = \"plain\"\n");
        assert_eq!(s.get("a"), Some("plain"));
        assert_eq!(s.get("only"), Some("o"));
    }

    #[test]
    fn apply_substitutes_keys_and_values_and_warns_on_unknown() {
        let (mut sections, mut w) =
            parse("[M]\n%Desc% = Inst, %Hwid%, %missing%\n[Strings]\nDesc=\"A, B\"\nHwid=PCI\\X\n");
        table_apply(&mut sections, &mut w);
        let e = &sections.get("m").unwrap().entries[0];
        assert_eq!(e.key.as_deref(), Some("A, B"));
        assert_eq!(e.values, vec!["Inst", "PCI\\X", "%missing%"]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, 2);
    }

    fn table_apply(sections: &mut Sections, w: &mut Vec<Warning>) {
        let s = Strings::from_sections(sections);
        s.apply(sections, w);
    }
}
