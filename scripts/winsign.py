#!/usr/bin/env python3
"""Small Windows signing artefacts for aero-recipe's examples and tests, written for this project.

- `pe_image(machine, seed)`: a minimal valid PE image (one section) of a machine type.
- `authenticode(data, alg)`: its Authenticode digest (checksum, certificate-table entry and
  attribute certificates skipped).
- `ctl(members, alg, os_attr)`: a Microsoft certificate trust list (catalog content) listing
  files by digest with `File` and `OSAttr` attributes.
- `sign(ctl_der, cert, key)`: the signed `.cat` (openssl cms, content type 1.3.6.1.4.1.311.10.1).
- `make_cert(subject, tmp)`: a self-signed code-signing certificate whose key stays in `tmp`.

Command line (used by the tests to make fixtures):

    winsign.py pe OUT --machine x86|amd64|arm64 [--seed TEXT] [--pe32plus]
    winsign.py catalog OUT.cat --cert-out CERT.cer [--hash sha1|sha256] [--os-attr 2:6.1] FILE...
    winsign.py resign TREE --cert CERT.pem --key KEY.pem

`catalog` generates a throwaway key and certificate, signs, writes the certificate (public
part, DER) to CERT.cer, and forgets the key. `resign` signs every catalog under TREE again,
same content, with the given certificate and key (tests that bring their own test certificate).
"""

import hashlib
import os
import struct
import subprocess
import sys
import tempfile

MACHINES = {"x86": 0x014C, "amd64": 0x8664, "arm64": 0xAA64}

# --------------------------------------------------------------------------------------------
# PE
# --------------------------------------------------------------------------------------------


def pe_image(machine, seed, plus=None, dll=False):
    """A 1 KiB PE image: headers in the first 512 bytes, one `.text` section holding `seed`."""
    if plus is None:
        plus = machine != MACHINES["x86"]
    opt_size = 240 if plus else 224
    out = bytearray(1024)
    out[0:2] = b"MZ"
    struct.pack_into("<I", out, 0x3C, 0x40)
    out[0x40:0x44] = b"PE\0\0"
    chars = 0x0002 | (0x2000 if dll else 0) | (0x0100 if not plus else 0x0020)
    struct.pack_into("<HHIIIHH", out, 0x44, machine, 1, 0, 0, 0, opt_size, chars)
    opt = 0x58
    if plus:
        struct.pack_into("<HBBIIIII", out, opt, 0x20B, 14, 0, 0x200, 0, 0, 0x1000, 0x1000)
        struct.pack_into("<Q", out, opt + 24, 0x140000000)
        rest = opt + 32
    else:
        struct.pack_into("<HBBIIIIII", out, opt, 0x10B, 14, 0, 0x200, 0, 0, 0x1000, 0x1000, 0x1000)
        struct.pack_into("<I", out, opt + 28, 0x10000)
        rest = opt + 32
    # SectionAlignment, FileAlignment, OS/image/subsystem versions, SizeOfImage, SizeOfHeaders.
    struct.pack_into("<IIHHHHHHIII", out, rest, 0x1000, 0x200, 6, 1, 0, 0, 6, 1, 0, 0x2000, 0x200)
    # CheckSum at opt+64 stays 0; Subsystem (native for drivers, GUI otherwise), DllCharacteristics.
    struct.pack_into("<HH", out, opt + 68, 1 if not dll else 2, 0x0140)
    if plus:
        struct.pack_into("<QQQQII", out, opt + 72, 0x40000, 0x1000, 0x100000, 0x1000, 0, 16)
    else:
        struct.pack_into("<IIIIII", out, opt + 72, 0x40000, 0x1000, 0x100000, 0x1000, 0, 16)
    sec = opt + opt_size
    struct.pack_into("<8sIIIIIIHHI", out, sec, b".text", 0x200, 0x1000, 0x200, 0x200, 0, 0, 0, 0,
                     0x60000020)
    body = ("aero-recipe example image: %s\n" % seed).encode("utf-8")[:0x1F0]
    out[0x200:0x200 + len(body)] = body
    out[0x200 + len(body)] = 0xC3  # ret
    return bytes(out)


