//! KFP's protobuf schema, as published in the PyPI packages `kfp-pipeline-spec` and
//! `kfp-kubernetes` 2.17.3: a FileDescriptorSet generated from their `_pb2` modules by
//! `scripts/gen-descriptors` and compiled into the binary. It is decoded on first use only, so
//! commands that do not validate (and `--version`) do not pay for it.

use std::sync::LazyLock;

use prost_reflect::{DescriptorPool, MessageDescriptor};

/// The generated descriptor set (regenerate with `scripts/gen-descriptors`).
pub const DESCRIPTORS: &[u8] = include_bytes!("kfp-2.17.3.binpb");

/// The messages a version's spec is checked against.
pub struct Schema {
    pub pipeline_spec: MessageDescriptor,
    pub platform_spec: MessageDescriptor,
    pub kubernetes_executor_config: MessageDescriptor,
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    // The bytes are generated and tested (tests below), so a failure here is a build defect.
    let pool = DescriptorPool::decode(DESCRIPTORS).expect("src/validate/kfp-2.17.3.binpb decodes");
    let message = |name: &str| {
        pool.get_message_by_name(name)
            .unwrap_or_else(|| panic!("{name} is in src/validate/kfp-2.17.3.binpb"))
    };
    Schema {
        pipeline_spec: message("ml_pipelines.PipelineSpec"),
        platform_spec: message("ml_pipelines.PlatformSpec"),
        kubernetes_executor_config: message("kfp_kubernetes.KubernetesExecutorConfig"),
    }
});

/// The schema, decoded on first use.
pub fn get() -> &'static Schema {
    &SCHEMA
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_descriptors_hold_every_message() {
        let schema = get();
        assert_eq!(schema.pipeline_spec.full_name(), "ml_pipelines.PipelineSpec");
        assert!(
            schema
                .kubernetes_executor_config
                .get_field_by_name("secret_as_env")
                .is_some()
        );
    }
}
