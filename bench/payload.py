#!/usr/bin/env python3
"""Deterministic benchmark inputs for aero-recipe (Python 3 standard library only).

Two generators, both seeded and reproducible byte for byte on any machine and Python 3.8+:

* ``packager``: a driver payload in the packager layout ``drivers/<arch>/<driver>/`` with a
  packaging spec (``spec.json``) that accepts it. Each driver directory holds a consistent INF
  (models for its arch, AddService, SourceDisksFiles/CopyFiles naming the shipped files), a
  catalog, a .sys, helper DLLs, localised resources and, for some drivers, symbol files. About
  three files per MB: ~1,200 files for 400 MB.
* ``virtio-win``: a tree in the upstream virtio-win ISO layout (``<Driver>/<os>/<arch>/``,
  flat ``amd64|i386/<os>/``, root installers) that ``genisoimage -r -iso-level 4`` turns into
  an image like the real one.

File contents mix incompressible bytes (SHAKE-256 output) with code-like compressible runs
and zero padding, in proportions that depend on the kind of file, so compressors see what they
would see on real drivers and symbols.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys

# Bump when the output of a generator changes, so cached payloads are rebuilt.
GENERATOR_VERSION = 9

MB = 1024 * 1024
KB = 1024
SEGMENT = 16 * KB
MASK64 = (1 << 64) - 1


class Rng:
    """splitmix64: tiny, fast enough, and identical on every Python version."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def unit(self):
        return self.next() / float(1 << 64)

    def between(self, lo, hi):
        return lo + self.below(hi - lo + 1)

    def log_between(self, lo, hi):
        """A size between lo and hi, uniform on a log scale (many small, few large)."""
        import math

        return int(math.exp(math.log(lo) + self.unit() * (math.log(hi) - math.log(lo))))

    def chance(self, p):
        return self.unit() < p

    def pick(self, items):
        return items[self.below(len(items))]


# Fraction of 16 KB segments that are incompressible, per kind of file.
INCOMPRESSIBLE = {
    "sys": 0.45,
    "dll": 0.45,
    "exe": 0.5,
    "pdb": 0.25,
    "mui": 0.15,
    "cat": 0.9,
    "bin": 1.0,
    "msi": 0.95,
}


class Content:
    """Builds file bodies from a seed: random segments, code-like segments, zero padding."""

    def __init__(self, seed):
        self.seed = seed
        self.pool = self._code_pool(Rng(seed ^ 0xC0DE), 2 * MB)

    @staticmethod
    def _code_pool(rng, size):
        # Compressible but not trivially so: a vocabulary of byte strings (instruction-like
        # sequences, identifiers, little-endian constants) emitted in random order.
        vocab = []
        for i in range(768):
            n = rng.between(2, 14)
            if i % 3 == 0:
                word = bytes(rng.between(0x41, 0x7A) for _ in range(n))
            else:
                word = bytes(rng.below(256) for _ in range(n))
            vocab.append(word)
        parts = []
        total = 0
        while total < size:
            w = vocab[rng.below(len(vocab)) if rng.chance(0.7) else rng.below(64)]
            parts.append(w)
            if rng.chance(0.2):
                parts.append(rng.next().to_bytes(8, "little")[: rng.between(1, 4)])
            total += len(w)
        return b"".join(parts)[:size]

    def body(self, kind, size, key, rng):
        """`size` bytes for a file of `kind`; `key` (its path) seeds the random bytes."""
        if size <= 0:
            return b""
        share = INCOMPRESSIBLE.get(kind, 0.5)
        plan = []
        random_needed = 0
        left = size
        while left > 0:
            n = min(SEGMENT, left)
            r = rng.unit()
            if r < share:
                plan.append(("r", n))
                random_needed += n
            elif r < share + 0.05:
                plan.append(("z", n))
            else:
                plan.append(("c", n))
            left -= n
        noise = b""
        if random_needed:
            noise = hashlib.shake_256(("%d:%s" % (self.seed, key)).encode()).digest(random_needed)
        out = []
        pos = 0
        pool = self.pool
        for what, n in plan:
            if what == "r":
                out.append(noise[pos : pos + n])
                pos += n
            elif what == "z":
                out.append(bytes(n))
            else:
                off = rng.below(len(pool) - n)
                out.append(pool[off : off + n])
        return b"".join(out)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


