//! The prune plan, pure: which versions of a pipeline go and why each other one stays.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;

use crate::resolve::newest_first;
use crate::resources::VersionSummary;

/// What the user asked to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The N newest versions stay.
    pub keep: usize,
    /// Versions created after this stay (`--older-than`).
    pub cutoff: Option<Timestamp>,
    /// `--protect-tag`: versions with one of these tags stay (KEY, or KEY=VALUE); None: every
    /// tagged version stays.
    pub protect_tags: Option<Vec<(String, Option<String>)>>,
    /// `--include-sources`: versions other copies were promoted from may go.
    pub include_sources: bool,
}

/// What the cluster says about uses of versions, by UID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    /// Version UID → ScheduledWorkflows (`namespace/name`) naming it by `spec.pipelineVersionId`.
    pub scheduled_versions: BTreeMap<String, Vec<String>>,
    /// Pipeline UID → ScheduledWorkflows naming only the pipeline (they run its latest).
    pub scheduled_pipelines: BTreeMap<String, Vec<String>>,
    /// Version UID → copies (`namespace/name`) whose `kubectl-kfp.io/promoted-from-uid` is it.
    pub copies: BTreeMap<String, Vec<String>>,
}

/// Why a version stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Latest,
    /// Among the N newest.
    Newest(usize),
    /// Younger than `--older-than`.
    Young,
    /// Named by these ScheduledWorkflows' `spec.pipelineVersionId`.
    Scheduled(Vec<String>),
    /// The latest, which these ScheduledWorkflows run (they name only the pipeline).
    RunsLatest(Vec<String>),
    /// Carries these protected tags.
    Tagged(Vec<String>),
    /// These copies were promoted from it.
    Source(Vec<String>),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Latest => f.write_str("latest"),
            Reason::Newest(n) => write!(f, "newest {n}"),
            Reason::Young => f.write_str("newer than --older-than"),
            Reason::Scheduled(by) => write!(f, "scheduled by {}", list(by)),
            Reason::RunsLatest(by) => write!(f, "runs as latest for {}", list(by)),
            Reason::Tagged(tags) => write!(f, "tagged {}", tags.join(",")),
            Reason::Source(copies) => write!(f, "promoted to {}", list(copies)),
        }
    }
}

/// Up to three names, then how many more.
fn list(names: &[String]) -> String {
    match names.len() {
        0..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    }
}

/// One version's fate: kept for these reasons, or deleted when there are none.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub version: VersionSummary,
    pub reasons: Vec<Reason>,
}

