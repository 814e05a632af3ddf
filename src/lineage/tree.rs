//! Lineage, pure: a version's sources (following `promoted-from` back), its copies (versions
//! whose `promoted-from-uid` is its UID, and their copies), and versions with the same content
//! but no provenance link.

use std::collections::HashSet;

use super::{Provenance, Record};

/// How a version's content relates to the version it was promoted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Not promoted: no provenance record.
    Origin,
    /// Same digest as its source.
    Matches,
    /// Another digest than its source: edited after promotion.
    Differs,
    /// The source cannot be compared (deleted, replaced, unreadable).
    SourceMissing,
}

impl Content {
    /// The stable word in JSON.
    pub fn word(self) -> &'static str {
        match self {
            Content::Origin => "origin",
            Content::Matches => "matches-source",
            Content::Differs => "differs-from-source",
            Content::SourceMissing => "source-missing",
        }
    }
}

/// Why a recorded source is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// No object with that UID, and none by that name.
    Deleted,
    /// An object of that name exists, but it is another one (another UID).
    Replaced,
    /// The user may not read the source's namespace.
    Forbidden,
    /// The source's cluster could not be read (or its context is not in the kubeconfig).
    Unreachable(String),
}

impl Missing {
    pub fn word(&self) -> &'static str {
        match self {
            Missing::Deleted => "deleted",
            Missing::Replaced => "replaced",
            Missing::Forbidden => "forbidden",
            Missing::Unreachable(_) => "unreachable",
        }
    }
}

/// One step back along `promoted-from`.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// What the copy recorded about it.
    pub recorded: Provenance,
    pub found: Result<Record, Missing>,
}

/// A version and the copies made from it, recursively.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub record: Record,
    /// Against the version it was promoted from.
    pub content: Content,
    pub copies: Vec<Node>,
}

/// The whole answer of `history`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lineage {
    /// Nearest first: where the version came from, where that came from, …
    pub sources: Vec<Source>,
    pub version: Node,
    /// Same digest, no provenance link to the version (other pipelines, namespaces, clusters).
    pub same_content: Vec<Record>,
}

/// Looks a recorded source up among the versions of its namespace (in its cluster): by UID,
/// else (records without a UID) by name; an object with the recorded name but another UID is
/// a replacement, not the source.
pub fn find_source(recorded: &Provenance, candidates: &[Record]) -> Result<Record, Missing> {
    let same_place = |r: &&Record| {
        Some(r.namespace.as_str()) == recorded.namespace.as_deref()
            && Some(r.pipeline.as_str()) == recorded.pipeline.as_deref()
            && Some(r.version.as_str()) == recorded.version.as_deref()
    };
    if let Some(uid) = &recorded.uid {
        if let Some(found) = candidates.iter().find(|r| &r.uid == uid) {
            return Ok(found.clone());
        }
        return Err(if candidates.iter().any(|r| same_place(&r)) {
            Missing::Replaced
        } else {
            Missing::Deleted
        });
    }
    candidates
        .iter()
        .find(same_place)
        .cloned()
        .ok_or(Missing::Deleted)
}

/// How `record` compares with its source (`None`: not promoted).
pub fn content(record: &Record, source: Option<&Result<Record, Missing>>) -> Content {
    match source {
        None => Content::Origin,
        Some(Ok(source)) if source.digest == record.digest => Content::Matches,
        Some(Ok(_)) => Content::Differs,
        Some(Err(_)) => Content::SourceMissing,
    }
}

/// The copies of `of` among `all` (versions whose recorded source UID is its UID), and theirs,
/// ordered by creation. `seen` guards against cycles in hand-edited annotations.
pub fn copies(of: &Record, all: &[Record], seen: &mut HashSet<String>) -> Vec<Node> {
    let mut direct: Vec<&Record> = all
        .iter()
        .filter(|r| r.provenance.as_ref().and_then(|p| p.uid.as_deref()) == Some(of.uid.as_str()))
        .filter(|r| !r.uid.is_empty())
        .collect();
    direct.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.uid.cmp(&b.uid)));
    let direct: Vec<&Record> = direct
        .into_iter()
        .filter(|r| seen.insert(r.uid.clone()))
        .collect();
    direct
        .into_iter()
        .map(|r| Node {
            record: r.clone(),
            content: if r.digest == of.digest {
                Content::Matches
            } else {
                Content::Differs
            },
            copies: copies(r, all, seen),
        })
        .collect()
}

