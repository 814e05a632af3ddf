//! Reading compiled pipelines from files: the SDK's IR (YAML or JSON, optionally followed by
//! a platform spec document) or its `--kubernetes-manifest-format` output (Pipeline and/or
//! PipelineVersion documents). The spec itself is checked by `validate`.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::resources::API_VERSION;
use crate::yaml;

/// Files larger than this are refused before parsing. With the YAML bounds (nesting and node
/// count, see `yaml::check_bounds`) this keeps memory and time bounded for any input; the
/// largest pipeline the server can store (1.5 MiB) is far below it in any YAML style.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A compiled pipeline as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPipeline {
    /// The file as the user named it (`-` is "standard input").
    pub source: String,
    pub pipeline_spec: Value,
    pub platform_spec: Option<Value>,
    /// Names and texts from `--kubernetes-manifest-format` documents, when the file had them.
    pub manifest: Option<ManifestNames>,
}

/// What the SDK's Kubernetes manifests say about names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestNames {
    pub pipeline_name: Option<String>,
    pub pipeline_display_name: Option<String>,
    pub pipeline_description: Option<String>,
    pub version_object_name: Option<String>,
    pub version_name: Option<String>,
    pub version_display_name: Option<String>,
    pub version_description: Option<String>,
}

/// Why a file is not a compiled pipeline. The Display text follows `file "<name>" `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot be read: {0}")]
    Io(String),
    #[error("is a directory")]
    Directory,
    #[error("is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("is empty")]
    Empty,
    #[error("has no YAML document (only comments or blank lines)")]
    NoDocuments,
    #[error("is a zip archive, not a compiled pipeline; extract the pipeline YAML from it and pass that")]
    Zip,
    #[error("is a gzip archive, not a compiled pipeline; extract the pipeline YAML from it and pass that")]
    Gzip,
    #[error("is not UTF-8 text (it looks like a binary file)")]
    Binary,
    #[error("is not valid YAML or JSON: {0}")]
    Syntax(String),
    #[error("is too complex to be a compiled pipeline: it {0}")]
    TooComplex(String),
    #[error("is not a compiled KFP pipeline: {0}")]
    NotAPipeline(String),
}

/// Reads and checks a file (`-` for standard input).
pub fn read(path: &Path) -> Result<CompiledPipeline, ManifestError> {
    let source = if path.as_os_str() == "-" {
        "-".to_string()
    } else {
        path.display().to_string()
    };
    let bytes = if source == "-" {
        let mut buffer = Vec::new();
        std::io::stdin()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buffer)
            .map_err(|e| ManifestError::Io(e.to_string()))?;
        if buffer.len() as u64 > MAX_FILE_BYTES {
            return Err(ManifestError::TooLarge {
                size: buffer.len() as u64,
                limit: MAX_FILE_BYTES,
            });
        }
        buffer
    } else {
        let metadata = std::fs::metadata(path).map_err(|e| ManifestError::Io(io_reason(&e)))?;
        if metadata.is_dir() {
            return Err(ManifestError::Directory);
        }
        if metadata.len() > MAX_FILE_BYTES {
            return Err(ManifestError::TooLarge {
                size: metadata.len(),
                limit: MAX_FILE_BYTES,
            });
        }
        std::fs::read(path).map_err(|e| ManifestError::Io(io_reason(&e)))?
    };
    parse(&bytes, source)
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = err.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_string()
        }
    }
}

