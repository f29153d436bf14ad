//! Windows device contracts: which PCI devices the guest has, their hardware IDs and the
//! driver service that binds each. [`Contract::render_devices_cmd`] hands them to
//! [`crate::devices_cmd`], which owns the `config/devices.cmd` format (writing and reading).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::devices_cmd::{self, DeviceVars};
pub use crate::devices_cmd::{devices_cmd_var, parse_devices_cmd, var_prefix};
use crate::drivers::DriverSet;
use crate::error::{printable, Error, Result};
use crate::inf::Inf;
use crate::spec::json::{child, field_name, item, kind, Checker};
use crate::spec::Spec;

/// PCI vendor ID of virtio devices.
pub const VIRTIO_VENDOR: u16 = 0x1AF4;
/// Modern (virtio 1.0) PCI device IDs are this plus the virtio device type.
pub const VIRTIO_MODERN_BASE: u16 = 0x1040;

/// A loaded, checked device contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// Always 1.
    pub schema_version: u32,
    /// Contract identity, e.g. `aero-windows-pci-device-contract`.
    pub contract_name: String,
    /// Contract version, e.g. `1.0.0`.
    pub contract_version: String,
    /// The devices, in contract order (devices.cmd keeps this order).
    pub devices: Vec<Device>,
}

/// One device of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Device name (`virtio-blk`, `aero-gpu`); gives the devices.cmd variable prefix.
    pub device: String,
    /// PCI vendor ID.
    pub pci_vendor_id: u16,
    /// PCI device ID (the modern one for virtio devices).
    pub pci_device_id: u16,
    /// The transitional (legacy) virtio device ID, recorded but never matched (modern-only).
    pub pci_device_id_transitional: Option<u16>,
    /// Hardware IDs Windows may report for the device, most specific first.
    pub hardware_id_patterns: Vec<String>,
    /// The `AddService` name of the driver that binds the device.
    pub driver_service_name: String,
    /// The driver's INF base name.
    pub inf_name: String,
    /// The virtio device type (1 net, 2 blk, 18 input, 25 snd); absent for non-virtio devices.
    pub virtio_device_type: Option<u16>,
    /// The driver binary, when learned from a shipped INF's `ServiceBinary` (see
    /// [`Contract::with_binaries_from`]); `None` leaves devices.cmd's `_SYS` empty.
    pub driver_binary: Option<String>,
}

const TOP_FIELDS: &[&str] = &[
    "$schema",
    "schema_version",
    "contract_name",
    "contract_version",
    "devices",
];

const DEVICE_FIELDS: &[&str] = &[
    "device",
    "pci_vendor_id",
    "pci_device_id",
    "pci_device_id_transitional",
    "hardware_id_patterns",
    "driver_service_name",
    "inf_name",
    "virtio_device_type",
];

/// Every field name a contract may contain, top level first (the JSON Schema must agree).
pub fn known_fields() -> (&'static [&'static str], &'static [&'static str]) {
    (TOP_FIELDS, DEVICE_FIELDS)
}

impl Device {
    /// The devices.cmd variable prefix of this device (see the module docs).
    pub fn var_prefix(&self) -> String {
        var_prefix(&self.device)
    }

    /// `PCI\VEN_xxxx&DEV_xxxx` for this device.
    pub fn hwid_base(&self) -> String {
        format!(
            "PCI\\VEN_{:04X}&DEV_{:04X}",
            self.pci_vendor_id, self.pci_device_id
        )
    }

    /// The driver binary, as a shipped INF's `ServiceBinary` named it; empty when no shipped
    /// INF names one (never guessed from the INF or service name).
    pub fn sys_name(&self) -> String {
        self.driver_binary.clone().unwrap_or_default()
    }

    /// Whether a hardware ID (from an INF) is one of this device's own patterns
    /// (case-insensitive): the match that tells two devices sharing a PCI ID apart.
    pub fn lists_hwid(&self, hwid: &str) -> bool {
        self.hardware_id_patterns
            .iter()
            .any(|h| h.eq_ignore_ascii_case(hwid))
    }