# --------------------------------------------------------------------------------------------
# INF text


def inf_text(
    name,
    service_specs,
    decorations,
    hwids,
    sys_files,
    dlls,
    catalog,
    coinstaller=None,
    class_name="System",
    class_guid="{4d36e97d-e325-11ce-bfc1-08002be10318}",
):
    """A consistent INF.

    `service_specs` is a list of (service name, binary file or None); the first is the
    function driver. Every file in `sys_files`, `dlls` and `coinstaller` appears in
    [SourceDisksFiles] and a CopyFiles section, so a validator finds them all shipped.
    """
    sect = name.replace("-", "_")
    lines = [
        "; %s.inf: generated benchmark driver package (not a real driver)" % name,
        "",
        "[Version]",
        'Signature   = "$WINDOWS NT$"',
        "Class       = %s" % class_name,
        "ClassGuid   = %s" % class_guid,
        "Provider    = %VENDOR%",
        "CatalogFile = %s" % catalog,
        "DriverVer   = 06/21/2024,100.%d.104.26000" % (len(name) * 7 % 100),
        "PnpLockdown = 1",
        "",
        "[Manufacturer]",
        "%%VENDOR%% = %s_Models,%s" % (sect, ",".join(decorations)),
        "",
    ]
    for deco in decorations:
        lines.append("[%s_Models.%s]" % (sect, deco))
        for i, hwid in enumerate(hwids):
            lines.append("%%%s.Dev%d%% = %s_Inst, %s" % (sect, i, sect, hwid))
        lines.append("")
    lines += [
        "[SourceDisksNames]",
        '1 = %DiskName%,,,""',
        "",
        "[SourceDisksFiles]",
    ]
    shipped = list(sys_files) + list(dlls) + ([coinstaller] if coinstaller else [])
    for f in shipped:
        lines.append("%s = 1,," % f)
    lines += [
        "",
        "[DestinationDirs]",
        "DefaultDestDir = 12",
        "%s_Dll_Files = 11" % sect,
        "%s_CoInstaller_CopyFiles = 11" % sect,
        "",
        "[%s_Inst.NT]" % sect,
        "CopyFiles = %s_Sys_Files%s" % (sect, (", %s_Dll_Files" % sect) if dlls else ""),
        "",
        "[%s_Sys_Files]" % sect,
    ]
    for f in sys_files:
        lines.append("%s,,,0x00004000" % f)
    lines.append("")
    if dlls:
        lines.append("[%s_Dll_Files]" % sect)
        lines += list(dlls)
        lines.append("")
    lines.append("[%s_Inst.NT.Services]" % sect)
    for i, (svc, binary) in enumerate(service_specs):
        if svc is None:
            lines.append("AddService = ,2")
        else:
            flags = "0x00000002" if i == 0 else "0x00000000"
            lines.append("AddService = %s, %s, %s_Service_Inst" % (svc, flags, svc))
    lines.append("")
    for svc, binary in service_specs:
        if svc is None:
            continue
        lines += [
            "[%s_Service_Inst]" % svc,
            "DisplayName    = %%%s.SvcDesc%%" % svc,
            "ServiceType    = 1",
            "StartType      = 3",
            "ErrorControl   = 1",
            "ServiceBinary  = %%12%%\\%s" % binary,
            "",
        ]
    if coinstaller:
        lines += [
            "[%s_Inst.NT.CoInstallers]" % sect,
            "AddReg    = %s_CoInstaller_AddReg" % sect,
            "CopyFiles = %s_CoInstaller_CopyFiles" % sect,
            "",
            "[%s_CoInstaller_AddReg]" % sect,
            'HKR,,CoInstallers32,0x00010000, "%s,WdfCoInstaller"' % coinstaller,
            "",
            "[%s_CoInstaller_CopyFiles]" % sect,
            coinstaller,
            "",
            "[%s_Inst.NT.Wdf]" % sect,
            "KmdfService = %s, %s_wdfsect" % (service_specs[0][0], sect),
            "",
            "[%s_wdfsect]" % sect,
            "KmdfLibraryVersion = 1.9",
            "",
        ]
    lines += ["[Strings]", 'VENDOR   = "Aero Bench Vendor"', 'DiskName = "%s Installation Disk"' % name]
    for i, _ in enumerate(hwids):
        lines.append('%s.Dev%d = "%s device %d"' % (sect, i, name, i))
    for svc, _ in service_specs:
        if svc is not None:
            lines.append('%s.SvcDesc = "%s service"' % (svc, svc))
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def catalog_body(content, key, rng, size):
    # PKCS#7 SignedData starts with a DER SEQUENCE header; the rest is opaque.
    head = b"\x30\x82" + (size & 0xFFFF).to_bytes(2, "big") + b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
    return (head + content.body("cat", size, key, rng))[:size]


