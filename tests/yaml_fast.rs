//! Differential tests of the fast YAML reader (`yaml::fast_documents`) against serde_yaml
//! (`yaml::serde_yaml_documents`): on every input the fast reader either declines or yields
//! exactly serde_yaml's values. Also replays the `yaml_fast` fuzz target's regressions.

use std::path::{Path, PathBuf};

use kubectl_kfp::yaml;
use proptest::prelude::*;
use serde_json::{Value, json};

mod common;

/// Whether the fast reader handled `text`; panics if its values differ from serde_yaml's.
fn agrees(text: &str) -> bool {
    let Some(fast) = yaml::fast_documents(text) else {
        return false;
    };
    let slow = yaml::serde_yaml_documents(text)
        .unwrap_or_else(|err| panic!("serde_yaml refuses what the fast reader read: {err}\n{text}"));
    assert_eq!(fast, slow, "values differ for:\n{text}");
    // Value equality takes -0.0 for 0.0; the JSON text does not.
    assert_eq!(
        serde_json::to_string(&fast).unwrap(),
        serde_json::to_string(&slow).unwrap(),
        "values differ for:\n{text}"
    );
    true
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The YAML in the repository: the compiled examples, the refused inputs and KFP's CRDs.
fn repo_files() -> Vec<PathBuf> {
    let mut files = common::data::compiled_examples();
    files.extend(common::data::invalid_inputs());
    files.extend(files_under(&common::data::repo().join("tests/data/crds")));
    files
}

/// The external corpus's files, or None when it is absent (said on the test output).
fn external_files(test: &str) -> Option<Vec<PathBuf>> {
    let mut files = Vec::new();
    for folder in [
        "pipelines/valid",
        "pipelines/invalid",
        "pipelines/variants",
        "manifests",
        "crds",
    ] {
        files.extend(common::data::external_corpus(test, folder)?);
    }
    Some(files)
}

/// Every file reads as serde_yaml reads it, and the fast reader declines none of the YAML ones.
fn read_alike(files: &[PathBuf]) {
    let mut declined = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !agrees(&text) && path.extension().is_some_and(|ext| ext == "yaml") {
            declined.push(path.display().to_string());
        }
    }
    // Everything the KFP SDK compiles is in the fast reader's subset.
    assert_eq!(declined, [""; 0], "files the fast reader left to serde_yaml");
}

/// The canonical YAML of each pipeline reads back, and so does one stream of all of them.
fn canonical_reads_back(files: &[PathBuf]) {
    let mut all = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        let documents = yaml::documents(&text).unwrap();
        let canonical = yaml::to_stream(&documents).unwrap();
        assert!(
            agrees(&canonical),
            "{}: declined its canonical form",
            path.display()
        );
        all.push(Value::Array(documents));
    }
    // One big stream in serde_yaml's style, nested a level deeper than any single file.
    let big = yaml::to_string(&all).unwrap();
    assert!(agrees(&big));
}

#[test]
fn every_repository_file_reads_as_serde_yaml_reads_it() {
    read_alike(&repo_files());
}

#[test]
fn external_corpus_every_file_reads_as_serde_yaml_reads_it() {
    if let Some(files) = external_files("external_corpus_every_file_reads_as_serde_yaml_reads_it") {
        read_alike(&files);
    }
}

#[test]
fn canonical_yaml_of_every_example_reads_back() {
    canonical_reads_back(&common::data::compiled_examples());
}

#[test]
fn external_corpus_canonical_yaml_of_every_pipeline_reads_back() {
    let test = "external_corpus_canonical_yaml_of_every_pipeline_reads_back";
    if let Some(files) = common::data::external_corpus(test, "pipelines/valid") {
        canonical_reads_back(&files);
    }
}

#[test]
fn benchmark_specs_read_as_serde_yaml_reads_them() {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    for name in ["big-a.yaml", "big-b.yaml"] {
        // Written by `scripts/bench`; not every checkout has run it.
        if let Ok(text) = std::fs::read_to_string(bench.join(name)) {
            assert!(agrees(&text), "{name}: declined");
        }
    }
}

