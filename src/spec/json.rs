//! Positions of JSON fields, so semantic errors in specs and contracts can name file:line:column.
//!
//! `serde_json::Value` forgets where things were; this module re-scans the (already parsed, so
//! known-valid) text and records the byte span of every key and value by JSON pointer. It also
//! notices duplicate keys, which `serde_json` silently collapses. [`Checker`] builds on it to
//! read a document field by field while collecting every problem instead of stopping at the
//! first.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::Error;

/// Byte span (`offset`, `len`) inside the text.
pub(crate) type Span = (usize, usize);

/// Where a key and its value are in the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    /// The quoted key, for object members (none for array items and the root).
    pub key: Option<Span>,
    /// The value.
    pub value: Span,
}

/// Spans of every value in a JSON text, by JSON pointer (`""` is the root, `/drivers/0/name`).
#[derive(Debug, Default)]
pub(crate) struct Spans {
    places: BTreeMap<String, Place>,
    /// Pointers of members whose key appeared earlier in the same object, with the repeat's span.
    pub duplicates: Vec<(String, Span)>,
}

impl Spans {
    /// Index `text`. Malformed input just yields fewer entries (callers parse with serde first).
    pub fn index(text: &str) -> Spans {
        let mut s = Scanner {
            b: text.as_bytes(),
            i: 0,
            out: Spans::default(),
        };
        s.ws();
        s.value(String::new(), None);
        s.out
    }

    /// The place of the value at `pointer`.
    pub fn get(&self, pointer: &str) -> Option<Place> {
        self.places.get(pointer).copied()
    }
}

/// Append an object key to a JSON pointer (escaping `~` and `/`).
pub(crate) fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Append an array index to a JSON pointer.
pub(crate) fn item(pointer: &str, index: usize) -> String {
    format!("{pointer}/{index}")
}

/// A human name for a JSON pointer: `/drivers/0/name` -> `drivers[0].name`.
pub(crate) fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() {
        "(document)".into()
    } else {
        out
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    out: Spans,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Scan a string starting at the opening quote; returns its decoded text.
    fn string(&mut self) -> String {
        let start = self.i;
        self.i += 1;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => break,
                _ => {}
            }
        }
        let raw = self.b.get(start..self.i.min(self.b.len())).unwrap_or(&[]);
        serde_json::from_slice::<String>(raw).unwrap_or_default()
    }

    fn value(&mut self, pointer: String, key: Option<Span>) {
        let start = self.i;
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                let mut seen = std::collections::BTreeSet::new();
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'"') => {}
                        Some(b'}') => {
                            self.i += 1;
                            break;
                        }
                        _ => break,
                    }
                    let kstart = self.i;
                    let name = self.string();
                    let kspan = (kstart, self.i - kstart);
                    self.ws();
                    if self.peek() == Some(b':') {
                        self.i += 1;
                    }
                    self.ws();
                    let p = child(&pointer, &name);
                    if !seen.insert(name) {
                        self.out.duplicates.push((p.clone(), kspan));
                        // Keep the first occurrence's place for messages about the field.
                        let saved = self.out.places.get(&p).copied();
                        self.value(p.clone(), Some(kspan));
                        if let Some(first) = saved {
                            self.out.places.insert(p, first);
                        }
                    } else {
                        self.value(p, Some(kspan));
                    }
                    self.ws();
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut n = 0;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        None => break,
                        _ => {}
                    }
                    let before = self.i;
                    self.value(item(&pointer, n), None);
                    n += 1;
                    self.ws();
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    } else if self.i == before {
                        break;
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    self.i += 1;
                }
            }
            None => {}
        }
        self.out.places.insert(
            pointer,
            Place {
                key,
                value: (start, self.i - start),
            },
        );
    }
}

/// Largest spec or contract accepted, in bytes. Real ones are a few KiB; the bound keeps a
/// hostile document (a huge array, a runaway generator) from costing unbounded memory.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 1 << 20;

fn too_big(path: &Path, what: &str) -> Error {
    Error::invalid(format!(
        "{}: the {what} is larger than {} MiB; it cannot be a real one",
        path.display(),
        MAX_DOCUMENT_BYTES >> 20
    ))
    .with_help("check that the path names the right file")
}

/// Read the JSON document at `path` (a `what`, e.g. "packaging spec"; `action` names the read
/// in I/O errors), refusing one larger than [`MAX_DOCUMENT_BYTES`] without reading further.
pub(crate) fn read_document(
    path: &Path,
    action: &'static str,
    what: &str,
) -> Result<String, Error> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(action, path, e))?;
    let mut text = String::new();
    file.take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(action, path, e))?;
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(too_big(path, what));
    }
    Ok(text)
}

