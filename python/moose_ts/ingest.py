from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict

from ._typed import Typed, require_model, without_none
from .columns import columns_of, json_schema_of
from .errors import MooseError, SourceLocation
from .life_cycle import LifeCycle
from .olap_table import OlapConfig, OlapTable
from .registry import register, unknown_arguments
from .source import caller_location
from .stream import DeadLetterQueue, Stream, StreamConfig


class IngestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    version: Optional[str] = None
    path: Optional[str] = None
    metadata: Optional[dict] = None
    # MooseStack's queue for refused payloads: accepted, not written to (refused payloads get a 400).
    dead_letter_queue: Any = None


class IngestConfigWithDestination(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    destination: Union[Stream, OlapTable]
    dead_letter_queue: Any = None
    version: Optional[str] = None
    path: Optional[str] = None
    metadata: Optional[dict] = None


class IngestApi(Typed):
    """POST /ingest/<path>: payloads of the model go to a stream (or a table when streaming is off)."""

    component_kind = "ingestApis"

    def __init__(self, name: str, config: IngestConfigWithDestination, *, t: Any = None, _source: Optional[SourceLocation] = None, **unknown: Any):
        self.source = _source or caller_location()
        self.name = name
        unknown_arguments(f'ingest API "{name}"', unknown, self.source)
        self.config = config
        self.id = config.path or (f"{name}/{config.version}" if config.version else name)
        self._t = require_model(t, f'ingest API "{name}"', self.source, f'IngestApi[MyModel]("{name}", ...)')
        self.column_specs = columns_of(self._t, name, self.source)
        self.schema = json_schema_of(self._t, with_defaults=True)
        register(self)

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": self.name,
            "path": self.id,
            "columns": self.column_specs,
            "schema": self.schema,
            "destination": self.config.destination.id,
            "source": self.source.to_json(),
        }
        if self.config.version is not None:
            spec["version"] = self.config.version
        return spec


class IngestPipelineConfig(BaseModel):
    """Which parts a pipeline creates, all of one model (MooseStack's defaults: every part on)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    table: Union[bool, OlapConfig] = True
    stream: Union[bool, StreamConfig] = True
    ingest_api: Union[bool, IngestConfig] = True
    dead_letter_queue: Union[bool, StreamConfig] = True
    version: Optional[str] = None
    path: Optional[str] = None
    metadata: Optional[dict] = None
    life_cycle: Optional[LifeCycle] = None
    ingest: Optional[Union[bool, IngestConfig]] = None  # older MooseStack name for ingest_api


class IngestPipeline(Typed):
    """A table, a stream sinking into it, a dead-letter queue and an ingest API feeding the stream."""

    def __init__(self, name: str, config: Optional[IngestPipelineConfig] = None, *, t: Any = None, **unknown: Any):
        self.source = caller_location()
        self.name = name
        unknown_arguments(f'ingest pipeline "{name}"', unknown, self.source)
        self.config = config = config if config is not None else IngestPipelineConfig()
        model = require_model(t, f'ingest pipeline "{name}"', self.source, f'IngestPipeline[MyModel]("{name}", IngestPipelineConfig(...))')
        shared = without_none({"version": config.version, "life_cycle": config.life_cycle})
        self.table: Optional[OlapTable] = None
        self.stream: Optional[Stream] = None
        self.dead_letter_queue: Optional[DeadLetterQueue] = None
        self.ingest_api: Optional[IngestApi] = None
        if config.table:
            table_config = _merged(OlapConfig, shared, config.table)
            self.table = OlapTable(name, table_config, t=model, _source=self.source)
        if config.dead_letter_queue:
            queue_config = _merged(StreamConfig, shared, config.dead_letter_queue)
            self.dead_letter_queue = DeadLetterQueue(f"{name}DeadLetterQueue", queue_config, t=model, _source=self.source)
        if config.stream:
            # The pipeline's queue takes the dead letters of the stream's sync, transforms and consumers unless the stream names its own.
            queue = without_none({"default_dead_letter_queue": self.dead_letter_queue})
            stream_config = _merged(StreamConfig, {**shared, **queue}, config.stream, destination=self.table)
            self.stream = Stream(name, stream_config, t=model, _source=self.source)
        ingest = config.ingest if config.ingest is not None else config.ingest_api
        if ingest:
            destination = self.stream or self.table
            if destination is None:
                raise MooseError("INVALID_PIPELINE", f'ingest pipeline "{name}" has an ingest API but neither a stream nor a table to send payloads to',
                                 self.source, "set stream=True (or table=True), or turn ingest_api off")
            ingest_values = without_none({"dead_letter_queue": self.dead_letter_queue})
            if isinstance(ingest, IngestConfig):
                ingest_values.update(ingest.model_dump(exclude_unset=True))
            # As MooseStack: the pipeline's version and path win over the ingest API's own.
            ingest_values.update(without_none({"version": config.version, "path": config.path}))
            self.ingest_api = IngestApi(name, IngestConfigWithDestination(destination=destination, **ingest_values), t=model, _source=self.source)

    def get_table(self) -> OlapTable:
        if self.table is None:
            raise ValueError(f"ingest pipeline {self.name} has no table")
        return self.table

    def get_stream(self) -> Stream:
        if self.stream is None:
            raise ValueError(f"ingest pipeline {self.name} has no stream")
        return self.stream

    def get_dead_letter_queue(self) -> DeadLetterQueue:
        if self.dead_letter_queue is None:
            raise ValueError(f"ingest pipeline {self.name} has no dead letter queue")
        return self.dead_letter_queue

    def get_ingest_api(self) -> IngestApi:
        if self.ingest_api is None:
            raise ValueError(f"ingest pipeline {self.name} has no ingest API")
        return self.ingest_api


def _merged(config_class: Any, shared: dict[str, Any], given: Any, **extra: Any) -> Any:
    """The part's config: the pipeline's shared values, then what the part sets itself (True: nothing), then `extra`."""
    values = dict(shared)
    if isinstance(given, BaseModel):
        values.update({key: getattr(given, key) for key in given.model_fields_set})
    values.update(without_none(extra))
    return config_class(**values)
