"""The validation oracle of tests/validate_oracle.rs: KFP's published protobuf messages
(kfp-pipeline-spec, kfp-kubernetes) and Python's strict protobuf JSON parser, plus the rules of
KFP's NewV2SpecTemplate and its PipelineVersion webhook.

Reads one JSON case per line on stdin, {"pipelineSpec": ..., "platformSpec": ... (optional)},
and prints one line per case: "ok", or "reject <reason>".
"""
import json
import re
import sys

from google.protobuf import json_format
from kfp.kubernetes import kubernetes_executor_config_pb2
from kfp.pipeline_spec import pipeline_spec_pb2

# KFP's common.ValidatePipelineName (the webhook); NewV2SpecTemplate's own unanchored pattern
# accepts a superset.
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")


def parse(value, message):
    json_format.Parse(json.dumps(value), message, ignore_unknown_fields=False)
    return message


def first(mapping, *keys):
    # A field may be spelled with its JSON name or its proto name.
    for key in keys:
        if isinstance(mapping, dict) and key in mapping:
            return mapping[key]
    return None


def check(case):
    spec = parse(case["pipelineSpec"], pipeline_spec_pb2.PipelineSpec())
    if spec.schema_version != "2.1.0":
        return f"schemaVersion {spec.schema_version!r}"
    if not spec.pipeline_info.name:
        return "pipelineInfo.name empty"
    if not NAME.fullmatch(spec.pipeline_info.name):
        return "pipelineInfo.name rule"
    if not spec.HasField("root"):
        return "root missing"
    platform = case.get("platformSpec")
    if platform is None:
        return None
    parsed = parse(platform, pipeline_spec_pb2.PlatformSpec())
    if "kubernetes" not in parsed.platforms:
        return None
    kubernetes = first(platform, "platforms")["kubernetes"]
    executors = first(first(kubernetes, "deploymentSpec", "deployment_spec"), "executors") or {}
    for name, config in executors.items():
        try:
            parse(config, kubernetes_executor_config_pb2.KubernetesExecutorConfig())
        except json_format.ParseError as err:
            return f"executor {name}: {err}"
    return None


for line in sys.stdin:
    try:
        reason = check(json.loads(line))
    except json_format.ParseError as err:
        reason = str(err)
    print("ok" if reason is None else "reject " + " ".join(reason.split()), flush=False)