    /// Whether a hardware ID (from an INF) is this device: same vendor and device ID.
    pub fn matches_hwid(&self, hwid: &str) -> bool {
        let base = self.hwid_base();
        hwid.len() >= base.len()
            && hwid.is_char_boundary(base.len())
            && hwid[..base.len()].eq_ignore_ascii_case(&base)
            && matches!(hwid.as_bytes().get(base.len()), None | Some(b'&'))
    }
}

impl Contract {
    /// Read and check the contract at `path`.
    pub fn load(path: &Path) -> Result<Contract> {
        let text =
            crate::spec::json::read_document(path, "read device contract", "device contract")?;
        Contract::parse(path, &text)
    }

    /// Check a contract from JSON text; `path` names it in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Contract> {
        Checker::check(path, text, "invalid device contract", read_contract)
    }

    /// Check a contract given inline; messages name it `<inline contract>`.
    pub fn from_json_str(text: &str) -> Result<Contract> {
        Contract::parse(&PathBuf::from("<inline contract>"), text)
    }

    /// The device with this name (case-insensitive).
    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices
            .iter()
            .find(|d| d.device.eq_ignore_ascii_case(name))
    }

    /// This contract with each device's service name, driver binary and INF name taken from the
    /// INFs that will ship: the first `AddService` of the function driver of the device's
    /// hardware IDs. Devices no INF declares keep the contract's values; two INFs naming
    /// different services for one device is an error listing them.
    pub fn with_services_from(&self, infs: &[&Inf]) -> Result<Contract> {
        self.derive_services(infs).map(|(c, _)| c)
    }

    /// This contract with each device's driver binary (`<PREFIX>_SYS` in devices.cmd) taken
    /// from the shipped INFs: the `ServiceBinary` of the function driver's `AddService` for
    /// the device. Service names stay the contract's; a device no shipped INF declares gets
    /// no binary (its `_SYS` is empty), and two INFs naming different binaries for one device
    /// is an error listing them.
    pub fn with_binaries_from(&self, infs: &[&Inf]) -> Result<Contract> {
        let mut out = self.clone();
        let mut problems = Vec::new();
        for d in &mut out.devices {
            let found = candidates(d, &self.devices, infs);
            let mut binaries: Vec<(String, Vec<String>)> = Vec::new();
            for c in &found {
                let Some(b) = &c.binary else { continue };
                match binaries.iter_mut().find(|(x, _)| x.eq_ignore_ascii_case(b)) {
                    Some((_, l)) => l.extend(c.infs.iter().cloned()),
                    None => binaries.push((b.clone(), c.infs.clone())),
                }
            }
            match binaries.as_slice() {
                [] => d.driver_binary = None,
                [(b, _)] => d.driver_binary = Some(b.clone()),
                many => {
                    let list: Vec<String> = many
                        .iter()
                        .map(|(b, l)| format!("`{b}` ({})", l.join(", ")))
                        .collect();
                    problems.push(Error::invalid(format!(
                        "{}: the shipped INFs disagree on the driver binary for {}: {}",
                        d.device,
                        d.hwid_base(),
                        list.join(", ")
                    )));
                }
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Error::many(
                "cannot take the driver binaries (devices.cmd `_SYS`) from the INFs",
                problems,
            ))
        }
    }

    /// [`Contract::with_binaries_from`] over the INFs of the drivers that ship: the packages of
    /// `set` whose directory the spec lists.
    pub fn with_shipped_binaries(&self, set: &DriverSet, spec: &Spec) -> Result<Contract> {
        let infs: Vec<&Inf> = set
            .packages()
            .iter()
            .filter(|p| spec.driver(&p.media_name()).is_some())
            .flat_map(|p| p.infs.iter())
            .filter_map(|i| i.parsed.as_ref().ok().map(|a| a.as_ref()))
            .collect();
        self.with_binaries_from(&infs)
    }

    /// [`Contract::with_services_from`], also returning one note per device saying where its
    /// service name came from (for warnings and logs).
    pub fn derive_services(&self, infs: &[&Inf]) -> Result<(Contract, Vec<String>)> {
        let mut out = self.clone();
        let mut notes = Vec::new();
        let mut problems = Vec::new();
        for d in &mut out.devices {
            let found = candidates(d, &self.devices, infs);
            match found.as_slice() {
                // No shipped INF declares the device: nothing of it ships, so nothing is said
                // about it (the contract's values stay as they are, and no binary is named).
                [] => d.driver_binary = None,
                [c] if !plain_token(&c.service) => problems.push(Error::invalid(format!(
                    "{}: service name `{}` from {} cannot be written to devices.cmd",
                    d.device,
                    c.service,
                    c.infs.join(", ")
                ))),
                [c] => {
                    notes.push(format!(
                        "{}: service `{}` from {}",
                        d.device,
                        c.service,
                        c.infs.join(", ")
                    ));
                    d.driver_service_name = c.service.clone();
                    d.driver_binary = c.binary.clone();
                    if plain_token(&c.inf_name) && c.inf_name.to_ascii_lowercase().ends_with(".inf")
                    {
                        d.inf_name = c.inf_name.clone();
                    }
                }
                many => {
                    let list: Vec<String> = many
                        .iter()
                        .map(|c| format!("`{}` ({})", c.service, c.infs.join(", ")))
                        .collect();
                    problems.push(
                        Error::invalid(format!(
                            "{}: the shipped INFs disagree on the service for {}: {}",
                            d.device,
                            d.hwid_base(),
                            list.join(", ")
                        ))
                        .with_help(
                            "ship one driver per device, or drop the INFs that should not bind it",
                        ),
                    );
                }
            }
        }
        if problems.is_empty() {
            Ok((out, notes))
        } else {
            Err(Error::many(
                "cannot derive device service names from the INFs",
                problems,
            ))
        }
    }

    /// The variables `config/devices.cmd` sets for this contract, read back from the text the
    /// media carry (so checks see exactly what the guest scripts will).
    pub fn devices_cmd_vars(&self) -> crate::devices_cmd::DevicesCmdVars {
        crate::devices_cmd::parse_devices_cmd(&self.render_devices_cmd())
    }

    /// `config/devices.cmd` for this contract ([`crate::devices_cmd::render`]): CRLF line
    /// endings, byte-stable for a given contract.
    pub fn render_devices_cmd(&self) -> String {
        let devices: Vec<DeviceVars> = self
            .devices
            .iter()
            .map(|d| DeviceVars {
                comment: format!(
                    "{}: PCI {:04X}:{:04X}, INF {}",
                    d.device, d.pci_vendor_id, d.pci_device_id, d.inf_name
                ),
                prefix: d.var_prefix(),
                service: d.driver_service_name.clone(),
                sys: d.sys_name(),
                hwids: d.hardware_id_patterns.clone(),
            })
            .collect();
        devices_cmd::render(
            &self.contract_name,
            &self.contract_version,
            self.schema_version,
            &devices,
        )
    }

    /// The contract as JSON (2-space indent, fields in schema order, trailing newline).
    pub fn to_json(&self) -> String {
        let hex = |v: u16| Value::String(format!("0x{v:04X}"));
        let devices: Vec<Value> = self
            .devices
            .iter()
            .map(|d| {
                let mut m = Map::new();
                m.insert("device".into(), d.device.clone().into());
                m.insert("pci_vendor_id".into(), hex(d.pci_vendor_id));
                m.insert("pci_device_id".into(), hex(d.pci_device_id));
                if let Some(t) = d.pci_device_id_transitional {
                    m.insert("pci_device_id_transitional".into(), hex(t));
                }
                m.insert(
                    "hardware_id_patterns".into(),
                    d.hardware_id_patterns.clone().into(),
                );
                m.insert(
                    "driver_service_name".into(),
                    d.driver_service_name.clone().into(),
                );
                m.insert("inf_name".into(), d.inf_name.clone().into());
                if let Some(t) = d.virtio_device_type {
                    m.insert("virtio_device_type".into(), t.into());
                }
                Value::Object(m)
            })
            .collect();
        let mut m = Map::new();
        m.insert("schema_version".into(), self.schema_version.into());
        m.insert("contract_name".into(), self.contract_name.clone().into());
        m.insert(
            "contract_version".into(),
            self.contract_version.clone().into(),
        );
        m.insert("devices".into(), devices.into());
        let mut s = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// One service an INF installs for a device, with the INFs that agree on it.
struct Candidate {
    service: String,
    binary: Option<String>,
    inf_name: String,
    infs: Vec<String>,
}

/// The function-driver services the INFs install for `d`, one per service name: INFs that
/// declare a hardware ID of the device's `PCI\VEN_xxxx&DEV_xxxx`, except IDs another device
/// of the contract lists exactly and `d` does not (two devices may share a PCI ID and differ by
/// subsystem, as Aero's virtio-input and tablet entries do).
fn candidates(d: &Device, all: &[Device], infs: &[&Inf]) -> Vec<Candidate> {
    let claimed_elsewhere = |h: &str| {
        !d.lists_hwid(h)
            && all
                .iter()
                .any(|o| o.var_prefix() != d.var_prefix() && o.lists_hwid(h))
    };
    collect_candidates(infs, &|h| d.matches_hwid(h) && !claimed_elsewhere(h))
}

fn collect_candidates(infs: &[&Inf], matches: &dyn Fn(&str) -> bool) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = Vec::new();
    for inf in infs {
        let services = inf.function_services(matches);
        let Some(first) = services.first() else {
            continue;
        };
        let label = inf.path().display().to_string();
        let binary = first
            .service_binary
            .as_deref()
            .map(|b| b.rsplit(['\\', '/']).next().unwrap_or(b).trim().to_string())
            .filter(|b| plain_token(b));
        match found
            .iter_mut()
            .find(|c| c.service.eq_ignore_ascii_case(&first.name))
        {
            Some(c) => {
                c.infs.push(label);
                if c.binary.is_none() {
                    c.binary = binary;
                }
            }
            None => found.push(Candidate {
                service: first.name.clone(),
                binary,
                inf_name: inf
                    .path()
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string(),
                infs: vec![label],
            }),
        }
    }
    found
}

