from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Generic, Literal, Optional, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ._typed import ModelBacked, life_cycle_value, require_model
from .columns import columns_of
from .errors import MooseError, SourceLocation
from .life_cycle import LifeCycle
from .olap_table import OlapTable, versioned_id
from .registry import register, unknown_arguments
from .runtime import host_request
from .source import caller_location

T = TypeVar("T")


class StreamConfig(BaseModel):
    """A Kafka topic's settings (MooseStack's StreamConfig)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    parallelism: int = 1
    retention_period: int = 60 * 60 * 24 * 7
    destination: Optional[OlapTable] = None
    version: Optional[str] = None
    metadata: Optional[dict] = None
    life_cycle: Optional[LifeCycle] = None
    default_dead_letter_queue: Any = None


class TransformConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    version: Optional[str] = None
    dead_letter_queue: Any = None
    metadata: Optional[dict] = None


class ConsumerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    version: Optional[str] = None
    dead_letter_queue: Any = None


class Stream(ModelBacked):
    """A Kafka topic carrying messages of a pydantic model: `Stream[Row]("Rows", StreamConfig(destination=table))`."""

    component_kind = "streams"
    _kind_label = "stream"

    def __init__(self, name: str, config: Optional[StreamConfig] = None, *, t: Any = None,
                 _source: Optional[SourceLocation] = None, _columns: Optional[list[dict[str, Any]]] = None, **unknown: Any):
        self.source = _source or caller_location()
        self.name = name
        self.config = config if config is not None else StreamConfig()
        unknown_arguments(f'stream "{name}"', unknown, self.source)
        self.id = versioned_id(name, self.config.version)
        self.transformations: dict[str, list[tuple[Any, Callable[[Any], Any], TransformConfig]]] = {}
        self.consumers: list[tuple[Callable[[Any], Any], ConsumerConfig]] = []
        self.multi_transformation: Optional[Callable[[Any], Any]] = None
        if _columns is not None:
            self._t, self.column_specs = t, _columns
        else:
            self._t = require_model(t, f'stream "{name}"', self.source, f'Stream[MyModel]("{name}")')
            self.column_specs = columns_of(self._t, name, self.source)
        register(self)

    def add_transform(self, destination: "Stream", transformation: Callable[[Any], Any], config: Optional[TransformConfig] = None) -> None:
        """Registers a transformation into `destination`: each record of this stream, validated into its model, is passed to
        `transformation`, and what it returns (a model or dict; a list for several records; None for none) goes to `destination`."""
        config = self._with_default_dead_letter_queue(config if config is not None else TransformConfig())
        existing = self.transformations.setdefault(destination.id, [])
        if any(other.version == config.version for _, _, other in existing):
            raise MooseError("DUPLICATE_TRANSFORM", f'stream "{self.name}" already has a transform to "{destination.name}"'
                             + (f" with version {config.version}" if config.version else ""), caller_location(),
                             "give each transform to the same destination a distinct version")
        existing.append((destination, transformation, config))

    def add_consumer(self, consumer: Callable[[Any], Any], config: Optional[ConsumerConfig] = None) -> None:
        """Registers a consumer of this stream's messages: each record, validated into the stream's model, is passed to `consumer`."""
        config = self._with_default_dead_letter_queue(config if config is not None else ConsumerConfig())
        if any(other.version == config.version for _, other in self.consumers):
            raise MooseError("DUPLICATE_CONSUMER", f'stream "{self.name}" already has a consumer'
                             + (f" with version {config.version}" if config.version else " without a version"), caller_location(),
                             "give each consumer of a stream a distinct version")
        self.consumers.append((consumer, config))

    def routed(self, values: Any) -> "RoutedMessage":
        """A message for this stream (one record, a list, or None for none), returned from a set_multi_transform function."""
        return RoutedMessage(self, values)

    def set_multi_transform(self, transformation: Callable[[Any], Any]) -> None:
        """One transformation that routes each record to any streams: it returns a list of `stream.routed(values)`, and
        each message's values go to its stream (a message for a stream the app lacks fails that record). As MooseStack,
        it has no dead-letter queue of its own, and a stream has one such transformation (a second replaces the first)."""
        self.multi_transformation = transformation

    def has_consumers(self) -> bool:
        return len(self.consumers) > 0

    def send(self, values: Any) -> None:
        """Sends one record or a list to the stream's topic: dicts are validated into the model, then moose checks every
        record against the stream's columns and produces them, as the TypeScript SDK's send does (nothing is sent
        when one does not fit). With streaming off it is STREAMING_DISABLED."""
        location = caller_location()
        records = [] if values is None else values if isinstance(values, list) else [values]
        payload = []
        for index, record in enumerate(records):
            try:
                payload.append(self._json_row(record))
            except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
                raise MooseError("STREAM_RECORD_INVALID", f'record {index} for stream "{self.id}" does not fit its type: {error}; nothing was sent',
                                 location, "fix the record", {"index": index}) from None
        if payload:
            host_request({"op": "streamSend", "stream": self.id, "records": payload, "location": location.to_json()}, location, "Stream.send")

    def _with_default_dead_letter_queue(self, config: Any) -> Any:
        """A transform's or consumer's config, its dead letters going to the stream's default_dead_letter_queue unless it names a queue."""
        if config.dead_letter_queue is None and self.config.default_dead_letter_queue is not None:
            return config.model_copy(update={"dead_letter_queue": self.config.default_dead_letter_queue})
        return config

    def to_spec(self) -> dict[str, Any]:
        config = self.config
        spec: dict[str, Any] = {
            "name": self.id,
            "partitionCount": config.parallelism,
            "retentionMs": config.retention_period * 1000,
            "config": {},
            "columns": self.column_specs,
            "lifeCycle": life_cycle_value(config.life_cycle),
            "source": self.source.to_json(),
        }
        if config.destination is not None:
            spec["destination"] = config.destination.id
        if config.version is not None:
            spec["version"] = config.version
        return spec


