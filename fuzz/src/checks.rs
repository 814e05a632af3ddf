//! The checks each fuzz target makes, as plain functions of the input bytes. The targets call
//! them with libFuzzer's input; the plugin's `tests/properties.rs` includes this file and runs
//! them over the seed corpus and every crash ever found (`fuzz/regressions/<target>/`) on stable
//! Rust, in CI.

use kubectl_kfp::reference::Reference;
use kubectl_kfp::{digest, manifest, yaml};

/// Any bytes: the manifest reader answers Ok or a reason, never panics; what it accepts has a
/// digest that survives a trip through canonical YAML (what `get --spec` prints and `create`
/// reads back).
pub fn manifest(data: &[u8]) {
    let Ok(compiled) = manifest::parse(data, "fuzz".to_string()) else {
        return;
    };
    let before = digest::of(&compiled.pipeline_spec, compiled.platform_spec.as_ref());
    let mut documents = vec![compiled.pipeline_spec.clone()];
    documents.extend(compiled.platform_spec.clone());
    let text = yaml::to_stream(&documents).expect("canonical YAML of an accepted spec");
    let again = manifest::parse(text.as_bytes(), "again".to_string())
        .unwrap_or_else(|err| panic!("canonical YAML is refused: {err}\n{text}"));
    let after = digest::of(&again.pipeline_spec, again.platform_spec.as_ref());
    assert_eq!(before, after, "digest changed through canonical YAML:\n{text}");
}

/// Any text: the reference parser answers Ok or a reason, never panics; what it accepts prints
/// back as a reference that parses to the same thing.
pub fn reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(reference) = Reference::parse(text) {
        let shown = reference.to_string();
        assert_eq!(
            Reference::parse(&shown),
            Ok(reference),
            "{text:?} printed as {shown:?}"
        );
    }
}
