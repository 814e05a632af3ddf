//! The fuzz targets' checks (`checks.rs`, shared with the plugin's property tests).

mod checks;

pub use checks::{manifest, reference};