/// Characters that would change meaning inside a cmd `set` line (even quoted) or a `rem`.
fn cmd_unsafe(s: &str) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() || matches!(c, '"' | '%' | '!' | '^' | '<' | '>' | '|'))
}

fn plain_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
}

/// The schema's `hexU16`: `0x` (lower-case x) and exactly four hex digits.
fn parse_hex16(s: &str) -> Option<u16> {
    let h = s.strip_prefix("0x")?;
    if h.len() != 4 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(h, 16).ok()
}

/// A JSON number that JSON Schema calls an integer (`2` and `2.0` alike).
fn json_integer(v: &Value) -> Option<i128> {
    let Value::Number(n) = v else { return None };
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
}

/// The schema's `hardwareIdPattern`: starts `PCI\VEN_xxxx&DEV_xxxx` (the literal text is
/// upper-case in the pattern; the digits are hex of either case).
fn schema_hwid_prefix(h: &str) -> bool {
    let b = h.as_bytes();
    b.len() >= 21
        && &b[..8] == b"PCI\\VEN_"
        && b[8..12].iter().all(u8::is_ascii_hexdigit)
        && &b[12..17] == b"&DEV_"
        && b[17..21].iter().all(u8::is_ascii_hexdigit)
}

/// A string the schema takes (`minLength: 1`) that a packaging rule refuses: blank (Aero's
/// packager trims) or carrying characters devices.cmd cannot hold. `what` names the field.
fn carry_problem(s: &str, what: &str) -> Option<String> {
    if s.trim().is_empty() {
        return Some(format!("{what} is blank"));
    }
    if s.trim() != s {
        return Some(format!(
            "{what} `{}` has surrounding whitespace",
            printable(s)
        ));
    }
    cmd_unsafe(s).map(|ch| {
        format!(
            "{what} `{}` contains `{}`, which config/devices.cmd cannot carry",
            printable(s),
            printable(&ch.to_string())
        )
    })
}

