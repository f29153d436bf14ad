<#
  Aero Guest Tools: checks this Windows against the media it was installed from and writes
  report.json and report.txt. Started by verify.cmd; PowerShell 2.0 (Windows 7) and later.

  Checks: media integrity (manifest.json), architecture, the driver packages setup.cmd
  installed and the devices bound to them, the boot-critical storage pre-seed, signature mode
  (test signing) and certificates against the media's signing policy.

  Exit code: 0 every check passed, 1 warnings only, 2 at least one check failed.

  Keep to PowerShell 2.0 on .NET 2.0: no ConvertTo-Json, [ordered], [pscustomobject],
  $PSScriptRoot, -in, Get-CimInstance, ::new(). The project's tests check this statically.
#>
param(
    [string]$OutDir = '',
    [switch]$SkipHashes
)

$ErrorActionPreference = 'Stop'
$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Path
$StateDir = Join-Path $env:SystemDrive 'AeroGuestTools'
if (-not $OutDir) { $OutDir = $StateDir }

$Checks = New-Object System.Collections.ArrayList

function Add-Check {
    param([string]$Id, [string]$Title, [string]$Status, [string]$Summary, $Details)
    $list = New-Object System.Collections.ArrayList
    if ($Details) { foreach ($d in $Details) { [void]$list.Add([string]$d) } }
    $check = @{ id = $Id; title = $Title; status = $Status; summary = $Summary; details = $list }
    [void]$Checks.Add($check)
}

# Worst of several statuses: fail > warn > pass.
function Get-Worst {
    param($Statuses)
    $worst = 'pass'
    foreach ($s in $Statuses) {
        if ($s -eq 'fail') { return 'fail' }
        if ($s -eq 'warn') { $worst = 'warn' }
    }
    return $worst
}

# Runs one check; an unexpected error fails that check instead of the whole report.
function Invoke-Check {
    param([string]$Id, [string]$Title, [scriptblock]$Body)
    try {
        & $Body
    } catch {
        Add-Check $Id $Title 'fail' ('the check itself failed: ' + $_.Exception.Message) @()
    }
}

# ---- small readers --------------------------------------------------------------------------

function ConvertFrom-JsonString {
    param([string]$Text)
    $sb = New-Object System.Text.StringBuilder
    $i = 0
    while ($i -lt $Text.Length) {
        $c = $Text[$i]
        if ($c -ne [char]'\' -or $i + 1 -ge $Text.Length) {
            [void]$sb.Append($c)
            $i++
            continue
        }
        $n = $Text[$i + 1]
        switch -CaseSensitive ([string]$n) {
            'n' { [void]$sb.Append("`n") }
            'r' { [void]$sb.Append("`r") }
            't' { [void]$sb.Append("`t") }
            'b' { [void]$sb.Append([char]8) }
            'f' { [void]$sb.Append([char]12) }
            'u' {
                $hex = $Text.Substring($i + 2, 4)
                [void]$sb.Append([char][Convert]::ToInt32($hex, 16))
                $i += 4
            }
            default { [void]$sb.Append($n) }
        }
        $i += 2
    }
    return $sb.ToString()
}

# manifest.json is written one key per line; read the fields we need without a JSON parser.
function Read-Manifest {
    param([string]$Path)
    $m = @{ policy = ''; certsRequired = $false; files = (New-Object System.Collections.ArrayList) }
    $inFiles = $false
    $cur = $null
    foreach ($line in [System.IO.File]::ReadAllLines($Path, [System.Text.Encoding]::UTF8)) {
        if (-not $inFiles) {
            if ($line -match '^\s*"signing_policy"\s*:\s*"(.*)"\s*,?\s*$') {
                $m.policy = ConvertFrom-JsonString $matches[1]
            } elseif ($line -match '^\s*"certs_required"\s*:\s*(true|false)') {
                $m.certsRequired = ($matches[1] -eq 'true')
            } elseif ($line -match '^\s*"files"\s*:\s*\[\s*(\])?') {
                if (-not $matches[1]) { $inFiles = $true }
            }
            continue
        }
        if ($line -match '^\s*\]') { $inFiles = $false; continue }
        if ($line -match '^\s*\{') { $cur = @{ path = $null; sha256 = $null; size = $null }; continue }
        if ($line -match '^\s*\}') {
            if ($cur -and $cur.path) { [void]$m.files.Add($cur) }
            $cur = $null
            continue
        }
        if ($cur -and $line -match '^\s*"(path|sha256|size)"\s*:\s*(.*?)\s*,?\s*$') {
            $key = $matches[1]
            $value = $matches[2]
            if ($value -match '^"(.*)"$') { $value = ConvertFrom-JsonString $matches[1] }
            $cur[$key] = $value
        }
    }
    switch ($m.policy.ToLower()) {
        'testsigning' { $m.policy = 'test' }
        'test-signing' { $m.policy = 'test' }
        'prod' { $m.policy = 'production' }
        'whql' { $m.policy = 'production' }
        'nointegritychecks' { $m.policy = 'none' }
    }
    return $m
}

