//! `kubectl-kfp`, run by kubectl as `kubectl kfp`.

// Parsing multi-megabyte YAML builds millions of small values; mimalloc allocates and frees
// them markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kubectl_kfp::run().into()
}
