//! Parses one YAML file with one reader, for the YAML rows of the benchmark (scripts/bench),
//! which time it with hyperfine. Not part of the plugin.
//!
//! ```text
//! yaml_parse fast|serde_yaml|serde_saphyr FILE
//! ```
//! `fast` is what the plugin reads files with (`yaml::documents`: bounds check, then the fast
//! reader); `serde_yaml` and `serde_saphyr` read the same stream into the same values. Each run
//! checks it got the pipeline spec, so a reader that fails is never timed as a fast one.

use kubectl_kfp::yaml;
use serde_json::Value;

// As in the plugin: parsing builds millions of small values.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [reader, path] = args.as_slice() else {
        fail("usage: yaml_parse fast|serde_yaml|serde_saphyr FILE");
    };
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    let documents: Vec<Value> = match reader.as_str() {
        "fast" => yaml::documents(&text).unwrap_or_else(|e| fail(&format!("{path}: {e}"))),
        "serde_yaml" => yaml::serde_yaml_documents(&text).unwrap_or_else(|e| fail(&format!("{path}: {e}"))),
        "serde_saphyr" => {
            serde_saphyr::from_multiple(&text).unwrap_or_else(|e| fail(&format!("{path}: {e}")))
        }
        other => fail(&format!("unknown reader {other:?}")),
    };
    if documents.first().and_then(|d| d.get("root")).is_none() {
        fail(&format!("{path}: {reader} read no pipeline spec"));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("yaml_parse: {message}");
    std::process::exit(2);
}
