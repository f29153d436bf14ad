#!/usr/bin/env bash
# Run one fuzz target politely on a shared machine: one worker at the lowest priority, 1 GiB
# of memory, 5 s per input, inputs no longer than the target needs.
#   fuzz/run.sh <target> [seconds, default 600] [extra libFuzzer flags...]
# Crashes land in fuzz/artifacts/<target>/; copy them to tests/data/fuzz/<target>/.
set -euo pipefail

target=${1:?usage: fuzz/run.sh <target> [seconds] [libFuzzer flags...]}
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
case "$target" in
    iso_reader | verify_iso) max_len=1048576 ;;
    zip_reader) max_len=262144 ;;
    inf) max_len=262144 ;;
    spec | contract) max_len=65536 ;;
    devices_cmd | params) max_len=16384 ;;
    catalog) max_len=65536 ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac
cd "$(dirname "$0")"
mkdir -p "corpus/$target"
dict=()
[ -f "dict/$target.dict" ] && dict=("-dict=dict/$target.dict")
# The fuzzers build into fuzz/target, never into the main crate's target directory.
unset CARGO_TARGET_DIR
RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run --debug-assertions "$target" "corpus/$target" -- \
    -jobs=1 -workers=1 -rss_limit_mb=1024 -timeout=5 -max_len="$max_len" \
    -max_total_time="$seconds" -print_final_stats=1 "${dict[@]}" "$@"
