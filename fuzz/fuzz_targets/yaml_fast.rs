//! Fuzzes the fast YAML reader (`kubectl_kfp::yaml::fast_documents`) against serde_yaml: on any
//! text it either declines or yields exactly serde_yaml's values. Crash inputs belong in
//! `fuzz/regressions/yaml_fast/`, which `tests/yaml_fast.rs` replays on stable Rust.
#![no_main]

use kubectl_kfp::yaml;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // What `yaml::documents` refuses before parsing never reaches either reader.
    if yaml::check_bounds(text).is_err() {
        return;
    }
    let Some(fast) = yaml::fast_documents(text) else {
        return;
    };
    let slow = yaml::serde_yaml_documents(text)
        .unwrap_or_else(|err| panic!("serde_yaml refuses what the fast reader read: {err}\n{text:?}"));
    assert_eq!(fast, slow, "values differ for {text:?}");
    // Value equality takes -0.0 for 0.0; the JSON text does not.
    assert_eq!(
        serde_json::to_string(&fast).unwrap(),
        serde_json::to_string(&slow).unwrap(),
        "values differ for {text:?}"
    );
});
