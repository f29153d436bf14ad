#!/usr/bin/env bash
# Seed corpora for the fuzz targets, generated from the repository's fixtures into
# fuzz/corpus/<target>/ (git-ignored). Needs genisoimage and xorriso (scripts/install-deps) and
# a built aero-recipe (cargo build) for the images in this tool's own layout.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/fuzz/corpus"
bin="${AERO_RECIPE:-${CARGO_TARGET_DIR:-$root/target}/debug/aero-recipe}"
for tool in genisoimage xorriso bsdtar sha256sum; do
    command -v "$tool" >/dev/null || { echo "seeds.sh: $tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "seeds.sh: $bin is missing: run cargo build (or set AERO_RECIPE)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
mkdir -p "$corpus"/{iso_reader,inf,spec,contract,devices_cmd,params,zip_reader,verify_iso,catalog}

# ISO: a small tree with a subdirectory, an 8-level nesting (Rock Ridge relocation in
# genisoimage), a name long enough for a Rock Ridge continuation area and, for the Unix-made
# images, a symlink. Every image is made without padding to keep inputs small.
tree="$tmp/tree"
mkdir -p "$tree/sub" "$tree/d1/d2/d3/d4/d5/d6/d7/d8/d9"
printf 'hello\n' > "$tree/a.txt"
printf 'inner\n' > "$tree/sub/inner.inf"
printf 'deep\n' > "$tree/d1/d2/d3/d4/d5/d6/d7/d8/d9/deep.sys"
printf 'long\n' > "$tree/sub/$(printf '名%.0s' $(seq 1 60)).txt"
"$bin" --quiet iso create "$tree" "$corpus/iso_reader/aero.iso" --volume-id SEED
ln -s a.txt "$tree/link"
genisoimage -quiet -input-charset utf-8 -no-pad -R -J -o "$corpus/iso_reader/genisoimage-rj.iso" "$tree" 2>/dev/null
genisoimage -quiet -input-charset utf-8 -no-pad -J -o "$corpus/iso_reader/genisoimage-joliet.iso" "$tree" 2>/dev/null
genisoimage -quiet -input-charset iso8859-1 -no-pad -iso-level 4 -o "$corpus/iso_reader/genisoimage-1999.iso" "$tree" 2>/dev/null
genisoimage -quiet -input-charset iso8859-1 -no-pad -o "$corpus/iso_reader/genisoimage-plain.iso" "$tree" 2>/dev/null
xorriso -as mkisofs -quiet -no-pad -R -J -o "$corpus/iso_reader/xorriso-rj.iso" "$tree" 2>/dev/null

# verify_iso: the images above, and media carrying a manifest.json (as verify expects).
cp "$corpus"/iso_reader/*.iso "$corpus/verify_iso/"
media="$tmp/media"
mkdir -p "$media/config"
printf '@echo off\r\necho setup\r\n' > "$media/setup.cmd"
printf 'set "AERO_VIRTIO_BLK_SERVICE=viostor"\r\n' > "$media/config/devices.cmd"
entry() { printf '{"path":"%s","sha256":"%s","size":%s}' "$1" "$(sha256sum < "$media/$1" | cut -d' ' -f1)" "$(wc -c < "$media/$1")"; }
printf '{"files":[%s,%s]}\n' "$(entry config/devices.cmd)" "$(entry setup.cmd)" > "$media/manifest.json"
"$bin" --quiet iso create "$media" "$corpus/verify_iso/aero-media.iso" --volume-id SEED
xorriso -as mkisofs -quiet -no-pad -R -J -o "$corpus/verify_iso/xorriso-media.iso" "$media" 2>/dev/null

# zip_reader: the same trees, stored and deflated.
(cd "$tree" && rm -f link && bsdtar --format zip --options zip:compression=store -cf "$corpus/zip_reader/stored.zip" .)
(cd "$tree" && bsdtar --format zip -cf "$corpus/zip_reader/deflated.zip" .)
(cd "$media" && bsdtar --format zip -cf "$corpus/zip_reader/media.zip" .)

# INF: the test fixtures, one of them as UTF-16LE with a BOM, and a few small oddities.
cp "$root"/tests/data/inf/*.inf "$corpus/inf/"
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$root/tests/data/inf/vioinput.inf"; } \
    > "$corpus/inf/vioinput-utf16le.inf"
printf '[Version]\nSignature="$Windows NT$"\n[Strings]\nA="%%B%%"\nB="%%A%%"\n[S]\nk=%%A%%,"unterminated\n' \
    > "$corpus/inf/oddities.inf"
printf '[Version]\r\nSignature = "$Windows NT$" \\\r\n ; continued\r\n[Manufacturer]\r\n%%M%% = M, NTamd64.10.0...16299\r\n' \
    > "$corpus/inf/continuation.inf"

# Specs and contracts: the bundled ones (schemas included: valid JSON of another shape).
cp "$root"/specs/*.json "$corpus/spec/"
cp "$root"/contracts/*.json "$corpus/contract/"

# devices.cmd: rendered from each bundled contract by the CLI (a recipe prints to stderr),
# plus hand-written oddities.
cat > "$tmp/render.rhai" <<'EOF'
let c = contract::load(contract_path);
print(c.devices_cmd());
EOF
for c in "$root"/contracts/windows-device-contract*.json; do
    case "$c" in *.schema.json) continue ;; esac
    name=$(basename "$c" .json)
    sed "s|contract_path|\"$c\"|" "$tmp/render.rhai" > "$tmp/$name.rhai"
    "$bin" run "$tmp/$name.rhai" 2> "$corpus/devices_cmd/$name.cmd" >/dev/null ||
        echo "seeds.sh: could not render devices.cmd from $c (skipped)" >&2
done
printf '@echo off\r\nSET "A=1"\r\nset a=\r\nset B="x" y "z\r\nset /a C=1\r\nset "D=a"b"\r\n' \
    > "$corpus/devices_cmd/oddities.cmd"

# params: one --set argument per line.
printf 'out_dir=out/a\nstrict=yes\nsource_date_epoch=42\narches=x86, amd64\ncert=c.cer\n' \
    > "$corpus/params/good"
printf 'nested=1\nunknown=2\n=3\nstrict=maybe\nsource_date_epoch=9999999999999999999\n' \
    > "$corpus/params/bad"

# catalog: the example catalogs (SHA-1 and SHA-256), PE images of each machine, certificates.
for f in virtio-win/viostor/w7/amd64/viostor.cat virtio-win/viostor/w10/amd64/viostor.cat \
    virtio-win/viostor/w10/ARM64/viostor.sys virtio-win/viostor/w7/x86/viostor.sys \
    virtio-win/viostor/w10/amd64/viostor.sys aero-drivers/amd64/aerogpu/aerogpu.cat \
    certs/aero-test.cer; do
    cp "$root/examples/$f" "$corpus/catalog/$(echo "$f" | tr / _)"
done

for t in "$corpus"/*; do
    echo "$(basename "$t"): $(ls "$t" | wc -l) seed(s)"
done