/// Parses bytes already in memory; `source` names them in messages.
pub fn parse(bytes: &[u8], source: String) -> Result<CompiledPipeline, ManifestError> {
    if bytes.is_empty() {
        return Err(ManifestError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Err(ManifestError::Zip);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(ManifestError::Gzip);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ManifestError::Binary)?;
    if text.contains('\0') {
        return Err(ManifestError::Binary);
    }
    // `documents` checks the bounds before parsing; a text beyond them is its own error.
    let documents = yaml::documents(text).map_err(|e| match e.bound {
        Some(bound) => ManifestError::TooComplex(bound.to_string()),
        None => ManifestError::Syntax(e.message),
    })?;
    if documents.is_empty() {
        return Err(ManifestError::NoDocuments);
    }
    let compiled = if documents
        .iter()
        .any(|d| d.get("kind").is_some() && d.get("apiVersion").is_some())
    {
        from_manifests(documents, source)?
    } else {
        from_ir(documents, source)?
    };
    check_document(&compiled.pipeline_spec)?;
    Ok(compiled)
}

/// IR: the pipeline spec, optionally followed by the platform spec.
fn from_ir(mut documents: Vec<Value>, source: String) -> Result<CompiledPipeline, ManifestError> {
    if documents.len() > 2 {
        return Err(ManifestError::NotAPipeline(format!(
            "it has {} documents; a compiled pipeline has one (the pipeline spec) or two (plus the platform spec)",
            documents.len()
        )));
    }
    let platform_spec = if documents.len() == 2 {
        documents.pop()
    } else {
        None
    };
    let pipeline_spec = documents.pop().unwrap_or(Value::Null);
    if let Some(platform) = &platform_spec
        && platform.get("platforms").is_none()
    {
        return Err(ManifestError::NotAPipeline(
            "its second document is not a platform spec (no \"platforms\" field)".into(),
        ));
    }
    Ok(CompiledPipeline {
        source,
        pipeline_spec,
        platform_spec,
        manifest: None,
    })
}

/// The SDK's `--kubernetes-manifest-format`: a Pipeline and/or a PipelineVersion.
fn from_manifests(documents: Vec<Value>, source: String) -> Result<CompiledPipeline, ManifestError> {
    let mut names = ManifestNames::default();
    let mut version_spec = None;
    for document in documents {
        let api_version = document.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = document.get("kind").and_then(Value::as_str).unwrap_or("");
        if api_version != API_VERSION || !matches!(kind, "Pipeline" | "PipelineVersion") {
            return Err(ManifestError::NotAPipeline(format!(
                "it holds a {kind} ({api_version}); expected the SDK's compiled IR or {API_VERSION} Pipeline/PipelineVersion documents"
            )));
        }
        let name = document
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let text = |field: &str| {
            document
                .pointer(&format!("/spec/{field}"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if kind == "Pipeline" {
            names.pipeline_name = name;
            names.pipeline_display_name = text("displayName");
            names.pipeline_description = text("description");
        } else {
            if version_spec.is_some() {
                return Err(ManifestError::NotAPipeline(
                    "it holds more than one PipelineVersion".into(),
                ));
            }
            names.version_object_name = name;
            names.version_name = text("versionName");
            names.version_display_name = text("displayName");
            names.version_description = text("description");
            if names.pipeline_name.is_none() {
                names.pipeline_name = text("pipelineName");
            }
            version_spec = document.get("spec").cloned();
        }
    }
    let Some(spec) = version_spec else {
        return Err(ManifestError::NotAPipeline(
            "it holds a Pipeline but no PipelineVersion; there is nothing to create a version from".into(),
        ));
    };
    let pipeline_spec = spec
        .get("pipelineSpec")
        .cloned()
        .ok_or_else(|| ManifestError::NotAPipeline("its PipelineVersion has no spec.pipelineSpec".into()))?;
    let platform_spec = spec.get("platformSpec").cloned().filter(|p| !p.is_null());
    // The same rule as for the IR's second document, so what `get --spec` prints of a version
    // created from manifests can be created again (found by fuzzing).
    if let Some(platform) = &platform_spec
        && platform.get("platforms").is_none()
    {
        return Err(ManifestError::NotAPipeline(
            "its PipelineVersion's spec.platformSpec is not a platform spec (no \"platforms\" field)".into(),
        ));
    }
    Ok(CompiledPipeline {
        source,
        pipeline_spec,
        platform_spec,
        manifest: Some(names),
    })
}

/// That the pipeline spec is a mapping and not a component. Whether it is a valid spec is
/// `validate::check`'s business (`create` and `promote` call it; `diff` compares any spec).
fn check_document(spec: &Value) -> Result<(), ManifestError> {
    let Some(object) = spec.as_object() else {
        return Err(ManifestError::NotAPipeline(
            "the document is not a mapping".into(),
        ));
    };
    if object.contains_key("implementation") || object.contains_key("executorLabel") {
        return Err(ManifestError::NotAPipeline(
            "it looks like a component spec; compile a pipeline (kfp dsl compile) and pass its output".into(),
        ));
    }
    Ok(())
}

impl CompiledPipeline {
    /// `pipelineSpec.pipelineInfo.name` (`validate::check` makes sure it is there).
    pub fn pipeline_info_name(&self) -> &str {
        self.pipeline_spec
            .pointer("/pipelineInfo/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `pipelineSpec.pipelineInfo.description`, when the SDK wrote one.
    pub fn description(&self) -> Option<&str> {
        self.pipeline_spec
            .pointer("/pipelineInfo/description")
            .and_then(Value::as_str)
    }

    /// `pipelineSpec.pipelineInfo.displayName`, when the SDK wrote one.
    pub fn display_name(&self) -> Option<&str> {
        self.pipeline_spec
            .pointer("/pipelineInfo/displayName")
            .and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_data::{compiled_examples, example_manifest, external_corpus, invalid_input};

    #[test]
    fn every_invalid_input_is_refused_with_a_reason() {
        let expectations = [
            ("empty_file.yaml", ManifestError::NoDocuments),
            ("empty_zip.zip", ManifestError::NoDocuments),
            ("wrong_format.png", ManifestError::NoDocuments),
            ("invalid-zip.zip", ManifestError::Zip),
        ];
        for (file, expected) in expectations {
            assert_eq!(read(&invalid_input(file)), Err(expected), "{file}");
        }
        // Readable documents with invalid specs are validate's to refuse (src/validate/tests.rs).
        for file in ["invalid_yaml.yaml", "no_name.yaml"] {
            assert!(read(&invalid_input(file)).is_ok(), "{file}");
        }
    }

    #[test]
    fn every_compiled_example_parses() {
        for path in compiled_examples() {
            let compiled = read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!compiled.pipeline_info_name().is_empty());
        }
    }

    #[test]
    fn external_corpus_every_valid_pipeline_parses() {
        let Some(files) = external_corpus("external_corpus_every_valid_pipeline_parses", "pipelines/valid")
        else {
            return;
        };
        assert_eq!(files.len(), 74);
        for path in files {
            let compiled = read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!compiled.pipeline_info_name().is_empty());
        }
    }

    #[test]
    fn sdk_manifests_give_names() {
        let compiled = read(&example_manifest("train_v1")).unwrap();
        let names = compiled.manifest.unwrap();
        assert_eq!(names.pipeline_name.as_deref(), Some("train"));
        assert_eq!(names.version_object_name.as_deref(), Some("train-v1"));
        let only_version = read(&example_manifest("train_v2")).unwrap();
        assert_eq!(
            only_version.manifest.unwrap().pipeline_name.as_deref(),
            Some("train")
        );
        assert!(
            read(&example_manifest("with_platform"))
                .unwrap()
                .platform_spec
                .is_some()
        );
    }

    #[test]
    fn other_kubernetes_objects_and_components_are_named() {
        let deployment = b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n";
        let err = parse(deployment, "d.yaml".into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "is not a compiled KFP pipeline: it holds a Deployment (apps/v1); expected the SDK's compiled IR or pipelines.kubeflow.org/v2beta1 Pipeline/PipelineVersion documents"
        );
        let component = b"executorLabel: exec-x\ninputDefinitions: {}\n";
        assert!(matches!(
            parse(component, "c.yaml".into()),
            Err(ManifestError::NotAPipeline(_))
        ));
    }

    #[test]
    fn platform_specs_need_platforms_in_both_forms() {
        let spec = "pipelineInfo: {name: p}\nroot: {}\n";
        let ir = format!("{spec}---\nkubernetes: {{}}\n");
        assert!(
            matches!(parse(ir.as_bytes(), "i".into()), Err(ManifestError::NotAPipeline(m)) if m.contains("platforms"))
        );
        let indented: String = spec.lines().map(|l| format!("    {l}\n")).collect();
        let manifest = format!(
            "apiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\nmetadata: {{name: p-v1}}\nspec:\n  pipelineName: p\n  platformSpec: {{kubernetes: {{}}}}\n  pipelineSpec:\n{indented}"
        );
        let err = parse(manifest.as_bytes(), "m".into()).unwrap_err();
        assert!(
            matches!(&err, ManifestError::NotAPipeline(m) if m.contains("spec.platformSpec")),
            "{err}"
        );
        let fixed = manifest.replace("{kubernetes: {}}", "{platforms: {kubernetes: {}}}");
        assert!(parse(fixed.as_bytes(), "m".into()).is_ok());
    }

    #[test]
    fn binary_and_syntax_errors() {
        assert_eq!(parse(&[0xff, 0xfe, 0x00], "b".into()), Err(ManifestError::Binary));
        let err = parse(b"a: [1,\n", "s".into()).unwrap_err();
        assert!(
            matches!(&err, ManifestError::Syntax(m) if m.contains("line")),
            "{err}"
        );
        assert_eq!(parse(b"", "e".into()), Err(ManifestError::Empty));
    }
}
