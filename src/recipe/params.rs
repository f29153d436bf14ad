//! Recipe parameters: typed declarations (`param::os("w7", "...")`), `--set KEY=VALUE`
//! parsing, and the merged, typed values a recipe reads as `p.name`.
//!
//! The declarations are the single source for `list`, `check`, `--set` parsing and messages.
//! Values stay typed: an arch list holds canonical arches, an OS its upstream directory name,
//! a signing policy its canonical name, pins are keyed by canonical arch.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use rhai::{Array, Dynamic, Map};
use serde::Serialize;

use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::guest_tools::SigningPolicy;

/// One parameter value the user gave: `--set KEY=VALUE`, or a member of a `--params` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The parameter name.
    pub key: String,
    /// The raw text after `=` (for a params-file value: its JSON text).
    pub value: String,
    /// A params-file value, typed as JSON (`None` for `--set`).
    pub json: Option<serde_json::Value>,
}

impl Setting {
    /// Every text in the value that could name a path the user passed: the raw `--set` text,
    /// or each string inside a params-file value.
    pub fn path_candidates(&self) -> Vec<String> {
        fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) => out.push(s.clone()),
                serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
                serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
                _ => {}
            }
        }
        match &self.json {
            None => vec![self.value.clone()],
            Some(v) => {
                let mut out = Vec::new();
                strings(v, &mut out);
                out
            }
        }
    }

    /// Where the value came from, as messages name it (`--set os=w10`, `p.json: "os"`).
    pub fn origin(&self) -> String {
        match &self.json {
            None => format!("--set {}={}", self.key, self.value),
            Some(_) => format!("--params `{}`", self.key),
        }
    }

    /// The typed value for `kind`.
    fn typed(&self, kind: &Kind) -> Result<Dynamic> {
        match &self.json {
            None => kind.parse_text(&self.value),
            Some(serde_json::Value::String(s)) => kind.parse_text(s),
            Some(serde_json::Value::Null) => Ok(Dynamic::UNIT),
            Some(v) => {
                let d = rhai::serde::to_dynamic(v)
                    .map_err(|e| Error::invalid(format!("cannot take the value {v}: {e}")))?;
                kind.typed(&d)
            }
        }
    }
}

/// A params file larger than this is refused (parameters are a few hundred bytes).
const PARAMS_FILE_MAX: u64 = 1 << 20;

/// Read a `--params` file (at most 1 MiB, a regular file) and return its members.
pub fn settings_from_file(path: &std::path::Path) -> Result<Vec<Setting>> {
    use std::io::Read;
    let usage = |e: Error| e.usage();
    let f =
        std::fs::File::open(path).map_err(|e| usage(Error::io("open the params file", path, e)))?;
    let meta = f
        .metadata()
        .map_err(|e| usage(Error::io("read the params file", path, e)))?;
    if !meta.is_file() {
        return Err(usage(Error::invalid(format!(
            "params file {} is not a regular file",
            path.display()
        ))));
    }
    let mut text = String::new();
    f.take(PARAMS_FILE_MAX + 1)
        .read_to_string(&mut text)
        .map_err(|e| usage(Error::io("read the params file", path, e)))?;
    if text.len() as u64 > PARAMS_FILE_MAX {
        return Err(usage(Error::invalid(format!(
            "params file {} is over 1 MiB; a params file holds a few parameters",
            path.display()
        ))));
    }
    settings_from_json(path, &text)
}

/// The members of a `--params` file: a JSON object of parameter names to values (strings,
/// numbers, booleans, arrays, `null` for none). `what` names the file in messages.
pub fn settings_from_json(what: &std::path::Path, text: &str) -> Result<Vec<Setting>> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::at_line(
            what,
            text,
            e.line().max(1),
            e.column().max(1),
            format!("not JSON: {e}"),
        )
        .usage()
    })?;
    let serde_json::Value::Object(members) = v else {
        return Err(Error::invalid(format!(
            "{}: a params file is a JSON object of parameter names to values",
            what.display()
        ))
        .usage());
    };
    Ok(members
        .into_iter()
        .map(|(key, value)| Setting {
            key,
            value: value.to_string(),
            json: Some(value),
        })
        .collect())
}

