//! Recipe parameters: `params(#{defaults})` merged with `--set KEY=VALUE`, typed from the default.

use std::collections::BTreeMap;

use rhai::{Array, Dynamic, Map};

use crate::error::{Error, Result};

/// One `--set KEY=VALUE` from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The parameter name.
    pub key: String,
    /// The raw text after `=`.
    pub value: String,
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
            }),
            _ => problems.push(Error::invalid(format!(
                "--set `{a}` is not KEY=VALUE with KEY a parameter name"
            ))),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::many("bad --set arguments", problems))
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Merge settings into the defaults, converting each value to its default's type.
/// Unknown keys, and values that do not fit the type, are all reported at once.
pub fn merge(defaults: &Map, settings: &[Setting]) -> Result<Map> {
    let mut merged = defaults.clone();
    let mut problems = Vec::new();
    for s in settings {
        let Some(default) = defaults.get(s.key.as_str()) else {
            let known: Vec<&str> = defaults.keys().map(|k| k.as_str()).collect();
            problems.push(
                Error::invalid(format!("unknown parameter `{}`", s.key)).with_help(format!(
                    "this recipe's parameters are: {}",
                    known.join(", ")
                )),
            );
            continue;
        };
        match convert(default, &s.value) {
            Ok(v) => {
                merged.insert(s.key.as_str().into(), v);
            }
            Err(why) => problems.push(Error::invalid(format!(
                "--set {}={}: {why}",
                s.key, s.value
            ))),
        }
    }
    if problems.is_empty() {
        Ok(merged)
    } else {
        Err(Error::many(
            format!("{} bad parameter(s)", problems.len()),
            problems,
        ))
    }
}

fn convert(default: &Dynamic, raw: &str) -> std::result::Result<Dynamic, String> {
    if default.is_bool() {
        return match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true.into()),
            "false" | "no" | "off" | "0" => Ok(false.into()),
            _ => Err("expected a boolean (true/false)".into()),
        };
    }
    if default.is_int() {
        return raw
            .trim()
            .parse::<i64>()
            .map(Dynamic::from)
            .map_err(|_| "expected an integer".into());
    }
    if default.is_array() {
        let items: Array = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Dynamic::from(s.to_string()))
            .collect();
        return Ok(items.into());
    }
    if default.is_string() || default.is_unit() {
        return Ok(raw.to_string().into());
    }
    Err(format!(
        "parameter of type {} cannot be set from the command line",
        default.type_name()
    ))
}

/// A parameter's default rendered for `list`/`check` (`"w7"`, `[x86, amd64]`, `false`).
pub fn describe_default(v: &Dynamic) -> String {
    if let Some(a) = v.read_lock::<Array>() {
        let items: Vec<String> = a.iter().map(|d| d.to_string()).collect();
        return format!("[{}]", items.join(","));
    }
    if v.is_string() {
        return format!("{:?}", v.to_string());
    }
    v.to_string()
}

/// The parameters of a recipe, as shown by `list` and `check`.
pub fn describe(defaults: &Map) -> BTreeMap<String, String> {
    defaults
        .iter()
        .map(|(k, v)| (k.to_string(), describe_default(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Map {
        let mut m = Map::new();
        m.insert("os".into(), "w7".into());
        m.insert("strict".into(), false.into());
        m.insert("jobs".into(), Dynamic::from(2_i64));
        m.insert(
            "arches".into(),
            Dynamic::from(vec![Dynamic::from("x86".to_string())]),
        );
        m
    }

    #[test]
    fn values_take_the_default_type() {
        let s = parse_settings(&[
            "os=w10".into(),
            "strict=yes".into(),
            "jobs=4".into(),
            "arches=amd64, arm64".into(),
        ])
        .unwrap();
        let m = merge(&defaults(), &s).unwrap();
        assert_eq!(m["os"].to_string(), "w10");
        assert!(m["strict"].as_bool().unwrap());
        assert_eq!(m["jobs"].as_int().unwrap(), 4);
        assert_eq!(describe_default(&m["arches"]), "[amd64,arm64]");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_all_reported() {
        let s = parse_settings(&["osx=w10".into(), "jobs=many".into()]).unwrap();
        let e = merge(&defaults(), &s).unwrap_err();
        assert_eq!(e.problems().len(), 2);
        let Error::Many { problems, .. } = &e else {
            panic!("{e}")
        };
        let Error::Invalid { help, .. } = &problems[0] else {
            panic!()
        };
        assert!(
            help.as_deref()
                .unwrap()
                .contains("arches, jobs, os, strict"),
            "{help:?}"
        );
        assert!(parse_settings(&["novalue".into()]).is_err());
    }
}