/// Builds the lineage from the sources found (nearest first) and every readable version.
pub fn lineage(version: Record, sources: Vec<Source>, all: &[Record]) -> Lineage {
    let mut seen: HashSet<String> = HashSet::from([version.uid.clone()]);
    for source in &sources {
        if let Ok(found) = &source.found {
            seen.insert(found.uid.clone());
        }
    }
    let content = content(&version, sources.first().map(|s| &s.found));
    let copies = copies(&version, all, &mut seen);
    let mut same_content: Vec<Record> = all
        .iter()
        .filter(|r| r.digest == version.digest && !seen.contains(&r.uid))
        .cloned()
        .collect();
    same_content.sort_by(|a, b| {
        (a.cluster.label(), &a.namespace, &a.pipeline, &a.version).cmp(&(
            b.cluster.label(),
            &b.namespace,
            &b.pipeline,
            &b.version,
        ))
    });
    Lineage {
        sources,
        version: Node {
            record: version,
            content,
            copies,
        },
        same_content,
    }
}

#[cfg(test)]
mod tests {
    use super::super::ClusterId;
    use super::*;

    fn record(ns: &str, version: &str, digest: &str, at: i64, from: Option<(&str, &str)>) -> Record {
        Record {
            cluster: ClusterId {
                context: Some("admin".into()),
                server: "https://a".into(),
            },
            namespace: ns.into(),
            pipeline: "train".into(),
            version: version.into(),
            name: format!("train-{version}"),
            uid: format!("{ns}-{version}"),
            digest: digest.into(),
            created: Some(jiff::Timestamp::from_second(at).unwrap()),
            provenance: from.map(|(reference, uid)| {
                let (namespace, rest) = reference.split_once('/').unwrap();
                let (pipeline, version) = rest.split_once('@').unwrap();
                Provenance {
                    from: reference.into(),
                    namespace: Some(namespace.into()),
                    pipeline: Some(pipeline.into()),
                    version: Some(version.into()),
                    context: Some("admin".into()),
                    cluster: Some("https://a".into()),
                    uid: Some(uid.into()),
                    at: None,
                }
            }),
        }
    }

    #[test]
    fn sources_are_found_by_uid_and_replacements_are_told_apart() {
        let recorded = record("b", "v1", "d1", 2, Some(("a/train@v1", "a-v1")))
            .provenance
            .unwrap();
        let original = record("a", "v1", "d1", 1, None);
        assert_eq!(
            find_source(&recorded, std::slice::from_ref(&original)),
            Ok(original.clone())
        );
        let mut replacement = original.clone();
        replacement.uid = "new".into();
        assert_eq!(find_source(&recorded, &[replacement]), Err(Missing::Replaced));
        assert_eq!(find_source(&recorded, &[]), Err(Missing::Deleted));
    }

    #[test]
    fn copies_form_a_tree_and_same_content_is_listed_apart() {
        let origin = record("a", "v1", "d1", 1, None);
        let shared = record("s", "v1", "d1", 2, Some(("a/train@v1", "a-v1")));
        let team_b = record("b", "v1", "d1", 3, Some(("s/train@v1", "s-v1")));
        let edited = record("c", "v1", "d2", 4, Some(("s/train@v1", "s-v1")));
        let unrelated = record("x", "v7", "d1", 5, None);
        let all = vec![
            origin.clone(),
            shared.clone(),
            team_b.clone(),
            edited.clone(),
            unrelated.clone(),
        ];
        let sources = vec![Source {
            recorded: shared.provenance.clone().unwrap(),
            found: Ok(origin.clone()),
        }];
        let lineage = lineage(shared.clone(), sources, &all);
        assert_eq!(lineage.version.content, Content::Matches);
        let copies: Vec<(&str, Content)> = lineage
            .version
            .copies
            .iter()
            .map(|n| (n.record.namespace.as_str(), n.content))
            .collect();
        assert_eq!(copies, [("b", Content::Matches), ("c", Content::Differs)]);
        assert_eq!(lineage.same_content, [unrelated]);
    }

    #[test]
    fn cycles_in_annotations_end() {
        let a = record("a", "v1", "d", 1, Some(("b/train@v1", "b-v1")));
        let b = record("b", "v1", "d", 2, Some(("a/train@v1", "a-v1")));
        let all = vec![a.clone(), b];
        let lineage = lineage(a, vec![], &all);
        assert_eq!(lineage.version.copies.len(), 1);
        assert!(lineage.version.copies[0].copies.is_empty());
    }
}
