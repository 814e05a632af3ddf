"""Pipeline `chain`: twenty-four steps, each fed by the one before. Its spec is large (about
40 KB, as big real pipelines are), for trying long answers: slow or broken connections, lists
of many versions (scripts/bench)."""
from kfp import dsl


@dsl.component(base_image="python:3.11")
def step(n: int) -> int:
    return n + 1


@dsl.pipeline(name="chain", description="Twenty-four steps in a row.")
def pipeline(start: int = 0):
    value = start
    for _ in range(24):
        value = step(n=value).output
