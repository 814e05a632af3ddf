//! `kubectl-kfp`, run by kubectl as `kubectl kfp`.

fn main() -> std::process::ExitCode {
    kubectl_kfp::run().into()
}
