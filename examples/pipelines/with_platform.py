"""Pipeline `with-platform`: Kubernetes settings from kfp-kubernetes (a platform spec): a secret
as environment variables, a node selector and a PVC mount."""
from kfp import dsl, kubernetes


@dsl.component(base_image="python:3.11")
def fetch(url: str) -> str:
    return url


@dsl.pipeline(name="with-platform", description="Uses Kubernetes platform settings.")
def pipeline(url: str = "s3://bucket/data"):
    task = fetch(url=url)
    kubernetes.use_secret_as_env(task, secret_name="s3-creds", secret_key_to_env={"key": "AWS_ACCESS_KEY_ID"})
    kubernetes.add_node_selector(task, label_key="gpu", label_value="true")
    kubernetes.mount_pvc(task, pvc_name="cache", mount_path="/cache")
