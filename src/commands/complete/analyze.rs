//! What is being completed: the words typed after `kubectl kfp`, read against the clap
//! definitions (which subcommand, which flags were given, what the last word can become).

use std::path::PathBuf;

use clap::{Arg, ArgAction, Command, CommandFactory};

use crate::cli::{Cli, GlobalArgs};

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: String,
}

impl Candidate {
    pub(super) fn new(value: impl Into<String>, description: impl Into<String>) -> Self {
        Candidate {
            value: value.into(),
            description: description.into(),
        }
    }
}

/// What the word under the cursor can become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    Nothing,
    /// Known without asking anyone: subcommands, flags, enum values.
    Values(Vec<Candidate>),
    /// Paths: the shell completes them.
    Files,
    Namespaces,
    /// Kubeconfig contexts, clusters and users (no server call).
    Contexts,
    Clusters,
    Users,
    /// `[NAMESPACE/]PIPELINE`, and `@VERSION` after it when `versions`.
    Reference {
        versions: bool,
    },
    /// A pipeline name in the current namespace (`create [PIPELINE]`).
    LocalPipeline,
}

/// A parsed partial command line.
#[derive(Debug, Clone)]
pub struct Request {
    pub want: Want,
    /// Text of the word before the value being completed (`--output=`), kept on candidates.
    pub lead: String,
    /// The part of the value typed so far.
    pub partial: String,
    /// Connection and namespace flags already on the line.
    pub global: GlobalArgs,
    /// `diff --context-b`: REF_B is read from that context.
    pub context: Option<String>,
}

/// Reads the words typed after `kubectl kfp` (the last one is being completed) against the
/// clap definitions: which subcommand, which flags were given, and what the last word is.
pub fn analyze(words: &[String]) -> Request {
    let mut root = Cli::command();
    root.build();
    let (current, done) = match words.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };
    let mut state = LineState::default();
    let mut command = &root;
    let mut pending: Option<&Arg> = None;
    let mut options_done = false;
    for word in done {
        if let Some(arg) = pending.take() {
            state.record(arg, Some(word));
            continue;
        }
        if !options_done && word == "--" {
            options_done = true;
        } else if !options_done && word.starts_with("--") {
            let (name, value) = match word[2..].split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (&word[2..], None),
            };
            if let Some(arg) = find_long(command, name) {
                if value.is_none() && takes_separate_value(arg) {
                    pending = Some(arg);
                } else {
                    state.record(arg, value);
                }
            }
        } else if !options_done && word.starts_with('-') && word.len() > 1 {
            pending = state.record_shorts(command, &word[1..]);
        } else if let Some(sub) = find_subcommand(command, word) {
            command = sub;
            state.path.push(sub.get_name().to_string());
            state.positionals.clear();
        } else {
            state.positionals.push(word.clone());
        }
    }

    let (want, lead, partial) = if let Some(arg) = pending {
        (value_want(arg), String::new(), current)
    } else if !options_done && current.starts_with("--") {
        match current[2..].split_once('=') {
            Some((name, value)) => match find_long(command, name) {
                Some(arg) => (value_want(arg), format!("--{name}="), value),
                None => (Want::Nothing, String::new(), current),
            },
            None => (Want::Values(flags(command, &state)), String::new(), current),
        }
    } else if !options_done && current.starts_with('-') {
        // `-nteam-a`, `-n=team-a`: a short flag with its value attached.
        let mut chars = current[1..].chars();
        match (chars.next().and_then(|c| find_short(command, c)), chars.as_str()) {
            (Some(arg), rest) if !rest.is_empty() && takes_separate_value(arg) => {
                let value = rest.strip_prefix('=').unwrap_or(rest);
                (
                    value_want(arg),
                    current[..current.len() - value.len()].to_string(),
                    value,
                )
            }
            _ => (Want::Values(flags(command, &state)), String::new(), current),
        }
    } else {
        (positional_want(command, &state), String::new(), current)
    };
    let context = match (state.path.last().map(String::as_str), state.positionals.len()) {
        (Some("diff"), 1) if want == (Want::Reference { versions: true }) => state.context_b.clone(),
        _ => None,
    };
    Request {
        want,
        lead,
        partial: partial.to_string(),
        global: state.global,
        context,
    }
}

/// What the words before the cursor said.
#[derive(Debug, Default)]
struct LineState {
    path: Vec<String>,
    positionals: Vec<String>,
    given: Vec<String>,
    global: GlobalArgs,
    context_b: Option<String>,
}

