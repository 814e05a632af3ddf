//! The one reference grammar every command uses: `[NAMESPACE/]PIPELINE[@VERSION]`.
//!
//! VERSION is a `spec.versionName`, an object name, `latest` (the default), a digest prefix
//! `sha256:<at least 8 hex digits>`, or a tag `KEY=VALUE` (the newest version carrying it).

use std::fmt;

/// A parsed reference; resolution against the cluster happens in `resolve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub namespace: Option<String>,
    pub pipeline: String,
    pub version: VersionSelector,
}

/// Which version of a pipeline a reference means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSelector {
    /// Newest creationTimestamp, ties broken by the greater UID (as KFP).
    Latest,
    /// A `spec.versionName` or a PipelineVersion object name.
    Named(String),
    /// A prefix of the content digest's hex, without `sha256:`.
    Digest(String),
    /// `KEY=VALUE`: the newest version whose `spec.tags` has that entry.
    Tag(String, String),
}

/// Why a reference does not parse; the Display text is the reason after the quoted input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("it is empty")]
    Empty,
    #[error("it has more than one '/'; expected [NAMESPACE/]PIPELINE[@VERSION]")]
    TooManySlashes,
    #[error("it has more than one '@'; expected [NAMESPACE/]PIPELINE[@VERSION]")]
    TooManyAts,
    #[error("the namespace before '/' is empty")]
    EmptyNamespace,
    #[error("the pipeline name is empty")]
    EmptyPipeline,
    #[error("the version after '@' is empty")]
    EmptyVersion,
    #[error("namespace {0:?} {1}")]
    BadNamespace(String, NameRule),
    #[error("pipeline name {0:?} {1}")]
    BadPipeline(String, NameRule),
    #[error("version {0:?} {1}")]
    BadVersion(String, NameRule),
    #[error("digest {0:?} needs at least 8 hex digits after 'sha256:'")]
    ShortDigest(String),
    #[error("digest {0:?} has characters that are not lowercase hex digits")]
    BadDigest(String),
    #[error("tag selector {0:?}: {1}")]
    BadTag(String, String),
}

/// A broken naming rule, worded to follow the offending value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameRule {
    #[error(
        "is not a valid DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
    )]
    DnsLabel,
    #[error(
        "is not a valid object name: at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
    )]
    DnsSubdomain,
    #[error(
        "is not a valid version name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$, at most 253)"
    )]
    VersionName,
    #[error(
        "is not a valid pipeline name: lowercase letters, digits and '-', starting with a letter or digit, at most 128 (^[a-z0-9][a-z0-9-]{{0,127}}$)"
    )]
    PipelineInfoName,
}

impl Reference {
    /// Parses `[NAMESPACE/]PIPELINE[@VERSION]`.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (path, version) = match input.split_once('@') {
            Some((_, rest)) if rest.contains('@') => return Err(ReferenceError::TooManyAts),
            Some((path, version)) => (path, Some(version)),
            None => (input, None),
        };
        let (namespace, pipeline) = match path.split_once('/') {
            Some((_, rest)) if rest.contains('/') => return Err(ReferenceError::TooManySlashes),
            Some((namespace, pipeline)) => (Some(namespace), pipeline),
            None => (None, path),
        };
        if let Some(namespace) = namespace {
            if namespace.is_empty() {
                return Err(ReferenceError::EmptyNamespace);
            }
            check(namespace, NameRule::DnsLabel)
                .map_err(|rule| ReferenceError::BadNamespace(namespace.into(), rule))?;
        }
        if pipeline.is_empty() {
            return Err(ReferenceError::EmptyPipeline);
        }
        check(pipeline, NameRule::DnsSubdomain)
            .map_err(|rule| ReferenceError::BadPipeline(pipeline.into(), rule))?;
        let version = match version {
            None => VersionSelector::Latest,
            Some("") => return Err(ReferenceError::EmptyVersion),
            Some("latest") => VersionSelector::Latest,
            Some(v) if v.contains('=') => parse_tag_selector(v)?,
            Some(v) => match v.strip_prefix("sha256:") {
                Some(hex) => parse_digest_prefix(v, hex)?,
                None => {
                    check(v, NameRule::VersionName)
                        .map_err(|rule| ReferenceError::BadVersion(v.into(), rule))?;
                    VersionSelector::Named(v.to_string())
                }
            },
        };
        Ok(Reference {
            namespace: namespace.map(str::to_string),
            pipeline: pipeline.to_string(),
            version,
        })
    }
}

/// `KEY=VALUE` after '@', in label syntax.
fn parse_tag_selector(input: &str) -> Result<VersionSelector, ReferenceError> {
    crate::labels::parse_pair(input)
        .map(|(key, value)| VersionSelector::Tag(key, value))
        .map_err(|why| ReferenceError::BadTag(input.to_string(), why))
}

fn parse_digest_prefix(input: &str, hex: &str) -> Result<VersionSelector, ReferenceError> {
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ReferenceError::BadDigest(input.to_string()));
    }
    if hex.len() < 8 {
        return Err(ReferenceError::ShortDigest(input.to_string()));
    }
    Ok(VersionSelector::Digest(hex.to_string()))
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.pipeline)?;
        match &self.version {
            VersionSelector::Latest => Ok(()),
            VersionSelector::Named(v) => write!(f, "@{v}"),
            VersionSelector::Digest(d) => write!(f, "@sha256:{d}"),
            VersionSelector::Tag(k, v) => write!(f, "@{k}={v}"),
        }
    }
}

