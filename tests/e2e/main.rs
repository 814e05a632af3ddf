//! End-to-end tests: the real binary against a real kube-apiserver with etcd, RBAC users and
//! KFP's CRDs, one set of namespaces per test. Run with `scripts/test` (it builds the control
//! plane first).

mod support;

mod config;
mod create;
mod diff;
mod foundation;
mod get;
mod list;
mod promote;
