"""Pipeline `fanout`: a ParallelFor (at most 2 at a time), a condition and an exit handler."""
from kfp import dsl


@dsl.component(base_image="python:3.11")
def shard(n: int) -> list:
    return list(range(n))


@dsl.component(base_image="python:3.11")
def work(item: int) -> int:
    return item * 2


@dsl.component(base_image="python:3.11")
def report(msg: str):
    print(msg)


@dsl.pipeline(name="fanout", description="Fan out over shards with a condition and an exit handler.")
def pipeline(shards: int = 4, verbose: bool = False):
    done = report(msg="done")
    with dsl.ExitHandler(done):
        shards_task = shard(n=shards)
        with dsl.ParallelFor(shards_task.output, parallelism=2) as item:
            work(item=item)
        with dsl.If(verbose == True):  # noqa: E712 (KFP builds the condition from ==)
            report(msg="verbose run")
