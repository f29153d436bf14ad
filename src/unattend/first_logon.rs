//! The first-logon provisioning script (`first_logon.ps1`): drivers after Setup, guest agent,
//! OpenSSH server, authorized keys and the user's commands, each a logged step, stopping at
//! the first failure, and ending with automatic logon turned off.
//!
//! The script runs from the unattend media (see [`super::first_logon_command_line`]) on any
//! Windows from 7 on, so it keeps to PowerShell 2.0 ([`super::ps2_problems`] checks it). What
//! it does, in order:
//! 1. stop at once (exit 0) if the done marker exists, so a second run changes nothing;
//! 2. verify the SHA-256 of every installer it will use before it changes anything;
//! 3. install each driver folder of [`AfterSetup::drivers`] with `pnputil -i -a` (vioserial,
//!    the guest agent's channel, first);
//! 4. install the guest agent MSI (`msiexec /i /qn /norestart`, exit code 0 or 3010);
//! 5. install OpenSSH server from an MSI, or from a ZIP (expanded synchronously to
//!    `%ProgramFiles%\OpenSSH` by the script's own reader, then its `install-sshd.ps1`), or
//!    check the server Windows ships ([`AfterSetup::builtin_sshd`]); open TCP 22 in the
//!    firewall with netsh, and start `sshd` automatically;
//! 6. write `%ProgramData%\ssh\administrators_authorized_keys`, readable only by
//!    Administrators and SYSTEM (as sshd demands);
//! 7. run each extra command with `cmd.exe /d /s /c`, requiring exit code 0;
//! 8. turn automatic logon off and clear the stored password (Winlogon values and the LSA
//!    secret `DefaultPassword`), which a failing step also does before it exits;
//! 9. write the done marker.
//!
//! Every step is logged with its outcome to the log file (default
//! `%SystemRoot%\Temp\aero-first-logon.log`, i.e. `C:\Windows\Temp\aero-first-logon.log`), and
//! the first failure ends the script with exit code 1. Paths may use `%VAR%` references; they
//! are expanded in the guest.

use std::fmt::Write as _;

use super::xml::{required_value_problem, value_problem};
use crate::error::{Error, Result};
use crate::policy;

/// Default log file, expanded in the guest.
pub const DEFAULT_LOG_PATH: &str = r"%SystemRoot%\Temp\aero-first-logon.log";

/// Default done-marker file, expanded in the guest.
pub const DEFAULT_DONE_MARKER: &str = r"%SystemRoot%\Temp\aero-first-logon.done";

/// A file on the unattend media with the SHA-256 it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Path relative to the media root, `/` or `\` separated (`qemu-ga-x86_64.msi`).
    pub file_name: String,
    /// Expected SHA-256, 64 hex digits.
    pub sha256: String,
}

impl MediaFile {
    /// A media file with its expected hash.
    pub fn new(file_name: impl Into<String>, sha256: impl Into<String>) -> Self {
        MediaFile {
            file_name: file_name.into(),
            sha256: sha256.into(),
        }
    }

    /// The media file at `file_name` whose bytes are `source`, hashed now (the script checks
    /// the same hash in the guest before running it).
    pub fn of_source(file_name: impl Into<String>, source: &crate::media::Source) -> Result<Self> {
        let (sha, _) = crate::hash::sha256_reader(source.open()?)
            .map_err(|e| Error::invalid(format!("cannot read {}: {e}", source.describe())))?;
        Ok(MediaFile::new(file_name, sha))
    }
}

/// How the OpenSSH server package is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenSshKind {
    /// A Windows Installer package (`OpenSSH-Win64-v*.msi`).
    Msi,
    /// A ZIP with `install-sshd.ps1` (`OpenSSH-Win64.zip`).
    Zip,
}

impl OpenSshKind {
    /// Parse `msi` / `zip` (case-insensitive).
    pub fn parse(s: &str) -> Option<OpenSshKind> {
        match s.to_ascii_lowercase().as_str() {
            "msi" => Some(OpenSshKind::Msi),
            "zip" => Some(OpenSshKind::Zip),
            _ => None,
        }
    }

