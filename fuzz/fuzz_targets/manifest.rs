//! Fuzzes the compiled-pipeline reader (`kubectl_kfp::manifest::parse`); see `src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kubectl_kfp_fuzz::manifest(data));