fn read_contract(c: &mut Checker, root: &Value) -> Option<Contract> {
    let obj = c.object("", root)?;
    c.reject_unknown("", obj, TOP_FIELDS);
    if let Some(s) = c.opt_str_not_null("", obj, "$schema") {
        if s.is_empty() {
            c.error_at_value(
                "/$schema",
                "`$schema` is empty (give a schema reference or leave it out)",
            );
        }
    }
    let schema_version = match obj.get("schema_version") {
        Some(v) if json_integer(v) == Some(1) => Some(1),
        Some(other) => {
            c.error_at_value(
                "/schema_version",
                format!("`schema_version` must be 1, found {other}"),
            );
            None
        }
        None => {
            c.error_at_value("", "missing field `schema_version` (must be 1)");
            None
        }
    };
    let text = |c: &mut Checker, key: &str| {
        let v = c.req_str("", obj, key)?;
        if v.is_empty() {
            c.error_at_value(&child("", key), format!("`{key}` is empty"));
            return None;
        }
        if let Some(problem) = carry_problem(&v, &format!("`{key}`")) {
            c.rule(&child("", key), problem);
            return None;
        }
        Some(v)
    };
    let contract_name = text(c, "contract_name");
    let contract_version = text(c, "contract_version");

    let mut devices = Vec::new();
    match obj.get("devices") {
        Some(Value::Array(items)) if !items.is_empty() => {
            // Variable prefixes must be unique, whatever else is wrong with the entries.
            let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
            for (i, v) in items.iter().enumerate() {
                let Some(name) = v.get("device").and_then(Value::as_str) else {
                    continue;
                };
                let prefix = var_prefix(name.trim());
                if let Some(first) = prefixes.get(&prefix) {
                    let msg = format!(
                        "device `{}` gives the same devices.cmd variables ({prefix}_*) as `{first}`",
                        printable(name)
                    );
                    c.rule(&child(&item("/devices", i), "device"), msg);
                } else {
                    prefixes.insert(prefix, name.to_string());
                }
            }
            let mut taken: BTreeSet<String> = BTreeSet::new();
            for (i, v) in items.iter().enumerate() {
                if let Some(d) = read_device(c, &item("/devices", i), v) {
                    if taken.insert(d.var_prefix()) {
                        devices.push(d);
                    }
                }
            }
        }
        Some(Value::Array(_)) => c.error_at_value("/devices", "`devices` is empty"),
        Some(other) => {
            let msg = format!("`devices` must be an array, found {}", kind(other));
            c.error_at_value("/devices", msg);
        }
        None => c.error_at_value("", "missing field `devices`"),
    }
    Some(Contract {
        schema_version: schema_version?,
        contract_name: contract_name?,
        contract_version: contract_version?,
        devices,
    })
}

