//! `kubectl kfp tag REF KEY=VALUE… [KEY-…] [--display-name S] [--move]`: change the two fields
//! KFP lets change after creation (`spec.tags`, `spec.displayName`) with update (PUT) and the
//! object's resourceVersion. A conflict re-reads and re-applies the intended change; a key
//! another writer changed meanwhile is never overwritten (one clear error instead).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Result;
use futures::StreamExt;
use kube::ResourceExt;
use kube::api::PostParams;

use crate::cli::{DryRun, TagArgs, WriteFormat};
use crate::client::{Action, Session, explain};
use crate::error::{ExitStatus, UserError};
use crate::interrupt;
use crate::labels::{self, TagChange};
use crate::output::progress::Work;
use crate::output::{DataFormat, Printer};
use crate::resolve::{self, Paging};
use crate::resources::PipelineVersion;

use super::{parse_reference, printable};

/// Updates tried before giving up on a version many writers change at once: each conflict
/// means another writer's update landed, so this bounds the writers one run waits out.
pub const MAX_ATTEMPTS: u32 = 64;

/// Removals `--move` sends at once.
const MOVES_IN_FLIGHT: usize = 8;

/// What to change on one version; applied to whatever the server holds at each attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub set: BTreeMap<String, String>,
    pub remove: BTreeSet<String>,
    /// Remove KEY only while it still has this value (`--move` on other versions).
    pub remove_if: BTreeMap<String, String>,
    pub display_name: Option<String>,
}

/// The fields an edit reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pub tags: BTreeMap<String, String>,
    pub display_name: Option<String>,
}

impl Fields {
    pub fn of(version: &PipelineVersion) -> Fields {
        Fields {
            tags: version.spec.tags.clone().unwrap_or_default(),
            display_name: version.spec.display_name.clone(),
        }
    }
}

impl Edit {
    /// Builds the edit from the command line, checking label syntax before anything is sent.
    pub fn parse(changes: &[String], display_name: Option<&str>) -> Result<Edit> {
        let mut edit = Edit {
            display_name: display_name.map(str::to_string),
            ..Edit::default()
        };
        for text in changes {
            match labels::parse_change(text) {
                Ok(TagChange::Set(key, value)) => {
                    edit.remove.remove(&key);
                    edit.set.insert(key, value);
                }
                Ok(TagChange::Remove(key)) => {
                    edit.set.remove(&key);
                    edit.remove.insert(key);
                }
                Err(why) => {
                    return Err(UserError::new(format!("invalid tag change {text:?}: {why}"))
                        .with_hint(
                            "tags are KEY=VALUE to set and KEY- to remove, e.g. stage=production or stage-",
                        )
                        .into());
                }
            }
        }
        if edit.set.is_empty() && edit.remove.is_empty() && edit.display_name.is_none() {
            return Err(UserError::new("tag needs KEY=VALUE, KEY- or --display-name")
                .with_hint("for example: kubectl kfp tag train@v3 stage=production")
                .into());
        }
        Ok(edit)
    }

    /// The fields after the edit, or None when the edit changes nothing.
    pub fn apply(&self, current: &Fields) -> Option<Fields> {
        let mut next = current.clone();
        for key in &self.remove {
            next.tags.remove(key);
        }
        for (key, value) in &self.remove_if {
            if next.tags.get(key) == Some(value) {
                next.tags.remove(key);
            }
        }
        next.tags
            .extend(self.set.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(name) = &self.display_name {
            next.display_name = Some(name.clone());
        }
        (next != *current).then_some(next)
    }

    /// What another writer changed, between `first` and `now`, of what this edit sets or
    /// removes, to something other than what it wants: writing now would overwrite it.
    pub fn clashes(&self, first: &Fields, now: &Fields) -> Vec<String> {
        let mut clashes = Vec::new();
        let touched = self.set.keys().chain(self.remove.iter());
        for key in touched {
            let wanted = self.set.get(key);
            let (before, after) = (first.tags.get(key), now.tags.get(key));
            if before != after && after != wanted {
                clashes.push(match after {
                    Some(value) => format!("tag {key:?} was set to {value:?}"),
                    None => format!("tag {key:?} was removed"),
                });
            }
        }
        if let Some(wanted) = &self.display_name
            && first.display_name != now.display_name
            && now.display_name.as_ref() != Some(wanted)
        {
            clashes.push("the display name was changed".to_string());
        }
        clashes
    }
}

/// What happened to one version.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Written (or would be, in a dry run); `fewer` when it lost tags and gained none.
    Changed {
        version: PipelineVersion,
        fewer: bool,
    },
    Unchanged(PipelineVersion),
}

