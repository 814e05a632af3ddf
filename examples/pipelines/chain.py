"""Pipeline `chain`: thirty steps, each fed by the one before. Its spec is large (about 50 KB),
for trying what happens to long answers (slow or broken connections, big lists)."""
from kfp import dsl


@dsl.component(base_image="python:3.11")
def step(n: int) -> int:
    return n + 1


@dsl.pipeline(name="chain", description="Thirty steps in a row.")
def pipeline(start: int = 0):
    value = start
    for _ in range(30):
        value = step(n=value).output
