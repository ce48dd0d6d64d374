"""What a sidecar may say of the task's other containers: that it starts after one
(`depends_on`) and mounts another's volumes (`volumes_from`), checked as ECS checks
them (ECS API Reference, ContainerDependency and VolumeFrom:
docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html).

A Sidecar checks its own links; StackConfig checks them against the task's containers,
which only it knows: the application's, essential, and every sidecar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# ContainerDependency's conditions. COMPLETE and SUCCESS wait for the target to exit,
# so ECS refuses them on an essential container (whose exit stops the task); HEALTHY
# waits for the target's container health check, which it must have.
CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
EXITS = ("COMPLETE", "SUCCESS")


def check_links(
    where: str, name: str, depends_on: Mapping[str, object], volumes_from: Mapping[str, object]
) -> None:
    """One sidecar's links on their own: names, conditions, read-only flags, and no link
    to itself. TypeError or ValueError naming the field, the value and what is allowed."""
    for label, links in (("depends_on", depends_on), ("volumes_from", volumes_from)):
        for target, value in links.items():
            if not isinstance(target, str):
                raise TypeError(f"{where}.{label}: {target!r} must be a container name (a str)")
            if target == name:
                raise ValueError(
                    f"{where}.{label}: {target!r} is this sidecar itself; name another "
                    "container of the task"
                )
            if label == "depends_on" and value not in CONDITIONS:
                raise ValueError(
                    f"{where}.depends_on[{target!r}] = {value!r}: must be one of "
                    f"{', '.join(CONDITIONS)}"
                )
            if label == "volumes_from" and not isinstance(value, bool):
                raise TypeError(
                    f"{where}.volumes_from[{target!r}] = {value!r}: must be True (read-only) "
                    "or False (read-write)"
                )


@dataclass(frozen=True)
class Container:
    """What the task-level check needs of one container."""

    name: str
    essential: bool
    depends_on: Mapping[str, str]
    volumes_from: Mapping[str, bool]


def check_task(containers: tuple[Container, ...]) -> None:
    """The links of every container against the task's containers: known names only,
    no COMPLETE or SUCCESS on an essential container, no HEALTHY (no container here
    defines a health check), and no dependency cycle. ValueError naming the sidecar,
    the field, the value and what is allowed."""
    by_name = {c.name: c for c in containers}
    known = ", ".join(by_name)
    for container in containers:
        where = f"StackConfig.sidecars: Sidecar({container.name!r})"
        for label, links in (
            ("depends_on", container.depends_on),
            ("volumes_from", container.volumes_from),
        ):
            for target in links:
                if target not in by_name:
                    raise ValueError(
                        f"{where}.{label}: {target!r} is no container of the task; the "
                        f"containers: {known}"
                    )
        for target, condition in container.depends_on.items():
            if condition in EXITS and by_name[target].essential:
                raise ValueError(
                    f"{where}.depends_on[{target!r}] = {condition!r}: {target!r} is essential, "
                    f"and ECS refuses {' and '.join(EXITS)} on an essential container (its exit "
                    "stops the task); use START, or make the target a Sidecar with "
                    "essential=False"
                )
            if condition == "HEALTHY":
                raise ValueError(
                    f"{where}.depends_on[{target!r}] = 'HEALTHY': ECS needs a container health "
                    f"check on {target!r}, and neither the application's container nor a "
                    "Sidecar defines one; use START (or COMPLETE or SUCCESS on a non-essential "
                    "sidecar)"
                )
    _check_cycles(by_name)


def _check_cycles(by_name: Mapping[str, Container]) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = " -> ".join((*path[path.index(name) :], name))
            raise ValueError(
                f"StackConfig.sidecars: the depends_on links make a cycle ({cycle}); no "
                "container could start first"
            )
        if name in done:
            return
        for target in by_name[name].depends_on:
            visit(target, (*path, name))
        done.add(name)

    for name in by_name:
        visit(name, ())
