//! Talking to the cluster: one constructor that honours kubeconfig (`--kubeconfig`,
//! `KUBECONFIG` lists, `--context`/`--cluster`/`--user`) and in-cluster config, a scope-aware
//! `Api` helper, paged lists, and API errors turned into sentences that name the verb, the
//! resource and the namespace.
//!
//! One job a file: `session` connects (with what `kubeconfig` loads), `retry` sends every
//! request through a bounded retry layer, `paging` follows continue tokens, `explain` turns
//! failures into the user's sentences, and `access` asks the server what the user may do.

mod access;
mod explain;
mod kubeconfig;
mod paging;
mod retry;
mod session;

use std::time::Duration;

pub use access::{can_i, whoami};
pub use explain::{Action, explain, innermost, is_already_exists, is_forbidden, is_not_found, not_served};
pub use kubeconfig::{KubeconfigDefaults, kubeconfig_defaults};
pub use paging::{list_all, list_pages};
pub use retry::{
    Failure, RETRY_WINDOW, ReadAsItArrives, Replay, RequestTimedOut, RetryLayer, RetryPolicy, RetryService,
    classify,
};
pub use session::Session;

/// How long completion waits for the cluster before giving up silently.
pub const COMPLETION_TIMEOUT: Duration = Duration::from_secs(1);
