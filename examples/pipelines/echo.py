"""Pipeline `echo`: one container that prints "hello world"; the smallest pipeline there is."""
from kfp import dsl


@dsl.container_component
def echo():
    return dsl.ContainerSpec(
        image="registry.access.redhat.com/ubi9/python-311:latest",
        command=["echo"],
        args=["hello world"],
    )


@dsl.pipeline(name="echo")
def pipeline():
    echo()