impl Outcome {
    fn version(&self) -> &PipelineVersion {
        match self {
            Outcome::Changed { version, .. } | Outcome::Unchanged(version) => version,
        }
    }

    /// kubectl label's words: `tagged`, `untagged` (tags removed only), `not tagged`.
    fn verb(&self) -> &'static str {
        match self {
            Outcome::Changed { fewer: true, .. } => "untagged",
            Outcome::Changed { .. } => "tagged",
            Outcome::Unchanged(_) => "not tagged",
        }
    }
}

pub async fn run(session: &Session, args: &TagArgs, printer: &Printer) -> Result<ExitStatus> {
    let reference = parse_reference(&args.reference)?;
    let edit = Edit::parse(&args.changes, args.display_name.as_deref())?;
    if args.move_tags && edit.set.is_empty() {
        return Err(UserError::new("--move needs at least one KEY=VALUE to move")
            .with_hint("for example: kubectl kfp tag train@v3 stage=production --move")
            .into());
    }
    let (resolved, version) = resolve::version(session, &reference, Paging::Stream, printer).await?;
    let mut outcomes = vec![update(session, version, &edit, args.dry_run).await?];
    if args.move_tags {
        let target_uid = outcomes[0].version().metadata.uid.clone();
        let others: Vec<String> = resolved
            .versions
            .iter()
            .filter(|v| v.uid != target_uid)
            .filter(|v| edit.set.iter().any(|(k, value)| v.has_tag(k, Some(value))))
            .map(|v| v.name.clone())
            .collect();
        let removal = Edit {
            remove_if: edit.set.clone(),
            ..Edit::default()
        };
        let namespace = resolved.namespace.as_str();
        // The lines as Writes prints them (-o json|yaml: one document at the end), the
        // version tagged first, then each version the tags moved from, in order.
        let mut writes = printer.writes(Work::Written, others.len() + 1);
        let as_lines = !matches!(args.output, Some(WriteFormat::Json | WriteFormat::Yaml));
        // None for a write that failed: counted, no line.
        let mut report = |outcome: Option<&Outcome>| {
            writes.count();
            if let (true, Some(outcome)) = (as_lines, outcome) {
                writes.line(line(outcome, args.output, args.dry_run));
            }
        };
        report(Some(&outcomes[0]));
        let mut removed = futures::stream::iter(others)
            .take_while(|_| std::future::ready(!interrupt::requested()))
            .map(|name| {
                let removal = &removal;
                async move {
                    let version = resolve::fetch(session, namespace, &name).await?;
                    update(session, version, removal, args.dry_run).await
                }
            })
            .buffered(MOVES_IN_FLIGHT);
        // Report what was done, also after a failure; a rerun finishes the move.
        let mut failure = None;
        while let Some(result) = removed.next().await {
            match result {
                Ok(outcome) => {
                    report(Some(&outcome));
                    outcomes.push(outcome);
                }
                Err(err) => {
                    report(None);
                    failure.get_or_insert(err);
                }
            }
        }
        writes.finish()?;
        if !as_lines {
            print(&outcomes, args.output, args.dry_run, printer)?;
        }
        if failure.is_none() && args.dry_run == DryRun::None && !interrupt::requested() {
            check_moved(session, &resolved, outcomes[0].version(), &edit.set, printer).await;
        }
        return failure.map_or(Ok(ExitStatus::Success), Err);
    }
    print(&outcomes, args.output, args.dry_run, printer)?;
    Ok(ExitStatus::Success)
}