/// Hand-written texts around every rule of the fast reader: each is read alike or declined.
const EDGE_CASES: &[&str] = &[
    "",
    "\n\n",
    "# only a comment\n",
    "---\n",
    "---\n---\n",
    "--- # comment\na: 1\n",
    "a: 1\n---\nb: 2\n...\n",
    "a: 1\n--- \nb: 2\n",
    "--- a\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: 1\n  b: 2\n",
    "a:\n  b: 1\n c: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "a: 1\na: 2\n",
    "a: {x: 1, x: 2}\n",
    "<<: {a: 1}\n",
    "a : 1\n",
    "'a' : 1\n",
    "'a':1\n",
    "a:1\n",
    "a: b: c\n",
    "- a: b: c\n",
    "a: - b\n",
    "a:\n- b\n- c\nd: e\n",
    "a:\n  - b\n  c: d\n",
    "a:\n  - b\n- c\n",
    "- a\n b\n",
    "- a\n- b\nc: d\n",
    "-\n- b\n-\n",
    "- - a\n  - b\n- - c\n",
    "- a:\n  - x\n  b: 1\n",
    "- a:\n   b: 2\n",
    "- a:\n  b\n",
    "- a:\n b\n",
    "- a: 1\n   b: 2\n",
    "-   a: 1\n    b: 2\n",
    "a: foo\n  bar\n\n  baz\n",
    "a: foo\n  bar: baz\n",
    "a: foo\n  - bar\n",
    "a: foo # c\n  bar\n",
    "a: foo\n  # c\n  bar\n",
    "a: foo\n# c\nb: bar\n",
    "a: foo#bar\nb: foo #bar\n",
    "a: x:y\nb: http://e.com/a?b=c#d\n",
    "a: [x, y]: z\n",
    "{a: 1}: b\n",
    "a: [x, y, [z, {p: q}]]\nb: {}\nc: []\nd: [ ]\ne: { }\n",
    "a: [x, ]\n",
    "a: [x,\n  y]\n",
    "a: [a:b]\n",
    "a: {p: }\n",
    "a: {p}\n",
    "a: ['x', \"y\", 'it''s']\n",
    "a: [-1, +1, .5, 0x1F, ~, null, true, yes]\n",
    "{a: 1, 'b': [x]}\n",
    "[1, 2]\n",
    "[1, 2]\nb: 1\n",
    "foo\n",
    "'foo'\n",
    "|\n  foo\n",
    "a: 'one\n  two\n\n  three'\n",
    "a: 'one\n  two\n'\n",
    "a: 'one\ntwo'\n",
    "a: 'trailing   \n  lead'\n",
    "a: 'x'#c\n",
    "a: 'x' #c\n",
    "a: 'x' y\n",
    "a: \"tab\\there\\u00e9\\x41\\U0001F980\\N\\_\\L\\P\\0\\a\\b\\v\\f\\r\\e\\ \\\"\\/\\\\\"\n",
    "a: \"bad \\q escape\"\n",
    "a: \"bad \\ud800 surrogate\"\n",
    "a: \"\\U00110000\"\n",
    "a: \"\\x4\"\n",
    "a: \"one\\\n  \\ two\\\n\n  three\"\n",
    "a: \"one \\\n  two\"\n",
    "a: \"one\n\n\n  two   \n  three\"\n",
    "a: \"unterminated\n",
    "a: 'unterminated\n",
    "a: |\n  line 1\n  line 2\nb: 1\n",
    "a: |-\n  line 1\n\n\nb: 1\n",
    "a: |+\n  line 1\n\n\nb: 1\n",
    "a: |+\n\n\nb: 1\n",
    "a: |\n\n\nb: 1\n",
    "a: |2\n\n    indented\n  less\nb: 1\n",
    "a: |2-\n    x\n",
    "a: |-2\n    x\n",
    "a: |0\n  x\n",
    "a: |22\n  x\n",
    "a: |++\n  x\n",
    "a: | # comment\n  x\n",
    "a: |#comment\n  x\n",
    "a: |x\n  x\n",
    "a: |\n    \n  x\n",
    "a: |\n  \n    x\n  y\n",
    "a: |\n  x\n # c\nb: 1\n",
    "a: |\n    x\n  b: 1\n",
    "a: |\n  x",
    "a: |\n  x\n  ",
    "a: |\n  x\n---\nb: 1\n",
    "- |\n  x\n- |2\n   y\n- |+\n  z\n\n",
    "- a: |2\n      x\n",
    "a:\n- |2\n   x\n",
    "a:\n  - |2\n     x\n",
    "a: >\n  folded\n  text\n\n  para\n    indented\n  back\n",
    "a: >-\n  x\n  y\n",
    "a: >+\n  x\n\n",
    "a: &anchor 1\nb: *anchor\n",
    "a: !tag x\n",
    "a: !!str 1\n",
    "? a\n: b\n",
    "a: ?x\n",
    "a: :x\n",
    "a: @x\n",
    "a: `x\n",
    "a: %x\n",
    "a: -\n",
    "a: -x\n",
    "a: --executor_input\n",
    "a:\tb\n",
    "a: b\r\nc: d\r\n",
    "\u{feff}a: 1\n",
    "a: \u{85}\n",
    "a: x\u{2028}y\n",
    "a: é日本🦀\n",
    "a: \u{7f}\n",
    "  a: 1\n  b: 2\n",
    "a:\n\n\n  b: 1\n",
    "a:   # comment\n  b: 1\n",
    "a:\n  # comment\n  b: 1\n",
    "- # comment\n  a\n",
    "a: 1 # comment\n",
    "a: 1# not a comment\n",
    "\"a b\": 1\n'c d': 2\n\"\": 3\n",
    "a\n",
    "a:\nb\n",
    "null: 1\n~: 2\n1: 3\ntrue: 4\n0x10: 5\n",
    "a: null\nb: Null\nc: NULL\nd: ~\ne:\nf: nul\n",
    "a: true\nb: True\nc: TRUE\nd: yes\ne: on\nf: tRUE\n",
    "a: 1\nb: -1\nc: +1\nd: 0\ne: -0\nf: +0\ng: 007\nh: -007\ni: 0.5\nj: 1e3\nk: 1E3\nl: 1e+3\nm: 1.5e-3\n",
    "a: 0x1F\nb: 0o17\nc: 0b101\nd: -0x1F\ne: +0x1F\nf: 0x-1\ng: 0x+1\nh: -0x-1\ni: 0X1F\nj: 0x\nk: 0o\nl: 0b2\n",
    "a: .inf\nb: -.inf\nc: +.inf\nd: .Inf\ne: .INF\nf: .nan\ng: .NaN\nh: .NAN\ni: +.nan\nj: inf\nk: nan\nl: infinity\nm: -inf\n",
    "a: 1.\nb: .5\nc: -.5\nd: +.5\ne: .\nf: -\ng: +\nh: 1_000\ni: 1,000\nj: 12:30\nk: 2024-01-01\nl: 1e400\nm: -1e400\nn: 1e-400\n",
    "a: 18446744073709551615\nb: -9223372036854775808\n",
    "a: 18446744073709551616\n",
    "a: -9223372036854775809\n",
    "a: 340282366920938463463374607431768211456\n",
    "a: 3402823669209384634633746074317682114560000000000\n",
    "a: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n",
    "a: 00\nb: 0.0\nc: -0.0\nd: 00.5\ne: 0e0\nf: 01e2\ng: +-1\nh: -+1\ni: ++1\nj: --1\n",
    "a: 2.0\nb: 1.0e2\nc: 100.0\nd: 9007199254740993\ne: 9007199254740993.0\nf: 0.1\ng: 1.7976931348623157e308\n",
];