    /// The kind a package file name implies by its extension, if it names one.
    pub fn from_file_name(name: &str) -> Option<OpenSshKind> {
        let lower = name.to_ascii_lowercase();
        [OpenSshKind::Msi, OpenSshKind::Zip]
            .into_iter()
            .find(|k| lower.ends_with(k.extension()))
    }

    fn extension(self) -> &'static str {
        match self {
            OpenSshKind::Msi => ".msi",
            OpenSshKind::Zip => ".zip",
        }
    }
}

/// The OpenSSH server package on the media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSsh {
    /// The package file and its hash.
    pub file: MediaFile,
    /// MSI or ZIP.
    pub kind: OpenSshKind,
}

impl OpenSsh {
    /// The OpenSSH package `file_name` on the media, with its hash and kind.
    pub fn new(file_name: impl Into<String>, sha256: impl Into<String>, kind: OpenSshKind) -> Self {
        OpenSsh {
            file: MediaFile::new(file_name, sha256),
            kind,
        }
    }
}

/// A driver folder on the media, installed at first logon with pnputil (every `.inf` in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDriver {
    /// The driver's name, for the log (`vioserial`).
    pub name: String,
    /// Its folder relative to the media root, `/` or `\` separated (`drivers/vioserial`).
    pub dir: String,
}

impl MediaDriver {
    /// The driver `name` in the media folder `dir`.
    pub fn new(name: impl Into<String>, dir: impl Into<String>) -> Self {
        MediaDriver {
            name: name.into(),
            dir: dir.into(),
        }
    }
}

/// What first logon does besides [`FirstLogon`]'s installers, keys and commands: drivers
/// after Setup and the OpenSSH server Windows ships. Given to [`FirstLogon::render_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AfterSetup {
    /// Driver folders installed with pnputil before anything else, in order (the guest
    /// agent's vioserial first).
    pub drivers: Vec<MediaDriver>,
    /// Enable the OpenSSH server that comes with Windows (Server 2025) when no package is
    /// given: the service is checked, set to start automatically, started, TCP 22 opened.
    pub builtin_sshd: bool,
}

/// Everything `first_logon.ps1` does; build with `FirstLogon::default()`, set fields, render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstLogon {
    /// The guest agent MSI on the media, if any.
    pub guest_agent: Option<MediaFile>,
    /// The OpenSSH server package on the media, if any.
    pub openssh: Option<OpenSsh>,
    /// Public keys written to `administrators_authorized_keys`, one line each.
    pub authorized_keys: Vec<String>,
    /// `cmd.exe` command lines run last, in order, each its own step.
    pub extra_commands: Vec<String>,
    /// Log file in the guest.
    pub log_path: String,
    /// File written when every step succeeded.
    pub done_marker: String,
}

impl Default for FirstLogon {
    fn default() -> Self {
        FirstLogon {
            guest_agent: None,
            openssh: None,
            authorized_keys: Vec::new(),
            extra_commands: Vec::new(),
            log_path: DEFAULT_LOG_PATH.into(),
            done_marker: DEFAULT_DONE_MARKER.into(),
        }
    }
}

const KEY_TYPES: [&str; 8] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

impl FirstLogon {
    /// Every problem with the model, each naming its field; empty when it can be rendered.
    pub fn problems(&self) -> Vec<Error> {
        self.problems_with(&AfterSetup::default())
    }