# config\devices.cmd: set "AERO_X_SERVICE=name" and set AERO_X_HWIDS="id1" "id2".
function Read-DevicesCmd {
    param([string]$Path)
    $vars = @{}
    if (-not (Test-Path -LiteralPath $Path)) { return $vars }
    foreach ($line in [System.IO.File]::ReadAllLines($Path)) {
        if ($line -match '^\s*set\s+"([A-Za-z0-9_]+)=(.*)"\s*$') {
            $vars[$matches[1]] = $matches[2]
        } elseif ($line -match '^\s*set\s+([A-Za-z0-9_]+)=(.*)$') {
            $vars[$matches[1]] = $matches[2]
        }
    }
    return $vars
}

function Split-HwidList {
    param([string]$Value)
    $ids = @()
    if ($Value) {
        foreach ($m in [regex]::Matches($Value, '"([^"]+)"')) { $ids += $m.Groups[1].Value }
    }
    return $ids
}

# PCI\VEN_1AF4&DEV_1042&REV_01 -> PCI\VEN_1AF4&DEV_1042 (what every instance ID starts with).
function Get-HwidBase {
    param([string]$Id)
    if ($Id -match '^(PCI\\VEN_[0-9A-Fa-f]{4}&DEV_[0-9A-Fa-f]{4})') { return $matches[1] }
    return $Id
}

function Get-Sha256Hex {
    param([string]$Path)
    $sha = New-Object System.Security.Cryptography.SHA256Managed
    $stream = [System.IO.File]::OpenRead($Path)
    try { $bytes = $sha.ComputeHash($stream) } finally { $stream.Close() }
    return ([BitConverter]::ToString($bytes) -replace '-', '').ToLower()
}

function Read-StateLines {
    param([string]$Name)
    $p = Join-Path $StateDir $Name
    if (-not (Test-Path -LiteralPath $p)) { return $null }
    $lines = @()
    foreach ($l in [System.IO.File]::ReadAllLines($p)) { if ($l.Trim()) { $lines += $l.Trim() } }
    return ,$lines
}

# ---- facts about this machine and the media ---------------------------------------------------

$Arch = $env:PROCESSOR_ARCHITECTURE
if ($env:PROCESSOR_ARCHITEW6432) { $Arch = $env:PROCESSOR_ARCHITEW6432 }
$ArchDir = ''
switch ($Arch.ToUpper()) {
    'AMD64' { $ArchDir = 'amd64' }
    'X86' { $ArchDir = 'x86' }
    'ARM64' { $ArchDir = 'arm64' }
}
$OsVersion = [Environment]::OSVersion.Version
$IsWin7 = ($OsVersion.Major -eq 6 -and $OsVersion.Minor -eq 1)
$ManifestPath = Join-Path $ScriptDir 'manifest.json'
$Manifest = $null
if (Test-Path -LiteralPath $ManifestPath) { $Manifest = Read-Manifest $ManifestPath }
$Policy = 'unknown'
if ($Manifest -and $Manifest.policy) { $Policy = $Manifest.policy }
$Devices = Read-DevicesCmd (Join-Path $ScriptDir 'config\devices.cmd')

# ---- checks -------------------------------------------------------------------------------------