/// What a consistent read after a `--move` shows of one moved tag, when concurrent moves left it
/// anywhere but on the target alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsettled {
    /// `KEY=VALUE`.
    pub tag: String,
    /// Every version carrying it now (the target too, if it still does), newest first.
    pub carriers: Vec<String>,
    /// The target lost it: a concurrent move took it after this one set it.
    pub target_lost: bool,
}

/// The moved tags that `versions` (read after the removals) show on another version than the
/// target, or not on the target: each move's own writes landed, but another move listed the
/// versions before this one's tag was set, or took it after.
pub fn unsettled(
    target_uid: Option<&str>,
    moved: &BTreeMap<String, String>,
    versions: &[crate::resources::VersionSummary],
) -> Vec<Unsettled> {
    let is_target = |v: &crate::resources::VersionSummary| v.uid.is_some() && v.uid.as_deref() == target_uid;
    moved
        .iter()
        .filter_map(|(key, value)| {
            let carrying: Vec<_> = versions.iter().filter(|v| v.has_tag(key, Some(value))).collect();
            let target_lost = !carrying.iter().any(|v| is_target(v));
            let others = carrying.iter().any(|v| !is_target(v));
            (target_lost || others).then(|| Unsettled {
                tag: format!("{key}={value}"),
                carriers: carrying.iter().map(|v| v.name.clone()).collect(),
                target_lost,
            })
        })
        .collect()
}

impl Unsettled {
    /// The one warning line (without `warning: `) for `target`, moved with `reference`.
    pub fn warning(&self, target: &str, reference: &str) -> String {
        let now = match self.carriers.as_slice() {
            [] => "no version".to_string(),
            names => names.join(", "),
        };
        let lost = if self.target_lost {
            format!(" (not on {target})")
        } else {
            String::new()
        };
        format!(
            "a concurrent tag --move moved {tag} meanwhile: it is now on {now}{lost}; to settle it, run \"kubectl kfp tag {reference} {tag} --move\" again while no other move runs",
            tag = self.tag
        )
    }
}

/// After a move's removals, reads the pipeline's versions consistently (pages without a
/// resourceVersion: etcd quorum, or a cache proven current, so every concurrent move's finished
/// write is in it) and warns, one line per moved tag, when the tag is not on the target alone.
/// Each write landed, so this only warns: settling needs the moves to run one after another.
async fn check_moved(
    session: &Session,
    resolved: &resolve::ResolvedPipeline,
    target: &PipelineVersion,
    moved: &BTreeMap<String, String>,
    printer: &Printer,
) {
    let read = resolve::versions_of(
        session,
        &resolved.namespace,
        &resolved.pipeline,
        None,
        Paging::Chunks(resolve::DEFAULT_CHUNK_SIZE),
    )
    .await;
    match read {
        Ok(versions) => {
            for found in unsettled(target.metadata.uid.as_deref(), moved, &versions) {
                // The version by name, not as typed: `@latest` or a tag may pick another now.
                let reference = format!(
                    "{}/{}@{}",
                    resolved.namespace,
                    resolved.pipeline.name_any(),
                    target.version_name()
                );
                printer.warn(&found.warning(&target.name_any(), &reference));
            }
        }
        Err(err) => printer.warn(&format!(
            "the tags were moved, but reading the versions again to check that no concurrent tag --move moved them too failed: {err}"
        )),
    }
}

