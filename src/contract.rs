//! Windows device contracts: which PCI devices the guest has, their hardware IDs and the
//! driver service that binds each. [`Contract::render_devices_cmd`] hands them to
//! [`crate::devices_cmd`], which owns the `config/devices.cmd` format (writing and reading).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::devices_cmd::{self, DeviceVars};
pub use crate::devices_cmd::{devices_cmd_var, parse_devices_cmd, var_prefix};
use crate::error::{printable, Error, Result};
use crate::inf::Inf;
use crate::spec::json::{child, field_name, item, kind, Checker};

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
    /// The driver binary, when learned from an INF's `ServiceBinary` (else derived from
    /// `inf_name`, see [`Device::sys_name`]).
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

    /// The driver binary: the one an INF named, else the INF's base name with `.sys`.
    pub fn sys_name(&self) -> String {
        if let Some(b) = &self.driver_binary {
            return b.clone();
        }
        let stem = match self.inf_name.rsplit_once('.') {
            Some((s, _)) => s,
            None => &self.inf_name,
        };
        format!("{stem}.sys")
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

    /// [`Contract::with_services_from`], also returning one note per device saying where its
    /// service name came from (for warnings and logs).
    pub fn derive_services(&self, infs: &[&Inf]) -> Result<(Contract, Vec<String>)> {
        struct Candidate {
            service: String,
            binary: Option<String>,
            inf_name: String,
            infs: Vec<String>,
        }
        let mut out = self.clone();
        let mut notes = Vec::new();
        let mut problems = Vec::new();
        for d in &mut out.devices {
            let mut found: Vec<Candidate> = Vec::new();
            for inf in infs {
                let dev: &Device = d;
                let services = inf.function_services(&|h| dev.matches_hwid(h));
                let Some(first) = services.first() else {
                    continue;
                };
                let label = inf.path().display().to_string();
                match found
                    .iter_mut()
                    .find(|c| c.service.eq_ignore_ascii_case(&first.name))
                {
                    Some(c) => c.infs.push(label),
                    None => found.push(Candidate {
                        service: first.name.clone(),
                        binary: first
                            .service_binary
                            .as_deref()
                            .map(|b| b.rsplit(['\\', '/']).next().unwrap_or(b).to_string())
                            .filter(|b| plain_token(b)),
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
            match found.as_slice() {
                // No shipped INF declares the device: nothing of it ships, so nothing is said
                // about it (the contract's values stay as they are).
                [] => {}
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

    /// `config/devices.cmd` for this contract ([`crate::devices_cmd::render`]): CRLF line
    /// The variables `config/devices.cmd` sets for this contract, read back from the text the
    /// media carry (so checks see exactly what the guest scripts will).
    pub fn devices_cmd_vars(&self) -> crate::devices_cmd::DevicesCmdVars {
        crate::devices_cmd::parse_devices_cmd(&self.render_devices_cmd())
    }

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

fn parse_hex16(s: &str) -> Option<u16> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if h.len() != 4 {
        return None;
    }
    u16::from_str_radix(h, 16).ok()
}

fn read_contract(c: &mut Checker, root: &Value) -> Option<Contract> {
    let obj = c.object("", root)?;
    c.reject_unknown("", obj, TOP_FIELDS);
    let schema_version = match obj.get("schema_version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Some(1),
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
    let token = |c: &mut Checker, key: &str| {
        let v = c.req_str("", obj, key)?;
        if plain_token(&v) {
            Some(v)
        } else {
            c.error_at_value(
                &child("", key),
                format!("`{key}` must be letters, digits, `_ - . +` only, found `{v}`"),
            );
            None
        }
    };
    let contract_name = token(c, "contract_name");
    let contract_version = token(c, "contract_version");

    let mut devices = Vec::new();
    match obj.get("devices") {
        Some(Value::Array(items)) if !items.is_empty() => {
            // Variable prefixes must be unique, whatever else is wrong with the entries.
            let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
            for (i, v) in items.iter().enumerate() {
                let Some(name) = v.get("device").and_then(Value::as_str) else {
                    continue;
                };
                let prefix = var_prefix(name);
                if let Some(first) = prefixes.get(&prefix) {
                    let msg = format!(
                        "device `{name}` gives the same devices.cmd variables ({prefix}_*) as `{first}`"
                    );
                    c.error_at_value(&child(&item("/devices", i), "device"), msg);
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
    let device = c.req_str(p, m, "device").and_then(|d| {
        let ok = !d.is_empty()
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Some(d)
        } else {
            c.error_at_value(
                &child(p, "device"),
                format!("device name `{d}` must be letters, digits, `-` or `_`"),
            );
            None
        }
    });
    let hex = |c: &mut Checker, key: &str, required: bool| -> Option<Option<u16>> {
        let s = if required {
            c.req_str(p, m, key)?
        } else {
            match c.opt_str(p, m, key) {
                Some(s) => s,
                None if m.get(key).is_some_and(|v| !v.is_null()) => return None,
                None => return Some(None),
            }
        };
        match parse_hex16(&s) {
            Some(v) => Some(Some(v)),
            None => {
                let fp = child(p, key);
                c.error_at_value(
                    &fp,
                    format!(
                        "`{}` must be a 16-bit hex ID like \"0x1AF4\", found `{s}`",
                        field_name(&fp)
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
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|t| (1..=0x3f).contains(&t)) => {
            n.as_u64().map(|t| Some(t as u16))
        }
        Some(other) => {
            let fp = child(p, "virtio_device_type");
            c.error_at_value(
                &fp,
                format!(
                    "`{}` must be a virtio device type between 1 and 63, found {other}",
                    field_name(&fp)
                ),
            );
            None
        }
    };

    let service = c.req_str(p, m, "driver_service_name").and_then(|s| {
        if plain_token(&s) && s.len() <= 256 {
            Some(s)
        } else {
            c.error_at_value(
                &child(p, "driver_service_name"),
                format!("service name `{s}` must be letters, digits, `_ - . +` only"),
            );
            None
        }
    });
    let inf = c.req_str(p, m, "inf_name").and_then(|s| {
        let ok = plain_token(&s) && s.len() > 4 && s.to_ascii_lowercase().ends_with(".inf");
        if ok {
            Some(s)
        } else {
            c.error_at_value(
                &child(p, "inf_name"),
                format!("`{s}` is not an INF base name (a file name ending `.inf`)"),
            );
            None
        }
    });

    let hp = child(p, "hardware_id_patterns");
    let hwids = c.str_list(p, m, "hardware_id_patterns");
    if hwids.is_empty() && m.get("hardware_id_patterns").is_none_or(|v| v.is_array()) {
        c.error_at_value(
            if m.contains_key("hardware_id_patterns") {
                &hp
            } else {
                p
            },
            format!("`{}` must list at least one hardware ID", field_name(&hp)),
        );
    }

    // Cross-field rules, only when the fields themselves are well-formed.
    let (vendor, dev_id, transitional, virtio_type) =
        (vendor?, dev_id?, transitional?, virtio_type?);
    let base = format!("PCI\\VEN_{vendor:04X}&DEV_{dev_id:04X}");
    let mut ok = true;
    for (ip, h) in &hwids {
        if let Some(ch) = cmd_unsafe(h).or_else(|| h.chars().find(|c| c.is_whitespace())) {
            c.error_at_value(
                ip,
                format!(
                    "hardware ID `{}` contains `{}`, which devices.cmd cannot carry",
                    printable(h),
                    printable(&ch.to_string())
                ),
            );
            ok = false;
        } else if !(h.len() >= base.len()
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
            c.error_at_value(
                ip,
                format!("hardware ID `{h}` is not for {base} (pci_vendor_id/pci_device_id){also}"),
            );
            ok = false;
        }
    }
    if let Some(t) = virtio_type {
        let fp = child(p, "pci_vendor_id");
        if vendor != VIRTIO_VENDOR {
            c.error_at_value(
                &fp,
                format!("a virtio device must have pci_vendor_id 0x{VIRTIO_VENDOR:04X}, found 0x{vendor:04X}"),
            );
            ok = false;
        }
        let want = VIRTIO_MODERN_BASE + t;
        if dev_id != want {
            c.error_with_help(
                &child(p, "pci_device_id"),
                format!(
                    "virtio device type {t} has the modern device ID 0x{want:04X}, found 0x{dev_id:04X}"
                ),
                "contracts are modern-only: pci_device_id is 0x1040 + virtio_device_type",
            );
            ok = false;
        }
        if !hwids
            .iter()
            .any(|(_, h)| h.to_ascii_uppercase().contains("&REV_01"))
        {
            c.error_at_value(
                &hp,
                "a virtio device needs at least one hardware ID with `&REV_01` (modern virtio revision)",
            );
            ok = false;
        }
    } else if vendor == VIRTIO_VENDOR
        && device
            .as_deref()
            .is_some_and(|d| d.to_ascii_lowercase().starts_with("virtio-"))
    {
        // Aero's contract schema does not require the type; its validator asks it of devices
        // named `virtio-*` only (an `aero-virtio-input-tablet` entry has none).
        c.error_at_value(
            p,
            "a device named `virtio-*` with vendor 0x1AF4 is a virtio device and needs `virtio_device_type`",
        );
        ok = false;
    }
    if let Some(t) = transitional {
        if !(0x1000..=0x103F).contains(&t) || virtio_type.is_none() {
            c.error_at_value(
                &child(p, "pci_device_id_transitional"),
                format!("0x{t:04X} is not a transitional virtio device ID (0x1000-0x103F) of a virtio device"),
            );
            ok = false;
        }
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (ip, h) in &hwids {
        if !seen.insert(h.to_ascii_uppercase()) {
            c.error_at_value(ip, format!("hardware ID `{h}` is listed twice"));
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
        virtio_device_type: virtio_type,
        driver_binary: None,
    })
}