/// Parse `KEY=VALUE` arguments; every malformed one is reported.
pub fn parse_settings(args: &[String]) -> Result<Vec<Setting>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for a in args {
        match a.split_once('=') {
            Some((k, v)) if is_identifier(k.trim()) => out.push(Setting {
                key: k.trim().to_string(),
                value: v.to_string(),
                json: None,
            }),
            _ => problems.push(
                Error::invalid(format!(
                    "--set `{a}` is not KEY=VALUE with KEY a parameter name"
                ))
                .usage(),
            ),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::many("bad --set arguments", problems))
    }
}

/// A parameter-like name; `-` is let through so that `virtio-win` is answered with the
/// nearest declared name (`virtio_win`) rather than a syntax error.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// What a parameter holds; decides how `--set` text and defaults are parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// A whole number.
    Int,
    /// true/false (also yes/no, on/off, 1/0 from the command line).
    Flag,
    /// A list of strings (comma list or JSON array from the command line).
    List,
    /// An input file or directory.
    Path,
    /// A directory the run writes into (the only places a recipe may write).
    OutDir,
    /// A Windows version, as the upstream directory name (`w7`, `w10`, `2k22`).
    Os,
    /// One architecture, canonical (`x86`, `amd64`, `arm64`).
    Arch,
    /// A list of architectures, canonical and without repeats.
    Arches,
    /// `test`, `production` or `none`.
    SigningPolicy,
    /// A SHA-256 (64 hex digits, lower case).
    Sha256,
    /// SHA-256 pins per architecture: `amd64=<sha256>,x86=<sha256>`, or one bare SHA-256
    /// (kept under the key `*`, for a single architecture).
    Pins,
    /// One of a fixed set of words.
    Choice(Vec<String>),
}

impl Kind {
    /// The kind of a bare default (`out_dir: "out/x"`) in a recipe without declarations: by
    /// value type, and an output directory for `out_dir` and `*_out_dir` names.
    pub fn infer(name: &str, v: &Dynamic) -> Option<Kind> {
        if v.is_bool() {
            Some(Kind::Flag)
        } else if v.is_int() {
            Some(Kind::Int)
        } else if v.is_array() {
            Some(Kind::List)
        } else if (v.is_string() || v.is_unit())
            && (name == "out_dir" || name.ends_with("_out_dir"))
        {
            Some(Kind::OutDir)
        } else if v.is_string() || v.is_unit() {
            Some(Kind::Text)
        } else {
            None
        }
    }

    /// The type as `list` shows it.
    pub fn name(&self) -> String {
        match self {
            Kind::Text => "string".into(),
            Kind::Int => "integer".into(),
            Kind::Flag => "bool".into(),
            Kind::List => "list".into(),
            Kind::Path => "path".into(),
            Kind::OutDir => "output dir".into(),
            Kind::Os => "os".into(),
            Kind::Arch => "arch".into(),
            Kind::Arches => "arch list".into(),
            Kind::SigningPolicy => "signing policy".into(),
            Kind::Sha256 => "sha256".into(),
            Kind::Pins => "arch=sha256 pins".into(),
            Kind::Choice(c) => format!("one of {}", c.join("|")),
        }
    }

