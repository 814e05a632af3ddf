//! The fix plan: what `--fix` writes, and only what KFP's mutating webhook itself would have
//! written on a version whose Pipeline exists: the two labels and one ownerReference
//! `{apiVersion, kind: Pipeline, name, uid, blockOwnerDeletion: true}` (no `controller`).
//! Pure; [`repair`] is applied again to the object as re-read just before writing.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::resources::{API_VERSION, GROUP, LABEL_PIPELINE_ID, LABEL_PIPELINE_NAME};

use super::collect::{DataState, PipelineFacts};

/// One version to repair, and its Pipeline as it was when checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub namespace: String,
    pub name: String,
    pub pipeline: String,
    pub pipeline_uid: String,
    /// What changes, for the confirmation and `--dry-run`.
    pub changes: Vec<String>,
}

/// Label values are at most 63 characters; KFP's webhook cuts the name there.
pub fn pipeline_label(name: &str) -> String {
    name.chars().take(63).collect()
}

/// Whether an owner reference points at a KFP Pipeline (of any version of the group).
pub fn is_pipeline_owner(owner: &OwnerReference) -> bool {
    owner.kind == "Pipeline" && owner.api_version.split('/').next() == Some(GROUP)
}

/// Sets the labels and owner reference the webhook would set for Pipeline `name`/`uid`; other
/// labels and non-Pipeline owners are kept, and an owner reference already pointing at this
/// Pipeline is kept as it is. Returns what changed (empty: nothing to do).
pub fn repair(
    labels: &mut BTreeMap<String, String>,
    owners: &mut Vec<OwnerReference>,
    name: &str,
    uid: &str,
) -> Vec<String> {
    let mut changes = Vec::new();
    for (key, want) in [
        (LABEL_PIPELINE_ID, uid.to_string()),
        (LABEL_PIPELINE_NAME, pipeline_label(name)),
    ] {
        let have = labels.get(key);
        if have != Some(&want) {
            changes.push(format!(
                "label {key}: {} -> {want}",
                have.map_or("(none)".to_string(), |h| format!("{h:?}"))
            ));
            labels.insert(key.to_string(), want);
        }
    }
    owners.retain(|owner| {
        let stale = is_pipeline_owner(owner) && owner.uid != uid;
        if stale {
            changes.push(format!(
                "ownerReference: remove Pipeline {} (uid {})",
                owner.name, owner.uid
            ));
        }
        !stale
    });
    if !owners
        .iter()
        .any(|owner| is_pipeline_owner(owner) && owner.uid == uid)
    {
        changes.push(format!("ownerReference: add Pipeline {name} (uid {uid})"));
        owners.push(OwnerReference {
            api_version: API_VERSION.to_string(),
            kind: "Pipeline".to_string(),
            name: name.to_string(),
            uid: uid.to_string(),
            block_owner_deletion: Some(true),
            controller: None,
        });
    }
    changes
}

/// The Pipeline a version belongs to by `spec.pipelineName`, as KFP's webhook finds it.
pub fn pipeline_of<'a>(data: &'a DataState, namespace: &str, name: &str) -> Option<&'a PipelineFacts> {
    data.pipelines
        .iter()
        .find(|p| p.namespace == namespace && p.name == name)
}

/// Every version whose Pipeline exists and whose labels or owner differ from the webhook's.
pub fn fixes(data: &DataState) -> Vec<Fix> {
    let mut fixes: Vec<Fix> = data
        .versions
        .iter()
        .filter_map(|version| {
            let pipeline = pipeline_of(data, &version.namespace, &version.spec_pipeline_name)?;
            let mut labels = version.labels.clone();
            let mut owners = version.owners.clone();
            let changes = repair(&mut labels, &mut owners, &pipeline.name, &pipeline.uid);
            (!changes.is_empty()).then(|| Fix {
                namespace: version.namespace.clone(),
                name: version.name.clone(),
                pipeline: pipeline.name.clone(),
                pipeline_uid: pipeline.uid.clone(),
                changes,
            })
        })
        .collect();
    fixes.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    fixes
}

