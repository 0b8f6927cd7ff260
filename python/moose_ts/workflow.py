from __future__ import annotations

import dataclasses
from typing import Any, Callable, Generic, Optional, TypeVar

from ._typed import Typed
from .errors import MooseError
from .registry import register, unknown_arguments
from .source import caller_location

T = TypeVar("T")


@dataclasses.dataclass
class TaskContext(Generic[T]):
    state: dict[str, Any]
    input: Optional[T] = None


@dataclasses.dataclass
class TaskConfig:
    run: Callable[..., Any]
    on_complete: Optional[list["Task"]] = None
    on_cancel: Optional[Callable[..., Any]] = None
    timeout: Optional[str] = None
    retries: Optional[int] = None


class Task(Typed):
    """One step of a workflow: `Task[Input, Output]("name", TaskConfig(run=fn, on_complete=[next_task]))`."""

    def __init__(self, name: str, config: TaskConfig, *, t: Any = None, **unknown: Any):
        self.source = caller_location()
        self.name = name
        unknown_arguments(f'task "{name}"', unknown, self.source)
        self.config = config
        self._t = t

    def input_model(self) -> Any:
        """The pydantic model a run's input is validated into (`Task[Input, Output]`), or None (`Task[None, …]`)."""
        model = self._t[0] if isinstance(self._t, tuple) else self._t
        return model if isinstance(model, type) and hasattr(model, "model_validate") else None


@dataclasses.dataclass
class WorkflowConfig:
    starting_task: Task
    retries: Optional[int] = None
    timeout: Optional[str] = None
    schedule: Optional[str] = None


class Workflow:
    component_kind = "workflows"

    def __init__(self, name: str, config: WorkflowConfig, **unknown: Any):
        self.source = caller_location()
        self.name = name
        unknown_arguments(f'workflow "{name}"', unknown, self.source)
        self.id = name
        self.config = config
        register(self)

    def tasks(self) -> list[Task]:
        """Every task reachable from starting_task, each once, breadth first."""
        seen: dict[str, Task] = {}
        queue = [self.config.starting_task]
        while queue:
            task = queue.pop(0)
            known = seen.get(task.name)
            if known is task:
                continue
            if known is not None:
                raise MooseError("DUPLICATE_COMPONENT",
                                 f'workflow "{self.name}" has two different tasks named "{task.name}": at {known.source} and at {task.source}',
                                 task.source, "give every task of a workflow its own name")
            seen[task.name] = task
            queue.extend(task.config.on_complete or [])
        return list(seen.values())

    def get_task_names(self) -> list[str]:
        return [task.name for task in self.tasks()]

    def to_spec(self) -> dict[str, Any]:
        tasks = []
        for task in self.tasks():
            spec: dict[str, Any] = {"name": task.name, "onComplete": [next_task.name for next_task in task.config.on_complete or []]}
            if task.config.timeout is not None:
                spec["timeout"] = task.config.timeout
            if task.config.retries is not None:
                spec["retries"] = task.config.retries
            tasks.append(spec)
        spec = {"name": self.name, "tasks": tasks, "source": self.source.to_json()}
        for key in ("schedule", "retries", "timeout"):
            value = getattr(self.config, key)
            # A blank schedule is none (moose_lib types it Optional[str]), as in the TypeScript SDK.
            if value is not None and not (key == "schedule" and isinstance(value, str) and value.strip() == ""):
                spec[key] = value
        return spec
