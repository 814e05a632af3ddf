//! Drift, pure: for each pipeline of the baseline (the shared namespace of the first cluster),
//! the state of every target namespace's latest version against the baseline's versions.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use super::{ClusterId, Members, Snapshot, members};
use crate::resources::VersionSummary;

/// How a namespace's latest version relates to the baseline pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Its content is the baseline's latest.
    Current,
    /// Its content is an older baseline version; N baseline versions are newer.
    Behind(usize),
    /// Content the baseline never had.
    Diverged,
    /// No version of the pipeline there.
    Absent,
    /// The cluster could not be read.
    Unreachable,
}

impl State {
    /// The stable word in JSON and `--fail-on`.
    pub fn word(self) -> &'static str {
        match self {
            State::Current => "current",
            State::Behind(_) => "behind",
            State::Diverged => "diverged",
            State::Absent => "absent",
            State::Unreachable => "unreachable",
        }
    }

    /// The STATE column: `behind 2`, else the word.
    pub fn text(self) -> String {
        match self {
            State::Behind(n) => format!("behind {n}"),
            other => other.word().to_string(),
        }
    }
}

/// The states `--fail-on` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Behind,
    Diverged,
    Absent,
}

impl FailOn {
    pub fn matches(self, state: State) -> bool {
        matches!(
            (self, state),
            (FailOn::Behind, State::Behind(_))
                | (FailOn::Diverged, State::Diverged)
                | (FailOn::Absent, State::Absent)
        )
    }
}

/// One version in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRef {
    pub version: String,
    pub name: String,
    pub digest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
}

impl VersionRef {
    pub fn of(version: &VersionSummary) -> VersionRef {
        VersionRef {
            version: version.version_name(),
            name: version.name.clone(),
            digest: version.digest.clone(),
            created: version.created,
        }
    }
}

/// One row: a pipeline in one namespace of one cluster (or a cluster that could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub pipeline: Option<String>,
    pub cluster: ClusterId,
    pub namespace: Option<String>,
    pub state: State,
    /// The namespace's latest version.
    pub latest: Option<VersionRef>,
    /// The baseline's version with the same content, when there is one.
    pub matches: Option<String>,
    pub baseline_latest: Option<VersionRef>,
    /// Why the cluster could not be read.
    pub error: Option<String>,
}

/// Where to look in one cluster.
#[derive(Debug, Clone)]
pub enum Namespaces {
    /// These namespaces, each a row even when it lacks the pipeline.
    Listed(Vec<String>),
    /// Every namespace holding at least one pipeline (`-A`).
    All,
}

/// One cluster to compare with the baseline: what was read, or why it could not be.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub cluster: ClusterId,
    pub snapshot: Result<&'a Snapshot, String>,
    pub namespaces: Namespaces,
}

/// The state of a namespace's latest version against the baseline's versions (newest first).
pub fn state(baseline: &[&VersionSummary], latest: Option<&VersionSummary>) -> (State, Option<String>) {
    let Some(latest) = latest else {
        return (State::Absent, None);
    };
    match baseline.iter().position(|v| v.digest == latest.digest) {
        Some(0) => (State::Current, Some(baseline[0].version_name())),
        Some(n) => (State::Behind(n), Some(baseline[n].version_name())),
        None => (State::Diverged, None),
    }
}