#[test]
fn edge_cases_read_alike_or_are_declined() {
    let mut handled = 0;
    for text in EDGE_CASES {
        if agrees(text) {
            handled += 1;
        }
    }
    // Most are handled: the test would pass vacuously if the reader declined everything.
    assert!(
        handled * 2 > EDGE_CASES.len(),
        "only {handled} of {} handled",
        EDGE_CASES.len()
    );
}

#[test]
fn the_subset_covers_what_kfp_and_serde_yaml_write() {
    for text in [
        "a: 1\n",
        "a:\n- b\n- c: d\n  e: f\n",
        "a: 'x'\nb: \"y\\n\"\nc: |-\n  z\n",
        "a: [x, 'y']\nb: {}\n",
        "a: \"one\\\n  \\ two\"\n",
        "a: 'one\n\n  two'\n",
        "---\na: 1\n---\nb: 2\n",
        "# PIPELINE DEFINITION\na: foo\n  bar\n",
    ] {
        assert!(yaml::fast_documents(text).is_some(), "declined:\n{text}");
        assert!(agrees(text));
    }
    assert_eq!(
        yaml::fast_documents("a: 0x1F\nb: .inf\nc: 007\nd: -0.5\ne: ~\n").unwrap(),
        [json!({"a": 31, "b": null, "c": "007", "d": -0.5, "e": null})]
    );
}

fn value() -> impl Strategy<Value = Value> {
    common::json_value(common::Shape {
        tricky: common::TRICKY,
        depth: 5,
        size: 64,
        wide: true,
    })
}

/// Pieces of YAML lines, valid and not, for texts no writer would produce.
const PIECES: &[&str] = &[
    "a", "b", "key", "'q'", "\"d\"", "\"e\\n\"", "'it''s'", "-", "- ", "- - ", ":", ": ", " ", "  ", "    ",
    "#", " # c", "|", "|-", "|+", "|2", ">", ">-", "[", "]", "{", "}", ", ", "[]", "{}", "[x, y]", "{k: v}",
    "1", "-1", "0x1F", "1.5", ".inf", "~", "null", "true", "007", "'", "\"", "\\", "&a ", "*a", "!t ", "? ",
    "---", "...", "é", "x y", "foo:bar", "\n", "\n", "\n", "\n  ", "\n    ", "\n- ", "\n  - ", "\na: ",
    "\n  b: ", "\n\n",
];

fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PIECES), 0..40).prop_map(|pieces| pieces.concat())
}