impl LineState {
    /// Notes a flag (and its value) that was typed.
    fn record(&mut self, arg: &Arg, value: Option<&str>) {
        let id = arg.get_id().as_str();
        self.given.push(id.to_string());
        let text = value.map(str::to_string);
        let global = &mut self.global;
        match id {
            "kubeconfig" => global.kubeconfig = value.map(expand_home),
            "context" => global.context = text,
            "cluster" => global.cluster = text,
            "user" => global.user = text,
            "namespace" => global.namespace = text,
            "impersonate" => global.impersonate = text,
            "impersonate_groups" => global.impersonate_groups.extend(text),
            "request_timeout" => global.request_timeout = text,
            "shared_namespace" => global.shared_namespace = text,
            "no_shared" => global.no_shared = true,
            "insecure_skip_tls_verify" => global.insecure_skip_tls_verify = true,
            "context_b" => self.context_b = text,
            _ => {}
        }
    }

    /// Notes a cluster of short flags (`-yv`, `-n`, `-nteam-a`); returns a flag still waiting
    /// for its value in the next word.
    fn record_shorts<'a>(&mut self, command: &'a Command, cluster: &str) -> Option<&'a Arg> {
        for (index, c) in cluster.char_indices() {
            let arg = find_short(command, c)?;
            if takes_separate_value(arg) {
                let rest = &cluster[index + c.len_utf8()..];
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                if rest.is_empty() {
                    return Some(arg);
                }
                self.record(arg, Some(rest));
                return None;
            }
            self.record(arg, None);
        }
        None
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

fn find_long<'a>(command: &'a Command, name: &str) -> Option<&'a Arg> {
    command.get_arguments().find(|arg| {
        arg.get_long() == Some(name)
            || arg
                .get_visible_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(command: &Command, c: char) -> Option<&Arg> {
    command.get_arguments().find(|arg| arg.get_short() == Some(c))
}

fn find_subcommand<'a>(command: &'a Command, word: &str) -> Option<&'a Command> {
    command
        .get_subcommands()
        .find(|sub| sub.get_name() == word || sub.get_all_aliases().any(|alias| alias == word))
}

/// Whether the flag's value is the next word (`-n NS`); `--dry-run` takes it only after `=`.
fn takes_separate_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
        && !arg.is_require_equals_set()
        && arg.get_num_args().is_none_or(|range| range.min_values() > 0)
}

/// The flags of the subcommand at hand (globals included), minus those already given once.
fn flags(command: &Command, state: &LineState) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for arg in command.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if !repeatable && state.given.iter().any(|id| id == arg.get_id().as_str()) {
            continue;
        }
        let help = first_line(arg.get_help().map(ToString::to_string));
        if let Some(short) = arg.get_short() {
            candidates.push(Candidate::new(format!("-{short}"), help.clone()));
        }
        if let Some(long) = arg.get_long() {
            candidates.push(Candidate::new(format!("--{long}"), help.clone()));
        }
        for alias in arg.get_visible_aliases().into_iter().flatten() {
            candidates.push(Candidate::new(format!("--{alias}"), help.clone()));
        }
    }
    candidates
}

fn first_line(text: Option<String>) -> String {
    text.unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// What a flag's value can be.
fn value_want(arg: &Arg) -> Want {
    match arg.get_id().as_str() {
        "namespace" | "to" | "shared_namespace" => Want::Namespaces,
        "context" | "to_context" | "context_b" | "contexts" => Want::Contexts,
        "cluster" => Want::Clusters,
        "user" => Want::Users,
        "kubeconfig" | "file" | "files" => Want::Files,
        _ => possible_values(arg),
    }
}

/// What the next positional word of the subcommand can be.
fn positional_want(command: &Command, state: &LineState) -> Want {
    if command.has_subcommands() {
        let subcommands = command
            .get_subcommands()
            // clap adds `help` to every level; like kubectl, offer it at the top only.
            .filter(|sub| !sub.is_hide_set() && (state.path.is_empty() || sub.get_name() != "help"))
            .map(|sub| {
                Candidate::new(
                    sub.get_name(),
                    first_line(sub.get_about().map(ToString::to_string)),
                )
            })
            .collect();
        return Want::Values(subcommands);
    }
    let mut positionals: Vec<&Arg> = command.get_positionals().collect();
    positionals.sort_by_key(|arg| arg.get_index());
    let Some(arg) = positionals.get(state.positionals.len()) else {
        return Want::Nothing;
    };
    let subcommand = state.path.last().map(String::as_str).unwrap_or_default();
    match (subcommand, arg.get_id().as_str()) {
        ("list", "reference") => Want::Reference { versions: false },
        ("prune", "reference") => Want::Reference { versions: false },
        (_, "reference" | "reference_a" | "reference_b") => Want::Reference { versions: true },
        ("create", "pipeline") => Want::LocalPipeline,
        // `config set shared-namespace NS`: the only setting is a namespace.
        ("set", "value") => Want::Namespaces,
        _ => possible_values(arg),
    }
}

fn possible_values(arg: &Arg) -> Want {
    let values: Vec<Candidate> = arg
        .get_possible_values()
        .into_iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| {
            Candidate::new(
                value.get_name(),
                first_line(value.get_help().map(ToString::to_string)),
            )
        })
        .collect();
    if values.is_empty() {
        Want::Nothing
    } else {
        Want::Values(values)
    }
}