/// Reads a parsed JSON document field by field, collecting every problem with its position.
pub(crate) struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    spans: Spans,
    /// Problems found so far, in document order of discovery (at most [`MAX_PROBLEMS`](crate::error::MAX_PROBLEMS)).
    pub problems: Vec<Error>,
    /// Problems found beyond [`MAX_PROBLEMS`](crate::error::MAX_PROBLEMS).
    dropped: usize,
}

impl<'a> Checker<'a> {
    /// Check the JSON document `text` (the content of `path`) with `read`: what `read` built,
    /// or one error (`{path}: {summary} (N problems)`) with every problem it found.
    pub fn check<T>(
        path: &'a Path,
        text: &'a str,
        summary: &str,
        read: impl FnOnce(&mut Checker<'a>, &Value) -> Option<T>,
    ) -> Result<T, Error> {
        let (mut c, root) = Checker::parse(path, text)?;
        let value = read(&mut c, &root);
        c.finish(summary)?;
        value.ok_or_else(|| Error::invalid(format!("{}: {summary}", path.display())))
    }

    /// Parse `text` (the content of `path`); a syntax error is returned at once with its position.
    pub fn parse(path: &'a Path, text: &'a str) -> Result<(Checker<'a>, Value), Error> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(too_big(path, "document"));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let msg = match msg.rfind(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            Error::at_line(
                path,
                text,
                e.line().max(1),
                e.column().max(1),
                format!("invalid JSON: {msg}"),
            )
        })?;
        let spans = Spans::index(text);
        let mut c = Checker {
            path,
            text,
            spans,
            problems: Vec::new(),
            dropped: 0,
        };
        let dups = std::mem::take(&mut c.spans.duplicates);
        for (p, span) in dups {
            c.push_at(
                span,
                || format!("field `{}` is given twice", field_name(&p)),
                None,
            );
        }
        Ok((c, value))
    }

    /// Record a problem at `span` of the text, or only count it past [`MAX_PROBLEMS`](crate::error::MAX_PROBLEMS).
    fn push_at(&mut self, (off, len): Span, message: impl FnOnce() -> String, help: Option<&str>) {
        if self.problems.len() >= crate::error::MAX_PROBLEMS {
            self.dropped += 1;
            return;
        }
        let mut e = Error::at(self.path, self.text, off, len, message());
        if let Some(h) = help {
            e = e.with_help(h);
        }
        self.problems.push(e);
    }

    /// An error at the value of `pointer` (or the closest enclosing value that has a place).
    pub fn error_at_value(&mut self, pointer: &str, message: impl Into<String>) {
        let span = self.place(pointer).value;
        self.push_at(span, || message.into(), None);
    }

    /// Same as [`Checker::error_at_value`], with a help text.
    pub fn error_with_help(&mut self, pointer: &str, message: impl Into<String>, help: &str) {
        let span = self.place(pointer).value;
        self.push_at(span, || message.into(), Some(help));
    }

    fn place(&self, pointer: &str) -> Place {
        let mut p = pointer;
        loop {
            if let Some(place) = self.spans.get(p) {
                return place;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => {
                    return Place {
                        key: None,
                        value: (0, 0),
                    }
                }
            }
        }
    }

    /// The value as an object; reports an error and returns `None` otherwise.
    pub fn object<'v>(&mut self, pointer: &str, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.error_at_value(
                    pointer,
                    format!(
                        "`{}` must be an object, found {}",
                        field_name(pointer),
                        kind(other)
                    ),
                );
                None
            }
        }
    }

    /// Report every member of `obj` whose name is not in `known` (names are case-sensitive).
    pub fn reject_unknown(&mut self, pointer: &str, obj: &Map<String, Value>, known: &[&str]) {
        for k in obj.keys() {
            if !known.contains(&k.as_str()) {
                let p = child(pointer, k);
                let hint = crate::suggest::closest(k, known.iter().copied())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                let place = self.place(&p);
                let help = format!("fields allowed here: {}", known.join(", "));
                self.push_at(
                    place.key.unwrap_or(place.value),
                    || format!("unknown field `{}`{hint}", field_name(&p)),
                    Some(&help),
                );
            }
        }
    }

    /// A required string member.
    pub fn req_str(
        &mut self,
        pointer: &str,
        obj: &Map<String, Value>,
        key: &str,
    ) -> Option<String> {
        let p = child(pointer, key);
        match obj.get(key) {
            None => {
                self.error_at_value(pointer, format!("missing field `{}`", field_name(&p)));
                None
            }
            Some(v) => self.string(&p, v),
        }
    }

    /// An error from a packaging rule (a rule of the loader, not of the JSON Schema): the
    /// message says so, so a user can tell a schema violation from a packaging refusal.
    pub fn rule(&mut self, pointer: &str, message: impl Into<String>) {
        let m = message.into();
        self.error_at_value(pointer, format!("packaging rule: {m}"));
    }

    /// [`Checker::rule`] with a help text.
    pub fn rule_with_help(&mut self, pointer: &str, message: impl Into<String>, help: &str) {
        let m = message.into();
        self.error_with_help(pointer, format!("packaging rule: {m}"), help);
    }

    /// An optional string member where `null` is a wrong type (the JSON Schemas allow `null`
    /// only where they say so).
    pub fn opt_str_not_null(
        &mut self,
        pointer: &str,
        obj: &Map<String, Value>,
        key: &str,
    ) -> Option<String> {
        match obj.get(key) {
            None => None,
            Some(v) => self.string(&child(pointer, key), v),
        }
    }

    /// An optional string member (`null` counts as absent).
    pub fn opt_str(
        &mut self,
        pointer: &str,
        obj: &Map<String, Value>,
        key: &str,
    ) -> Option<String> {
        if matches!(obj.get(key), Some(Value::Null)) {
            return None;
        }
        self.opt_str_not_null(pointer, obj, key)
    }

    /// The value as a string.
    pub fn string(&mut self, pointer: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.error_at_value(
                    pointer,
                    format!(
                        "`{}` must be a string, found {}",
                        field_name(pointer),
                        kind(other)
                    ),
                );
                None
            }
        }
    }

    /// An optional boolean member (`None` when absent or of the wrong type, which is reported).
    pub fn opt_bool(&mut self, pointer: &str, obj: &Map<String, Value>, key: &str) -> Option<bool> {
        let p = child(pointer, key);
        match obj.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                let msg = format!(
                    "`{}` must be true or false, found {}",
                    field_name(&p),
                    kind(other)
                );
                self.error_at_value(&p, msg);
                None
            }
        }
    }

    /// An optional array of strings (absent = empty; `null` is a wrong type, as in the JSON
    /// Schemas); each item with its pointer.
    pub fn str_list(
        &mut self,
        pointer: &str,
        obj: &Map<String, Value>,
        key: &str,
    ) -> Vec<(String, String)> {
        let p = child(pointer, key);
        let mut out = Vec::new();
        match obj.get(key) {
            None => {}
            Some(Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    let ip = item(&p, i);
                    if let Some(s) = self.string(&ip, v) {
                        out.push((ip, s));
                    }
                }
            }
            Some(other) => {
                let msg = format!(
                    "`{}` must be an array of strings, found {}",
                    field_name(&p),
                    kind(other)
                );
                self.error_at_value(&p, msg);
            }
        }
        out
    }

    /// Finish: every problem found, or nothing.
    pub fn finish(mut self, summary: &str) -> Result<(), Error> {
        // Report in document order, whatever order the checks ran in.
        self.problems.sort_by_key(|e| match e {
            Error::Located(l) => (l.line, l.column),
            _ => (0, 0),
        });
        if self.problems.is_empty() {
            return Ok(());
        }
        let total = self.problems.len() + self.dropped;
        Err(Error::counted(
            format_args!("{}: {summary}", self.path.display()),
            self.problems,
            total,
        ))
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_by_pointer() {
        let text = "{\n  \"a\": [1, {\"b/c\": \"x\"}],\n  \"d\": true, \"d\": false\n}";
        let s = Spans::index(text);
        let p = s.get("/a/1/b~1c").unwrap();
        assert_eq!(&text[p.value.0..p.value.0 + p.value.1], "\"x\"");
        assert_eq!(&text[p.key.unwrap().0..][..7], "\"b/c\": ");
        let p = s.get("/a/0").unwrap();
        assert_eq!(&text[p.value.0..p.value.0 + p.value.1], "1");
        assert_eq!(s.duplicates.len(), 1);
        let d = s.get("/d").unwrap();
        assert_eq!(&text[d.value.0..d.value.0 + d.value.1], "true");
        assert_eq!(field_name("/drivers/0/name"), "drivers[0].name");
    }
}