impl Decision {
    pub fn delete(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// Decides for each version of one pipeline (any order in; newest first out).
pub fn plan(
    versions: &[VersionSummary],
    pipeline_uid: Option<&str>,
    policy: &Policy,
    uses: &Uses,
) -> Vec<Decision> {
    let mut sorted: Vec<&VersionSummary> = versions.iter().collect();
    sorted.sort_by(|a, b| newest_first(a, b));
    let runs_latest = pipeline_uid
        .and_then(|uid| uses.scheduled_pipelines.get(uid))
        .cloned()
        .unwrap_or_default();
    sorted
        .into_iter()
        .enumerate()
        .map(|(index, version)| {
            let mut reasons = Vec::new();
            if index == 0 {
                reasons.push(Reason::Latest);
                if !runs_latest.is_empty() {
                    reasons.push(Reason::RunsLatest(runs_latest.clone()));
                }
            }
            if index < policy.keep {
                reasons.push(Reason::Newest(policy.keep));
            }
            if let (Some(cutoff), Some(created)) = (policy.cutoff, version.created)
                && created > cutoff
            {
                reasons.push(Reason::Young);
            }
            let uid = version.uid.as_deref().unwrap_or_default();
            if let Some(by) = uses.scheduled_versions.get(uid) {
                reasons.push(Reason::Scheduled(by.clone()));
            }
            let tags = protected_tags(version, policy.protect_tags.as_deref());
            if !tags.is_empty() {
                reasons.push(Reason::Tagged(tags));
            }
            if !policy.include_sources
                && let Some(copies) = uses.copies.get(uid)
            {
                reasons.push(Reason::Source(copies.clone()));
            }
            Decision {
                version: version.clone(),
                reasons,
            }
        })
        .collect()
}

/// The version's tags that protect it, as `KEY=VALUE`.
fn protected_tags(version: &VersionSummary, protect: Option<&[(String, Option<String>)]>) -> Vec<String> {
    version
        .tags
        .iter()
        .filter(|(key, value)| match protect {
            None => true,
            Some(rules) => rules
                .iter()
                .any(|(k, v)| k == *key && v.as_ref().is_none_or(|v| v == *value)),
        })
        .map(|(key, value)| format!("{key}={value}"))
        .collect()
}

/// `--older-than`: a number and a unit (s, m, h, d, w), repeated: `30d`, `1w2d`, `12h`.
pub fn parse_age(text: &str) -> Result<jiff::SignedDuration, String> {
    let mut seconds: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("it is empty".into());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err("expected a number, e.g. 30d or 12h".into());
        }
        let number: i64 = rest[..digits]
            .parse()
            .map_err(|_| "the number is too large".to_string())?;
        rest = &rest[digits..];
        let unit = rest
            .chars()
            .next()
            .ok_or("a unit (s, m, h, d or w) is missing after the number")?;
        let per_unit = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            other => return Err(format!("unknown unit {other:?}; use s, m, h, d or w")),
        };
        rest = &rest[unit.len_utf8()..];
        seconds = number
            .checked_mul(per_unit)
            .and_then(|s| s.checked_add(seconds))
            .ok_or("the duration is too long")?;
    }
    Ok(jiff::SignedDuration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::API_VERSION;
    use serde_json::json;

    fn version(n: u32, tags: &[(&str, &str)]) -> VersionSummary {
        let mut v: VersionSummary = serde_json::from_value(json!({
            "apiVersion": API_VERSION, "kind": "PipelineVersion",
            "metadata": {"name": format!("p-v{n}"), "uid": format!("uid-{n:02}"),
                         "creationTimestamp": format!("2026-01-{n:02}T00:00:00Z")},
            "spec": {"pipelineName": "p", "versionName": format!("v{n}"), "pipelineSpec": {}}
        }))
        .unwrap();
        v.tags = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        v
    }

    fn policy(keep: usize) -> Policy {
        Policy {
            keep,
            cutoff: None,
            protect_tags: None,
            include_sources: false,
        }
    }

    /// `name: reasons` per version, newest first, `-` for deleted ones.
    fn outline(decisions: &[Decision]) -> Vec<String> {
        decisions
            .iter()
            .map(|d| {
                let reasons: Vec<String> = d.reasons.iter().map(ToString::to_string).collect();
                let text = if d.delete() {
                    "-".to_string()
                } else {
                    reasons.join("; ")
                };
                format!("{}: {text}", d.version.version_name())
            })
            .collect()
    }

    #[test]
    fn keeps_latest_newest_and_each_protected_kind() {
        let versions: Vec<VersionSummary> = vec![
            version(1, &[]),
            version(2, &[("stage", "production")]),
            version(3, &[]),
            version(4, &[]),
            version(5, &[]),
            version(6, &[]),
            version(7, &[]),
        ];
        let uses = Uses {
            scheduled_versions: BTreeMap::from([("uid-03".into(), vec!["team-a/nightly".into()])]),
            scheduled_pipelines: BTreeMap::from([("pipe".into(), vec!["team-a/latest-run".into()])]),
            copies: BTreeMap::from([("uid-04".into(), vec!["kubeflow/p-v4".into()])]),
        };
        let decisions = plan(&versions, Some("pipe"), &policy(2), &uses);
        assert_eq!(
            outline(&decisions),
            [
                "v7: latest; runs as latest for team-a/latest-run; newest 2",
                "v6: newest 2",
                "v5: -",
                "v4: promoted to kubeflow/p-v4",
                "v3: scheduled by team-a/nightly",
                "v2: tagged stage=production",
                "v1: -",
            ]
        );
        let loose = Policy {
            include_sources: true,
            protect_tags: Some(vec![("stage".into(), Some("qa".into()))]),
            ..policy(1)
        };
        let decisions = plan(&versions, Some("other"), &loose, &uses);
        assert_eq!(
            outline(&decisions),
            [
                "v7: latest; newest 1",
                "v6: -",
                "v5: -",
                "v4: -",
                "v3: scheduled by team-a/nightly",
                "v2: -",
                "v1: -",
            ]
        );
    }

    #[test]
    fn keep_zero_still_keeps_the_latest_and_young_versions_stay() {
        let versions = vec![version(1, &[]), version(2, &[]), version(3, &[])];
        let young = Policy {
            cutoff: Some("2026-01-01T12:00:00Z".parse().unwrap()),
            ..policy(0)
        };
        assert_eq!(
            outline(&plan(&versions, None, &young, &Uses::default())),
            [
                "v3: latest; newer than --older-than",
                "v2: newer than --older-than",
                "v1: -"
            ]
        );
    }

    #[test]
    fn protect_tag_matches_key_or_key_and_value() {
        let v = version(1, &[("stage", "production"), ("team", "ml")]);
        assert_eq!(protected_tags(&v, None), ["stage=production", "team=ml"]);
        let key_only = [("team".to_string(), None)];
        assert_eq!(protected_tags(&v, Some(&key_only)), ["team=ml"]);
        let pair = [("stage".to_string(), Some("qa".to_string()))];
        assert!(protected_tags(&v, Some(&pair)).is_empty());
    }

    #[test]
    fn ages_parse_with_days_and_weeks() {
        assert_eq!(parse_age("30d"), Ok(jiff::SignedDuration::from_hours(720)));
        assert_eq!(parse_age("1w2d"), Ok(jiff::SignedDuration::from_hours(216)));
        assert_eq!(parse_age("90m"), Ok(jiff::SignedDuration::from_mins(90)));
        assert!(parse_age("").is_err());
        assert!(parse_age("5").is_err());
        assert!(parse_age("5y").is_err());
        assert!(parse_age("d").is_err());
    }

    #[test]
    fn long_lists_of_users_are_cut() {
        let names: Vec<String> = (1..=5).map(|i| format!("ns/s{i}")).collect();
        assert_eq!(
            Reason::Scheduled(names).to_string(),
            "scheduled by ns/s1, ns/s2, ns/s3 and 2 more"
        );
    }
}
