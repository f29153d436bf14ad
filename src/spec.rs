//! Packaging specs: which driver directories a media may carry, which are required, and what
//! each driver's INFs must declare.
//!
//! Loading is strict: unknown fields, wrong types, bad names and regexes that do not compile are
//! all reported together, each at its JSON field (file:line:column). The legacy top-level
//! `required_drivers` list is merged into `drivers` case-insensitively, and the old directory
//! name `aero-gpu` is normalised to `aerogpu`.

pub(crate) mod json;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use json::{child, field_name, item, Checker};

/// Variables read from a `devices.cmd` file: name -> values (one for `set "VAR=value"` lines,
/// one per quoted item for HWID lists).
pub use crate::devices_cmd::DevicesCmdVars;

pub use crate::keys::KEY_EXTENSIONS;

/// A loaded, checked packaging spec.
#[derive(Debug, Clone)]
pub struct Spec {
    drivers: Vec<DriverSpec>,
    /// Any top-level directory under an arch directory that the spec does not list is an error
    /// (instead of a warning and not shipping it).
    pub fail_on_unlisted_driver_dirs: bool,
    /// An optional driver present on some architectures must be present on all of them.
    pub require_optional_drivers_on_all_arches: bool,
}

/// One `drivers[]` entry, with its fields typed and its regexes compiled (case-insensitive).
#[derive(Debug, Clone)]
pub struct DriverSpec {
    /// Directory name under `drivers/<arch>/` (`aero-gpu` already normalised to `aerogpu`).
    pub name: String,
    /// Missing on an architecture is an error (else a warning).
    pub required: bool,
    /// INF base names (ending `.inf`) that must be shipped, matched case-insensitively.
    pub expected_inf_files: Vec<String>,
    /// Service names some shipped INF must install with `AddService` (case-insensitive).
    pub expected_add_services: Vec<String>,
    /// A `devices.cmd` variable whose value is another expected `AddService` name.
    pub expected_add_services_from_devices_cmd_var: Option<String>,
    /// Regexes each of which must match at least one hardware ID declared by the INFs.
    pub expected_hardware_ids: Vec<Regex>,
    /// A `devices.cmd` variable listing HWIDs; their `PCI\VEN_xxxx&DEV_xxxx` bases must be
    /// declared by the INFs.
    pub expected_hardware_ids_from_devices_cmd_var: Option<String>,
    /// Extensions (lower-case, without the dot) re-included although skipped by default.
    pub allow_extensions: Vec<String>,
    /// Regexes over the driver-relative `/`-separated path re-including skipped files.
    pub allow_path_regexes: Vec<Regex>,
}

const TOP_FIELDS: &[&str] = &[
    "$schema",
    "drivers",
    "required_drivers",
    "fail_on_unlisted_driver_dirs",
    "require_optional_drivers_on_all_arches",
];

const DRIVER_FIELDS: &[&str] = &[
    "name",
    "required",
    "expected_inf_files",
    "expected_add_services",
    "expected_add_services_from_devices_cmd_var",
    "expected_hardware_ids",
    "expected_hardware_ids_from_devices_cmd_var",
    "allow_extensions",
    "allow_path_regexes",
];

const LEGACY_FIELDS: &[&str] = &[
    "name",
    "expected_hardware_ids",
    "expected_hardware_ids_from_devices_cmd_var",
];

/// Every field name a spec may contain, top level first (the JSON Schema must agree).
pub fn known_fields() -> (&'static [&'static str], &'static [&'static str]) {
    (TOP_FIELDS, DRIVER_FIELDS)
}

/// The canonical directory name for a driver: `aero-gpu` (any case) becomes `aerogpu`.
pub fn normalize_driver_name(name: &str) -> String {
    if name.eq_ignore_ascii_case("aero-gpu") {
        "aerogpu".to_string()
    } else {
        name.to_string()
    }
}

