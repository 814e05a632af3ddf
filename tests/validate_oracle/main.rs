//! Spec validation held against an oracle the plugin did not write: Python's strict protobuf
//! JSON parser (`google.protobuf.json_format.Parse`) with KFP's published packages
//! (`kfp-pipeline-spec`, `kfp-kubernetes`), plus KFP's rules (tests/python/spec_oracle.py). On
//! every pipeline at hand and a few hundred deterministic mutations of them, the plugin must
//! accept exactly what the oracle accepts. Needs the venv of `scripts/python-env` (scripts/test
//! creates it).

mod mutations;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use kubectl_kfp::{manifest, validate};

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub pipeline_spec: Value,
    pub platform_spec: Option<Value>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python; a missing venv fails the test (it must not pass silently).
fn python() -> PathBuf {
    let venv = std::env::var_os("KUBECTL_KFP_PYTHON_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/python-env"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/python-env to create the Python environment with KFP's packages (scripts/test does)",
        python.display()
    );
    python
}

/// The oracle's verdicts, one per case, from one Python process.
fn oracle(cases: &[Case]) -> Vec<Result<(), String>> {
    let mut child = Command::new(python())
        .arg(repo().join("tests/python/spec_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut input = Vec::new();
    for case in cases {
        let mut line = json!({"pipelineSpec": case.pipeline_spec});
        if let Some(platform) = &case.platform_spec {
            line["platformSpec"] = platform.clone();
        }
        serde_json::to_writer(&mut input, &line).unwrap();
        input.push(b'\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("python runs");
    writer.join().unwrap().expect("the oracle reads every case");
    assert!(output.status.success(), "the oracle failed: {:?}", output.status);
    let verdicts: Vec<Result<(), String>> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| match line {
            "ok" => Ok(()),
            other => Err(other.trim_start_matches("reject ").to_string()),
        })
        .collect();
    assert_eq!(verdicts.len(), cases.len(), "one verdict per case");
    verdicts
}

fn read_case(path: &Path) -> Option<Case> {
    let compiled = manifest::read(path).ok()?;
    Some(Case {
        name: path.strip_prefix(repo()).unwrap_or(path).display().to_string(),
        pipeline_spec: compiled.pipeline_spec,
        platform_spec: compiled.platform_spec,
    })
}

fn yaml_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    files
}

/// Every pipeline at hand: the synthetic one, the repository's examples, and the shared corpus
/// when this machine has it.
fn corpus() -> Vec<Case> {
    let mut files = vec![repo().join("tests/validate_oracle/synthetic.yaml")];
    for folder in [
        "examples/pipelines/ir",
        "examples/pipelines/manifests",
        "examples/invalid",
        "tests/data/invalid",
    ] {
        files.extend(yaml_files(&repo().join(folder)));
    }
    let shared = repo().join("../shared/kfp");
    if shared.is_dir() {
        for folder in [
            "pipelines/valid",
            "pipelines/variants",
            "pipelines/invalid",
            "manifests",
        ] {
            files.extend(yaml_files(&shared.join(folder)));
        }
    } else {
        eprintln!(
            "validate_oracle: {} is absent; the shared corpus is skipped",
            shared.display()
        );
    }
    files.iter().filter_map(|path| read_case(path)).collect()
}

#[test]
fn the_plugin_accepts_exactly_what_kfp_accepts() {
    let corpus = corpus();
    let valid: Vec<&Case> = corpus
        .iter()
        .filter(|c| validate::check(&c.pipeline_spec, c.platform_spec.as_ref()).is_ok())
        .collect();
    // Mutate a few valid bases with platform specs and a few without, for a few hundred cases.
    let mut bases: Vec<&Case> = valid
        .iter()
        .filter(|c| c.platform_spec.is_some())
        .take(4)
        .copied()
        .collect();
    bases.extend(valid.iter().filter(|c| c.platform_spec.is_none()).take(3));
    let mut cases = corpus.clone();
    let mut counts: BTreeMap<(mutations::Kind, usize), usize> = BTreeMap::new();
    // Without the shared corpus there are fewer bases: mutate each at more places.
    let per_depth = if bases.len() >= 4 { 2 } else { 6 };
    for base in &bases {
        for (kind, depth, case) in mutations::of(base, per_depth) {
            *counts.entry((kind, depth)).or_default() += 1;
            cases.push(case);
        }
    }
    let verdicts = oracle(&cases);
    let mut disagreements = Vec::new();
    let mut rejected = 0;
    for (case, verdict) in cases.iter().zip(&verdicts) {
        let ours = validate::check(&case.pipeline_spec, case.platform_spec.as_ref());
        rejected += usize::from(verdict.is_err());
        if ours.is_ok() != verdict.is_ok() {
            disagreements.push(format!(
                "{}\n    plugin: {}\n    oracle: {}",
                case.name,
                ours.err()
                    .map_or("accepts".to_string(), |e| format!("rejects: {e}")),
                verdict
                    .as_ref()
                    .err()
                    .map_or("accepts".to_string(), |e| format!("rejects: {e}")),
            ));
        }
    }
    eprintln!(
        "validate_oracle: {} cases ({} files, {} mutations of {} bases), {rejected} rejected by the oracle",
        cases.len(),
        corpus.len(),
        cases.len() - corpus.len(),
        bases.len()
    );
    eprintln!("validate_oracle: mutations by (kind, depth): {counts:?}");
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
    assert!(cases.len() - corpus.len() >= 200, "a few hundred mutations");
    assert!(rejected >= 100, "the mutations reach what KFP rejects");
}

#[test]
fn the_committed_schema_is_what_scripts_gen_descriptors_makes() {
    python();
    let output = Command::new(repo().join("scripts/gen-descriptors"))
        .arg("-")
        .output()
        .expect("scripts/gen-descriptors runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = std::fs::read(repo().join("src/validate/kfp-2.17.3.binpb")).unwrap();
    assert!(
        output.stdout == committed,
        "src/validate/kfp-2.17.3.binpb is stale: run scripts/gen-descriptors and commit the result"
    );
}
