//! End-to-end tests: the real binary against a real kube-apiserver with etcd, RBAC users and
//! KFP's CRDs, one set of namespaces per test. Run with `scripts/test` (it builds the control
//! plane first).

mod proxy;
mod shell;
mod support;
mod transcripts;

mod bad_input;
mod completion;
mod config;
mod create;
mod diff;
mod faults;
mod foundation;
mod get;
mod list;
mod promote;
mod prune;
mod security;
mod streaming;
mod tag;
