//! Shell completion: `completion SHELL` prints a script; the hidden `__complete` prints live
//! candidates (pipelines, versions, namespaces, contexts, formats) read from the cluster
//! within a short timeout, and never an error (a prompt is no place for one).
//!
//! `__complete WORDS…` speaks Cobra's protocol, because kubectl relays it unchanged for
//! `kubectl kfp <TAB>` (through `completions/kubectl_complete-kfp`): one candidate per line,
//! optionally `candidate<TAB>description`, then `:<directive>`. The bash, zsh and fish scripts
//! below are thin: they pass the words typed so far and hand the candidates to the shell.
//!
//! `analyze` reads the words typed so far (what is being completed), `live` looks names up
//! in the kubeconfig and the cluster, and `scripts` holds the shell scripts; this file runs
//! `__complete` and writes its answer.

mod analyze;
mod live;
mod scripts;

use std::collections::BTreeMap;

use crate::cli::{CompleteArgs, GlobalArgs};
use crate::error::ExitStatus;
use crate::output::Printer;

pub use analyze::{Candidate, Request, Want, analyze};
use live::{kubeconfig_names, live};
pub use scripts::{print_script, script};

/// Cobra's ShellCompDirective bits (kubectl relays them; our scripts honour the same ones).
const DIRECTIVE_DEFAULT: u8 = 0;
const DIRECTIVE_NO_SPACE: u8 = 2;
const DIRECTIVE_NO_FILE_COMP: u8 = 4;

/// `__complete WORDS…`: prints the candidates for the last word, then the directive. Any
/// failure (bad flags on the line, no kubeconfig, a slow or unreachable server) just means
/// fewer candidates: nothing goes to stderr and the exit status is always 0.
/// `outer` holds flags clap took before the words (`__complete --context c list`); the
/// scripts pass `--` first, so normally everything is in the words.
pub fn run(args: &CompleteArgs, outer: &GlobalArgs, printer: &Printer) -> ExitStatus {
    let mut request = analyze(&args.words);
    fill_from(&mut request.global, outer);
    let candidates = match &request.want {
        Want::Values(values) => values.clone(),
        Want::Nothing | Want::Files => Vec::new(),
        Want::Contexts | Want::Clusters | Want::Users => kubeconfig_names(&request),
        Want::Namespaces | Want::Reference { .. } | Want::LocalPipeline => live(&request),
    };
    printer.data(&render(&request, candidates));
    ExitStatus::Success
}

/// Flags typed on the line win; those clap parsed outside the words fill the gaps.
fn fill_from(global: &mut GlobalArgs, outer: &GlobalArgs) {
    let fill = |mine: &mut Option<String>, theirs: &Option<String>| {
        if mine.is_none() {
            mine.clone_from(theirs);
        }
    };
    fill(&mut global.context, &outer.context);
    fill(&mut global.cluster, &outer.cluster);
    fill(&mut global.user, &outer.user);
    fill(&mut global.namespace, &outer.namespace);
    fill(&mut global.impersonate, &outer.impersonate);
    fill(&mut global.request_timeout, &outer.request_timeout);
    fill(&mut global.shared_namespace, &outer.shared_namespace);
    if global.kubeconfig.is_none() {
        global.kubeconfig.clone_from(&outer.kubeconfig);
    }
    if global.impersonate_groups.is_empty() {
        global.impersonate_groups.clone_from(&outer.impersonate_groups);
    }
    global.no_shared |= outer.no_shared;
    global.insecure_skip_tls_verify |= outer.insecure_skip_tls_verify;
}

/// The output: matching candidates, one per line with an optional tab and description, then
/// the directive. Candidates ending in `/` or `=` (a namespace prefix, a flag's `=`) take no
/// space after them; file arguments with no candidates leave the completing to the shell.
pub fn render(request: &Request, candidates: Vec<Candidate>) -> String {
    let mut chosen: BTreeMap<String, String> = BTreeMap::new();
    for candidate in candidates {
        if candidate.value.starts_with(&request.partial) && !candidate.value.is_empty() {
            let value = format!("{}{}", request.lead, candidate.value);
            // The first description wins: local pipelines are offered before shared ones.
            chosen.entry(value).or_insert(candidate.description);
        }
    }
    let mut text = String::new();
    for (value, description) in &chosen {
        text.push_str(&clean(value));
        let description = clean(description);
        if !description.is_empty() {
            text.push('\t');
            text.push_str(&description);
        }
        text.push('\n');
    }
    let mut directive = DIRECTIVE_NO_FILE_COMP;
    if request.want == Want::Files && chosen.is_empty() {
        directive = DIRECTIVE_DEFAULT;
    }
    if !chosen.is_empty() && chosen.keys().all(|v| v.ends_with('/') || v.ends_with('=')) {
        directive |= DIRECTIVE_NO_SPACE;
    }
    text.push_str(&format!(":{directive}\n"));
    text
}

