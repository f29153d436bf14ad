mod bench_payload;
mod fuzz_regressions;
mod inf;