    /// Every problem with the model and `after`, each naming its field.
    pub fn problems_with(&self, after: &AfterSetup) -> Vec<Error> {
        let mut out = Vec::new();
        for (i, d) in after.drivers.iter().enumerate() {
            out.extend(required_value_problem(
                &format!("drivers[{i}] name"),
                &d.name,
            ));
            let unix = d.dir.replace('\\', "/");
            if let Some(p) = policy::windows_path_problem(&unix) {
                out.push(Error::invalid(format!(
                    "drivers[{i}] folder `{}`: {p}",
                    d.dir.escape_debug()
                )));
            } else if unix.contains(':') || unix.starts_with('/') {
                out.push(Error::invalid(format!(
                    "drivers[{i}] folder `{}` must be relative to the media root",
                    d.dir.escape_debug()
                )));
            }
        }
        if !self.authorized_keys.is_empty() && self.openssh.is_none() && !after.builtin_sshd {
            out.push(
                Error::invalid(
                    "authorized_keys are written but nothing installs or enables an OpenSSH server",
                )
                .with_help("give `openssh` (the Win32-OpenSSH .msi or .zip); of the supported versions only Windows Server 2025 ships a server"),
            );
        }
        if let Some(agent) = &self.guest_agent {
            media_file_problems("guest_agent", agent, ".msi", &mut out);
        }
        if let Some(ssh) = &self.openssh {
            media_file_problems("openssh", &ssh.file, ssh.kind.extension(), &mut out);
        }
        for (i, key) in self.authorized_keys.iter().enumerate() {
            if let Some(p) = key_problem(key) {
                out.push(Error::invalid(format!("authorized_keys[{i}] {p}")).with_help(
                    "give one OpenSSH public key per entry, e.g. the line of ~/.ssh/id_ed25519.pub",
                ));
            }
        }
        for (i, cmd) in self.extra_commands.iter().enumerate() {
            out.extend(required_value_problem(&format!("extra_commands[{i}]"), cmd));
        }
        guest_path_problems("log_path", &self.log_path, &mut out);
        guest_path_problems("done_marker", &self.done_marker, &mut out);
        out
    }

    /// `Ok` when the model can be rendered, else one error listing every problem.
    pub fn validate(&self) -> Result<()> {
        super::validated("the first-logon script", self.problems())
    }

    /// The script text (LF line endings, deterministic), with no drivers after Setup and no
    /// built-in server. Write [`FirstLogon::render_bytes`] to the media: PowerShell 2.0 needs
    /// the BOM to read non-ASCII text as UTF-8.
    pub fn render(&self) -> Result<String> {
        self.render_with(&AfterSetup::default())
    }

    /// The script text with the drivers and built-in server of `after`.
    pub fn render_with(&self, after: &AfterSetup) -> Result<String> {
        super::validated("the first-logon script", self.problems_with(after))?;
        let mut s = String::new();
        s.push_str(PRELUDE);
        let _ = writeln!(
            s,
            "$LogPath = Expand-GuestPath {}",
            ps_quote(&self.log_path)
        );
        let _ = writeln!(
            s,
            "$DoneMarker = Expand-GuestPath {}",
            ps_quote(&self.done_marker)
        );
        s.push_str(START);

        let mut to_verify: Vec<&MediaFile> = Vec::new();
        to_verify.extend(self.guest_agent.iter());
        to_verify.extend(self.openssh.iter().map(|o| &o.file));
        if !to_verify.is_empty() {
            s.push_str("\nInvoke-Step 'verify SHA-256 of the installers on the media' {\n");
            for f in &to_verify {
                let _ = writeln!(
                    s,
                    "    Assert-Sha256 (Join-Path $MediaRoot {}) {}",
                    ps_quote(&media_path(&f.file_name)),
                    ps_quote(&f.sha256.to_ascii_lowercase())
                );
            }
            s.push_str("}\n");
        }

        for d in &after.drivers {
            let _ = write!(
                s,
                "\nInvoke-Step {} {{\n    Install-DriverFolder (Join-Path $MediaRoot {})\n}}\n",
                ps_quote(&format!("install driver {} (pnputil)", d.name)),
                ps_quote(&media_path(&d.dir))
            );
        }

        if let Some(agent) = &self.guest_agent {
            let _ = write!(
                s,
                "\nInvoke-Step 'install the guest agent' {{\n    Install-Msi (Join-Path $MediaRoot {})\n}}\n",
                ps_quote(&media_path(&agent.file_name))
            );
        }

        if let Some(ssh) = &self.openssh {
            let path = ps_quote(&media_path(&ssh.file.file_name));
            match ssh.kind {
                OpenSshKind::Msi => {
                    let _ = write!(
                        s,
                        "\nInvoke-Step 'install OpenSSH server (MSI)' {{\n    Install-Msi (Join-Path $MediaRoot {path})\n}}\n"
                    );
                }
                OpenSshKind::Zip => {
                    let _ = write!(
                        s,
                        "\nInvoke-Step 'install OpenSSH server (ZIP)' {{\n    Install-OpenSshZip (Join-Path $MediaRoot {path})\n}}\n"
                    );
                }
            }
            s.push_str(OPENSSH_SERVICE);
        } else if after.builtin_sshd && !self.authorized_keys.is_empty() {
            s.push_str("\nInvoke-Step 'check the OpenSSH server shipped with Windows' {\n    Assert-BuiltinSshd\n}\n");
            s.push_str(OPENSSH_SERVICE);
        }

        if !self.authorized_keys.is_empty() {
            s.push_str("\nInvoke-Step 'write administrators_authorized_keys' {\n    Write-AuthorizedKeys @(\n");
            for (i, key) in self.authorized_keys.iter().enumerate() {
                let comma = if i + 1 < self.authorized_keys.len() {
                    ","
                } else {
                    ""
                };
                let _ = writeln!(s, "        {}{comma}", ps_quote(key.trim()));
            }
            s.push_str("    )\n}\n");
        }

        let n = self.extra_commands.len();
        for (i, cmd) in self.extra_commands.iter().enumerate() {
            let _ = write!(
                s,
                "\nInvoke-Step 'extra command {} of {n}' {{\n    Invoke-CommandLine {}\n}}\n",
                i + 1,
                ps_quote(cmd)
            );
        }

        s.push_str(FINISH);
        Ok(s)
    }

