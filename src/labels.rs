//! Kubernetes label syntax, which version tags follow (`spec.tags` keys and values): checked
//! before anything is sent, and used by the `PIPELINE@KEY=VALUE` reference form.

/// Why a tag key or value is not valid label syntax; worded to follow the quoted input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("is empty")]
    EmptyKey,
    #[error(
        "has an invalid prefix: a DNS subdomain of at most 253 lowercase letters, digits, '-' and '.' before the '/'"
    )]
    BadPrefix,
    #[error(
        "is not a valid tag key: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, optionally after PREFIX/"
    )]
    BadName,
    #[error(
        "is not a valid tag value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)"
    )]
    BadValue,
}

/// Checks a tag key: `[PREFIX/]NAME`, as a Kubernetes label key.
pub fn check_key(key: &str) -> Result<(), LabelError> {
    if key.is_empty() {
        return Err(LabelError::EmptyKey);
    }
    let name = match key.rsplit_once('/') {
        Some((prefix, name)) => {
            if !is_dns_subdomain(prefix) {
                return Err(LabelError::BadPrefix);
            }
            name
        }
        None => key,
    };
    if name.is_empty() || !is_label_text(name) {
        return Err(LabelError::BadName);
    }
    Ok(())
}

/// Checks a tag value, as a Kubernetes label value (empty is allowed).
pub fn check_value(value: &str) -> Result<(), LabelError> {
    if value.is_empty() || is_label_text(value) {
        Ok(())
    } else {
        Err(LabelError::BadValue)
    }
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters.
fn is_label_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_dns_subdomain(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|part| {
            let p = part.as_bytes();
            let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            p.first().is_some_and(lower_alnum)
                && p.last().is_some_and(lower_alnum)
                && p.iter().all(|b| lower_alnum(b) || *b == b'-')
        })
}

/// One change `tag` makes: `KEY=VALUE` sets, `KEY-` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    Set(String, String),
    Remove(String),
}

/// Parses `KEY=VALUE` or `KEY-`, checking label syntax.
pub fn parse_change(text: &str) -> Result<TagChange, String> {
    let change = match text.split_once('=') {
        Some((key, value)) => TagChange::Set(key.to_string(), value.to_string()),
        None => match text.strip_suffix('-') {
            Some(key) => TagChange::Remove(key.to_string()),
            None => return Err("expected KEY=VALUE to set a tag or KEY- to remove one".to_string()),
        },
    };
    let (TagChange::Set(key, _) | TagChange::Remove(key)) = &change;
    check_key(key).map_err(|err| format!("key {key:?} {err}"))?;
    if let TagChange::Set(_, value) = &change {
        check_value(value).map_err(|err| format!("value {value:?} {err}"))?;
    }
    Ok(change)
}

/// Parses `KEY=VALUE` (a tag selector: `--tag`, `PIPELINE@KEY=VALUE`).
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    match parse_change(text) {
        Ok(TagChange::Set(key, value)) => Ok((key, value)),
        Ok(TagChange::Remove(_)) => Err("expected KEY=VALUE".to_string()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_label_syntax() {
        for ok in [
            "stage",
            "a",
            "Stage_1.x-y",
            "example.com/stage",
            "a.b-c/d",
            &"k".repeat(63),
        ] {
            assert_eq!(check_key(ok), Ok(()), "{ok:?}");
        }
        assert_eq!(check_key(""), Err(LabelError::EmptyKey));
        assert_eq!(check_key(&"k".repeat(64)), Err(LabelError::BadName));
        assert_eq!(check_key("-a"), Err(LabelError::BadName));
        assert_eq!(check_key("a b"), Err(LabelError::BadName));
        assert_eq!(check_key("a/"), Err(LabelError::BadName));
        assert_eq!(check_key("Example.com/a"), Err(LabelError::BadPrefix));
        assert_eq!(check_key("/a"), Err(LabelError::BadPrefix));
        assert_eq!(check_key("a..b/c"), Err(LabelError::BadPrefix));
    }

    #[test]
    fn values_follow_label_syntax() {
        for ok in ["", "production", "v1.2_3-rc", &"v".repeat(63)] {
            assert_eq!(check_value(ok), Ok(()), "{ok:?}");
        }
        for bad in ["a b", "-x", "x-", "é", &"v".repeat(64), "a/b", "a=b"] {
            assert_eq!(check_value(bad), Err(LabelError::BadValue), "{bad:?}");
        }
    }

    #[test]
    fn changes_parse_and_are_checked() {
        assert_eq!(
            parse_change("stage=production"),
            Ok(TagChange::Set("stage".into(), "production".into()))
        );
        assert_eq!(
            parse_change("stage="),
            Ok(TagChange::Set("stage".into(), String::new()))
        );
        assert_eq!(parse_change("stage-"), Ok(TagChange::Remove("stage".into())));
        assert_eq!(
            parse_change("stage"),
            Err("expected KEY=VALUE to set a tag or KEY- to remove one".into())
        );
        assert!(parse_change("=x").unwrap_err().starts_with("key \"\" is empty"));
        assert!(
            parse_change("stage=a b")
                .unwrap_err()
                .starts_with("value \"a b\"")
        );
        assert_eq!(parse_pair("k-"), Err("expected KEY=VALUE".into()));
        assert_eq!(parse_pair("k=v"), Ok(("k".into(), "v".into())));
    }
}
