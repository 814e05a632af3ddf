//! End-to-end tests: the real binary against a real kube-apiserver with etcd, RBAC users and
//! KFP's CRDs, one set of namespaces per test. Run with `scripts/test` (it builds the control
//! plane first).

mod proxy;
mod shell;
mod support;
mod transcripts;

mod bad_input;
mod completion;
mod concurrency;
mod config;
mod crds;
mod create;
mod diff;
mod doctor;
mod doctor_admission;
mod doctor_cluster;
mod faults;
mod foundation;
mod get;
mod lineage;
mod list;
mod parity;
mod progress;
mod promote;
mod prune;
mod security;
mod streaming;
mod tag;
mod validate;
mod watch;
