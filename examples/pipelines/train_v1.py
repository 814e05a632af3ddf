"""Pipeline `train`, version 1: prepare data, then train a model."""
from kfp import dsl


@dsl.component(base_image="python:3.11")
def prepare(rows: int) -> str:
    return f"prepared {rows} rows"


@dsl.component(base_image="python:3.11")
def train(data: str, learning_rate: float, epochs: int) -> float:
    return learning_rate * epochs


@dsl.pipeline(name="train", description="Prepare data and train a model.")
def pipeline(rows: int = 1000, learning_rate: float = 0.1, epochs: int = 3):
    data = prepare(rows=rows)
    train(data=data.output, learning_rate=learning_rate, epochs=epochs)
