"""Pipeline `train`, version 2. Against version 1: train runs on python:3.12, a task `evaluate`
follows it, the input `epochs` is gone, `learning_rate` defaults to 0.05, `prepare` is not cached."""
from kfp import dsl


@dsl.component(base_image="python:3.11")
def prepare(rows: int) -> str:
    return f"prepared {rows} rows"


@dsl.component(base_image="python:3.12")
def train(data: str, learning_rate: float) -> float:
    return learning_rate


@dsl.component(base_image="python:3.12")
def evaluate(score: float) -> bool:
    return score > 0.5


@dsl.pipeline(name="train", description="Prepare data, train and evaluate a model.")
def pipeline(rows: int = 1000, learning_rate: float = 0.05):
    data = prepare(rows=rows).set_caching_options(False)
    model = train(data=data.output, learning_rate=learning_rate)
    evaluate(score=model.output)