Invoke-Check 'media' 'Media integrity' {
    if (-not $Manifest) {
        Add-Check 'media' 'Media integrity' 'fail' 'manifest.json is missing from the media root' @()
        return
    }
    if ($SkipHashes) {
        Add-Check 'media' 'Media integrity' 'warn' 'skipped (-SkipHashes)' @()
        return
    }
    $bad = @()
    foreach ($f in $Manifest.files) {
        $p = Join-Path $ScriptDir ($f.path -replace '/', '\')
        if (-not (Test-Path -LiteralPath $p)) { $bad += "missing: $($f.path)"; continue }
        $size = (Get-Item -LiteralPath $p).Length
        if ([string]$size -ne [string]$f.size) {
            $bad += "size: $($f.path) is $size bytes, manifest says $($f.size)"
            continue
        }
        if ((Get-Sha256Hex $p) -ne ([string]$f.sha256).ToLower()) { $bad += "sha256: $($f.path)" }
    }
    $n = $Manifest.files.Count
    if ($n -eq 0) {
        Add-Check 'media' 'Media integrity' 'fail' 'manifest.json lists no files' @()
    } elseif ($bad.Count -gt 0) {
        Add-Check 'media' 'Media integrity' 'fail' "$($bad.Count) of $n files do not match manifest.json" $bad
    } else {
        Add-Check 'media' 'Media integrity' 'pass' "$n files match manifest.json" @()
    }
}

Invoke-Check 'arch' 'Architecture' {
    if (-not $ArchDir) {
        Add-Check 'arch' 'Architecture' 'fail' "unsupported processor architecture $Arch" @()
        return
    }
    $dir = Join-Path $ScriptDir "drivers\$ArchDir"
    if (Test-Path -LiteralPath $dir) {
        Add-Check 'arch' 'Architecture' 'pass' "$ArchDir; the media has drivers\$ArchDir" @()
    } else {
        Add-Check 'arch' 'Architecture' 'fail' "$ArchDir; the media has no drivers\$ArchDir" @()
    }
}

Invoke-Check 'packages' 'Installed driver packages' {
    $lines = Read-StateLines 'installed-packages.txt'
    if ($null -eq $lines) {
        Add-Check 'packages' 'Installed driver packages' 'warn' "no record in $StateDir (setup.cmd has not run here)" @()
        return
    }
    $details = @()
    $missing = 0
    $signed = @(Get-WmiObject Win32_PnPSignedDriver -ErrorAction SilentlyContinue)
    foreach ($l in $lines) {
        $parts = $l.Split(' ')
        $oem = $parts[0]
        $source = ''
        if ($parts.Count -ge 3) { $source = [string]::Join(' ', $parts[2..($parts.Count - 1)]) }
        if (-not (Test-Path -LiteralPath (Join-Path $env:SystemRoot "INF\$oem"))) {
            $details += "$oem ($source): missing from the driver store"
            $missing++
            continue
        }
        $bound = @()
        foreach ($d in $signed) {
            if ($d.InfName -and $d.InfName -eq $oem) { $bound += "$($d.DeviceName) [$($d.DeviceID)]" }
        }
        if ($bound.Count -gt 0) {
            $details += "$oem ($source): in use by " + [string]::Join('; ', $bound)
        } else {
            $details += "$oem ($source): in the driver store, no device uses it"
        }
    }
    if ($missing -gt 0) {
        Add-Check 'packages' 'Installed driver packages' 'fail' "$missing of $($lines.Count) recorded packages are missing" $details
    } else {
        Add-Check 'packages' 'Installed driver packages' 'pass' "$($lines.Count) packages in the driver store" $details
    }
}

Invoke-Check 'devices' 'Devices and their drivers' {
    $entities = @(Get-WmiObject Win32_PnPEntity -ErrorAction SilentlyContinue)
    $statuses = @()
    $details = @()
    foreach ($kind in @('VIRTIO_BLK', 'VIRTIO_NET', 'VIRTIO_INPUT', 'VIRTIO_SND', 'GPU')) {
        $service = $Devices["AERO_$($kind)_SERVICE"]
        $ids = @(Split-HwidList $Devices["AERO_$($kind)_HWIDS"])
        if (-not $service -or $ids.Count -eq 0) { continue }
        $bases = @()
        foreach ($id in $ids) { $b = Get-HwidBase $id; if ($bases -notcontains $b) { $bases += $b } }
        $found = @()
        foreach ($e in $entities) {
            if (-not $e.PNPDeviceID) { continue }
            foreach ($b in $bases) {
                if ($e.PNPDeviceID.StartsWith($b + '&', 'OrdinalIgnoreCase') -or
                    $e.PNPDeviceID.StartsWith($b + '\', 'OrdinalIgnoreCase')) { $found += $e; break }
            }
        }
        $critical = ($kind -eq 'VIRTIO_BLK' -or $kind -eq 'VIRTIO_NET')
        if ($found.Count -eq 0) {
            $details += "$kind ($service): no such device in this machine"
            continue
        }
        foreach ($e in $found) {
            $code = [int]$e.ConfigManagerErrorCode
            if ($code -eq 0 -and $e.Service -and $e.Service -eq $service) {
                $details += "$kind ($service): $($e.Name) works"
                $statuses += 'pass'
            } elseif ($code -eq 0) {
                $details += "$kind ($service): $($e.Name) works but is bound to service '$($e.Service)'"
                $statuses += 'warn'
            } else {
                $details += "$kind ($service): $($e.Name) has problem code $code"
                if ($critical) { $statuses += 'fail' } else { $statuses += 'warn' }
            }
        }
    }
    $status = Get-Worst $statuses
    $summary = 'every present device works with its driver'
    if ($status -eq 'warn') { $summary = 'some devices are not bound as expected' }
    if ($status -eq 'fail') { $summary = 'a storage or network device has a problem' }
    if ($statuses.Count -eq 0) { $summary = 'none of the contract devices is present' }
    Add-Check 'devices' 'Devices and their drivers' $status $summary $details
}

Invoke-Check 'storage' 'Boot-critical storage' {
    $service = $Devices['AERO_VIRTIO_BLK_SERVICE']
    if (-not $service) {
        Add-Check 'storage' 'Boot-critical storage' 'warn' 'config\devices.cmd names no storage service' @()
        return
    }
    $record = Read-StateLines 'storage-preseeded'
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$service"
    if (-not (Test-Path $key)) {
        if ($null -eq $record) {
            Add-Check 'storage' 'Boot-critical storage' 'warn' "$service is not set up; run setup.cmd (without /skipstorage) before switching the disk to virtio" @()
        } else {
            Add-Check 'storage' 'Boot-critical storage' 'fail' "setup.cmd pre-seeded $service but its service key is gone" @()
        }
        return
    }
    $v = Get-ItemProperty -Path $key
    $problems = @()
    $details = @()
    if ($v.Start -ne 0) { $problems += "Start is $($v.Start), must be 0 (boot)" }
    if ($v.Type -ne 1) { $problems += "Type is $($v.Type), must be 1 (kernel driver)" }
    $image = [string]$v.ImagePath
    $file = $image -replace '^\\SystemRoot\\', '' -replace '^%SystemRoot%\\', '' -replace '^\\\?\?\\', ''
    if (-not [System.IO.Path]::IsPathRooted($file)) { $file = Join-Path $env:SystemRoot $file }
    if (-not $image) {
        $problems += 'ImagePath is empty'
    } elseif (-not (Test-Path -LiteralPath $file)) {
        $problems += "ImagePath $image does not exist"
    } else {
        $details += "binary: $file"
    }
    if ($IsWin7) {
        # setup.cmd writes each hardware ID and its two mass-storage class-code forms.
        foreach ($hwid in @(Split-HwidList $Devices['AERO_VIRTIO_BLK_HWIDS'])) {
            foreach ($id in @($hwid, ($hwid + '&CC_010000'), ($hwid + '&CC_0100'))) {
                $cdd = 'HKLM:\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\' + ($id -replace '\\', '#')
                if (-not (Test-Path -LiteralPath $cdd)) {
                    $problems += "CriticalDeviceDatabase entry for $id is missing"
                    continue
                }
                $s = (Get-ItemProperty -LiteralPath $cdd).Service
                if ($s -ne $service) { $problems += "CriticalDeviceDatabase entry for $id points at '$s'" } else { $details += "CriticalDeviceDatabase: $id -> $service" }
            }
        }
    }
    if ($problems.Count -gt 0) {
        Add-Check 'storage' 'Boot-critical storage' 'fail' "$service cannot start at boot" ($problems + $details)
    } else {
        Add-Check 'storage' 'Boot-critical storage' 'pass' "$service is set to start at boot" $details
    }
}

Invoke-Check 'signing' 'Driver signature mode' {
    $bcdedit = Join-Path $env:SystemRoot 'System32\bcdedit.exe'
    # A native command's stderr must not become a terminating error here.
    $ErrorActionPreference = 'Continue'
    $out = @(& $bcdedit /enum '{current}' 2>&1)
    if ($LASTEXITCODE -ne 0) {
        Add-Check 'signing' 'Driver signature mode' 'warn' 'could not read the boot configuration (run verify.cmd as Administrator)' @()
        return
    }
    $testsigning = $false
    $noIntegrity = $false
    foreach ($l in $out) {
        $t = [string]$l
        if ($t -match '^\s*testsigning\s+(\S+)') { $testsigning = ($matches[1] -eq 'Yes') }
        if ($t -match '^\s*nointegritychecks\s+(\S+)') { $noIntegrity = ($matches[1] -eq 'Yes') }
    }
    $state = "test signing " + $(if ($testsigning) { 'on' } else { 'off' })
    if ($noIntegrity) { $state += ', integrity checks off' }
    $needs = ($Policy -eq 'test' -and $ArchDir -ne 'x86')
    if ($needs -and -not $testsigning -and -not $noIntegrity) {
        Add-Check 'signing' 'Driver signature mode' 'fail' "$state, but the media's test-signed drivers need it on (setup.cmd /testsigning, then restart)" @()
    } elseif (-not $needs -and $testsigning -and $Policy -ne 'test') {
        Add-Check 'signing' 'Driver signature mode' 'warn' "$state, which signing policy '$Policy' does not need" @()
    } else {
        Add-Check 'signing' 'Driver signature mode' 'pass' "$state (signing policy '$Policy')" @()
    }
}

Invoke-Check 'certs' 'Certificates' {
    $files = @()
    $certDir = Join-Path $ScriptDir 'certs'
    if (Test-Path -LiteralPath $certDir) {
        $files = @(Get-ChildItem -LiteralPath $certDir | Where-Object { -not $_.PSIsContainer -and ($_.Extension -eq '.cer' -or $_.Extension -eq '.crt' -or $_.Extension -eq '.p7b') })
    }
    if ($Policy -ne 'test') {
        if ($files.Count -gt 0) {
            Add-Check 'certs' 'Certificates' 'warn' "signing policy '$Policy' ships no certificate, yet certs\ has $($files.Count)" @()
        } else {
            Add-Check 'certs' 'Certificates' 'pass' "signing policy '$Policy' needs no certificate" @()
        }
        return
    }
    if ($files.Count -eq 0) {
        Add-Check 'certs' 'Certificates' 'fail' "signing policy 'test' but certs\ holds no certificate" @()
        return
    }
    $details = @()
    $missing = 0
    foreach ($f in $files) {
        $col = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
        $col.Import($f.FullName)
        foreach ($c in $col) {
            foreach ($store in @('Root', 'TrustedPublisher')) {
                if (Test-Path -LiteralPath "Cert:\LocalMachine\$store\$($c.Thumbprint)") {
                    $details += "$($f.Name) $($c.Thumbprint) in $store"
                } else {
                    $details += "$($f.Name) $($c.Thumbprint) NOT in $store"
                    $missing++
                }
            }
        }
    }
    if ($missing -gt 0) {
        Add-Check 'certs' 'Certificates' 'fail' "$missing certificate store entries are missing (setup.cmd installs them)" $details
    } else {
        Add-Check 'certs' 'Certificates' 'pass' 'the media certificates are trusted' $details
    }
}

# ---- report -------------------------------------------------------------------------------------

function ConvertTo-JsonString {
    param([string]$Text)
    $sb = New-Object System.Text.StringBuilder
    [void]$sb.Append('"')
    foreach ($c in $Text.ToCharArray()) {
        $code = [int]$c
        if ($c -eq [char]'"') { [void]$sb.Append('\"') }
        elseif ($c -eq [char]'\') { [void]$sb.Append('\\') }
        elseif ($code -lt 32 -or $code -gt 126) { [void]$sb.Append(('\u{0:x4}' -f $code)) }
        else { [void]$sb.Append($c) }
    }
    [void]$sb.Append('"')
    return $sb.ToString()
}

$statuses = @()
foreach ($c in $Checks) { $statuses += $c.status }
$Overall = Get-Worst $statuses
# 's' is the culture-independent sortable format (a culture may use another time separator).
$Generated = (Get-Date).ToUniversalTime().ToString('s') + 'Z'
$OsText = "$($OsVersion.Major).$($OsVersion.Minor).$($OsVersion.Build)"

$json = New-Object System.Text.StringBuilder
[void]$json.Append("{`r`n")
[void]$json.Append('  "schema_version": 1,' + "`r`n")
[void]$json.Append('  "generated_utc": ' + (ConvertTo-JsonString $Generated) + ",`r`n")
[void]$json.Append('  "overall": ' + (ConvertTo-JsonString $Overall) + ",`r`n")
[void]$json.Append('  "media": ' + (ConvertTo-JsonString $ScriptDir) + ",`r`n")
[void]$json.Append('  "os_version": ' + (ConvertTo-JsonString $OsText) + ",`r`n")
[void]$json.Append('  "arch": ' + (ConvertTo-JsonString $ArchDir) + ",`r`n")
[void]$json.Append('  "signing_policy": ' + (ConvertTo-JsonString $Policy) + ",`r`n")
[void]$json.Append('  "checks": [')
$first = $true
foreach ($c in $Checks) {
    if (-not $first) { [void]$json.Append(',') }
    $first = $false
    [void]$json.Append("`r`n    {`r`n")
    foreach ($k in @('id', 'title', 'status', 'summary')) {
        [void]$json.Append('      ' + (ConvertTo-JsonString $k) + ': ' + (ConvertTo-JsonString $c[$k]) + ",`r`n")
    }
    [void]$json.Append('      "details": [')
    $parts = @()
    foreach ($d in $c.details) { $parts += (ConvertTo-JsonString $d) }
    if ($parts.Count -gt 0) { [void]$json.Append("`r`n        " + [string]::Join(",`r`n        ", $parts) + "`r`n      ") }
    [void]$json.Append("]`r`n    }")
}
[void]$json.Append("`r`n  ]`r`n}`r`n")

$text = New-Object System.Text.StringBuilder
[void]$text.Append("Aero Guest Tools verification: $($Overall.ToUpper())`r`n")
[void]$text.Append("Generated (UTC): $Generated`r`n")
[void]$text.Append("Media: $ScriptDir`r`nWindows: $OsText ($ArchDir)`r`nSigning policy: $Policy`r`n`r`n")
foreach ($c in $Checks) {
    [void]$text.Append(('[{0}] {1}: {2}' -f $c.status.ToUpper(), $c.title, $c.summary) + "`r`n")
    foreach ($d in $c.details) { [void]$text.Append("       $d`r`n") }
}

$utf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false
try {
    if (-not (Test-Path -LiteralPath $OutDir)) { [void](New-Item -ItemType Directory -Path $OutDir) }
} catch {
    $OutDir = $env:TEMP
}
$jsonPath = Join-Path $OutDir 'report.json'
$textPath = Join-Path $OutDir 'report.txt'
[System.IO.File]::WriteAllText($jsonPath, $json.ToString(), $utf8)
[System.IO.File]::WriteAllText($textPath, $text.ToString(), $utf8)

Write-Host $text.ToString()
Write-Host "Report: $textPath"
Write-Host "        $jsonPath"
if ($Overall -eq 'fail') { exit 2 }
if ($Overall -eq 'warn') { exit 1 }
exit 0