/// The rows for every baseline pipeline (or the `only` ones) in every target namespace.
/// `baseline` is the shared namespace `baseline_ns` of the first target's cluster, which is
/// itself never a row. Rows are ordered by pipeline, then target order, then namespace;
/// clusters that could not be read come last.
pub fn compare(baseline: &Snapshot, baseline_ns: &str, only: &[String], targets: &[Target<'_>]) -> Vec<Row> {
    let base = members(&baseline.pipelines, &baseline.versions);
    let mut chosen: Vec<&Members<'_>> = base
        .iter()
        .filter(|m| m.namespace == baseline_ns)
        .filter(|m| {
            only.is_empty()
                || only
                    .iter()
                    .any(|p| *p == m.pipeline.metadata.name.clone().unwrap_or_default())
        })
        .collect();
    chosen.sort_by_key(|m| m.pipeline.metadata.name.clone());
    let mut rows = Vec::new();
    let grouped: Vec<Option<(Vec<Members<'_>>, BTreeSet<String>)>> = targets
        .iter()
        .map(|t| {
            t.snapshot.as_ref().ok().map(|s| {
                let forbidden: BTreeSet<String> = s.forbidden.iter().cloned().collect();
                (members(&s.pipelines, &s.versions), forbidden)
            })
        })
        .collect();
    for base_members in chosen {
        let name = base_members.pipeline.metadata.name.clone().unwrap_or_default();
        let baseline_latest = base_members.latest().map(VersionRef::of);
        for (target, grouped) in targets.iter().zip(&grouped) {
            let Some((target_members, forbidden)) = grouped else {
                continue;
            };
            let by_namespace: HashMap<&str, &Members<'_>> = target_members
                .iter()
                .filter(|m| m.pipeline.metadata.name.as_deref() == Some(name.as_str()))
                .map(|m| (m.namespace.as_str(), m))
                .collect();
            let namespaces: BTreeSet<String> = match &target.namespaces {
                Namespaces::Listed(list) => list.iter().cloned().collect(),
                Namespaces::All => target_members.iter().map(|m| m.namespace.clone()).collect(),
            };
            let is_baseline = |ns: &str| target.cluster == baseline.cluster && ns == baseline_ns;
            for namespace in namespaces
                .iter()
                .filter(|ns| !is_baseline(ns) && !forbidden.contains(*ns))
            {
                let latest = by_namespace.get(namespace.as_str()).and_then(|m| m.latest());
                let (state, matches) = state(&base_members.versions, latest);
                rows.push(Row {
                    pipeline: Some(name.clone()),
                    cluster: target.cluster.clone(),
                    namespace: Some(namespace.clone()),
                    state,
                    latest: latest.map(VersionRef::of),
                    matches,
                    baseline_latest: baseline_latest.clone(),
                    error: None,
                });
            }
        }
    }
    // Clusters that could not be read come last, one row each.
    for target in targets {
        if let Err(error) = &target.snapshot {
            rows.push(Row {
                pipeline: None,
                cluster: target.cluster.clone(),
                namespace: None,
                state: State::Unreachable,
                latest: None,
                matches: None,
                baseline_latest: None,
                error: Some(error.clone()),
            });
        }
    }
    rows
}

/// Whether any row is in a state `fail_on` counts (unreachable clusters are errors, not drift).
pub fn drifted(rows: &[Row], fail_on: &[FailOn]) -> bool {
    rows.iter().any(|r| fail_on.iter().any(|f| f.matches(r.state)))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{pipeline, version};
    use super::*;

    fn cluster(name: &str) -> ClusterId {
        ClusterId {
            context: Some(name.into()),
            server: format!("https://{name}"),
        }
    }

    /// Shared `train` v1..v3 (digests 1, 2, 3); teams on v3 (current), v1 (behind 2), own
    /// content (diverged); team-d has another pipeline only (absent with -A).
    fn snapshot() -> Snapshot {
        let mut pipelines = vec![pipeline("kubeflow", "train", "s")];
        let mut versions = vec![
            version("kubeflow", "s", "train", "v1", "1", 1, &[]),
            version("kubeflow", "s", "train", "v2", "2", 2, &[]),
            version("kubeflow", "s", "train", "v3", "3", 3, &[]),
        ];
        for (ns, digests) in [
            ("team-a", &["1", "3"][..]),
            ("team-b", &["1"]),
            ("team-c", &["1", "x"]),
        ] {
            pipelines.push(pipeline(ns, "train", ns));
            for (i, d) in digests.iter().enumerate() {
                versions.push(version(
                    ns,
                    ns,
                    "train",
                    &format!("v{}", i + 1),
                    d,
                    10 + i as u32,
                    &[],
                ));
            }
        }
        pipelines.push(pipeline("team-d", "other", "d"));
        Snapshot {
            cluster: cluster("staging"),
            pipelines,
            versions,
            forbidden: vec![],
        }
    }

    fn states(rows: &[Row]) -> Vec<(String, String)> {
        rows.iter()
            .map(|r| (r.namespace.clone().unwrap_or_default(), r.state.text()))
            .collect()
    }

    #[test]
    fn all_namespaces_show_current_behind_diverged_and_absent() {
        let s = snapshot();
        let targets = [Target {
            cluster: s.cluster.clone(),
            snapshot: Ok(&s),
            namespaces: Namespaces::All,
        }];
        let rows = compare(&s, "kubeflow", &[], &targets);
        assert_eq!(
            states(&rows),
            [
                ("team-a".into(), "current".into()),
                ("team-b".into(), "behind 2".into()),
                ("team-c".into(), "diverged".into()),
                ("team-d".into(), "absent".into()),
            ]
        );
        assert_eq!(rows[1].matches.as_deref(), Some("v1"));
        assert_eq!(rows[1].baseline_latest.as_ref().unwrap().version, "v3");
        assert!(drifted(&rows, &[FailOn::Behind]));
        assert!(!drifted(
            &rows[..1],
            &[FailOn::Behind, FailOn::Diverged, FailOn::Absent]
        ));
        assert!(!drifted(&rows[3..], &[FailOn::Behind, FailOn::Diverged]));
        assert!(drifted(&rows[3..], &[FailOn::Absent]));
    }

    #[test]
    fn listed_namespaces_skip_forbidden_ones_and_the_baseline_itself() {
        let mut s = snapshot();
        s.forbidden = vec!["team-b".into()];
        let listed = |names: &[&str]| Namespaces::Listed(names.iter().map(|n| n.to_string()).collect());
        let targets = [Target {
            cluster: s.cluster.clone(),
            snapshot: Ok(&s),
            namespaces: listed(&["kubeflow", "team-b", "team-x"]),
        }];
        let rows = compare(&s, "kubeflow", &[], &targets);
        assert_eq!(states(&rows), [("team-x".into(), "absent".into())]);
        assert!(compare(&s, "kubeflow", &["nope".into()], &targets).is_empty());
    }

    #[test]
    fn another_cluster_is_compared_and_an_unreachable_one_is_a_row() {
        let s = snapshot();
        let mut prod = snapshot();
        prod.cluster = cluster("prod");
        // prod's shared namespace lacks v3.
        prod.versions.retain(|v| v.name != "train-v3");
        let targets = [
            Target {
                cluster: prod.cluster.clone(),
                snapshot: Ok(&prod),
                namespaces: Namespaces::Listed(vec!["kubeflow".into()]),
            },
            Target {
                cluster: cluster("down"),
                snapshot: Err("cannot reach".into()),
                namespaces: Namespaces::Listed(vec!["kubeflow".into()]),
            },
        ];
        let rows = compare(&s, "kubeflow", &[], &targets);
        assert_eq!(rows[0].state, State::Behind(1));
        assert_eq!(rows[0].cluster, cluster("prod"));
        assert_eq!(rows[1].state, State::Unreachable);
        assert_eq!(rows[1].error.as_deref(), Some("cannot reach"));
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn state_prefers_the_newest_baseline_version_with_that_content() {
        let s = snapshot();
        let grouped = members(&s.pipelines, &s.versions);
        let base = &grouped[0].versions;
        assert_eq!(state(base, None), (State::Absent, None));
        assert_eq!(state(base, Some(base[0])), (State::Current, Some("v3".into())));
        assert_eq!(state(base, Some(base[2])), (State::Behind(2), Some("v1".into())));
    }
}