/// Applies `edit` to `version` with PUT and its resourceVersion; on a conflict re-reads it and
/// applies the edit again (bounded by [`MAX_ATTEMPTS`]), refusing when another writer changed
/// what this edit touches.
pub async fn update(
    session: &Session,
    first: PipelineVersion,
    edit: &Edit,
    dry_run: DryRun,
) -> Result<Outcome> {
    let name = first.name_any();
    let namespace = first.namespace().unwrap_or_default();
    let uid = first.metadata.uid.clone();
    let api = session.api::<PipelineVersion>(Some(&namespace));
    let action = Action::new("update", "pipelineversions", Some(&namespace)).named(&name);
    let params = PostParams {
        dry_run: dry_run == DryRun::Server,
        field_manager: Some("kubectl-kfp".to_string()),
    };
    let baseline = Fields::of(&first);
    let mut current = first;
    for attempt in 1..=MAX_ATTEMPTS {
        let fields = Fields::of(&current);
        let clashes = edit.clashes(&baseline, &fields);
        if !clashes.is_empty() {
            return Err(UserError::new(format!(
                "cannot update pipelineversion {name:?} in namespace {namespace:?}: another writer changed it meanwhile ({}); not overwritten",
                clashes.join(", ")
            ))
            .with_hint("check the version with kubectl kfp get, then run the command again")
            .into());
        }
        let Some(next_fields) = edit.apply(&fields) else {
            return Ok(Outcome::Unchanged(current));
        };
        let fewer = edit.set.is_empty()
            && next_fields.tags.len() < fields.tags.len()
            && next_fields.display_name == fields.display_name;
        let mut next = current.clone();
        next.spec.tags = (!next_fields.tags.is_empty()).then_some(next_fields.tags);
        next.spec.display_name = next_fields.display_name;
        if dry_run == DryRun::Client {
            return Ok(Outcome::Changed { version: next, fewer });
        }
        match api.replace(&name, &params, &next).await {
            Ok(written) => {
                return Ok(Outcome::Changed {
                    version: written,
                    fewer,
                });
            }
            Err(kube::Error::Api(status)) if status.code == 409 => {
                tracing::debug!(
                    "update of {namespace}/{name} conflicted (attempt {attempt}); reading it again"
                );
                tokio::time::sleep(backoff(attempt)).await;
                current = api
                    .get(&name)
                    .await
                    .map_err(|err| explain(err, &action, &session.server))?;
                if current.metadata.uid != uid {
                    return Err(UserError::new(format!(
                        "cannot update pipelineversion {name:?} in namespace {namespace:?}: it was deleted and created again meanwhile; not changed"
                    ))
                    .into());
                }
            }
            Err(err) => return Err(explain(err, &action, &session.server)),
        }
    }
    Err(UserError::new(format!(
        "cannot update pipelineversion {name:?} in namespace {namespace:?}: it changed {MAX_ATTEMPTS} times while this command tried; nothing was overwritten"
    ))
    .with_hint("run the command again when fewer writers change it")
    .into())
}

/// A short, jittered pause after a conflict, so writers racing for one object spread out.
fn backoff(attempt: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = (nanos ^ std::process::id().wrapping_mul(2_654_435_761)) % 20;
    Duration::from_millis(u64::from(attempt.min(10)) * 5 + u64::from(jitter))
}

/// kubectl's line for one outcome: `… tagged` (with the dry run said), or the name (`-o name`).
fn line(outcome: &Outcome, format: Option<WriteFormat>, dry_run: DryRun) -> String {
    let name = outcome.version().name_any();
    if format == Some(WriteFormat::Name) {
        return format!("pipelineversion.pipelines.kubeflow.org/{name}");
    }
    let suffix = match dry_run {
        DryRun::None => "",
        DryRun::Client => " (dry run)",
        DryRun::Server => " (server dry run)",
    };
    format!(
        "pipelineversion.pipelines.kubeflow.org/{name} {}{suffix}",
        outcome.verb()
    )
}

fn print(
    outcomes: &[Outcome],
    format: Option<WriteFormat>,
    dry_run: DryRun,
    printer: &Printer,
) -> Result<()> {
    match format {
        None | Some(WriteFormat::Name) => {
            for outcome in outcomes {
                printer.line(&line(outcome, format, dry_run));
            }
            Ok(())
        }
        Some(format) => {
            let data_format = if format == WriteFormat::Json {
                DataFormat::Json
            } else {
                DataFormat::Yaml
            };
            let objects = outcomes
                .iter()
                .map(|o| printable(o.version()))
                .collect::<Result<Vec<_>>>()?;
            match objects.as_slice() {
                [one] => printer.value(one, data_format),
                many => printer.list(many, data_format),
            }
        }
    }
}

