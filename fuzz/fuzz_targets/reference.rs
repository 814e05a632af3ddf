//! Fuzzes the reference grammar (`kubectl_kfp::reference::Reference::parse`); see `src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kubectl_kfp_fuzz::reference(data));