# --------------------------------------------------------------------------------------------
# packager layout


WELL_KNOWN = [
    ("aero_virtio_blk", "SCSIAdapter", "{4d36e97b-e325-11ce-bfc1-08002be10318}", 0x1042),
    ("aero_virtio_net", "Net", "{4d36e972-e325-11ce-bfc1-08002be10318}", 0x1041),
    ("aero_virtio_input", "HIDClass", "{745a17a0-74d3-11d0-b6fe-00a0c90f57da}", 0x1052),
    ("aero_virtio_snd", "MEDIA", "{4d36e96c-e325-11ce-bfc1-08002be10318}", 0x1059),
    ("aerogpu", "Display", "{4d36e968-e325-11ce-bfc1-08002be10318}", None),
]
LANGS = ["en-US", "de-DE", "fr-FR", "ja-JP", "zh-CN", "es-ES", "it-IT", "pt-BR"]
ARCHES = [("x86", "NTx86"), ("amd64", "NTamd64")]


def driver_plan(rng, index):
    """The shape of one driver (shared by its x86 and amd64 builds)."""
    if index < len(WELL_KNOWN):
        name, cls, guid, dev = WELL_KNOWN[index]
    else:
        name, cls, guid, dev = "bench_drv%03d" % index, "System", "{4d36e97d-e325-11ce-bfc1-08002be10318}", None
    if dev is None:
        dev = 0x1100 + index
    hwids = ["PCI\\VEN_1AF4&DEV_%04X&SUBSYS_%04X1AF4&REV_01" % (dev, index + 1)]
    if index >= len(WELL_KNOWN) and rng.chance(0.5):
        hwids.append("PCI\\VEN_1AF4&DEV_%04X" % (dev + 0x100))
    ndll = rng.pick([0, 0, 1, 1, 2, 2, 3, 4, 6])
    return {
        "name": name,
        "class": cls,
        "guid": guid,
        "hwids": hwids,
        "sys_size": rng.log_between(20 * KB, 2 * MB),
        "dlls": [("%s_helper%d.dll" % (name, i), rng.log_between(20 * KB, 2 * MB)) for i in range(ndll)],
        "coinstaller": rng.chance(0.25),
        "langs": LANGS[: rng.pick([0, 1, 2, 3, 4, 6])],
        "manifest": rng.between(3 * KB, 30 * KB) if rng.chance(0.6) else 0,
        "wprp": rng.chance(0.4),
        "tool": rng.log_between(40 * KB, 400 * KB) if rng.chance(0.3) else 0,
        "mui_size": rng.between(2 * KB, 24 * KB),
        "extra_text": rng.chance(0.5),
        "symbols": [
            ("%s.pdb" % name, rng.between(1 * MB, 10 * MB)),
        ]
        + ([("%s_helper0.pdb" % name, rng.between(1 * MB, 4 * MB))] if ndll and rng.chance(0.3) else [])
        if rng.chance(0.25)
        else [],
        "firmware": rng.log_between(64 * KB, 1 * MB) if rng.chance(0.1) else 0,
    }