    /// Parse command-line text into the typed value.
    pub fn parse_text(&self, raw: &str) -> Result<Dynamic> {
        match self {
            Kind::Flag => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Ok(true.into()),
                "false" | "no" | "off" | "0" => Ok(false.into()),
                _ => Err(Error::invalid("expected a boolean (true/false)")),
            },
            Kind::Int => raw
                .trim()
                .parse::<i64>()
                .map(Dynamic::from)
                .map_err(|_| Error::invalid("expected an integer")),
            Kind::List | Kind::Arches | Kind::Pins => {
                let items = text_list(raw)?;
                self.typed(&Dynamic::from(
                    items.into_iter().map(Dynamic::from).collect::<Array>(),
                ))
            }
            // `--set cert=` says "none" for an optional input or pin.
            Kind::Path | Kind::Sha256 if raw.trim().is_empty() => Ok(Dynamic::UNIT),
            _ => self.typed(&Dynamic::from(raw.to_string())),
        }
    }

    /// Check a value (a default, or a parsed one) against the kind and canonicalise it.
    pub fn typed(&self, v: &Dynamic) -> Result<Dynamic> {
        let text = || -> Result<String> {
            if v.is_string() {
                Ok(v.to_string())
            } else {
                Err(Error::invalid(format!(
                    "expected a string, not {}",
                    v.type_name()
                )))
            }
        };
        let list = || -> Result<Vec<String>> {
            let a = v
                .read_lock::<Array>()
                .ok_or_else(|| Error::invalid(format!("expected a list, not {}", v.type_name())))?;
            a.iter()
                .map(|d| {
                    if d.is_string() {
                        Ok(d.to_string())
                    } else {
                        Err(Error::invalid(format!(
                            "list items must be strings, not {}",
                            d.type_name()
                        )))
                    }
                })
                .collect()
        };
        Ok(match self {
            Kind::Flag => v.as_bool().map(Dynamic::from).map_err(|_| {
                Error::invalid(format!("expected true or false, not {}", v.type_name()))
            })?,
            Kind::Int => v.as_int().map(Dynamic::from).map_err(|_| {
                Error::invalid(format!("expected an integer, not {}", v.type_name()))
            })?,
            Kind::Text | Kind::Path | Kind::OutDir => {
                let t = text()?;
                if t.is_empty() && *self != Kind::Text {
                    return Err(Error::invalid("a path cannot be empty"));
                }
                t.into()
            }
            Kind::List => list()?
                .into_iter()
                .map(Dynamic::from)
                .collect::<Array>()
                .into(),
            Kind::Os => canonical_os(&text()?)?.into(),
            Kind::Arch => Arch::from_user(&text()?)?.to_string().into(),
            Kind::Arches => Arch::list_from_user(&list()?)?
                .into_iter()
                .map(|a| Dynamic::from(a.to_string()))
                .collect::<Array>()
                .into(),
            Kind::SigningPolicy => SigningPolicy::parse(&text()?)?.as_str().into(),
            Kind::Sha256 => crate::virtio_win::parse_sha256(&text()?, "value")?.into(),
            Kind::Pins => match v.read_lock::<Map>() {
                Some(m) => pins(
                    &m.iter()
                        .map(|(k, v)| {
                            if k == "*" {
                                v.to_string()
                            } else {
                                format!("{k}={v}")
                            }
                        })
                        .collect::<Vec<_>>(),
                )?
                .into(),
                None => pins(&list()?)?.into(),
            },
            Kind::Choice(words) => {
                let t = text()?;
                let l = t.trim().to_ascii_lowercase();
                if !words.contains(&l) {
                    return Err(Error::invalid(format!(
                        "`{t}` is not one of {}",
                        words.join(", ")
                    ))
                    .with_help(crate::suggest::help(&l, words.iter().map(String::as_str))));
                }
                l.into()
            }
        })
    }
}

/// The upstream OS directory name for a user's spelling, or an error listing the names.
fn canonical_os(s: &str) -> Result<String> {
    crate::virtio_win::canonical_os(s)
        .map(str::to_string)
        .ok_or_else(|| {
            let dirs = crate::virtio_win::OS_DIRS;
            let near = crate::suggest::did_you_mean(s, dirs.iter().copied());
            Error::invalid(format!("unknown Windows version `{s}`")).with_help(format!(
                "{near}use one of {} (or win10, windows 7, server2022, 2022...)",
                dirs.join(", ")
            ))
        })
}