def pe_layout(data):
    """(checksum offset, certificate-directory offset or None, end of hashed data)."""
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    opt = pe + 24
    magic = struct.unpack_from("<H", data, opt)[0]
    count_at, dirs = (opt + 92, opt + 96) if magic == 0x10B else (opt + 108, opt + 112)
    count = struct.unpack_from("<I", data, count_at)[0]
    cert_dir = dirs + 32 if count > 4 else None
    end = len(data)
    if cert_dir is not None:
        off, size = struct.unpack_from("<II", data, cert_dir)
        if off and size:
            end = off
    return opt + 64, cert_dir, end


def is_pe(data):
    return data[:2] == b"MZ"


def authenticode(data, alg):
    checksum, cert_dir, end = pe_layout(data)
    h = hashlib.new(alg)
    h.update(data[:checksum])
    if cert_dir is None:
        h.update(data[checksum + 4:end])
    else:
        h.update(data[checksum + 4:cert_dir])
        h.update(data[cert_dir + 8:end])
    if end == len(data) and end % 8:
        h.update(b"\0" * (8 - end % 8))
    return h.digest()


# --------------------------------------------------------------------------------------------
# DER
# --------------------------------------------------------------------------------------------


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([tag, 0x80 | len(b)]) + b
    return head + body


def seq(*items):
    return tlv(0x30, b"".join(items))