/// The `PCI\VEN_xxxx&DEV_xxxx` base of a PCI hardware ID; other IDs are returned unchanged.
pub fn hwid_base(hwid: &str) -> String {
    let mut parts = hwid.split('&');
    if let (Some(ven), Some(dev)) = (parts.next(), parts.next()) {
        let is_pci = ven.len() > 4 && ven[..4].eq_ignore_ascii_case("PCI\\");
        if is_pci && dev.len() > 4 && dev[..4].eq_ignore_ascii_case("DEV_") {
            return format!("{ven}&{dev}");
        }
    }
    hwid.to_string()
}

impl Spec {
    /// Read and check the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = json::read_document(path, "read packaging spec", "packaging spec")?;
        Spec::parse(path, &text)
    }

    /// Check a spec from JSON text; `path` names it in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Spec> {
        Checker::check(path, text, "invalid packaging spec", read_spec)
    }

    /// Check a spec given inline (from a recipe); messages name it `<inline spec>`.
    pub fn from_json_str(text: &str) -> Result<Spec> {
        Spec::parse(&PathBuf::from("<inline spec>"), text)
    }

    /// The drivers, in spec order (entries of `drivers[]` first, then legacy-only names).
    pub fn drivers(&self) -> &[DriverSpec] {
        &self.drivers
    }

    /// The entry for a directory name (case-insensitive; `aero-gpu` finds `aerogpu`).
    pub fn driver(&self, dir_name: &str) -> Option<&DriverSpec> {
        let n = normalize_driver_name(dir_name);
        self.drivers
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(&n))
    }
}

impl DriverSpec {
    /// The HWID bases this driver must declare according to `devices.cmd` (empty when the spec
    /// names no variable). Errors when a variable is named but not available.
    pub fn devices_cmd_hardware_ids(&self, vars: Option<&DevicesCmdVars>) -> Result<Vec<String>> {
        let Some(var) = &self.expected_hardware_ids_from_devices_cmd_var else {
            return Ok(Vec::new());
        };
        let values = lookup_var(&self.name, var, vars)?;
        let mut out: Vec<String> = Vec::new();
        for v in values {
            let b = hwid_base(v);
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&b)) {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// Every service name this driver's INFs must install: the spec's list plus the value of
    /// `expected_add_services_from_devices_cmd_var`.
    pub fn all_expected_services(&self, vars: Option<&DevicesCmdVars>) -> Result<Vec<String>> {
        let mut out = self.expected_add_services.clone();
        if let Some(var) = &self.expected_add_services_from_devices_cmd_var {
            for v in lookup_var(&self.name, var, vars)? {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(v)) {
                    out.push(v.clone());
                }
            }
        }
        Ok(out)
    }
}

fn lookup_var<'v>(
    driver: &str,
    var: &str,
    vars: Option<&'v DevicesCmdVars>,
) -> Result<&'v [String]> {
    let Some(vars) = vars else {
        return Err(Error::invalid(format!(
            "the spec entry for `{driver}` reads devices.cmd variable `{var}`, but no devices.cmd was given"
        ))
        .with_help("render devices.cmd from a device contract and pass its variables to validation"));
    };
    let found = crate::devices_cmd::devices_cmd_var(vars, var);
    match found {
        Some(v) if !v.is_empty() && v.iter().any(|s| !s.is_empty()) => Ok(v),
        Some(_) => Err(Error::invalid(format!(
            "devices.cmd variable `{var}` (read by the spec entry for `{driver}`) is empty"
        ))),
        None => {
            let known: Vec<&str> = vars.keys().map(String::as_str).collect();
            Err(Error::invalid(format!(
                "devices.cmd does not set `{var}` (read by the spec entry for `{driver}`)"
            ))
            .with_help(format!("variables it sets: {}", known.join(", "))))
        }
    }
}

/// Why `name` cannot be a driver directory name, if it cannot.
pub fn driver_name_problem(name: &str) -> Option<String> {
    if name.trim() != name {
        return Some(format!("driver name `{name}` has surrounding whitespace"));
    }
    if name.is_empty() || name == "." || name == ".." {
        return Some(format!("driver name `{name}` is not a directory name"));
    }
    if name.contains('/') || name.contains('\\') {
        return Some(format!(
            "driver name `{name}` contains a path separator; it must be a single directory name"
        ));
    }
    crate::winpath::windows_name_problem(name)
}

