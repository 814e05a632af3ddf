//! Real shells (bash, zsh, fish) completing command lines with the scripts in completions/,
//! in a pseudo-terminal, against the test control plane.
//!
//! Each shell starts from a private rc file that loads the committed completion script and
//! wraps the shell's completion entry point in a probe: after every TAB it prints the
//! candidates the shell got (`PROBE-CAND<a|b>`) and `PROBE-END` to the terminal. `kubectl-kfp`
//! on PATH is a wrapper that hands `__complete` to the real plugin and otherwise prints
//! `RAN[<arguments>]`, so pressing Enter shows the command line the shell completed.

use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::reader::Options;
use rexpect::session::PtySession;

use crate::support::{ControlPlane, Namespaces, kubectl_binary, plugin_binary, repo};

/// A directory with the wrapper, a kubeconfig whose current context and namespace are the
/// test's, the plugin's config file (naming the shared namespace) and the shells' rc files.
pub struct Setup {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    config: PathBuf,
    bin: PathBuf,
}

impl Setup {
    /// Current context `context`, its namespace `ns.local`, shared namespace `ns.shared`.
    pub fn new(cp: &ControlPlane, ns: &Namespaces, context: &str) -> Setup {
        let dir = cp.dir.join(format!("shell-{}-{context}", ns.local));
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("create shell dir");
        let kubeconfig = dir.join("kubeconfig");
        std::fs::copy(&cp.kubeconfig, &kubeconfig).expect("copy kubeconfig");
        let kubeconfig_text = kubeconfig.to_string_lossy().into_owned();
        for args in [
            vec!["config", "set-context", context, "--namespace", &ns.local],
            vec!["config", "use-context", context],
        ] {
            let status = Command::new(kubectl_binary())
                .arg("--kubeconfig")
                .arg(&kubeconfig_text)
                .args(&args)
                .output()
                .expect("run kubectl config");
            assert!(status.status.success(), "kubectl {args:?}: {status:?}");
        }
        let config = dir.join("config.yaml");
        std::fs::write(&config, format!("sharedNamespace: {}\n", ns.shared)).expect("write config");
        let wrapper = bin.join("kubectl-kfp");
        write_executable(
            &wrapper,
            &format!(
                "#!/bin/sh\n# Completion goes to the real plugin; any other run shows its arguments.\nif [ \"$1\" = __complete ]; then exec '{}' \"$@\"; fi\nprintf 'RAN[%s]\\n' \"$*\"\n",
                plugin_binary().display()
            ),
        );
        Setup {
            dir,
            kubeconfig,
            config,
            bin,
        }
    }

    /// The environment a shell (or kubectl) runs with: the wrapper first on PATH, the test's
    /// kubeconfig and config file, and HOME in the test directory so no user rc file is read.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        let path = std::env::var("PATH").unwrap_or_default();
        command
            .env_clear()
            .env("PATH", format!("{}:{path}", self.bin.display()))
            .env("HOME", &self.dir)
            .env("TERM", "xterm")
            .env("LANG", "C.UTF-8")
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECTL_KFP_CONFIG", &self.config)
            .current_dir(&self.dir);
        command
    }

    /// Puts kubectl and completions/kubectl_complete-kfp next to the wrapper on PATH, as a user
    /// who set up `kubectl kfp <TAB>` would have them.
    pub fn add_kubectl(&self) {
        for (source, name) in [
            (kubectl_binary(), "kubectl"),
            (
                repo().join("completions/kubectl_complete-kfp"),
                "kubectl_complete-kfp",
            ),
        ] {
            let target = self.bin.join(name);
            if !target.exists() {
                std::os::unix::fs::symlink(&source, &target).expect("link into bin");
            }
        }
    }
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bash,
    Zsh,
    Fish,
}

/// An interactive shell in a pseudo-terminal.
pub struct Shell {
    session: PtySession,
    kind: Kind,
}

const PROMPT: &str = "READY> ";

impl Shell {
    /// Starts `kind` with the committed completion script loaded.
    pub fn start(setup: &Setup, kind: Kind) -> Shell {
        Shell::start_with(setup, kind, false)
    }

    /// Starts zsh with kubectl's own completion (`kubectl completion zsh`), which runs
    /// kubectl_complete-kfp for `kubectl kfp <TAB>`. (kubectl's bash script needs the
    /// bash-completion package, zsh's needs nothing.)
    pub fn start_for_kubectl(setup: &Setup) -> Shell {
        setup.add_kubectl();
        Shell::start_with(setup, Kind::Zsh, true)
    }

