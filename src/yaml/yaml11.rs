//! Quoting for YAML 1.1 readers. serde_yaml writes YAML 1.2, where `y`, `yes`, `on`, `off` and
//! the like are plain strings, so it leaves them unquoted; Kubernetes reads YAML 1.1
//! (sigs.k8s.io/yaml, on go-yaml v2), where they are booleans. Without quotes, the string `Y`
//! in `kubectl kfp … -o yaml | kubectl apply -f -` would arrive as `true` (serde_yaml issue 319).
//!
//! serde_yaml's output is regular enough to fix by line: booleans are written `true`/`false`
//! only, so one of these words standing plain as a whole key or value was a string. Lines
//! inside block scalars (`|`, `>`) are text and left alone.

/// The plain scalars YAML 1.1 reads as booleans that YAML 1.2 reads as strings.
const YAML11_ONLY_BOOLEANS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
];

fn is_yaml11_boolean(word: &str) -> bool {
    YAML11_ONLY_BOOLEANS.contains(&word)
}

/// `text` (serde_yaml's output) with every plain YAML-1.1-only boolean single-quoted.
pub fn quote_booleans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Indentation of the line that opened a block scalar: deeper lines are its text.
    let mut block_parent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        let indent = content.len() - content.trim_start_matches(' ').len();
        if let Some(parent) = block_parent {
            if content.trim().is_empty() || indent > parent {
                out.push_str(line);
                continue;
            }
            block_parent = None;
        }
        if opens_block_scalar(content) {
            block_parent = Some(indent);
        }
        push_line(&mut out, content, indent);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Whether the line's value is a block scalar header (`key: |-`, `- |`, `>2`).
fn opens_block_scalar(content: &str) -> bool {
    let header = content.trim_end();
    let tail = header.rsplit_once(' ').map_or(header, |(_, tail)| tail);
    tail.starts_with(['|', '>'])
        && tail[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
}

/// Appends one line to `out`, a plain YAML-1.1 boolean key or value quoted.
fn push_line(out: &mut String, content: &str, indent: usize) {
    let (lead, mut body) = content.split_at(indent);
    out.push_str(lead);
    while let Some(rest) = body.strip_prefix("- ") {
        out.push_str("- ");
        body = rest;
    }
    if is_yaml11_boolean(body) {
        push_quoted(out, body);
        return;
    }
    // A key: `WORD:` alone or `WORD: value`; the value is everything after the first `: `.
    let Some(at) = body
        .find(':')
        .filter(|at| body[at + 1..].is_empty() || body[at + 1..].starts_with(' '))
    else {
        out.push_str(body);
        return;
    };
    let (key, value) = (&body[..at], body[at + 1..].strip_prefix(' ').unwrap_or(""));
    match is_yaml11_boolean(key) {
        true => push_quoted(out, key),
        false => out.push_str(key),
    }
    match is_yaml11_boolean(value) {
        true => {
            out.push_str(": ");
            push_quoted(out, value);
        }
        false => out.push_str(&body[at..]),
    }
}

fn push_quoted(out: &mut String, word: &str) {
    out.push('\'');
    out.push_str(word);
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml11_booleans_are_quoted_as_keys_values_and_items() {
        let value =
            json!({"y": "Y", "list": ["on", "off", "x"], "nested": [{"no": "yes", "k": "v"}], "ok": true});
        let text = quote_booleans(&serde_yaml::to_string(&value).unwrap());
        assert_eq!(
            text,
            "list:\n- 'on'\n- 'off'\n- x\nnested:\n- k: v\n  'no': 'yes'\nok: true\n'y': 'Y'\n"
        );
        // Read back (by a YAML 1.2 reader) it is the same value.
        assert_eq!(crate::yaml::from_str::<serde_json::Value>(&text).unwrap(), value);
    }

    #[test]
    fn block_scalars_and_quoted_text_are_left_alone() {
        let value = json!({"script": "echo\nyes\n  on\n", "key": "a: y", "after": "N"});
        let plain = serde_yaml::to_string(&value).unwrap();
        let text = quote_booleans(&plain);
        assert!(text.contains("\n  yes\n"), "{text}");
        assert!(text.contains("after: 'N'"), "{text}");
        assert_eq!(crate::yaml::from_str::<serde_json::Value>(&text).unwrap(), value);
    }

    #[test]
    fn other_text_is_unchanged() {
        let value = json!({"a": "yesterday", "b": ["nope", "y2"], "c": {"d": 1, "true": false}});
        let plain = serde_yaml::to_string(&value).unwrap();
        assert_eq!(quote_booleans(&plain), plain);
    }
}