/// Tabs and newlines would break the line format.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\t' || c == '\n' || c == '\r' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn words(line: &str) -> Vec<String> {
        let mut words: Vec<String> = line.split(' ').map(String::from).collect();
        if words.len() == 1 && words[0].is_empty() {
            words.clear();
        }
        words
    }

    fn want(line: &str) -> Want {
        analyze(&words(line)).want
    }

    fn values(line: &str) -> Vec<String> {
        let request = analyze(&words(line));
        let candidates = match &request.want {
            Want::Values(values) => values.clone(),
            other => panic!("{line:?}: expected values, got {other:?}"),
        };
        render(&request, candidates)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn subcommands_at_the_start() {
        assert_eq!(
            values("l"),
            ["list", ":4"],
            "aliases and hidden commands are not offered"
        );
        let all = values("");
        assert!(all.contains(&"promote".to_string()), "{all:?}");
        assert!(!all.iter().any(|v| v == "__complete" || v == "ls"), "{all:?}");
        assert_eq!(values("config "), ["set", "view", ":4"]);
        assert_eq!(values("-n team-a config s"), ["set", ":4"]);
    }

    #[test]
    fn references_per_subcommand() {
        assert_eq!(want("list "), Want::Reference { versions: false });
        assert_eq!(want("get tr"), Want::Reference { versions: true });
        assert_eq!(want("diff a@v1 "), Want::Reference { versions: true });
        assert_eq!(want("diff a@v1 b@v2 "), Want::Nothing);
        assert_eq!(want("promote -y x"), Want::Reference { versions: true });
        assert_eq!(want("create "), Want::LocalPipeline);
        assert_eq!(want("config set shared-namespace "), Want::Namespaces);
        assert_eq!(want("version "), Want::Nothing);
    }

    #[test]
    fn flag_values() {
        assert_eq!(want("list -n "), Want::Namespaces);
        assert_eq!(want("-n "), Want::Namespaces);
        assert_eq!(want("promote x --to "), Want::Namespaces);
        assert_eq!(want("list --shared-namespace "), Want::Namespaces);
        assert_eq!(want("list --context "), Want::Contexts);
        assert_eq!(want("promote x --to-context "), Want::Contexts);
        assert_eq!(want("diff x --context-b "), Want::Contexts);
        assert_eq!(want("create -f "), Want::Files);
        assert_eq!(want("list --kubeconfig "), Want::Files);
        assert_eq!(
            values("list -o "),
            ["json", "name", "table", "wide", "yaml", ":4"]
        );
        assert_eq!(values("get x -o "), ["json", "name", "yaml", ":4"]);
        assert_eq!(values("diff -o s"), ["summary", ":4"]);
        assert_eq!(values("list --output=j"), ["--output=json", ":4"]);
        assert_eq!(
            values("create -f x --dry-run="),
            ["--dry-run=client", "--dry-run=none", "--dry-run=server", ":4"]
        );
        assert_eq!(values("completion "), ["bash", "fish", "powershell", "zsh", ":4"]);
        let request = analyze(&words("list -nteam"));
        assert_eq!(
            (request.want, request.lead.as_str(), request.partial.as_str()),
            (Want::Namespaces, "-n", "team")
        );
        assert_eq!(values("list -o=y"), ["-o=yaml", ":4"]);
    }

    #[test]
    fn flags_of_the_subcommand() {
        let list = values("list --");
        assert!(list.contains(&"--no-headers".to_string()), "{list:?}");
        assert!(list.contains(&"--context".to_string()), "globals too: {list:?}");
        assert!(!list.contains(&"--to".to_string()), "{list:?}");
        assert_eq!(values("promote x --to-"), ["--to-context", "--to-shared", ":4"]);
        // Given once: not offered again; repeatable flags are.
        assert_eq!(values("list --no-headers --no-h"), [":4"]);
        assert_eq!(values("create --tag a=b --ta"), ["--tag", ":4"]);
        assert_eq!(
            values("promote x --as-"),
            ["--as-group", "--as-name", "--as-version", ":4"]
        );
    }

    #[test]
    fn line_flags_are_collected_for_the_connection() {
        let request = analyze(&words(
            "--kubeconfig /k -n team-b --context viewer list --shared-namespace=s --no-shared x",
        ));
        assert_eq!(request.global.kubeconfig, Some(PathBuf::from("/k")));
        assert_eq!(request.global.namespace.as_deref(), Some("team-b"));
        assert_eq!(request.global.context.as_deref(), Some("viewer"));
        assert_eq!(request.global.shared_namespace.as_deref(), Some("s"));
        assert!(request.global.no_shared);
        assert_eq!(request.want, Want::Reference { versions: false });
        // Flag values are not positionals; `--` ends the flags.
        assert_eq!(want("get -n ns x "), Want::Nothing);
        assert_eq!(want("get -- -x"), Want::Reference { versions: true });
        assert_eq!(
            analyze(&words("diff --context-b remote a ")).context.as_deref(),
            Some("remote")
        );
        assert_eq!(analyze(&words("diff --context-b remote a")).context, None);
    }

    #[test]
    fn rendering_filters_and_sets_the_directive() {
        let request = analyze(&words("get te"));
        let candidates = vec![
            Candidate::new("team-a/", "namespace"),
            Candidate::new("test", "team-a"),
            Candidate::new("train", "team-a"),
            Candidate::new("test", "kubeflow (shared)"),
        ];
        assert_eq!(
            render(&request, candidates.clone()),
            "team-a/\tnamespace\ntest\tteam-a\n:4\n"
        );
        let request = analyze(&words("get tea"));
        assert_eq!(render(&request, candidates), "team-a/\tnamespace\n:6\n");
        let request = analyze(&words("create -f "));
        assert_eq!(render(&request, Vec::new()), ":0\n");
        assert_eq!(
            render(&request, vec![Candidate::new("a\tb", "two\nlines")]),
            "a b\ttwo lines\n:4\n"
        );
    }
}