def der_set(*items):
    return tlv(0x31, b"".join(sorted(items)))


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def integer(v):
    return tlv(0x02, v.to_bytes((v.bit_length() + 8) // 8, "big"))


def octets(b):
    return tlv(0x04, b)


NULL = b"\x05\x00"
ALG_OID = {"sha1": "1.3.14.3.2.26", "sha256": "2.16.840.1.101.3.4.2.1"}


def name_value(name, value):
    """CAT_NAMEVALUE: BMPString name, flags, UTF-16LE NUL-terminated value."""
    return seq(tlv(0x1E, name.encode("utf-16-be")), integer(0x10010001),
               octets((value + "\0").encode("utf-16-le")))


def ctl(members, alg, os_attr):
    """The catalog content. `members`: [(file name, is_pe, digest)], sorted by digest."""
    subjects = []
    for name, pe, digest in sorted(members, key=lambda m: m[2]):
        spc_type = "1.3.6.1.4.1.311.2.1.15" if pe else "1.3.6.1.4.1.311.2.1.25"
        spc_value = seq(tlv(0x03, b"\x00"), tlv(0xA0, tlv(0xA2, tlv(0x80, b"")))) if pe \
            else tlv(0xA2, tlv(0x80, b""))
        indirect = seq(seq(oid(spc_type), spc_value), seq(seq(oid(ALG_OID[alg]), NULL), octets(digest)))
        attrs = [
            seq(oid("1.3.6.1.4.1.311.12.2.1"), der_set(name_value("File", name))),
            seq(oid("1.3.6.1.4.1.311.12.2.1"), der_set(name_value("OSAttr", os_attr))),
            seq(oid("1.3.6.1.4.1.311.2.1.4"), der_set(indirect)),
        ]
        tag = digest.hex().upper().encode("utf-16-le")
        subjects.append(seq(octets(tag), der_set(*attrs)))
    ident = hashlib.sha1(b"".join(subjects)).digest()[:16]
    member_alg = "1.3.6.1.4.1.311.12.1.2" if alg == "sha1" else "1.3.6.1.4.1.311.12.1.3"
    ext = seq(seq(oid("1.3.6.1.4.1.311.12.2.1"), octets(name_value("OSAttr", os_attr))))
    return seq(
        seq(oid("1.3.6.1.4.1.311.12.1.1")),
        octets(ident),
        tlv(0x17, b"250101000000Z"),
        seq(oid(member_alg), NULL),
        seq(*subjects),
        tlv(0xA0, ext),
    )


def members_of(paths, alg):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        pe = is_pe(data)
        digest = authenticode(data, alg) if pe else hashlib.new(alg, data).digest()
        out.append((os.path.basename(p), pe, digest))
    return out


# --------------------------------------------------------------------------------------------
# Certificates and signing (keys live only in a temporary directory)
# --------------------------------------------------------------------------------------------


def make_cert(subject, tmp, name="cert"):
    """A self-signed RSA code-signing certificate; returns (cert PEM path, key path, DER bytes)."""
    key = os.path.join(tmp, name + ".key")
    pem = os.path.join(tmp, name + ".pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", pem,
         "-days", "3650", "-subj", subject, "-set_serial", "1",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
         "-addext", "extendedKeyUsage=codeSigning"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], check=True,
                         stdout=subprocess.PIPE).stdout
    return pem, key, der


def sign(ctl_der, cert_pem, key, alg, tmp):
    src = os.path.join(tmp, "ctl.der")
    out = os.path.join(tmp, "signed.cat")
    with open(src, "wb") as f:
        f.write(ctl_der)
    subprocess.run(
        ["openssl", "cms", "-sign", "-in", src, "-signer", cert_pem, "-inkey", key,
         "-econtent_type", "1.3.6.1.4.1.311.10.1", "-nodetach", "-binary", "-nosmimecap",
         "-md", alg, "-outform", "DER", "-out", out],
        check=True, stdout=subprocess.DEVNULL)
    with open(out, "rb") as f:
        return f.read()


# --------------------------------------------------------------------------------------------
# Example trees: real binaries and signed catalogs in place of placeholders
# --------------------------------------------------------------------------------------------

ARCH_DIRS = {"x86": "x86", "i386": "x86", "amd64": "amd64", "x64": "amd64", "arm64": "arm64"}
BINARY_EXTS = (".sys", ".dll")


def arch_of(rel_dir):
    for part in reversed(rel_dir.replace(os.sep, "/").split("/")):
        if part.lower() in ARCH_DIRS:
            return ARCH_DIRS[part.lower()]
    return None


def snapshot_catalogs(root, trees):
    """Every existing .cat under the trees, by path relative to root (read before regeneration)."""
    saved = {}
    for t in trees:
        for dirpath, _, names in os.walk(os.path.join(root, t)):
            for n in names:
                if n.lower().endswith(".cat"):
                    p = os.path.join(dirpath, n)
                    with open(p, "rb") as f:
                        saved[os.path.relpath(p, root)] = f.read()
    return saved


def catalog_name(inf_text):
    for line in inf_text.splitlines():
        key, _, value = line.partition("=")
        if key.strip().lower().startswith("catalogfile"):
            return value.split(";")[0].strip()
    return None


def finish_trees(root, trees, plan, certs, saved_cats, new_certs):
    """Make the example driver trees real: every placeholder .sys/.dll in a package directory
    becomes a minimal PE image of the directory's architecture, and every INF's catalog lists
    the INF and the files it names, signed by the certificate `plan` picks.

    plan(rel_dir) -> (hash alg, OSAttr, cert key); certs: key -> (cert path, subject).
    Signed catalogs are kept when their content is unchanged and the certificates are kept;
    otherwise new certificates are made (keys in a temp dir, thrown away) and all re-signed.
    Returns True when it re-signed."""
    jobs = []
    for t in trees:
        for dirpath, dirs, names in os.walk(os.path.join(root, t)):
            dirs.sort()
            rel_dir = os.path.relpath(dirpath, root)
            arch = arch_of(rel_dir)
            infs = sorted(n for n in names if n.lower().endswith(".inf"))
            if not infs or arch is None:
                continue
            for n in sorted(names):
                p = os.path.join(dirpath, n)
                if n.lower().endswith(BINARY_EXTS):
                    with open(p, "rb") as f:
                        data = f.read()
                    if data.startswith(b"placeholder"):
                        # Seeded by the placeholder text, so linked copies stay identical.
                        seed = data.decode("utf-8", "replace").strip()
                        with open(p, "wb") as f:
                            f.write(pe_image(MACHINES[arch], seed, dll=n.lower().endswith(".dll")))
            alg, os_attr, key = plan(rel_dir)
            for inf in infs:
                with open(os.path.join(dirpath, inf), "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                cat = catalog_name(text)
                if not cat:
                    continue
                # Windows matches names case-insensitively: sign the catalog file that is there.
                cat = next((n for n in names if n.lower() == cat.lower()), cat)
                low = text.lower()
                files = [os.path.join(dirpath, inf)] + [
                    os.path.join(dirpath, n) for n in sorted(names)
                    if n != inf and not n.lower().endswith((".cat", ".inf")) and n.lower() in low]
                jobs.append((os.path.join(dirpath, cat), ctl(members_of(files, alg), alg, os_attr), alg, key))
    keep = not new_certs and all(
        os.path.relpath(p, root) in saved_cats and content in saved_cats[os.path.relpath(p, root)]
        for p, content, _, _ in jobs)
    if keep:
        for p, _, _, _ in jobs:
            with open(p, "wb") as f:
                f.write(saved_cats[os.path.relpath(p, root)])
        return False
    with tempfile.TemporaryDirectory() as tmp:
        signers = {}
        for key, (cert_path, subject) in certs.items():
            pem, k, der = make_cert(subject, tmp, key)
            with open(cert_path, "wb") as f:
                f.write(der)
            signers[key] = (pem, k)
        for p, content, alg, key in jobs:
            pem, k = signers[key]
            data = sign(content, pem, k, alg, tmp)
            with open(p, "wb") as f:
                f.write(data)
    return True


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv):
    def opt(name, default=None):
        if name in argv:
            i = argv.index(name)
            v = argv[i + 1]
            del argv[i:i + 2]
            return v
        return default

    if not argv:
        sys.exit(__doc__)
    cmd = argv.pop(0)
    if cmd == "pe":
        machine = opt("--machine", "amd64")
        seed = opt("--seed", "fixture")
        plus = None
        if "--pe32plus" in argv:
            argv.remove("--pe32plus")
            plus = True
        dll = "--dll" in argv
        if dll:
            argv.remove("--dll")
        (out,) = argv
        with open(out, "wb") as f:
            f.write(pe_image(MACHINES[machine], seed, plus, dll))
    elif cmd == "catalog":
        alg = opt("--hash", "sha256")
        os_attr = opt("--os-attr", "2:6.1")
        cert_out = opt("--cert-out")
        subject = opt("--subject", "/O=aero-recipe tests/CN=Catalog fixture signer")
        out, files = argv[0], argv[1:]
        with tempfile.TemporaryDirectory() as tmp:
            pem, key, der = make_cert(subject, tmp)
            cat = sign(ctl(members_of(files, alg), alg, os_attr), pem, key, alg, tmp)
        with open(out, "wb") as f:
            f.write(cat)
        if cert_out:
            with open(cert_out, "wb") as f:
                f.write(der)
    elif cmd == "resign":
        cert, key = opt("--cert"), opt("--key")
        (tree,) = argv
        with tempfile.TemporaryDirectory() as tmp:
            for dirpath, _, names in os.walk(tree):
                for n in sorted(names):
                    if not n.lower().endswith(".cat"):
                        continue
                    p = os.path.join(dirpath, n)
                    content = subprocess.run(
                        ["openssl", "cms", "-verify", "-noverify", "-inform", "DER", "-in", p,
                         "-binary"], check=True, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL).stdout
                    alg = "sha1" if bytes.fromhex("06052b0e03021a") in content else "sha256"
                    data = sign(content, cert, key, alg, tmp)
                    with open(p, "wb") as f:
                        f.write(data)
    else:
        sys.exit("winsign.py: unknown command %r\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    main(sys.argv[1:])