    fn start_with(setup: &Setup, kind: Kind, kubectl: bool) -> Shell {
        let completions = repo().join("completions");
        let mut command = match kind {
            Kind::Bash => {
                let rc = setup.dir.join("bashrc");
                std::fs::write(
                    &rc,
                    format!(
                        r#"PS1='{PROMPT}'
bind 'set bell-style none'
bind 'set show-all-if-ambiguous on'
bind 'set completion-query-items 0'
source '{}'
_kfp_probe() {{
  _kubectl_kfp "$@"
  local IFS='|'
  printf '\nPROBE-CAND<%s>\nPROBE-END\n' "${{COMPREPLY[*]}}" >&2
}}
complete -F _kfp_probe kubectl-kfp
"#,
                        completions.join("kubectl-kfp.bash").display()
                    ),
                )
                .expect("write bashrc");
                let mut command = setup.command("bash");
                command.arg("--noprofile").arg("--rcfile").arg(&rc).arg("-i");
                command
            }
            Kind::Zsh => {
                let (load, inner, name) = if kubectl {
                    (
                        "source <(kubectl completion zsh)".to_string(),
                        "_kubectl",
                        "kubectl",
                    )
                } else {
                    (
                        format!("source '{}'", completions.join("_kubectl-kfp").display()),
                        "_kubectl-kfp",
                        "kubectl-kfp",
                    )
                };
                let rc = setup.dir.join(".zshrc");
                std::fs::write(
                    &rc,
                    format!(
                        r#"PS1='{PROMPT}'
unsetopt beep
autoload -Uz compinit && compinit -u -d "$ZDOTDIR/.zcompdump"
{load}
# Probe: every word handed to compadd (after matching against the line) is printed.
compadd() {{
  if [[ ${{@[1,(i)(-|--)]}} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a __probe
  builtin compadd -O __probe "$@"
  print -u2 -r -- "PROBE-CAND<${{(j:|:)__probe}}>"
  builtin compadd "$@"
}}
_kfp_probe() {{
  {inner} "$@"
  local ret=$?
  print -u2 -r -- PROBE-END
  return ret
}}
compdef _kfp_probe {name}
"#
                    ),
                )
                .expect("write .zshrc");
                let mut command = setup.command("zsh");
                command.env("ZDOTDIR", &setup.dir).arg("-i");
                command
            }
            Kind::Fish => {
                let rc = setup.dir.join("config.fish");
                std::fs::write(
                    &rc,
                    format!(
                        r#"function fish_prompt; echo -n '{PROMPT}'; end
function fish_greeting; end
set -g fish_autosuggestion_enabled 0
source '{}'
functions --copy __kubectl_kfp_complete __kfp_inner
function __kubectl_kfp_complete
    set -l out (__kfp_inner)
    printf 'PROBE-CAND<%s>\nPROBE-END\n' (string join '|' -- (string replace -r '\t.*' '' -- $out)) >&2
    printf '%s\n' $out
end
"#,
                        completions.join("kubectl-kfp.fish").display()
                    ),
                )
                .expect("write config.fish");
                let mut command = setup.command("fish");
                command
                    .arg("--no-config")
                    .arg("--init-command")
                    .arg(format!("source '{}'", rc.display()))
                    .arg("-i");
                command
            }
        };
        command.env("NO_COLOR", "1");
        let options = Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(true);
        let mut session = rexpect::session::spawn_with_options(command, options)
            .unwrap_or_else(|e| panic!("start {kind:?} in a pty: {e}"));
        session
            .exp_string(PROMPT)
            .unwrap_or_else(|e| panic!("{kind:?} prompt: {e}"));
        Shell { session, kind }
    }

    /// Types `line`, presses TAB once and returns the candidates the shell received (sorted),
    /// then clears the line.
    pub fn candidates(&mut self, line: &str) -> Vec<String> {
        let mut candidates = self.tab(line);
        candidates.sort();
        candidates.dedup();
        self.send("\x15"); // Ctrl-U: clear the line for the next test.
        candidates
    }

    /// Types `keys`, where every `\t` is a TAB (waited for), presses Enter and returns the
    /// arguments the completed command ran with.
    pub fn run(&mut self, keys: &str) -> String {
        let mut parts = keys.split('\t').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_some() {
                self.tab(part);
            } else {
                self.send(part);
            }
        }
        self.send("\r");
        let (_, matched) = self
            .session
            .exp_regex(r"RAN\[[^\]\r\n]*\]")
            .unwrap_or_else(|e| panic!("{:?}: {keys:?} did not run: {e}", self.kind));
        self.session
            .exp_string(PROMPT)
            .unwrap_or_else(|e| panic!("{:?}: no prompt after {keys:?}: {e}", self.kind));
        matched
            .trim_start_matches("RAN[")
            .trim_end_matches(']')
            .to_string()
    }

    /// Types `text`, presses TAB and waits for the probe's report.
    fn tab(&mut self, text: &str) -> Vec<String> {
        self.send(&format!("{text}\t"));
        let before = self
            .session
            .exp_string("PROBE-END")
            .unwrap_or_else(|e| panic!("{:?}: no completion for {text:?}: {e}", self.kind));
        let mut candidates = Vec::new();
        for chunk in before.split("PROBE-CAND<").skip(1) {
            let Some((list, _)) = chunk.split_once('>') else {
                continue;
            };
            candidates.extend(list.split('|').filter(|c| !c.is_empty()).map(String::from));
        }
        candidates
    }

    fn send(&mut self, text: &str) {
        self.session.send(text).expect("type into the shell");
        self.session.flush().expect("flush");
    }
}

/// `fish -c 'complete -C LINE'`: what fish's own completion engine offers for `line`
/// (values only, descriptions dropped), sorted.
pub fn fish_complete(setup: &Setup, line: &str) -> Vec<String> {
    let script = format!(
        "source '{}'; complete -C '{}'",
        repo().join("completions/kubectl-kfp.fish").display(),
        line.replace('\'', "\\'")
    );
    let output = setup
        .command("fish")
        .arg("--no-config")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run fish");
    assert!(output.status.success(), "fish failed: {output:?}");
    assert!(
        output.stderr.is_empty(),
        "fish stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut values: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect();
    values.sort();
    values
}