def event_manifest(name, size):
    """An ETW instrumentation manifest of about `size` bytes (XML text)."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\r\n<instrumentationManifest>\r\n<events>\r\n'
    rows = []
    total = len(head)
    i = 0
    while total < size:
        row = '  <event value="%d" symbol="%s_Event%d" level="win:Informational" template="t%d"/>\r\n' % (
            i, name, i, i % 7)
        rows.append(row)
        total += len(row)
        i += 1
    return (head + "".join(rows) + "</events>\r\n</instrumentationManifest>\r\n").encode("ascii")


def trace_profile(name):
    """A small WPR profile (XML text)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\r\n<WindowsPerformanceRecorder Version="1.0">\r\n'
        '  <Profiles><EventProvider Id="%s" Name="%s"/></Profiles>\r\n</WindowsPerformanceRecorder>\r\n'
        % (name, name)
    ).encode("ascii")


def planned_size(plan):
    """Approximate bytes of one arch's build of `plan` (before jitter)."""
    return (
        plan["sys_size"]
        + sum(size for _, size in plan["dlls"])
        + (1_600_000 if plan["coinstaller"] else 0)
        + sum(size for _, size in plan["symbols"])
        + plan["firmware"]
        + plan["tool"]
    )


def jitter(rng, size):
    """The other arch's build of the same file: about the same size."""
    return max(1, int(size * (0.85 + 0.3 * rng.unit())))


def write_driver(root, arch, deco, plan, content, rng):
    d = os.path.join(root, "drivers", arch, plan["name"])
    name = plan["name"]
    total = 0
    files = 0
    dll_names = [n for n, _ in plan["dlls"]]
    coinst = "WdfCoInstaller01009.dll" if plan["coinstaller"] else None
    inf = inf_text(
        name,
        [(name, name + ".sys")],
        [deco],
        plan["hwids"],
        [name + ".sys"],
        dll_names,
        name + ".cat",
        coinstaller=coinst,
        class_name=plan["class"],
        class_guid=plan["guid"],
    )
    items = [(name + ".inf", None, inf)]
    items.append((name + ".cat", "cat", jitter(rng, rng.between(6 * KB, 24 * KB))))
    items.append((name + ".sys", "sys", jitter(rng, plan["sys_size"])))
    for n, size in plan["dlls"]:
        items.append((n, "dll", jitter(rng, size)))
    if coinst:
        items.append((coinst, "dll", 1_795_952 if arch == "amd64" else 1_460_000))
    for lang in plan["langs"]:
        items.append((lang + "/" + name + ".sys.mui", "mui", jitter(rng, plan["mui_size"])))
    if plan["extra_text"]:
        notes = ("%s %s build notes\r\n" % (name, arch)) + "".join(
            "change %d: fixed an issue in the %s path\r\n" % (i, name) for i in range(rng.between(5, 60))
        )
        items.append(("ReleaseNotes.txt", None, notes.encode("ascii")))
    if plan["manifest"]:
        items.append((name + ".man", None, event_manifest(name, plan["manifest"])))
    if plan["wprp"]:
        items.append((name + ".wprp", None, trace_profile(name)))
    if plan["tool"]:
        items.append(("tools/" + name + "ctl.exe", "exe", jitter(rng, plan["tool"])))
    if plan["firmware"]:
        items.append((name + "_fw.bin", "bin", jitter(rng, plan["firmware"])))
    for n, size in plan["symbols"]:
        items.append(("symbols/" + n, "pdb", jitter(rng, size)))
    for rel, kind, spec in items:
        path = os.path.join(d, rel)
        key = "%s/%s/%s" % (arch, name, rel)
        if kind is None:
            data = spec
        elif kind == "cat":
            data = catalog_body(content, key, rng, spec)
        else:
            data = content.body(kind, spec, key, rng)
        total += write(path, data)
        files += 1
    return files, total


def write_guest_tools(root):
    """A minimal Guest Tools tree (the root files and config/ the recipes require).

    The bench brings its own so it does not depend on the bundled tree; these few KB do not
    change any timing.
    """
    texts = {
        "setup.cmd": "@echo off\r\nrem benchmark placeholder\r\ncall \"%~dp0config\\devices.cmd\"\r\n",
        "uninstall.cmd": "@echo off\r\nrem benchmark placeholder\r\n",
        "verify.cmd": "@echo off\r\npowershell -NoProfile -File \"%~dp0verify.ps1\"\r\n",
        "verify.ps1": "# benchmark placeholder\r\nWrite-Output 'ok'\r\n",
        "README.md": "# Guest Tools (benchmark payload)\n\nGenerated by bench/payload.py.\n",
        "THIRD_PARTY_NOTICES.md": "# Third-party notices\n\nNone: generated benchmark payload.\n",
    }
    for name, text in texts.items():
        write(os.path.join(root, name), text.encode("ascii"))
    os.makedirs(os.path.join(root, "config"), exist_ok=True)
    return len(texts)