/// The key names are compared by (`eq_ignore_ascii_case`, as everywhere in a spec).
fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Compiled-program size allowed per spec regex (the `regex` crate's `size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Lazy-DFA cache allowed per spec regex (the `regex` crate's `dfa_size_limit`).
pub const REGEX_DFA_SIZE_LIMIT: usize = 256 * 1024;
/// Regexes one spec may hold (HWID and path patterns together).
pub const MAX_SPEC_REGEXES: usize = 256;
/// Total length of the regex sources of one spec, in bytes.
pub const MAX_SPEC_REGEX_BYTES: usize = 64 * 1024;

/// The spec's regexes against the budget: a spec past the count or byte cap gets one error and
/// nothing compiled (so a hostile spec stays cheap); each regex that is compiled is held to
/// [`REGEX_SIZE_LIMIT`] and [`REGEX_DFA_SIZE_LIMIT`].
#[derive(Default)]
struct RegexBudget {
    count: usize,
    bytes: usize,
    exhausted: bool,
}

impl RegexBudget {
    /// Count every regex of the document before any is compiled: past the caps, one error and
    /// no compiling at all (a hostile spec costs a scan, not a compile per pattern).
    fn check(c: &mut Checker, root: &Map<String, Value>) -> RegexBudget {
        let mut b = RegexBudget::default();
        let lists = |v: Option<&Value>, keys: &[&str]| -> Vec<Value> {
            let mut out = Vec::new();
            if let Some(Value::Array(items)) = v {
                for it in items {
                    for k in keys {
                        if let Some(Value::Array(l)) = it.get(*k) {
                            out.extend(l.iter().cloned());
                        }
                    }
                }
            }
            out
        };
        let mut all = lists(
            root.get("drivers"),
            &["expected_hardware_ids", "allow_path_regexes"],
        );
        all.extend(lists(
            root.get("required_drivers"),
            &["expected_hardware_ids"],
        ));
        for v in &all {
            b.count += 1;
            b.bytes += v.as_str().map_or(0, str::len);
        }
        if b.count > MAX_SPEC_REGEXES || b.bytes > MAX_SPEC_REGEX_BYTES {
            b.exhausted = true;
            c.rule_with_help(
                "",
                format!(
                    "the spec holds {} regexes ({} bytes of pattern text), more than one spec may: at most {MAX_SPEC_REGEXES} patterns and {} KiB; none is compiled",
                    b.count,
                    b.bytes,
                    MAX_SPEC_REGEX_BYTES / 1024
                ),
                "list the hardware IDs and paths that matter; a few patterns cover a driver",
            );
        }
        b
    }
}

fn compile(
    c: &mut Checker,
    budget: &mut RegexBudget,
    pointer: &str,
    pattern: &str,
) -> Option<Regex> {
    if budget.exhausted {
        return None;
    }
    let built = RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build();
    match built {
        Ok(r) => Some(r),
        Err(regex::Error::CompiledTooBig(_)) => {
            c.rule_with_help(
                pointer,
                format!(
                    "`{}` compiles to more than {} KiB (the limit per spec regex)",
                    field_name(pointer),
                    REGEX_SIZE_LIMIT / 1024
                ),
                "write a shorter pattern: large repetition counts over classes such as `\\\\w{50}` blow up",
            );
            None
        }
        Err(e) => {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim();
            let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
            c.rule_with_help(
                pointer,
                format!("`{}` is not a valid regex: {last}", field_name(pointer)),
                "regexes use Rust `regex` syntax; in JSON a literal backslash is written `\\\\\\\\`",
            );
            None
        }
    }
}

/// The schemas' pattern for list items and `$schema`, `^(?!\s)(?!.*\s$).+$`: not empty, no
/// line break, no whitespace at either end. Returns what is wrong.
fn item_text_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        Some("is empty")
    } else if s.contains('\n') {
        Some("contains a line break")
    } else if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        Some("has whitespace at its start or end")
    } else {
        None
    }
}