/// Lines shaped like block YAML (an indentation that mostly follows the nesting, maybe `- `,
/// maybe a key, a value, maybe a comment), often valid, often not.
fn block_lines() -> impl Strategy<Value = String> {
    const STEPS: &[isize] = &[-2, -1, 0, 0, 0, 1, 1];
    const ODD: &[&str] = &["", "", "", "", "", "", " "];
    const ENTRIES: &[&str] = &["", "", "", "- ", "- ", "- - ", "-"];
    const KEYS: &[&str] = &[
        "a: ", "b: ", "c:", "a:", "'q': ", "\"d\": ", "x y: ", ":k: ", "", "",
    ];
    const VALUES: &[&str] = &[
        "",
        "",
        "",
        "v",
        "1",
        "-2",
        "1.5",
        "~",
        "null",
        "true",
        "0x1F",
        "007",
        ".inf",
        "x: y",
        "x:y",
        "a #b",
        "a#b",
        "[x, y]",
        "{k: v}",
        "[]",
        "{}",
        "'s'",
        "'s''t'",
        "'open",
        "close'",
        "\"d\\n\"",
        "\"open",
        "close\"",
        "\"a\\",
        "\\ b\"",
        "|",
        "|-",
        "|+",
        "|2",
        ">",
        ">-",
        "- x",
        "&a x",
        "*a",
        "!t x",
        "? x",
        "--- ",
        "...",
        "#",
        "é",
        "two words",
        "-x",
        ":x",
        "?x",
    ];
    const COMMENTS: &[&str] = &["", "", "", "", " # c", "#c"];
    let line = (
        proptest::sample::select(STEPS),
        proptest::sample::select(ODD),
        proptest::sample::select(ENTRIES),
        proptest::sample::select(KEYS),
        proptest::sample::select(VALUES),
        proptest::sample::select(COMMENTS),
    );
    proptest::collection::vec(line, 1..12).prop_map(|lines| {
        let mut depth = 0isize;
        let mut text = String::new();
        for (step, odd, entry, key, value, comment) in lines {
            depth = (depth + step).max(0);
            let indent = "  ".repeat(depth as usize);
            text.push_str(&format!("{indent}{odd}{entry}{key}{value}{comment}\n"));
        }
        text
    })
}

fn number_like() -> impl Strategy<Value = String> {
    "[-+0-9.eExXoObBa-fA-F_~:nul]{1,8}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn serde_yaml_output_reads_alike(value in value()) {
        let text = serde_yaml::to_string(&value).unwrap();
        // Tabs, CRs, Unicode line breaks and complex keys (`? |-` for a key with a line
        // break) are left to serde_yaml; anything else it writes is in the fast reader's subset.
        let simple = text.chars().all(|c| {
            c == '\n' || !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
        }) && !text.lines().any(|line| line.trim_start_matches([' ', '-']).starts_with("? "));
        prop_assert!(agrees(&text) || !simple, "declined serde_yaml's own output:\n{}", text);
        let stream = yaml::to_stream(&[value.clone(), json!({"next": value})]).unwrap();
        agrees(&stream);
    }

    #[test]
    fn json_text_reads_alike_or_is_declined(value in value()) {
        agrees(&serde_json::to_string(&value).unwrap());
        agrees(&serde_json::to_string_pretty(&value).unwrap());
        agrees(&format!("k: {}\n", serde_json::to_string(&value).unwrap()));
    }

    #[test]
    fn plain_scalars_resolve_as_serde_yaml_resolves_them(scalar in number_like()) {
        agrees(&format!("k: {scalar}\n"));
        agrees(&format!("- {scalar}\n- [{scalar}]\n- {{k: {scalar}}}\n"));
        agrees(&format!("{scalar}: k\n"));
    }
}

#[test]
fn arbitrary_texts_read_alike_or_are_declined() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut handled, mut handled_multi_line, mut valid, cases) = (0, 0, 0, 20_000);
    for _ in 0..cases {
        let text = if runner.rng().random_bool(0.2) {
            soup().new_tree(&mut runner).unwrap().current()
        } else {
            block_lines().new_tree(&mut runner).unwrap().current()
        };
        valid += usize::from(yaml::serde_yaml_documents(&text).is_ok());
        if agrees(&text) {
            handled += 1;
            handled_multi_line += usize::from(text.trim().contains('\n'));
        }
    }
    eprintln!("{handled} of {cases} handled ({handled_multi_line} of several lines), {valid} valid");
    // Not vacuous: most valid texts, many of several lines, are read rather than declined.
    assert!(handled > valid / 2 && handled_multi_line > cases / 50);
}

#[test]
fn fuzz_regressions_read_alike_or_are_declined() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/yaml_fast");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            agrees(text);
        }
    }
}