/// The tags the versions carry, as `KEY=VALUE` with a description naming the version a
/// `PIPELINE@KEY=VALUE` reference picks (for completion).
pub fn tags_in_use(versions: &[crate::resources::VersionSummary]) -> Vec<(String, String)> {
    let mut tags: BTreeMap<String, (usize, &crate::resources::VersionSummary)> = BTreeMap::new();
    for version in versions {
        for (key, value) in &version.tags {
            let entry = tags.entry(format!("{key}={value}")).or_insert((0, version));
            entry.0 += 1;
            if resolve::newest_first(version, entry.1).is_lt() {
                entry.1 = version;
            }
        }
    }
    tags.into_iter()
        .map(|(tag, (count, newest))| {
            let description = match count {
                1 => format!("tag of {}", newest.version_name()),
                n => format!("tag of {} ({n} versions carry it)", newest.version_name()),
            };
            (tag, description)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(tags: &[(&str, &str)], display: Option<&str>) -> Fields {
        Fields {
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            display_name: display.map(str::to_string),
        }
    }

    fn edit(changes: &[&str]) -> Edit {
        Edit::parse(&changes.iter().map(|c| c.to_string()).collect::<Vec<_>>(), None).unwrap()
    }

    #[test]
    fn edits_set_and_remove_and_report_no_change() {
        let e = edit(&["stage=prod", "old-"]);
        let next = e.apply(&fields(&[("old", "x"), ("keep", "y")], None)).unwrap();
        assert_eq!(next, fields(&[("keep", "y"), ("stage", "prod")], None));
        assert_eq!(e.apply(&next), None, "applying twice changes nothing");
        let last_wins = edit(&["a=1", "a-", "b-", "b=2"]);
        assert_eq!(last_wins.set, BTreeMap::from([("b".into(), "2".into())]));
        assert_eq!(last_wins.remove, BTreeSet::from(["a".to_string()]));
    }

    #[test]
    fn conditional_removal_only_takes_the_moved_value() {
        let e = Edit {
            remove_if: BTreeMap::from([("stage".into(), "prod".into())]),
            ..Edit::default()
        };
        assert_eq!(
            e.apply(&fields(&[("stage", "prod")], None)),
            Some(fields(&[], None))
        );
        assert_eq!(e.apply(&fields(&[("stage", "dev")], None)), None);
    }

    #[test]
    fn another_writers_change_to_the_same_key_clashes() {
        let e = edit(&["stage=prod"]);
        let first = fields(&[("stage", "dev")], None);
        // Someone else set another key: no clash, both changes stay.
        assert!(
            e.clashes(&first, &fields(&[("stage", "dev"), ("team", "ml")], None))
                .is_empty()
        );
        // Someone set the same key to what we want: no clash either.
        assert!(e.clashes(&first, &fields(&[("stage", "prod")], None)).is_empty());
        assert_eq!(
            e.clashes(&first, &fields(&[("stage", "qa")], None)),
            ["tag \"stage\" was set to \"qa\""]
        );
        assert_eq!(
            e.clashes(&first, &fields(&[], None)),
            ["tag \"stage\" was removed"]
        );
        let named = Edit::parse(&[], Some("Prod")).unwrap();
        assert_eq!(
            named.clashes(&fields(&[], Some("a")), &fields(&[], Some("b"))),
            ["the display name was changed"]
        );
    }

    #[test]
    fn tags_in_use_name_the_version_a_reference_picks() {
        let version = |name: &str, created: &str, tags: &[(&str, &str)]| {
            let mut v = crate::resources::VersionSummary {
                name: format!("p-{name}"),
                spec_version_name: Some(name.into()),
                created: created.parse().ok(),
                ..Default::default()
            };
            v.tags = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            v
        };
        let versions = [
            version("v1", "2026-01-01T00:00:00Z", &[("stage", "prod")]),
            version("v2", "2026-01-02T00:00:00Z", &[("stage", "prod"), ("team", "ml")]),
            version("v3", "2026-01-03T00:00:00Z", &[]),
        ];
        assert_eq!(
            tags_in_use(&versions),
            [
                (
                    "stage=prod".to_string(),
                    "tag of v2 (2 versions carry it)".to_string()
                ),
                ("team=ml".to_string(), "tag of v2".to_string()),
            ]
        );
    }

    fn summary(name: &str, tags: &[(&str, &str)]) -> crate::resources::VersionSummary {
        let mut v = crate::resources::VersionSummary {
            name: format!("train-{name}"),
            uid: Some(format!("uid-{name}")),
            ..Default::default()
        };
        v.tags = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        v
    }

    #[test]
    fn a_move_alone_on_its_target_is_settled() {
        let moved = BTreeMap::from([("stage".into(), "production".into())]);
        let versions = [
            summary("v3", &[("stage", "staging")]),
            summary("v2", &[("stage", "production"), ("owner", "a")]),
            summary("v1", &[("owner", "production")]),
        ];
        assert_eq!(unsettled(Some("uid-v2"), &moved, &versions), []);
    }

    #[test]
    fn other_carriers_or_a_lost_target_are_named_in_one_warning() {
        let moved = BTreeMap::from([("stage".into(), "production".into())]);
        let versions = [
            summary("v3", &[("stage", "production")]),
            summary("v2", &[("stage", "production")]),
            summary("v1", &[]),
        ];
        // Another move's tag landed after this one listed: both carry it.
        let found = unsettled(Some("uid-v2"), &moved, &versions);
        assert_eq!(
            found,
            [Unsettled {
                tag: "stage=production".into(),
                carriers: vec!["train-v3".into(), "train-v2".into()],
                target_lost: false,
            }]
        );
        assert_eq!(
            found[0].warning("train-v2", "team-a/train@v2"),
            "a concurrent tag --move moved stage=production meanwhile: it is now on train-v3, train-v2; to settle it, run \"kubectl kfp tag team-a/train@v2 stage=production --move\" again while no other move runs"
        );
        // Another move took it from the target after this one set it.
        let found = unsettled(Some("uid-v1"), &moved, &versions);
        assert!(found[0].target_lost);
        assert!(
            found[0]
                .warning("train-v1", "train@v1")
                .contains("it is now on train-v3, train-v2 (not on train-v1);"),
            "{found:?}"
        );
        // Two moves took each other's: nobody carries it, which is said too.
        let found = unsettled(Some("uid-v1"), &moved, &[summary("v1", &[]), summary("v2", &[])]);
        assert!(
            found[0]
                .warning("train-v1", "train@v1")
                .contains("it is now on no version (not on train-v1);")
        );
    }

    #[test]
    fn each_moved_tag_is_checked_and_a_missing_uid_never_matches() {
        let moved = BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        let versions = [
            summary("v2", &[("a", "1")]),
            summary("v1", &[("a", "1"), ("b", "2")]),
        ];
        let tags: Vec<String> = unsettled(Some("uid-v1"), &moved, &versions)
            .into_iter()
            .map(|u| u.tag)
            .collect();
        assert_eq!(tags, ["a=1"]);
        let mut anonymous = summary("v1", &[("a", "1"), ("b", "2")]);
        anonymous.uid = None;
        assert_eq!(unsettled(None, &moved, &[anonymous]).len(), 2);
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let err = Edit::parse(&["stage=a b".into()], None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid tag change \"stage=a b\": value \"a b\""),
            "{err}"
        );
        assert!(Edit::parse(&[], None).is_err());
        assert!(Edit::parse(&["-x".into()], None).is_err());
    }
}