/// A list of strings under the schema's item rules: each `item_text_problem`-free, no item
/// twice (`uniqueItems`), and at least one item when `non_empty` (`minItems: 1`).
fn text_list(
    c: &mut Checker,
    p: &str,
    m: &Map<String, Value>,
    key: &str,
    non_empty: bool,
) -> Vec<(String, String)> {
    let list = c.str_list(p, m, key);
    let fp = child(p, key);
    if non_empty && matches!(m.get(key), Some(Value::Array(a)) if a.is_empty()) {
        c.error_at_value(
            &fp,
            format!(
                "`{}` is empty (list at least one item or leave it out)",
                field_name(&fp)
            ),
        );
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for (ip, v) in &list {
        if let Some(problem) = item_text_problem(v) {
            c.error_at_value(ip, format!("`{}` {problem}", field_name(ip)));
        } else if !seen.insert(v.as_str()) {
            c.error_at_value(
                ip,
                format!(
                    "`{}`: `{v}` is listed twice (items must be unique)",
                    field_name(ip)
                ),
            );
        } else {
            out.push((ip.clone(), v.clone()));
        }
    }
    out
}

fn var_field(
    c: &mut Checker,
    pointer: &str,
    obj: &Map<String, Value>,
    key: &str,
) -> Option<String> {
    let v = c.opt_str(pointer, obj, key)?;
    if is_var_name(&v) {
        Some(v)
    } else {
        let p = child(pointer, key);
        c.error_at_value(
            &p,
            format!(
                "`{}` must be a devices.cmd variable name (letters, digits, `_`), found `{v}`",
                field_name(&p)
            ),
        );
        None
    }
}

fn read_spec(c: &mut Checker, root: &Value) -> Option<Spec> {
    let obj = c.object("", root)?;
    c.reject_unknown("", obj, TOP_FIELDS);
    if let Some(s) = c.opt_str_not_null("", obj, "$schema") {
        if let Some(problem) = item_text_problem(&s) {
            c.error_at_value("/$schema", format!("`$schema` {problem}"));
        }
    }
    let mut budget = RegexBudget::check(c, obj);
    let fail_on_unlisted_driver_dirs = c
        .opt_bool("", obj, "fail_on_unlisted_driver_dirs")
        .unwrap_or(false);
    let require_optional_drivers_on_all_arches = c
        .opt_bool("", obj, "require_optional_drivers_on_all_arches")
        .unwrap_or(false);

    // Names of legacy required entries, so `required` may be omitted for them in `drivers[]`.
    let legacy = read_legacy(c, obj, &mut budget);

    let mut drivers: Vec<DriverSpec> = Vec::new();
    // Index of `drivers` by `name_key`: lookups stay logarithmic in long lists.
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    match obj.get("drivers") {
        None => {}
        Some(Value::Array(items)) => {
            // Names must be unique whatever else is wrong with the entries.
            let mut seen: BTreeMap<String, String> = BTreeMap::new();
            for (i, v) in items.iter().enumerate() {
                let Some(raw) = v.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let key = normalize_driver_name(raw).to_lowercase();
                if let Some(first) = seen.get(&key) {
                    let msg = format!(
                        "driver `{raw}` is listed twice (as `{first}` before; names are compared case-insensitively and `aero-gpu` is `aerogpu`)"
                    );
                    c.rule(&child(&item("/drivers", i), "name"), msg);
                } else {
                    seen.insert(key, raw.to_string());
                }
            }
            for (i, v) in items.iter().enumerate() {
                let p = item("/drivers", i);
                if let Some(d) = read_driver(c, &p, v, &mut budget) {
                    if let std::collections::btree_map::Entry::Vacant(e) =
                        by_name.entry(name_key(&d.name))
                    {
                        e.insert(drivers.len());
                        drivers.push(d);
                    }
                }
            }
        }
        Some(other) => {
            let msg = format!(
                "`drivers` must be an array of driver entries, found {}",
                json::kind(other)
            );
            c.error_at_value("/drivers", msg);
        }
    }

    for l in legacy {
        match by_name
            .get(&name_key(&l.name))
            .and_then(|&i| drivers.get_mut(i))
        {
            Some(d) => {
                d.required = true;
                let mut known: BTreeSet<String> = d
                    .expected_hardware_ids
                    .iter()
                    .map(|x| x.as_str().to_string())
                    .collect();
                for r in l.expected_hardware_ids {
                    if known.insert(r.as_str().to_string()) {
                        d.expected_hardware_ids.push(r);
                    }
                }
                if d.expected_hardware_ids_from_devices_cmd_var.is_none() {
                    d.expected_hardware_ids_from_devices_cmd_var = l.devices_cmd_var;
                }
            }
            None => drivers.push(DriverSpec {
                name: l.name,
                required: true,
                expected_inf_files: Vec::new(),
                expected_add_services: Vec::new(),
                expected_add_services_from_devices_cmd_var: None,
                expected_hardware_ids: l.expected_hardware_ids,
                expected_hardware_ids_from_devices_cmd_var: l.devices_cmd_var,
                allow_extensions: Vec::new(),
                allow_path_regexes: Vec::new(),
            }),
        }
    }

    if drivers.is_empty() && c.problems.is_empty() {
        c.error_with_help(
            "",
            "the spec lists no drivers",
            "add entries to `drivers` (or the legacy `required_drivers`)",
        );
    }
    Some(Spec {
        drivers,
        fail_on_unlisted_driver_dirs,
        require_optional_drivers_on_all_arches,
    })
}

struct Legacy {
    name: String,
    expected_hardware_ids: Vec<Regex>,
    devices_cmd_var: Option<String>,
}

fn read_legacy(c: &mut Checker, obj: &Map<String, Value>, budget: &mut RegexBudget) -> Vec<Legacy> {
    let mut out: Vec<Legacy> = Vec::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let items = match obj.get("required_drivers") {
        None => return out,
        Some(Value::Array(items)) => items,
        Some(other) => {
            let msg = format!(
                "`required_drivers` must be an array, found {}",
                json::kind(other)
            );
            c.error_at_value("/required_drivers", msg);
            return out;
        }
    };
    for (i, v) in items.iter().enumerate() {
        let p = item("/required_drivers", i);
        let entry = match v {
            Value::Object(m) => {
                c.reject_unknown(&p, m, LEGACY_FIELDS);
                let name = c
                    .req_str(&p, m, "name")
                    .and_then(|n| checked_name(c, &child(&p, "name"), &n));
                let hw = text_list(c, &p, m, "expected_hardware_ids", false)
                    .into_iter()
                    .filter_map(|(ip, s)| compile(c, budget, &ip, &s))
                    .collect();
                let var = var_field(c, &p, m, "expected_hardware_ids_from_devices_cmd_var");
                name.map(|name| Legacy {
                    name,
                    expected_hardware_ids: hw,
                    devices_cmd_var: var,
                })
            }
            other => {
                let msg = format!(
                    "`{}` must be an object with `name`, found {}",
                    field_name(&p),
                    json::kind(other)
                );
                c.error_at_value(&p, msg);
                None
            }
        };
        // The same name twice in the legacy list merges (each entry means "required").
        if let Some(e) = entry {
            match by_name
                .get(&name_key(&e.name))
                .and_then(|&i| out.get_mut(i))
            {
                Some(l) => {
                    l.expected_hardware_ids.extend(e.expected_hardware_ids);
                    if l.devices_cmd_var.is_none() {
                        l.devices_cmd_var = e.devices_cmd_var;
                    }
                }
                None => {
                    by_name.insert(name_key(&e.name), out.len());
                    out.push(e);
                }
            }
        }
    }
    out
}

fn checked_name(c: &mut Checker, pointer: &str, raw: &str) -> Option<String> {
    // The schema's name pattern: no surrounding whitespace, not empty/`.`/`..`, no `/` or `\`;
    // what Windows refuses on top (reserved names, `<>:"|?*`, control characters) is a
    // packaging rule.
    let schema_ok =
        raw.trim() == raw && !matches!(raw, "" | "." | "..") && !raw.contains(['/', '\\']);
    match driver_name_problem(raw) {
        Some(p) if schema_ok => {
            c.rule(pointer, p);
            None
        }
        Some(p) => {
            c.error_at_value(pointer, p);
            None
        }
        None => Some(normalize_driver_name(raw)),
    }
}

fn read_driver(
    c: &mut Checker,
    p: &str,
    v: &Value,
    budget: &mut RegexBudget,
) -> Option<DriverSpec> {
    let m = c.object(p, v)?;
    c.reject_unknown(p, m, DRIVER_FIELDS);
    let name = c
        .req_str(p, m, "name")
        .and_then(|n| checked_name(c, &child(p, "name"), &n));
    let required = match c.opt_bool(p, m, "required") {
        Some(b) => Some(b),
        None if m.contains_key("required") => None,
        None => {
            let msg = format!(
                "missing field `{}` (true or false; there is no default)",
                field_name(&child(p, "required"))
            );
            c.error_at_value(p, msg);
            None
        }
    };

    let mut expected_inf_files = Vec::new();
    for (ip, f) in text_list(c, p, m, "expected_inf_files", true) {
        let ok = !f.is_empty()
            && !f.contains('/')
            && !f.contains('\\')
            && f.len() > 4
            && f.to_ascii_lowercase().ends_with(".inf");
        if ok {
            expected_inf_files.push(f);
        } else {
            c.error_at_value(
                &ip,
                format!("`{f}` is not an INF base name (a file name ending `.inf`, no directory)"),
            );
        }
    }

    let mut expected_add_services = Vec::new();
    for (_, s) in text_list(c, p, m, "expected_add_services", true) {
        expected_add_services.push(s);
    }
    let services_var = var_field(c, p, m, "expected_add_services_from_devices_cmd_var");

    let expected_hardware_ids = text_list(c, p, m, "expected_hardware_ids", false)
        .into_iter()
        .filter_map(|(ip, s)| compile(c, budget, &ip, &s))
        .collect();
    let hwids_var = var_field(c, p, m, "expected_hardware_ids_from_devices_cmd_var");

    let mut allow_extensions: Vec<String> = Vec::new();
    let mut extensions_seen: BTreeSet<String> = BTreeSet::new();
    for (ip, e) in text_list(c, p, m, "allow_extensions", false) {
        let norm = e.trim_start_matches('.').to_ascii_lowercase();
        if norm.is_empty() || norm.contains(['/', '\\', '*', '?']) {
            c.rule(
                &ip,
                format!("`{e}` is not a file extension (write e.g. `pdb` or `.pdb`)"),
            );
        } else if KEY_EXTENSIONS.contains(&norm.as_str()) {
            c.rule_with_help(
                &ip,
                format!("`.{norm}` is private key material and can never be shipped"),
                "remove it from allow_extensions; ship certificates as .cer/.crt/.p7b",
            );
        } else if extensions_seen.insert(norm.clone()) {
            allow_extensions.push(norm);
        }
    }
    let allow_path_regexes = text_list(c, p, m, "allow_path_regexes", false)
        .into_iter()
        .filter_map(|(ip, s)| compile(c, budget, &ip, &s))
        .collect();

    Some(DriverSpec {
        name: name?,
        required: required?,
        expected_inf_files,
        expected_add_services,
        expected_add_services_from_devices_cmd_var: services_var,
        expected_hardware_ids,
        expected_hardware_ids_from_devices_cmd_var: hwids_var,
        allow_extensions,
        allow_path_regexes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwid_bases() {
        assert_eq!(
            hwid_base("PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01"),
            "PCI\\VEN_1AF4&DEV_1042"
        );
        assert_eq!(
            hwid_base("pci\\ven_1af4&dev_1042"),
            "pci\\ven_1af4&dev_1042"
        );
        assert_eq!(hwid_base("ACPI\\QEMU0002"), "ACPI\\QEMU0002");
    }

    #[test]
    fn var_names() {
        assert!(is_var_name("AERO_GPU_HWIDS"));
        assert!(!is_var_name("1X"));
        assert!(!is_var_name("A-B"));
    }
}