    /// The script as the bytes to put on the media: UTF-8 with a byte-order mark.
    pub fn render_bytes(&self) -> Result<Vec<u8>> {
        self.render_bytes_with(&AfterSetup::default())
    }

    /// [`FirstLogon::render_with`] as the bytes to put on the media (UTF-8 with a BOM).
    pub fn render_bytes_with(&self, after: &AfterSetup) -> Result<Vec<u8>> {
        let text = self.render_with(after)?;
        let mut bytes = Vec::with_capacity(text.len() + 3);
        bytes.extend_from_slice("\u{feff}".as_bytes());
        bytes.extend_from_slice(text.as_bytes());
        Ok(bytes)
    }
}

/// `value` as a PowerShell single-quoted string: nothing inside is expanded, and every quote
/// character PowerShell treats as a single quote (`'` and the typographic ‘ ’ ‚ ‛) is doubled.
pub fn ps_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A media-relative path with Windows separators.
fn media_path(file_name: &str) -> String {
    file_name.replace('/', "\\")
}

fn media_file_problems(field: &str, f: &MediaFile, extension: &str, out: &mut Vec<Error>) {
    let unix = f.file_name.replace('\\', "/");
    if let Some(p) = policy::windows_path_problem(&unix) {
        out.push(Error::invalid(format!(
            "{field} file `{}`: {p}",
            f.file_name.escape_debug()
        )));
    } else if unix.contains(':') || unix.starts_with('/') {
        out.push(Error::invalid(format!(
            "{field} file `{}` must be relative to the media root",
            f.file_name.escape_debug()
        )));
    }
    if !f.file_name.to_ascii_lowercase().ends_with(extension) {
        out.push(Error::invalid(format!(
            "{field} file `{}` does not end in `{extension}`",
            f.file_name.escape_debug()
        )));
    }
    if f.sha256.len() != 64 || !f.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        out.push(
            Error::invalid(format!(
                "{field} sha256 `{}` is not 64 hex digits",
                f.sha256.escape_debug()
            ))
            .with_help("give the SHA-256 of the file, as `sha256sum` prints it"),
        );
    }
}