def gen_packager(out, size_mb, seed):
    """Write drivers/<arch>/<driver>/, guest-tools/ and spec.json under `out`; return (files, bytes)."""
    rng = Rng(seed)
    content = Content(seed)
    target = size_mb * MB
    total = 0
    files = 0
    names = []
    index = 0
    while total < target:
        plan = driver_plan(rng, index)
        if total and total + 2 * planned_size(plan) > target * 1.02:
            # Keep small payloads near their target: the last drivers come without the
            # large optional files.
            plan["symbols"] = []
            plan["firmware"] = 0
        for arch, deco in ARCHES:
            f, b = write_driver(out, arch, deco, plan, content, rng)
            files += f
            total += b
        names.append((plan["name"], plan["hwids"][0].split("&SUBSYS")[0]))
        index += 1
    files += write_guest_tools(os.path.join(out, "guest-tools"))
    spec = {
        "drivers": [
            {
                "name": n,
                "required": True,
                "expected_inf_files": [n + ".inf"],
                "expected_add_services": [n],
                "expected_hardware_ids": ["^" + hwid.replace("\\", "\\\\")],
                # Release pipelines ship symbols: re-include .pdb, which is skipped by default.
                "allow_extensions": ["pdb"],
            }
            for n, hwid in names
        ],
        "fail_on_unlisted_driver_dirs": True,
    }
    with open(os.path.join(out, "spec.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    return files, total


# --------------------------------------------------------------------------------------------
# upstream virtio-win layout


VW_DRIVERS = [
    # dir, inf base, services (function driver first; None = null service), modern dev id
    ("Balloon", "balloon", ["BALLOON"], 0x1045),
    ("NetKVM", "netkvm", ["netkvm"], 0x1041),
    ("pvpanic", "pvpanic", ["pvpanic"], None),
    ("qemufwcfg", "qemufwcfg", [None], None),
    ("qemupciserial", "qemupciserial", ["qemupciserial"], None),
    ("qxl", "qxl", ["qxl"], None),
    ("qxldod", "qxldod", ["qxldod"], None),
    ("smbus", "smbus", ["smbus"], None),
    ("sriov", "vioprot", ["vioprot"], None),
    ("viofs", "viofs", ["VirtioFsDrv"], 0x105A),
    ("viogpudo", "viogpudo", ["VioGpuDod"], 0x1050),
    ("vioinput", "vioinput", ["VirtioInput", "viohidkmdf"], 0x1052),
    ("viomem", "viomem", ["viomem"], 0x1058),
    ("viorng", "viorng", ["VirtRng"], 0x1044),
    ("vioscsi", "vioscsi", ["vioscsi"], 0x1048),
    ("vioserial", "vioser", ["VirtioSerial"], 0x1043),
    ("viosock", "viosock", ["viosock"], 0x1053),
    ("viostor", "viostor", ["viostor"], 0x1042),
    ("fwcfg", "fwcfg", ["fwcfg"], None),
]
LEGACY = {0x1045: 0x1002, 0x1041: 0x1000, 0x1048: 0x1004, 0x1043: 0x1003, 0x1044: 0x1005, 0x1042: 0x1001}
VW_OSES = [
    ("xp", "5.1"),
    ("2k3", "5.2"),
    ("2k8", "6.0"),
    ("2k8R2", "6.1"),
    ("w7", "6.1"),
    ("w8", "6.2"),
    ("w8.1", "6.3"),
    ("2k12", "6.2"),
    ("2k12R2", "6.3"),
    ("w10", "10.0"),
    ("2k16", "10.0"),
    ("2k19", "10.0"),
    ("w11", "10.0"),
    ("2k22", "10.0"),
    ("2k25", "10.0"),
]
VW_ARCH_DECO = {"x86": "NTx86", "amd64": "NTamd64", "ARM64": "NTarm64"}
# Win7-era KMDF drivers carry the co-installer beside the INF (w8: 01011).
COINSTALLER = {"6.1": "01009", "6.2": "01011"}
KMDF_COINSTALLER_USERS = ("balloon", "vioinput", "viorng", "vioser", "viostor", "vioscsi")


def vw_arches(os_name):
    return ["x86", "amd64", "ARM64"] if os_name in ("w10", "w11", "2k25") else ["x86", "amd64"]


def vw_driver_files(drv, os_name, ver, arch, rng):
    """(relative name, kind, size-or-bytes) for one <Driver>/<os>/<arch>/ directory."""
    dirname, base, services, dev = drv
    sys_names = []
    service_specs = []
    for svc in services:
        if svc is None:
            service_specs.append((None, None))
            continue
        binary = (base if svc == services[0] else svc.lower()) + ".sys"
        sys_names.append(binary)
        service_specs.append((svc, binary))
    if not sys_names:
        # qemufwcfg: a null service, yet the validator wants a .sys in every driver dir;
        # upstream ships none, so this benchmark ships a small placeholder next to it.
        sys_names.append(base + ".sys")
    if dev is not None:
        hwids = ["PCI\\VEN_1AF4&DEV_%04X&SUBSYS_11001AF4&REV_01" % dev]
        if dev in LEGACY:
            hwids.append("PCI\\VEN_1AF4&DEV_%04X&SUBSYS_00021AF4&REV_00" % LEGACY[dev])
    elif base == "qemufwcfg":
        hwids = ["ACPI\\QEMU0002"]
    else:
        hwids = ["PCI\\VEN_1B36&DEV_%04X&SUBSYS_11001AF4&REV_01" % (0x0100 + len(base))]
    deco = "%s.%s" % (VW_ARCH_DECO[arch], ver)
    cat = ("Balloon.cat" if base == "balloon" else base + ".cat")
    coinst = None
    if ver in COINSTALLER and base in KMDF_COINSTALLER_USERS and arch != "ARM64":
        coinst = "WdfCoInstaller%s.dll" % COINSTALLER[ver]
    dlls = []
    if base == "netkvm":
        dlls = ["netkvmco.dll"]
    inf = inf_text(base, service_specs, [deco], hwids, sys_names, dlls, cat, coinstaller=coinst)
    items = [(base + ".inf", None, inf), (base + ".cat", "cat", rng.between(8 * KB, 20 * KB))]
    for s in sys_names:
        items.append((s, "sys", rng.log_between(30 * KB, 400 * KB)))
        items.append((s[:-4] + ".pdb", "pdb", ("pdb-share", rng.log_between(300 * KB, 3 * MB))))
    for dll in dlls:
        items.append((dll, "dll", rng.log_between(60 * KB, 300 * KB)))
    if coinst:
        items.append((coinst, "dll", ("big", 1_795_952 if arch == "amd64" else 1_460_000)))
    if base == "balloon":
        items.append(("blnsvr.exe", "exe", rng.log_between(60 * KB, 200 * KB)))
        items.append(("blnsvr.pdb", "pdb", ("pdb-share", rng.log_between(300 * KB, 2 * MB))))
    return items


def gen_virtio_win(out, size_mb, seed):
    """Write an upstream-layout virtio-win tree under `out`; return (files, bytes)."""
    rng = Rng(seed ^ 0x5EED)
    content = Content(seed)
    jobs = []  # (relative path, kind, size | bytes | ("pdb-share" | "big", size))
    for drv in VW_DRIVERS:
        for os_name, ver in VW_OSES:
            for arch in vw_arches(os_name):
                for rel, kind, spec in vw_driver_files(drv, os_name, ver, arch, rng):
                    jobs.append(("%s/%s/%s/%s" % (drv[0], os_name, arch, rel), kind, spec))
    # The flat storage trees (viostor + vioscsi only).
    for flat, arch in (("amd64", "amd64"), ("i386", "x86")):
        for os_name, ver in VW_OSES:
            for drv in VW_DRIVERS:
                if drv[1] in ("viostor", "vioscsi"):
                    for rel, kind, spec in vw_driver_files(drv, os_name, ver, arch, rng):
                        jobs.append(("%s/%s/%s" % (flat, os_name, rel), kind, spec))
    root_files = [
        ("guest-agent/qemu-ga-i386.msi", "msi", ("big", 9 * MB + 123_456)),
        ("guest-agent/qemu-ga-x86_64.msi", "msi", ("big", 10 * MB + 654_321)),
        ("virtio-win-gt-x64.msi", "msi", ("big", 5 * MB + 11_111)),
        ("virtio-win-gt-x86.msi", "msi", ("big", 4 * MB + 22_222)),
        ("virtio-win-guest-tools.exe", "msi", ("big", 25 * MB + 33_333)),
        ("cert/Virtio_Win_Red_Hat_CA.cer", "cat", 1_350),
    ]
    jobs += root_files
    info = {
        "drivers": {d[0]: [o for o, _ in VW_OSES] for d in VW_DRIVERS},
        "generator": "aero-recipe bench (synthetic, not a real virtio-win)",
    }
    jobs.append(("data/info.json", None, (json.dumps(info, indent=2, sort_keys=True) + "\n").encode()))
    jobs.append(("virtio-win_license.txt", None, b"Synthetic benchmark tree. Not a real virtio-win release.\n" * 40))
    # Symbols fill the image up to the requested size, as they do upstream. Below the natural
    # size of everything else (about 300 MB), every binary shrinks alike, so small images for
    # tests keep the same shape.
    small = sum(s if isinstance(s, int) else (len(s) if isinstance(s, bytes) else 0) for _, _, s in jobs)
    shares = sum(s[1] for _, _, s in jobs if isinstance(s, tuple) and s[0] == "pdb-share")
    big = sum(s[1] for _, _, s in jobs if isinstance(s, tuple) and s[0] == "big")
    room = size_mb * MB - small
    if room >= big + shares // 10:
        scale = {"big": 1.0, "pdb-share": (room - big) / float(shares)}
    else:
        f = max(0.001, size_mb * MB / float(small + big + shares))
        scale = {"big": f, "pdb-share": f, "int": f}
    for i, (rel, kind, spec) in enumerate(jobs):
        if isinstance(spec, tuple):
            jobs[i] = (rel, kind, max(1, int(spec[1] * scale[spec[0]])))
        elif isinstance(spec, int) and "int" in scale:
            jobs[i] = (rel, kind, max(64, int(spec * scale["int"])))
    files = 0
    total = 0
    for rel, kind, spec in jobs:
        if kind is None:
            data = spec
        elif kind == "cat":
            data = catalog_body(content, rel, rng, spec)
        else:
            data = content.body(kind, spec, rel, rng)
        total += write(os.path.join(out, rel), data)
        files += 1
    return files, total


# --------------------------------------------------------------------------------------------


def ensure(kind, out, size_mb, seed, quiet=False):
    """Generate `kind` into `out` unless a stamp says the same inputs are already there."""
    stamp_path = out.rstrip("/") + ".stamp.json"
    want = {"generator": GENERATOR_VERSION, "kind": kind, "size_mb": size_mb, "seed": seed}
    try:
        with open(stamp_path) as f:
            have = json.load(f)
        if {k: have.get(k) for k in want} == want and os.path.isdir(out):
            return have["files"], have["bytes"]
    except (OSError, ValueError, KeyError):
        pass
    if os.path.exists(out):
        shutil.rmtree(out)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    if not quiet:
        print("generating %s payload: %d MB, seed %d -> %s" % (kind, size_mb, seed, out), file=sys.stderr)
    gen = gen_packager if kind == "packager" else gen_virtio_win
    files, total = gen(out, size_mb, seed)
    want.update(files=files, bytes=total)
    with open(stamp_path, "w") as f:
        json.dump(want, f)
    return files, total


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["packager", "virtio-win"])
    ap.add_argument("out", help="output directory (replaced)")
    ap.add_argument("--size", type=int, default=400, help="approximate size in MB (default 400)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    files, total = ensure(a.kind, a.out, a.size, a.seed)
    print("%d files, %d bytes" % (files, total))


if __name__ == "__main__":
    main(sys.argv[1:])