/// Checks `value` against one of the naming rules KFP and Kubernetes enforce.
pub fn check(value: &str, rule: NameRule) -> Result<(), NameRule> {
    let bytes = value.as_bytes();
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (max, inner_ok): (usize, fn(u8) -> bool) = match rule {
        NameRule::DnsLabel => (63, |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        NameRule::DnsSubdomain | NameRule::VersionName => (253, |b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
        }),
        NameRule::PipelineInfoName => (128, |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
    };
    let ends_ok = match rule {
        // ^[a-z0-9][a-z0-9-]{0,127}$ may end with '-'.
        NameRule::PipelineInfoName => bytes.first().is_some_and(lower_alnum),
        _ => bytes.first().is_some_and(lower_alnum) && bytes.last().is_some_and(lower_alnum),
    };
    // Kubernetes' IsDNS1123Subdomain: dot-separated parts that start and end alphanumeric; unlike
    // DNS proper it does not limit a part to 63 characters (longer object names are valid).
    let dns_subdomain_labels_ok = rule != NameRule::DnsSubdomain
        || value.split('.').all(|label| {
            let l = label.as_bytes();
            l.first().is_some_and(lower_alnum) && l.last().is_some_and(lower_alnum)
        });
    if !bytes.is_empty()
        && bytes.len() <= max
        && ends_ok
        && bytes.iter().all(|b| inner_ok(*b))
        && dns_subdomain_labels_ok
    {
        Ok(())
    } else {
        Err(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Reference {
        Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    #[test]
    fn grammar_accepts_every_form() {
        assert_eq!(
            ok("train"),
            Reference {
                namespace: None,
                pipeline: "train".into(),
                version: VersionSelector::Latest
            }
        );
        assert_eq!(ok("team-a/train").namespace.as_deref(), Some("team-a"));
        assert_eq!(ok("team-a/train@v3").version, VersionSelector::Named("v3".into()));
        assert_eq!(ok("train@latest").version, VersionSelector::Latest);
        assert_eq!(ok("train@1.2.0").version, VersionSelector::Named("1.2.0".into()));
        assert_eq!(
            ok("kubeflow/train@sha256:0123abcd").version,
            VersionSelector::Digest("0123abcd".into())
        );
        assert_eq!(ok("team-a/train@v3").to_string(), "team-a/train@v3");
        assert_eq!(
            ok("team-a/train@stage=production").version,
            VersionSelector::Tag("stage".into(), "production".into())
        );
        // A prefixed key's '/' is after the '@', so it is not a namespace separator.
        let prefixed = ok("train@example.com/stage=prod");
        assert_eq!(prefixed.namespace, None);
        assert_eq!(
            prefixed.version,
            VersionSelector::Tag("example.com/stage".into(), "prod".into())
        );
        assert_eq!(prefixed.to_string(), "train@example.com/stage=prod");
    }

    #[test]
    fn grammar_rejects_malformed_input_with_reasons() {
        let cases = [
            ("", ReferenceError::Empty),
            ("a/b/c", ReferenceError::TooManySlashes),
            ("@", ReferenceError::EmptyPipeline),
            ("x@", ReferenceError::EmptyVersion),
            ("x@a@b", ReferenceError::TooManyAts),
            ("/x", ReferenceError::EmptyNamespace),
            ("ns/", ReferenceError::EmptyPipeline),
            (
                "Train",
                ReferenceError::BadPipeline("Train".into(), NameRule::DnsSubdomain),
            ),
            (
                "my pipeline",
                ReferenceError::BadPipeline("my pipeline".into(), NameRule::DnsSubdomain),
            ),
            (
                "Team/x",
                ReferenceError::BadNamespace("Team".into(), NameRule::DnsLabel),
            ),
            (
                "x@V1",
                ReferenceError::BadVersion("V1".into(), NameRule::VersionName),
            ),
            ("x@sha256:abc", ReferenceError::ShortDigest("sha256:abc".into())),
            (
                "x@sha256:XYZ12345",
                ReferenceError::BadDigest("sha256:XYZ12345".into()),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Reference::parse(input), Err(expected), "input {input:?}");
        }
        assert!(matches!(
            Reference::parse("x@stage=a b"),
            Err(ReferenceError::BadTag(..))
        ));
        assert!(matches!(
            Reference::parse("x@=v"),
            Err(ReferenceError::BadTag(..))
        ));
    }

    #[test]
    fn name_rules_match_kfp_patterns() {
        assert!(check("a", NameRule::PipelineInfoName).is_ok());
        assert!(check("a-", NameRule::PipelineInfoName).is_ok());
        assert!(check("-a", NameRule::PipelineInfoName).is_err());
        assert!(check("a.b", NameRule::PipelineInfoName).is_err());
        assert!(check(&"a".repeat(128), NameRule::PipelineInfoName).is_ok());
        assert!(check(&"a".repeat(129), NameRule::PipelineInfoName).is_err());
        assert!(check("v1.2-rc.1", NameRule::VersionName).is_ok());
        assert!(check("v1.", NameRule::VersionName).is_err());
        assert!(check(&"a".repeat(254), NameRule::VersionName).is_err());
        assert!(check("a..b", NameRule::DnsSubdomain).is_err());
        assert!(check(&"a".repeat(64), NameRule::DnsLabel).is_err());
        assert!(check("a_b", NameRule::DnsSubdomain).is_err());
        assert!(
            check(&"a".repeat(70), NameRule::DnsSubdomain).is_ok(),
            "parts may exceed 63 characters"
        );
    }
}