/// A command-line list: a JSON array of strings (items may hold commas), or a comma list.
fn text_list(raw: &str) -> Result<Vec<String>> {
    let t = raw.trim();
    if t.starts_with('[') {
        return serde_json::from_str::<Vec<String>>(t).map_err(|e| {
            Error::invalid(format!("not a JSON array of strings: {e}"))
                .with_help("write [\"a\", \"b\"], or a plain comma list a,b")
        });
    }
    Ok(t.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// `amd64=<sha>,x86=<sha>` (or one bare SHA-256) as a map keyed by canonical arch.
fn pins(items: &[String]) -> Result<Map> {
    let mut out = Map::new();
    let mut problems = Vec::new();
    for item in items {
        let (key, sha) = match item.split_once('=') {
            Some((a, sha)) => match Arch::from_user(a) {
                Ok(a) => (a.to_string(), sha),
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            },
            None if items.len() == 1 => ("*".to_string(), item.as_str()),
            None => {
                problems.push(
                    Error::invalid(format!("pin `{item}` names no architecture")).with_help(
                        "with several pins, write each as arch=sha256 (amd64=..., x86=...)",
                    ),
                );
                continue;
            }
        };
        match crate::virtio_win::parse_sha256(sha, &format!("the {key} pin")) {
            Ok(sha) => {
                if out.insert(key.as_str().into(), sha.into()).is_some() {
                    problems.push(Error::invalid(format!("`{key}` is pinned twice")));
                }
            }
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::many("bad pins", problems))
    }
}

/// A parameter declaration: what it holds, its default (or that it is required), what it is.
#[derive(Debug, Clone)]
pub struct Decl {
    /// What the parameter holds.
    pub kind: Kind,
    /// The default; `None` when the parameter is required, `()` when it is optional and unset.
    pub default: Option<Dynamic>,
    /// One line saying what the parameter is for.
    pub doc: String,
    /// The parameter applies only when another parameter has this value (`cert` only with
    /// `signing_policy` test): its default is dropped otherwise, and a value the user set is
    /// refused.
    pub when: Option<(String, Dynamic)>,
    /// The default is a bundled example (placeholder drivers, a test certificate): a run that
    /// uses it says so and the manifest records it.
    pub example: bool,
}

impl Decl {
    /// A declaration with a default (`()` for "none unless set").
    pub fn new(kind: Kind, default: Dynamic, doc: &str) -> Self {
        Decl {
            kind,
            default: Some(default),
            doc: doc.trim().to_string(),
            when: None,
            example: false,
        }
    }
}

/// One parameter as `list` and `list --json` show it.
#[derive(Debug, Clone, Serialize)]
pub struct ParamInfo {
    /// The type (`os`, `arch list`, `path`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The default as JSON; absent when required or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Whether the run fails without it.
    pub required: bool,
    /// What it is for.
    pub description: String,
    /// `name=value` when it applies only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_when: Option<String>,
    /// Whether the default is a bundled example rather than a real input.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub example: bool,
}

impl ParamInfo {
    /// The default as a user would type it (`w7`, `x86,amd64`, `false`), or `required`/`none`.
    pub fn default_text(&self) -> String {
        match &self.default {
            _ if self.required => "required".into(),
            None => "none".into(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
            Some(serde_json::Value::Object(m)) => m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(","),
            Some(v) => v.to_string(),
        }
    }
}

/// The help for an unknown parameter `name`: the nearest of `known` and all of them.
fn unknown_help<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> String {
    let known: Vec<&str> = known.map(String::as_str).collect();
    let near = crate::suggest::did_you_mean(name, known.iter().copied());
    format!("{near}this recipe's parameters are: {}", known.join(", "))
}

/// The declarations of a recipe, by name.
#[derive(Debug, Clone, Default)]
pub struct Decls(pub BTreeMap<String, Decl>);

impl Decls {
    /// Read the map passed to `params()`: every value must be a declaration, every default
    /// must fit its type; every problem is reported at once.
    pub fn from_map(map: &Map) -> Result<Self> {
        let mut out = BTreeMap::new();
        let mut problems = Vec::new();
        for (name, v) in map {
            let mut d = match v.clone().try_cast::<Decl>() {
                Some(d) => {
                    if d.doc.is_empty() {
                        problems.push(Error::invalid(format!(
                            "parameter `{name}` has no description"
                        )));
                    }
                    d
                }
                // A bare default (recipes written before typed declarations): typed from the
                // value, undocumented; `check` and `list` point it out.
                None => match Kind::infer(name, v) {
                    Some(kind) => Decl::new(kind, v.clone(), ""),
                    None => {
                        problems.push(
                            Error::invalid(format!(
                                "parameter `{name}` has a {} default, which no parameter type takes",
                                v.type_name()
                            ))
                            .with_help(format!(
                                "declare it with its type, e.g. {name}: param::text(\"...\", \"what it is for\") (see `aero-recipe api`, namespace param::)"
                            )),
                        );
                        continue;
                    }
                },
            };
            if let Some(def) = &d.default {
                if !def.is_unit() {
                    match d.kind.typed(def) {
                        Ok(t) => d.default = Some(t),
                        Err(e) => {
                            problems.push(e.context(format!("default of parameter `{name}`")))
                        }
                    }
                }
            }
            out.insert(name.to_string(), d);
        }
        for (name, d) in &out {
            if let Some((other, _)) = &d.when {
                if !out.contains_key(other) {
                    problems.push(Error::invalid(format!(
                        "parameter `{name}` applies only when `{other}` is set, but there is no parameter `{other}`"
                    )));
                }
            }
        }
        if problems.is_empty() {
            Ok(Decls(out))
        } else {
            Err(Error::many(
                format!("{} bad parameter declaration(s)", problems.len()),
                problems,
            ))
        }
    }

    /// The help text for an unknown parameter name: the nearest one and every known one.
    pub fn unknown_help(&self, name: &str) -> String {
        unknown_help(name, self.0.keys())
    }

    /// What `list` shows of each parameter.
    pub fn describe(&self) -> BTreeMap<String, ParamInfo> {
        self.0
            .iter()
            .map(|(name, d)| {
                let default = d
                    .default
                    .as_ref()
                    .filter(|v| !v.is_unit())
                    .and_then(|v| rhai::serde::from_dynamic::<serde_json::Value>(v).ok());
                let info = ParamInfo {
                    kind: d.kind.name(),
                    default,
                    required: d.default.is_none(),
                    description: d.doc.clone(),
                    only_when: d.when.as_ref().map(|(k, v)| format!("{k}={v}")),
                    example: d.example,
                };
                (name.clone(), info)
            })
            .collect()
    }

    /// Merge `settings` into the defaults: each value parsed by its kind, unknown names
    /// refused with the nearest one, required parameters checked, `when` conditions applied.
    /// A `--set` value overrides a params-file value of the same name. Every problem is
    /// reported at once.
    pub fn merge(&self, settings: &[Setting]) -> Result<Params> {
        // Params-file values first, then `--set`, so the command line wins.
        let mut ordered: Vec<&Setting> = settings.iter().filter(|s| s.json.is_some()).collect();
        ordered.extend(settings.iter().filter(|s| s.json.is_none()));
        let mut from_file = BTreeSet::new();
        let mut values: BTreeMap<String, Dynamic> = BTreeMap::new();
        let mut user_set = BTreeSet::new();
        let mut problems = Vec::new();
        for s in ordered {
            let Some(d) = self.0.get(&s.key) else {
                problems.push(
                    Error::invalid(format!("unknown parameter `{}`", s.key))
                        .with_help(self.unknown_help(&s.key))
                        .usage(),
                );
                continue;
            };
            if s.json.is_some() {
                from_file.insert(s.key.clone());
            }
            if !user_set.insert(s.key.clone()) && !from_file.contains(&s.key) {
                problems
                    .push(Error::invalid(format!("parameter `{}` is set twice", s.key)).usage());
                continue;
            }
            if s.json.is_none() {
                from_file.remove(&s.key);
            }
            match s.typed(&d.kind) {
                Ok(v) => {
                    values.insert(s.key.clone(), v);
                }
                Err(e) => problems.push(e.context(s.origin())),
            }
        }
        for (name, d) in &self.0 {
            if values.contains_key(name) || user_set.contains(name) {
                continue;
            }
            match &d.default {
                Some(v) => {
                    values.insert(name.clone(), v.clone());
                }
                None => problems.push(
                    Error::invalid(format!("parameter `{name}` is required: {}", d.doc))
                        .with_help(format!("pass --set {name}=...")),
                ),
            }
        }
        for (name, d) in &self.0 {
            let Some((other, want)) = &d.when else {
                continue;
            };
            let (Some(other_decl), Some(actual)) = (self.0.get(other), values.get(other)) else {
                continue;
            };
            let applies = match other_decl.kind.typed(want) {
                Ok(w) => w.to_string() == actual.to_string(),
                Err(e) => {
                    problems.push(e.context(format!("the condition of parameter `{name}`")));
                    continue;
                }
            };
            if applies {
                continue;
            }
            let said_none = values.get(name).is_some_and(Dynamic::is_unit);
            if user_set.contains(name) && !said_none {
                problems.push(
                    Error::invalid(format!(
                        "parameter `{name}` was set, but it applies only when {other}={want} and {other} is {actual}"
                    ))
                    .with_help(format!("drop --set {name}=..., or set {other}={want}")),
                );
            } else {
                values.insert(name.clone(), Dynamic::UNIT);
            }
        }
        if !problems.is_empty() {
            return Err(Error::many(
                format!("{} bad parameter(s)", problems.len()),
                problems,
            ));
        }
        let examples = self
            .0
            .iter()
            .filter(|(name, d)| d.example && !user_set.contains(*name))
            .filter(|(name, _)| values.get(*name).is_some_and(|v| !v.is_unit()))
            .map(|(name, _)| name.clone())
            .collect();
        Ok(Params {
            examples: Rc::new(examples),
            values: Rc::new(values),
            kinds: Rc::new(
                self.0
                    .iter()
                    .map(|(k, d)| (k.clone(), d.kind.clone()))
                    .collect(),
            ),
            user_set: Rc::new(user_set),
            read: Rc::default(),
        })
    }
}

/// The merged, typed parameters of a run, as the recipe holds them (`p.os`). Reading a name
/// that is not declared is an error naming the nearest one; reads are recorded so a setting
/// the recipe never used is reported.
#[derive(Debug, Clone)]
pub struct Params {
    /// Parameters left at a bundled example default.
    examples: Rc<Vec<String>>,
    values: Rc<BTreeMap<String, Dynamic>>,
    kinds: Rc<BTreeMap<String, Kind>>,
    user_set: Rc<BTreeSet<String>>,
    read: Rc<RefCell<BTreeSet<String>>>,
}

impl Params {
    /// The value of `name`, recorded as used.
    pub fn get(&self, name: &str) -> Result<Dynamic> {
        match self.values.get(name) {
            Some(v) => {
                self.read.borrow_mut().insert(name.to_string());
                Ok(v.clone())
            }
            None => Err(self.unknown(name)),
        }
    }

    fn unknown(&self, name: &str) -> Error {
        Error::invalid(format!("the recipe has no parameter `{name}`"))
            .with_help(unknown_help(name, self.values.keys()))
    }

    /// Change `name` from the recipe (`p.os = "win10"`): the value is typed by the
    /// declaration like a `--set` value; an undeclared name is an error naming the nearest.
    /// Output directories stay those the run was given.
    pub fn set(&mut self, name: &str, value: &Dynamic) -> Result<()> {
        let Some(kind) = self.kinds.get(name) else {
            return Err(self.unknown(name));
        };
        let v = if value.is_unit() {
            Dynamic::UNIT
        } else {
            kind.typed(value)?
        };
        Rc::make_mut(&mut self.values).insert(name.to_string(), v);
        Ok(())
    }

    /// A string value without recording a read (for checks before the recipe runs).
    pub fn peek_str(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .filter(|v| v.is_string())
            .map(|v| v.to_string())
    }

    /// A string parameter (`Ok(None)` when it is `()`: optional and unset).
    pub fn opt_str(&self, name: &str) -> Result<Option<String>> {
        let v = self.get(name)?;
        if v.is_unit() {
            Ok(None)
        } else if v.is_string() {
            Ok(Some(v.to_string()))
        } else {
            Err(Error::invalid(format!(
                "parameter `{name}` must be a string, not {}",
                v.type_name()
            )))
        }
    }

    /// A string parameter that must have a value.
    pub fn str(&self, name: &str) -> Result<String> {
        self.opt_str(name)?.ok_or_else(|| {
            Error::invalid(format!("parameter `{name}` has no value"))
                .with_help(format!("pass --set {name}=..."))
        })
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Result<i64> {
        self.get(name)?
            .as_int()
            .map_err(|t| Error::invalid(format!("parameter `{name}` must be an integer, not {t}")))
    }

    /// A boolean parameter.
    pub fn flag(&self, name: &str) -> Result<bool> {
        self.get(name)?.as_bool().map_err(|t| {
            Error::invalid(format!("parameter `{name}` must be true or false, not {t}"))
        })
    }

    /// A list parameter (empty when unset).
    pub fn list(&self, name: &str) -> Result<Vec<String>> {
        let v = self.get(name)?;
        if v.is_unit() {
            return Ok(Vec::new());
        }
        let a = v.read_lock::<Array>().ok_or_else(|| {
            Error::invalid(format!(
                "parameter `{name}` must be a list, not {}",
                v.type_name()
            ))
        })?;
        Ok(a.iter().map(|d| d.to_string()).collect())
    }

    /// Whether the user set `name` (`--set`), rather than the recipe's default being used.
    pub fn user_set(&self, name: &str) -> bool {
        self.user_set.contains(name)
    }

    /// Every output-directory parameter with its value: the only places the run may write.
    pub fn output_dirs(&self) -> Vec<(String, String)> {
        self.kinds
            .iter()
            .filter(|(_, k)| **k == Kind::OutDir)
            .filter_map(|(name, _)| Some((name.clone(), self.values.get(name)?)))
            .filter(|(_, v)| v.is_string())
            .map(|(n, v)| (n, v.to_string()))
            .collect()
    }

    /// The parameters left at a bundled example default, with their values.
    pub fn examples_used(&self) -> Vec<(String, String)> {
        self.examples
            .iter()
            .filter_map(|n| self.peek_str(n).map(|v| (n.clone(), v)))
            .collect()
    }

    /// Settings the user gave that the recipe never read.
    pub fn unused_settings(&self) -> Vec<String> {
        let read = self.read.borrow();
        self.user_set
            .iter()
            .filter(|k| !read.contains(*k))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decls() -> Decls {
        let mut m = BTreeMap::new();
        m.insert("os".into(), Decl::new(Kind::Os, "w7".into(), "the OS"));
        m.insert(
            "strict".into(),
            Decl::new(Kind::Flag, false.into(), "strict"),
        );
        m.insert(
            "jobs".into(),
            Decl::new(Kind::Int, Dynamic::from(2_i64), "jobs"),
        );
        m.insert(
            "arches".into(),
            Decl::new(
                Kind::Arches,
                Dynamic::from(vec![Dynamic::from("x86".to_string())]),
                "arches",
            ),
        );
        m.insert(
            "policy".into(),
            Decl::new(Kind::SigningPolicy, "test".into(), "policy"),
        );
        let mut cert = Decl::new(Kind::Path, "c.cer".into(), "cert");
        cert.when = Some(("policy".into(), "test".into()));
        m.insert("cert".into(), cert);
        m.insert("pins".into(), Decl::new(Kind::Pins, Dynamic::UNIT, "pins"));
        Decls(m)
    }

    fn set(args: &[&str]) -> Vec<Setting> {
        parse_settings(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn values_are_typed_and_canonical() {
        let sha = "A".repeat(64);
        let p = decls()
            .merge(&set(&[
                "os=Windows 10",
                "strict=yes",
                "jobs=4",
                "arches=x64, aarch64,amd64",
                "policy=testsigning",
                &format!("pins=x64={sha}"),
            ]))
            .unwrap();
        assert_eq!(p.str("os").unwrap(), "w10");
        assert!(p.flag("strict").unwrap());
        assert_eq!(p.int("jobs").unwrap(), 4);
        assert_eq!(p.list("arches").unwrap(), ["amd64", "arm64"]);
        assert_eq!(p.str("policy").unwrap(), "test");
        let pins = p.get("pins").unwrap().cast::<Map>();
        assert_eq!(pins["amd64"].to_string(), "a".repeat(64));
        assert_eq!(p.unused_settings(), Vec::<String>::new());
        assert!(p.user_set("os") && !p.user_set("cert"));
    }

    #[test]
    fn a_params_file_is_typed_and_the_command_line_wins() {
        let mut file = settings_from_json(
            std::path::Path::new("p.json"),
            r#"{"os": "win10", "arches": ["amd64"], "jobs": 3, "strict": true, "pins": null}"#,
        )
        .unwrap();
        file.extend(set(&["jobs=5"]));
        let p = decls().merge(&file).unwrap();
        assert_eq!(p.str("os").unwrap(), "w10");
        assert_eq!(p.list("arches").unwrap(), ["amd64"]);
        assert_eq!(p.int("jobs").unwrap(), 5);
        assert!(p.flag("strict").unwrap());
        let bad = settings_from_json(
            std::path::Path::new("p.json"),
            r#"{"osx": "w10", "jobs": "x"}"#,
        )
        .unwrap();
        let e = decls().merge(&bad).unwrap_err();
        assert_eq!(e.problems().len(), 2, "{e:?}");
        assert!(e.is_usage());
        assert!(settings_from_json(std::path::Path::new("p.json"), "[1]")
            .unwrap_err()
            .is_usage());
    }

    #[test]
    fn json_arrays_keep_commas_inside_items() {
        let mut m = BTreeMap::new();
        m.insert(
            "cmds".into(),
            Decl::new(Kind::List, Dynamic::from(Array::new()), "c"),
        );
        let p = Decls(m).merge(&set(&[r#"cmds=["a, b", "c"]"#])).unwrap();
        assert_eq!(p.list("cmds").unwrap(), ["a, b", "c"]);
    }

    #[test]
    fn a_default_that_does_not_apply_is_dropped_a_user_value_refused() {
        let p = decls().merge(&set(&["policy=none"])).unwrap();
        assert_eq!(p.opt_str("cert").unwrap(), None);
        let p = decls().merge(&set(&[])).unwrap();
        assert_eq!(p.opt_str("cert").unwrap().as_deref(), Some("c.cer"));
        let e = decls()
            .merge(&set(&["policy=none", "cert=x.cer"]))
            .unwrap_err();
        assert!(
            e.to_string().contains("applies only when policy=test"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_all_reported_with_the_nearest_name() {
        let e = decls()
            .merge(&set(&["osx=w10", "jobs=many", "arches=mips"]))
            .unwrap_err();
        assert_eq!(e.problems().len(), 3, "{e:?}");
        let text = format!("{e:?}");
        assert!(text.contains("did you mean `os`?"), "{text}");
        assert!(
            text.contains("arches, cert, jobs, os, pins, policy, strict"),
            "{text}"
        );
        assert!(parse_settings(&["novalue".into()]).is_err());
        let p = decls().merge(&[]).unwrap();
        let e = p.get("arche").unwrap_err();
        assert!(format!("{e:?}").contains("did you mean `arches`?"));
    }

    #[test]
    fn pins_need_an_arch_when_there_are_several() {
        let sha = "b".repeat(64);
        let e = decls()
            .merge(&set(&[&format!("pins={sha},{sha}")]))
            .unwrap_err();
        assert!(format!("{e:?}").contains("names no architecture"), "{e:?}");
        let p = decls().merge(&set(&[&format!("pins={sha}")])).unwrap();
        assert_eq!(p.get("pins").unwrap().cast::<Map>()["*"].to_string(), sha);
    }
}
