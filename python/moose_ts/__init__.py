"""moose-ts's Python SDK: MooseStack's `moose_lib` names and shapes on pydantic v2.

A MooseStack Python project ports by changing `from moose_lib import ...` to `from moose_ts import ...` (and
`moose_lib.dmv2` / `moose_lib.blocks` to `moose_ts.dmv2` / `moose_ts.blocks`, which hold the same names).
`moose build` imports app/main.py and turns every object created there into the same Manifest v1 as
an equivalent TypeScript app.
"""
import sys as _sys

# moose_lib re-exports them: model files generated for it import them from there.
from pydantic import BaseModel, Field

from .api import Api, ApiConfig, ApiResult, ConsumptionApi, ConsumptionApiResult, EgressConfig, JWTPayload
from .cache import MooseCache
from .cli_log import CliLogData, Logger, cli_log
from .client import MooseClient, QueryClient
from .dictionary import (
    CacheLayout,
    ClickHouseRemoteSource,
    ComplexKeyCacheLayout,
    ComplexKeyDirectLayout,
    ComplexKeyHashedArrayLayout,
    ComplexKeyHashedLayout,
    ComplexKeySparseHashedLayout,
    ComplexKeySsdCacheLayout,
    DictionaryColumn,
    DictionaryInvalidation,
    DictionaryLayout,
    DictionaryLifetime,
    DirectLayout,
    ExecutableSource,
    ExternalSource,
    FlatLayout,
    HashedArrayLayout,
    HashedLayout,
    HttpSource,
    IpTrieLayout,
    MongoDbSource,
    MysqlSource,
    OlapDictionary,
    OlapDictionaryConfig,
    PostgresqlSource,
    RangeHashedLayout,
    RedisSource,
    S3Source,
    SparseHashedLayout,
    SsdCacheLayout,
)
from .errors import MooseError, SourceLocation
from .ingest import IngestApi, IngestConfig, IngestConfigWithDestination, IngestPipeline, IngestPipelineConfig
from .life_cycle import ClickHouseEngines, LifeCycle
from .moose_model import MooseModel
from .olap_table import (
    AggregatingMergeTreeEngine,
    BufferEngine,
    CollapsingMergeTreeEngine,
    DistributedEngine,
    EngineConfig,
    FailedRecord,
    IcebergS3Engine,
    InsertOptions,
    InsertResult,
    KafkaEngine,
    MergeEngine,
    MergeTreeEngine,
    OlapConfig,
    OlapTable,
    ReplacingMergeTreeEngine,
    ReplicatedAggregatingMergeTreeEngine,
    ReplicatedCollapsingMergeTreeEngine,
    ReplicatedMergeTreeEngine,
    ReplicatedReplacingMergeTreeEngine,
    ReplicatedSummingMergeTreeEngine,
    ReplicatedVersionedCollapsingMergeTreeEngine,
    S3Engine,
    S3QueueEngine,
    SummingMergeTreeEngine,
    TableIndex,
    TableProjection,
    VersionedCollapsingMergeTreeEngine,
)
from .query_builder import Params, Query, and_, col, or_
from .registry import (
    get_api,
    get_apis,
    get_consumption_api,
    get_consumption_apis,
    get_ingest_api,
    get_ingest_apis,
    get_materialized_view,
    get_materialized_views,
    get_sql_resource,
    get_sql_resources,
    get_stream,
    get_streams,
    get_table,
    get_tables,
    get_view,
    get_views,
    get_workflow,
    get_workflows,
)
from .runtime_env import moose_env_secrets, moose_runtime_env
from .sql_resource import SqlResource
from .stream import ConsumerConfig, DeadLetterModel, DeadLetterQueue, Stream, StreamConfig, TransformConfig
from .types import (
    JWT,
    AggregateFunction,
    ClickHouseAlias,
    ClickHouseCodec,
    ClickhouseDecimal,
    ClickHouseDefault,
    ClickhouseDefault,
    ClickhouseFixedStringSize,
    ClickHouseJson,
    ClickHouseMaterialized,
    ClickHouseNamedTuple,
    ClickhousePrecision,
    ClickhouseSize,
    ClickHouseTTL,
    FixedString,
    Float32,
    Float64,
    Int8,
    Int16,
    Int32,
    Int64,
    Key,
    LineString,
    LowCardinality,
    MultiLineString,
    MultiPolygon,
    Point,
    Polygon,
    Ring,
    SimpleAggregateFunction,
    StringToEnumMixin,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    aggregated,
    clickhouse_datetime64,
    clickhouse_decimal,
    clickhouse_default,
    simple_aggregated,
)
from .v1 import DataModelConfig, StorageConfig, StreamingFunction, moose_data_model
from .views import MaterializedView, MaterializedViewOptions, View, ViewConfig
from .web_app import ApiUtil, WebApp, WebAppConfig, WebAppMetadata, get_moose_dependency, get_moose_utils, get_web_app, get_web_apps
from .workflow import Task, TaskConfig, TaskContext, Workflow, WorkflowConfig

__all__ = [name for name in dir() if not name.startswith("_")]

# moose_lib's `data_models` module path (type annotations such as ClickHouseJson): every name of moose_ts.
_sys.modules.setdefault(f"{__name__}.data_models", _sys.modules[__name__])
