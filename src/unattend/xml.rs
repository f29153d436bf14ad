//! A tiny XML writer for answer files: nesting by construction, every text and attribute
//! value escaped, and characters XML cannot carry rejected instead of silently dropped.

use crate::error::{Error, Result};

/// Why `value` cannot be written as a single-line answer-file value, if it cannot.
///
/// Control characters (C0, DEL, C1) and the non-characters U+FFFE/U+FFFF are refused: some are
/// illegal in XML 1.0 and the rest would reach Windows Setup as invisible garbage.
pub fn value_problem(value: &str) -> Option<String> {
    let (index, c) = value.chars().enumerate().find(|(_, c)| is_refused(*c))?;
    Some(format!(
        "contains control character U+{:04X} at character {}; values must be single-line printable text",
        c as u32,
        index + 1
    ))
}

/// The error for a required single-line value named `field` (`driver_paths[0]`): it is blank,
/// or [`value_problem`] refuses it; `None` when it is fine.
pub fn required_value_problem(field: &str, value: &str) -> Option<Error> {
    if value.trim().is_empty() {
        Some(Error::invalid(format!("{field} is empty")))
    } else {
        value_problem(value).map(|p| Error::invalid(format!("{field} {p}")))
    }
}

fn is_refused(c: char) -> bool {
    let u = c as u32;
    u < 0x20 || (0x7f..=0x9f).contains(&u) || u == 0xfffe || u == 0xffff
}

/// `value` with `& < > " '` replaced by their entities; `what` names the value in errors.
pub fn escape(what: &str, value: &str) -> Result<String> {
    if let Some(problem) = value_problem(value) {
        return Err(Error::invalid(format!("{what} {problem}")));
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Builds an indented UTF-8 XML document; elements close when their body closure returns.
#[derive(Debug)]
pub struct XmlWriter {
    out: String,
    depth: usize,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    /// A document that starts with the `<?xml version="1.0" encoding="utf-8"?>` declaration.
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) -> Result<()> {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            let escaped = escape(&format!("attribute {key} of <{name}>"), value)?;
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            self.out.push_str(&escaped);
            self.out.push('"');
        }
        Ok(())
    }

    /// A comment line; `text` must not contain `--` (checked: it is fixed text, not user input).
    pub fn comment(&mut self, text: &str) -> Result<()> {
        if text.contains("--") || text.ends_with('-') {
            return Err(Error::invalid(format!(
                "XML comment `{text}` must not contain `--`"
            )));
        }
        if let Some(problem) = value_problem(text) {
            return Err(Error::invalid(format!("XML comment {problem}")));
        }
        self.indent();
        self.out.push_str("<!-- ");
        self.out.push_str(text);
        self.out.push_str(" -->\n");
        Ok(())
    }

    /// `<name attrs>` + whatever `body` writes + `</name>`.
    pub fn element(
        &mut self,
        name: &str,
        attrs: &[(&str, &str)],
        body: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        self.start_tag(name, attrs)?;
        self.out.push_str(">\n");
        self.depth += 1;
        body(self)?;
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
        Ok(())
    }

    /// `<name attrs>text</name>` on one line, `text` escaped.
    pub fn leaf_with(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> Result<()> {
        let escaped = escape(&format!("value of <{name}>"), text)?;
        self.start_tag(name, attrs)?;
        self.out.push('>');
        self.out.push_str(&escaped);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
        Ok(())
    }

    /// `<name>text</name>` on one line, `text` escaped.
    pub fn leaf(&mut self, name: &str, text: &str) -> Result<()> {
        self.leaf_with(name, &[], text)
    }

    /// The finished document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("v", "a<b>&\"c'ü").unwrap(),
            "a&lt;b&gt;&amp;&quot;c&apos;ü"
        );
    }

    #[test]
    fn refuses_control_characters_naming_the_value() {
        let e = escape("value of <ComputerName>", "ab\u{7}c").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("<ComputerName>"), "{text}");
        assert!(text.contains("U+0007 at character 3"), "{text}");
        assert!(escape("v", "tab\there").is_err());
        assert!(escape("v", "c1\u{85}").is_err());
    }

    #[test]
    fn nests_and_indents() {
        let mut w = XmlWriter::new();
        w.element("a", &[("k", "x&y")], |w| w.leaf("b", "1 < 2"))
            .unwrap();
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<a k=\"x&amp;y\">\n  <b>1 &lt; 2</b>\n</a>\n"
        );
    }
}