fn key_problem(key: &str) -> Option<String> {
    if let Some(p) = value_problem(key) {
        return Some(p);
    }
    let words: Vec<&str> = key.split_whitespace().collect();
    let typed = words.windows(2).any(|w| {
        KEY_TYPES.contains(&w[0])
            && w[1].len() >= 16
            && w[1]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
    });
    if typed {
        None
    } else {
        Some(format!(
            "`{}` is not an OpenSSH public key (`<type> <base64> [comment]`)",
            shorten(key)
        ))
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn guest_path_problems(field: &str, path: &str, out: &mut Vec<Error>) {
    if let Some(e) = required_value_problem(field, path) {
        out.push(e);
    } else if let Some(c) = path
        .chars()
        .find(|c| matches!(c, '"' | '<' | '>' | '|' | '?' | '*'))
    {
        out.push(Error::invalid(format!(
            "{field} `{path}` contains `{c}`, which Windows does not allow in paths"
        )));
    }
}

/// Functions every script starts with. PowerShell 2.0 only: no Get-FileHash, no ::new(),
/// no $PSScriptRoot, no -in; processes are started through .NET so exit codes are exact.
const PRELUDE: &str = r#"# first_logon.ps1: generated by aero-recipe. Runs once at the first automatic logon,
# from the unattend media. Each step is logged; the first failure stops the script (exit 1).
# Compatible with PowerShell 2.0.
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$MediaRoot = Split-Path -Parent $MyInvocation.MyCommand.Path

function Expand-GuestPath([string]$Path) {
    return [System.Environment]::ExpandEnvironmentVariables($Path)
}

function Write-Log([string]$Message) {
    $line = (Get-Date -Format 'yyyy-MM-dd HH:mm:ss') + ' ' + $Message
    Write-Host $line
    [System.IO.File]::AppendAllText($LogPath, $line + "`r`n")
}

function Invoke-Step([string]$Name, [scriptblock]$Action) {
    Write-Log ('BEGIN ' + $Name)
    try {
        & $Action
    } catch {
        Write-Log ('FAILED ' + $Name + ': ' + $_.Exception.Message)
        # Never leave the account logging on by itself with its password stored.
        try {
            Clear-AutoLogon
            Write-Log 'automatic logon turned off, stored password cleared'
        } catch {
            Write-Log ('could not turn off automatic logon: ' + $_.Exception.Message)
        }
        exit 1
    }
    Write-Log ('OK ' + $Name)
}

function Invoke-Program([string]$FilePath, [string]$Arguments) {
    Write-Log ('  run: ' + $FilePath + ' ' + $Arguments)
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $FilePath
    $info.Arguments = $Arguments
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $process.WaitForExit()
    $code = $process.ExitCode
    Write-Log ('  exit code: ' + $code)
    return $code
}

function Get-Sha256([string]$Path) {
    $sha = [System.Security.Cryptography.SHA256]::Create()
    $stream = [System.IO.File]::OpenRead($Path)
    try {
        $digest = $sha.ComputeHash($stream)
    } finally {
        $stream.Close()
    }
    $hex = New-Object System.Text.StringBuilder
    foreach ($b in $digest) {
        [void]$hex.Append($b.ToString('x2'))
    }
    return $hex.ToString()
}

function Assert-Sha256([string]$Path, [string]$Expected) {
    if (-not (Test-Path -LiteralPath $Path)) {
        throw ('missing on the media: ' + $Path)
    }
    $actual = Get-Sha256 $Path
    if ($actual -ne $Expected) {
        throw ('SHA-256 mismatch for ' + $Path + ': expected ' + $Expected + ', found ' + $actual)
    }
    Write-Log ('  sha256 ok: ' + $Path)
}

function Install-Msi([string]$Path) {
    $msiLog = $LogPath + '.' + [System.IO.Path]::GetFileNameWithoutExtension($Path) + '.msi.log'
    $code = Invoke-Program 'msiexec.exe' ('/i "' + $Path + '" /qn /norestart /l*v "' + $msiLog + '"')
    if ($code -eq 3010) {
        Write-Log '  installed; Windows wants a restart (3010)'
    } elseif ($code -ne 0) {
        throw ('msiexec failed with exit code ' + $code + '; see ' + $msiLog)
    }
}

function Expand-Zip([string]$ZipPath, [string]$Destination) {
    # A ZIP reader on .NET 2.0's DeflateStream, so expansion is finished when this returns:
    # Shell.Application's CopyHere returns before its copy is done, and
    # [IO.Compression.ZipFile] needs .NET 4.5, which PowerShell 2.0 cannot load.
    # Sizes and offsets come from the central directory (right even with data descriptors).
    $bytes = [System.IO.File]::ReadAllBytes($ZipPath)
    $eocd = -1
    $lowest = [Math]::Max(0, $bytes.Length - 65557)
    for ($i = $bytes.Length - 22; $i -ge $lowest; $i--) {
        if ([BitConverter]::ToUInt32($bytes, $i) -eq 0x06054b50) {
            $eocd = $i
            break
        }
    }
    if ($eocd -lt 0) {
        throw ('not a ZIP file: ' + $ZipPath)
    }
    $count = [int][BitConverter]::ToUInt16($bytes, $eocd + 10)
    $at = [int][BitConverter]::ToUInt32($bytes, $eocd + 16)
    if (-not (Test-Path -LiteralPath $Destination)) {
        [void](New-Item -ItemType Directory -Path $Destination -Force)
    }
    $root = [System.IO.Path]::GetFullPath($Destination).TrimEnd('\')
    $written = 0
    for ($n = 0; $n -lt $count; $n++) {
        if ([BitConverter]::ToUInt32($bytes, $at) -ne 0x02014b50) {
            throw ('corrupt ZIP central directory in ' + $ZipPath)
        }
        $method = [int][BitConverter]::ToUInt16($bytes, $at + 10)
        $packed = [int][BitConverter]::ToUInt32($bytes, $at + 20)
        $size = [long][BitConverter]::ToUInt32($bytes, $at + 24)
        $nameLength = [int][BitConverter]::ToUInt16($bytes, $at + 28)
        $skip = [int][BitConverter]::ToUInt16($bytes, $at + 30) + [int][BitConverter]::ToUInt16($bytes, $at + 32)
        $local = [int][BitConverter]::ToUInt32($bytes, $at + 42)
        $name = [System.Text.Encoding]::UTF8.GetString($bytes, $at + 46, $nameLength)
        $at = $at + 46 + $nameLength + $skip
        $target = [System.IO.Path]::GetFullPath((Join-Path $root ($name.Replace('/', '\'))))
        if (-not $target.StartsWith($root + '\', [System.StringComparison]::OrdinalIgnoreCase)) {
            throw ('ZIP entry outside the destination: ' + $name)
        }
        if ($name.EndsWith('/')) {
            [void](New-Item -ItemType Directory -Path $target -Force)
            continue
        }
        $parent = Split-Path -Parent $target
        if (-not (Test-Path -LiteralPath $parent)) {
            [void](New-Item -ItemType Directory -Path $parent -Force)
        }
        if ([BitConverter]::ToUInt32($bytes, $local) -ne 0x04034b50) {
            throw ('corrupt ZIP local header for ' + $name)
        }
        $data = $local + 30 + [int][BitConverter]::ToUInt16($bytes, $local + 26) + [int][BitConverter]::ToUInt16($bytes, $local + 28)
        $out = [System.IO.File]::Create($target)
        try {
            if ($method -eq 0) {
                $out.Write($bytes, $data, $packed)
            } elseif ($method -eq 8) {
                $in = New-Object System.IO.MemoryStream -ArgumentList $bytes, $data, $packed
                $inflate = New-Object System.IO.Compression.DeflateStream -ArgumentList $in, ([System.IO.Compression.CompressionMode]::Decompress)
                $buffer = New-Object byte[] 65536
                $read = $inflate.Read($buffer, 0, $buffer.Length)
                while ($read -gt 0) {
                    $out.Write($buffer, 0, $read)
                    $read = $inflate.Read($buffer, 0, $buffer.Length)
                }
                $inflate.Close()
            } else {
                throw ('ZIP entry ' + $name + ' uses compression method ' + $method + '; only stored and deflated entries are read')
            }
            if ($out.Length -ne $size) {
                throw ('ZIP entry ' + $name + ': expected ' + $size + ' bytes, got ' + $out.Length)
            }
        } finally {
            $out.Close()
        }
        $written++
    }
    Write-Log ('  expanded ' + $written + ' files to ' + $root)
}

function Install-OpenSshZip([string]$ZipPath) {
    $dest = Join-Path $env:ProgramFiles 'OpenSSH'
    Expand-Zip $ZipPath $dest
    $installer = Get-ChildItem -Path $dest -Recurse -Filter 'install-sshd.ps1' | Select-Object -First 1
    if ($installer -eq $null) {
        throw ('install-sshd.ps1 not found after expanding ' + $ZipPath + ' to ' + $dest)
    }
    $powershell = Join-Path $PSHOME 'powershell.exe'
    $code = Invoke-Program $powershell ('-NoProfile -ExecutionPolicy Bypass -File "' + $installer.FullName + '"')
    if ($code -ne 0) {
        throw ('install-sshd.ps1 failed with exit code ' + $code)
    }
}

function Assert-BuiltinSshd {
    if ((Get-Service -Name 'sshd' -ErrorAction SilentlyContinue) -eq $null) {
        throw 'this Windows has no sshd service; put an OpenSSH package on the media (the openssh parameter)'
    }
}

function Install-DriverFolder([string]$Folder) {
    $infs = @(Get-ChildItem -LiteralPath $Folder -Filter '*.inf' | Sort-Object Name)
    if ($infs.Count -eq 0) {
        throw ('no .inf file in ' + $Folder)
    }
    foreach ($inf in $infs) {
        # -i -a (add to the driver store, install on matching devices) is the syntax every
        # pnputil from Windows 7 on accepts.
        $code = Invoke-Program 'pnputil.exe' ('-i -a "' + $inf.FullName + '"')
        if ($code -eq 3010) {
            Write-Log '  installed; Windows wants a restart (3010)'
        } elseif ($code -eq 259) {
            Write-Log '  added to the driver store; no device uses it now (259)'
        } elseif ($code -ne 0) {
            throw ('pnputil failed with exit code ' + $code + ' for ' + $inf.FullName)
        }
    }
}

# Windows Setup keeps the AutoLogon password as the LSA secret DefaultPassword (older
# releases in the Winlogon key); storing nothing under that name deletes the secret.
$LsaSecretSource = @'
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
namespace AeroRecipe {
    public static class LsaSecret {
        [StructLayout(LayoutKind.Sequential)]
        struct UnicodeString { public ushort Length; public ushort MaximumLength; public IntPtr Buffer; }
        [StructLayout(LayoutKind.Sequential)]
        struct ObjectAttributes { public int Length; public IntPtr RootDirectory; public IntPtr ObjectName; public uint Attributes; public IntPtr SecurityDescriptor; public IntPtr SecurityQualityOfService; }
        [DllImport("advapi32.dll")]
        static extern uint LsaOpenPolicy(IntPtr systemName, ref ObjectAttributes attributes, uint access, out IntPtr policy);
        [DllImport("advapi32.dll")]
        static extern uint LsaStorePrivateData(IntPtr policy, ref UnicodeString keyName, IntPtr privateData);
        [DllImport("advapi32.dll")]
        static extern int LsaNtStatusToWinError(uint status);
        [DllImport("advapi32.dll")]
        static extern uint LsaClose(IntPtr policy);
        public static void Delete(string name) {
            ObjectAttributes attributes = new ObjectAttributes();
            attributes.Length = Marshal.SizeOf(typeof(ObjectAttributes));
            IntPtr policy;
            uint status = LsaOpenPolicy(IntPtr.Zero, ref attributes, 0x000F0FFF, out policy);
            if (status != 0) { throw new Win32Exception(LsaNtStatusToWinError(status)); }
            IntPtr buffer = Marshal.StringToHGlobalUni(name);
            try {
                UnicodeString key = new UnicodeString();
                key.Buffer = buffer;
                key.Length = (ushort)(name.Length * 2);
                key.MaximumLength = (ushort)((name.Length + 1) * 2);
                status = LsaStorePrivateData(policy, ref key, IntPtr.Zero);
                // 0xC0000034, STATUS_OBJECT_NAME_NOT_FOUND: no secret, nothing to delete.
                if (status != 0 && status != 0xC0000034) { throw new Win32Exception(LsaNtStatusToWinError(status)); }
            } finally {
                Marshal.FreeHGlobal(buffer);
                LsaClose(policy);
            }
        }
    }
}
'@

function Clear-AutoLogon {
    $winlogon = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'
    foreach ($value in @('DefaultPassword', 'AutoLogonCount')) {
        if ((Get-ItemProperty -Path $winlogon -Name $value -ErrorAction SilentlyContinue) -ne $null) {
            Remove-ItemProperty -Path $winlogon -Name $value
        }
    }
    if (-not ('AeroRecipe.LsaSecret' -as [type])) {
        Add-Type -TypeDefinition $LsaSecretSource
    }
    [AeroRecipe.LsaSecret]::Delete('DefaultPassword')
}

function Write-AuthorizedKeys([string[]]$Keys) {
    $dir = Join-Path $env:ProgramData 'ssh'
    if (-not (Test-Path -LiteralPath $dir)) {
        [void](New-Item -ItemType Directory -Path $dir -Force)
    }
    $file = Join-Path $dir 'administrators_authorized_keys'
    $text = [string]::Join("`r`n", $Keys) + "`r`n"
    [System.IO.File]::WriteAllText($file, $text, (New-Object System.Text.UTF8Encoding $false))
    # sshd ignores the file unless only Administrators (S-1-5-32-544) and SYSTEM (S-1-5-18)
    # may write it; SIDs keep this independent of the display language.
    $code = Invoke-Program 'icacls.exe' ('"' + $file + '" /inheritance:r /grant *S-1-5-32-544:F /grant *S-1-5-18:F')
    if ($code -ne 0) {
        throw ('icacls failed with exit code ' + $code)
    }
}

function Invoke-CommandLine([string]$CommandLine) {
    $code = Invoke-Program 'cmd.exe' ('/d /s /c "' + $CommandLine + '"')
    if ($code -ne 0) {
        throw ('command failed with exit code ' + $code)
    }
}

"#;

/// After `$LogPath` and `$DoneMarker` are set: make the log folder, honour the done marker.
const START: &str = r#"
$logDir = Split-Path -Parent $LogPath
if ($logDir -and -not (Test-Path -LiteralPath $logDir)) {
    [void](New-Item -ItemType Directory -Path $logDir -Force)
}
if (Test-Path -LiteralPath $DoneMarker) {
    Write-Log ('already provisioned (' + $DoneMarker + ' exists); nothing to do')
    exit 0
}
Write-Log ('first-logon provisioning from ' + $MediaRoot)
"#;

/// After the OpenSSH package is installed: firewall and service.
const OPENSSH_SERVICE: &str = r#"
Invoke-Step 'open TCP port 22 for sshd' {
    $code = Invoke-Program 'netsh.exe' 'advfirewall firewall show rule name="aero-recipe OpenSSH Server (sshd)"'
    if ($code -ne 0) {
        $code = Invoke-Program 'netsh.exe' 'advfirewall firewall add rule name="aero-recipe OpenSSH Server (sshd)" dir=in action=allow protocol=TCP localport=22'
        if ($code -ne 0) {
            throw ('netsh failed with exit code ' + $code)
        }
    }
}

Invoke-Step 'start sshd automatically' {
    Set-Service -Name 'sshd' -StartupType Automatic
    Start-Service -Name 'sshd'
}
"#;

/// Autologon off, the stored password gone, the done marker and a clean exit.
const FINISH: &str = r#"
Invoke-Step 'turn off automatic logon and clear the stored password' {
    Clear-AutoLogon
}

Invoke-Step 'write the done marker' {
    [System.IO.File]::WriteAllText($DoneMarker, "done`r`n")
}
Write-Log 'first-logon provisioning finished'
exit 0
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_every_single_quote_kind() {
        assert_eq!(ps_quote("it's"), "'it''s'");
        assert_eq!(ps_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(ps_quote("$env:x `n"), "'$env:x `n'");
    }

    #[test]
    fn openssh_kind_from_names() {
        assert_eq!(OpenSshKind::parse("ZIP"), Some(OpenSshKind::Zip));
        assert_eq!(
            OpenSshKind::from_file_name("OpenSSH-Win64-v9.8.msi"),
            Some(OpenSshKind::Msi)
        );
        assert_eq!(OpenSshKind::from_file_name("sshd.exe"), None);
    }

    #[test]
    fn minimal_script_is_ps2_clean() {
        let s = FirstLogon::default().render().unwrap();
        assert_eq!(super::super::ps2_problems(&s), Vec::<String>::new());
        assert!(s.contains("Set-StrictMode -Version 2.0"));
    }
}