/// The plan as shown before the question (stderr).
pub fn describe(fixes: &[Fix]) -> String {
    let mut text = String::from("Fix:\n");
    for fix in fixes {
        text.push_str(&format!(
            "  pipelineversion.pipelines.kubeflow.org/{} (namespace {:?}, pipeline {})\n",
            fix.name, fix.namespace, fix.pipeline
        ));
        for change in &fix.changes {
            text.push_str(&format!("    {change}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::doctor::collect::VersionFacts;

    fn owner(name: &str, uid: &str, controller: Option<bool>) -> OwnerReference {
        OwnerReference {
            api_version: API_VERSION.into(),
            kind: "Pipeline".into(),
            name: name.into(),
            uid: uid.into(),
            block_owner_deletion: None,
            controller,
        }
    }

    fn state(versions: Vec<VersionFacts>) -> DataState {
        DataState {
            namespaces: vec!["team-a".into()],
            pipelines: vec![PipelineFacts {
                namespace: "team-a".into(),
                name: "train".into(),
                uid: "u-new".into(),
            }],
            versions,
            sources: BTreeMap::new(),
        }
    }

    fn version(name: &str, pipeline: &str) -> VersionFacts {
        VersionFacts {
            namespace: "team-a".into(),
            name: name.into(),
            spec_pipeline_name: pipeline.into(),
            ..VersionFacts::default()
        }
    }

    #[test]
    fn writes_what_the_webhook_writes_and_nothing_else() {
        let mut labels = BTreeMap::from([("team".to_string(), "ml".to_string())]);
        let other = OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "c".into(),
            uid: "c1".into(),
            ..OwnerReference::default()
        };
        let mut owners = vec![other.clone(), owner("train", "u-old", Some(true))];
        let long = "p".repeat(70);
        let changes = repair(&mut labels, &mut owners, &long, "u-new");
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert_eq!(labels[LABEL_PIPELINE_ID], "u-new");
        assert_eq!(labels[LABEL_PIPELINE_NAME], "p".repeat(63));
        assert_eq!(labels["team"], "ml");
        assert_eq!(
            owners,
            vec![
                other,
                OwnerReference {
                    api_version: "pipelines.kubeflow.org/v2beta1".into(),
                    kind: "Pipeline".into(),
                    name: long.clone(),
                    uid: "u-new".into(),
                    block_owner_deletion: Some(true),
                    controller: None,
                }
            ]
        );
        assert!(
            repair(&mut labels, &mut owners, &long, "u-new").is_empty(),
            "repair is idempotent"
        );
    }

    #[test]
    fn an_owner_already_pointing_at_the_pipeline_is_kept() {
        let mut labels = BTreeMap::from([
            (LABEL_PIPELINE_ID.to_string(), "u-new".to_string()),
            (LABEL_PIPELINE_NAME.to_string(), "train".to_string()),
        ]);
        let mut owners = vec![owner("train", "u-new", Some(true))];
        assert!(repair(&mut labels, &mut owners, "train", "u-new").is_empty());
    }

    #[test]
    fn plans_only_versions_whose_pipeline_exists() {
        let mut stale = version("train-v1", "train");
        stale.labels.insert(LABEL_PIPELINE_ID.into(), "u-old".into());
        stale.labels.insert(LABEL_PIPELINE_NAME.into(), "train".into());
        stale.owners = vec![owner("train", "u-old", None)];
        let orphan = version("gone-v1", "gone");
        let plan = fixes(&state(vec![stale, orphan]));
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].name, "train-v1");
        assert_eq!(plan[0].pipeline_uid, "u-new");
        assert_eq!(
            plan[0].changes,
            [
                "label pipelines.kubeflow.org/pipeline-id: \"u-old\" -> u-new",
                "ownerReference: remove Pipeline train (uid u-old)",
                "ownerReference: add Pipeline train (uid u-new)"
            ]
        );
    }
}