fn read_device(c: &mut Checker, p: &str, v: &Value) -> Option<Device> {
    let m = c.object(p, v)?;
    c.reject_unknown(p, m, DEVICE_FIELDS);
    // Schema first (types, required fields, patterns), then the packaging rules.
    let nonempty = |c: &mut Checker, key: &str| -> Option<String> {
        let s = c.req_str(p, m, key)?;
        if s.is_empty() {
            let fp = child(p, key);
            c.error_at_value(&fp, format!("`{}` is empty", field_name(&fp)));
            return None;
        }
        Some(s)
    };
    let device = nonempty(c, "device");
    let hex = |c: &mut Checker, key: &str, required: bool| -> Option<Option<u16>> {
        let s = if required {
            c.req_str(p, m, key)?
        } else {
            match m.get(key) {
                None => return Some(None),
                Some(v) => c.string(&child(p, key), v)?,
            }
        };
        match parse_hex16(&s) {
            Some(v) => Some(Some(v)),
            None => {
                let fp = child(p, key);
                c.error_at_value(
                    &fp,
                    format!(
                        "`{}` must be `0x` and four hex digits like \"0x1AF4\", found `{}`",
                        field_name(&fp),
                        printable(&s)
                    ),
                );
                None
            }
        }
    };
    let vendor = hex(c, "pci_vendor_id", true).flatten();
    let dev_id = hex(c, "pci_device_id", true).flatten();
    let transitional = hex(c, "pci_device_id_transitional", false);

    let virtio_type = match m.get("virtio_device_type") {
        None => Some(None),
        Some(v) => match json_integer(v) {
            Some(t) if t >= 0 => Some(Some(t)),
            _ => {
                let fp = child(p, "virtio_device_type");
                c.error_at_value(
                    &fp,
                    format!(
                        "`{}` must be an integer of at least 0 (the virtio device type), found {v}",
                        field_name(&fp)
                    ),
                );
                None
            }
        },
    };
    let service = nonempty(c, "driver_service_name");
    let inf = c.req_str(p, m, "inf_name").and_then(|s| {
        // The schema's infName: no `\` or `/`, at least one character before `.inf`.
        let lower = s.to_ascii_lowercase();
        let ok = !s.contains(['\\', '/']) && lower.len() > 4 && lower.ends_with(".inf");
        if ok {
            Some(s)
        } else {
            c.error_at_value(
                &child(p, "inf_name"),
                format!(
                    "`{}` is not an INF file name (ending `.inf`, no directory)",
                    printable(&s)
                ),
            );
            None
        }
    });

    let hp = child(p, "hardware_id_patterns");
    let hwids = c.str_list(p, m, "hardware_id_patterns");
    match m.get("hardware_id_patterns") {
        None => c.error_at_value(p, format!("missing field `{}`", field_name(&hp))),
        Some(Value::Array(a)) if a.is_empty() => c.error_at_value(
            &hp,
            format!("`{}` must list at least one hardware ID", field_name(&hp)),
        ),
        _ => {}
    }
    let mut schema_ok = true;
    for (ip, h) in &hwids {
        if !schema_hwid_prefix(h) {
            c.error_at_value(
                ip,
                format!(
                    "hardware ID `{}` does not start `PCI\\VEN_xxxx&DEV_xxxx` (upper-case `PCI\\VEN_` and `&DEV_`, four hex digits each)",
                    printable(h)
                ),
            );
            schema_ok = false;
        }
    }

    // Packaging rules: what devices.cmd can carry, and Aero's packager's device rules.
    let carry = |c: &mut Checker, key: &str, value: Option<String>| -> Option<String> {
        let v = value?;
        let fp = child(p, key);
        match carry_problem(&v, &format!("`{}`", field_name(&fp))) {
            Some(problem) => {
                c.rule(&fp, problem);
                None
            }
            None => Some(v),
        }
    };
    let device = carry(c, "device", device);
    let service = carry(c, "driver_service_name", service);
    let inf = carry(c, "inf_name", inf);

    // The rules need the IDs and the type; a bad transitional ID does not hide them.
    let (vendor, dev_id, virtio_type) = (vendor?, dev_id?, virtio_type?);
    let name = device.clone().unwrap_or_default();
    let mut ok = schema_ok && transitional.is_some();
    let transitional = transitional.flatten();
    if virtio_type.is_none() && name.to_ascii_lowercase().starts_with("virtio-") {
        // Aero's schema does not require the type; its packager asks it of `virtio-*` names
        // only (an `aero-virtio-input-tablet` entry has none).
        c.rule_with_help(
            p,
            format!(
                "device `{}` is named `virtio-*` and needs `virtio_device_type`",
                printable(&name)
            ),
            "give the virtio device type (1 net, 2 blk, 18 input, 25 snd), or rename the device",
        );
        ok = false;
    }
    let base = format!("PCI\\VEN_{vendor:04X}&DEV_{dev_id:04X}");
    for (ip, h) in &hwids {
        if let Some(ch) = cmd_unsafe(h).or_else(|| h.chars().find(|c| c.is_whitespace())) {
            c.rule(
                ip,
                format!(
                    "hardware ID `{}` contains `{}`, which config/devices.cmd cannot carry",
                    printable(h),
                    printable(&ch.to_string())
                ),
            );
            ok = false;
        } else if schema_hwid_prefix(h)
            && !(h.len() >= base.len()
                && h.is_char_boundary(base.len())
                && h[..base.len()].eq_ignore_ascii_case(&base)
                && matches!(h.as_bytes().get(base.len()), None | Some(b'&')))
        {
            let also = match transitional {
                Some(t) if h.to_ascii_uppercase().contains(&format!("&DEV_{t:04X}")) => {
                    " (it uses the transitional device ID: contracts are modern-only)"
                }
                _ => "",
            };
            c.rule(
                ip,
                format!("hardware ID `{h}` is not for {base} (pci_vendor_id/pci_device_id){also}"),
            );
            ok = false;
        }
    }
    let mut device_type = None;
    if let Some(t) = virtio_type {
        if vendor != VIRTIO_VENDOR {
            c.rule(
                &child(p, "pci_vendor_id"),
                format!("a device with virtio_device_type has pci_vendor_id 0x{VIRTIO_VENDOR:04X}, found 0x{vendor:04X}"),
            );
            ok = false;
        }
        match u16::try_from(i128::from(VIRTIO_MODERN_BASE) + t) {
            Ok(want) if want == dev_id => device_type = u16::try_from(t).ok(),
            Ok(want) => {
                c.rule_with_help(
                    &child(p, "pci_device_id"),
                    format!(
                        "virtio device type {t} has the modern device ID 0x{want:04X}, found 0x{dev_id:04X}"
                    ),
                    "contracts are modern-only: pci_device_id is 0x1040 + virtio_device_type",
                );
                ok = false;
            }
            Err(_) => {
                c.rule(
                    &child(p, "virtio_device_type"),
                    format!("virtio device type {t} does not fit a PCI device ID (0x1040 + type > 0xFFFF)"),
                );
                ok = false;
            }
        }
        let mut has_rev_01 = false;
        for (ip, h) in &hwids {
            let upper = h.to_ascii_uppercase();
            for (i, _) in upper.match_indices("&REV_") {
                let rev = upper.get(i + 5..i + 7).unwrap_or("");
                if rev == "01" {
                    has_rev_01 = true;
                } else {
                    c.rule(
                        ip,
                        format!("hardware ID `{}` names revision `{}`: virtio devices of a contract are revision 01", printable(h), printable(rev)),
                    );
                    ok = false;
                }
            }
        }
        if !has_rev_01 {
            c.rule(
                &hp,
                "a virtio device needs at least one hardware ID with `&REV_01` (modern virtio revision)",
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    Some(Device {
        device: device?,
        pci_vendor_id: vendor,
        pci_device_id: dev_id,
        pci_device_id_transitional: transitional,
        hardware_id_patterns: hwids.into_iter().map(|(_, h)| h).collect(),
        driver_service_name: service?,
        inf_name: inf?,
        virtio_device_type: device_type,
        driver_binary: None,
    })
}