class RoutedMessage:
    """What a multi-transform returns for each stream a record goes to: `stream.routed(values)`."""

    def __init__(self, destination: Stream, values: Any):
        self.destination = destination
        self.values = values

    def to_json(self) -> dict[str, Any]:
        """As the moose process reads a routed message: the destination stream's id and its values."""
        values = [] if self.values is None else self.values if isinstance(self.values, list) else [self.values]
        return {"destination": {"id": self.destination.id}, "values": [value for value in values if value is not None]}


class DeadLetterModel(BaseModel, Generic[T]):
    """A message that could not be processed, as written to a dead-letter queue: `DeadLetterModel[Row]` in a function's
    signature, as in MooseStack."""

    model_config = ConfigDict(populate_by_name=True)

    original_record: Any = Field(alias="originalRecord")
    error_message: str = Field(alias="errorMessage")
    error_type: str = Field(alias="errorType")
    failed_at: datetime = Field(alias="failedAt")
    source: Literal["api", "transform", "table"]
    #: The failed record's model: set on the messages a dead-letter queue's transforms and consumers receive.
    _t: Any = PrivateAttr(default=None)

    def as_typed(self) -> T:
        """The failed record validated into its model (pydantic's ValidationError when it does not fit, which is often
        why it failed)."""
        if self._t is None:
            raise ValueError("as_typed() needs the record's model, which the messages a dead-letter queue's transforms and consumers receive carry")
        return self._t.model_validate(self.original_record)


# The fixed message schema of every dead-letter queue (the same as the TypeScript SDK's).
DEAD_LETTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "originalRecord", "type": "JSON", "nullable": False},
    {"name": "errorMessage", "type": "String", "nullable": False},
    {"name": "errorType", "type": "String", "nullable": False},
    {"name": "failedAt", "type": "DateTime('UTC')", "nullable": False},
    {"name": "source", "type": "LowCardinality(String)", "nullable": False},
]


class DeadLetterQueue(Stream):
    """A stream of DeadLetterModel messages for records of the model that failed."""

    def __init__(self, name: str, config: Optional[StreamConfig] = None, *, t: Any = None, _source: Optional[SourceLocation] = None, **unknown: Any):
        super().__init__(name, config, t=t, _source=_source or caller_location(),
                         _columns=[dict(column) for column in DEAD_LETTER_COLUMNS], **unknown)
