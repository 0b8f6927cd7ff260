"""MooseStack's OlapDictionary for Python: `OlapDictionary[Row]("dict_name", OlapDictionaryConfig(...))`, a ClickHouse
dictionary whose attributes are the model's fields. As in the TypeScript SDK (src/sdk/dictionary.ts, which says why),
it is planned as the SqlResource of its name — `CREATE DICTIONARY IF NOT EXISTS` as setup, `DROP DICTIONARY IF EXISTS`
as teardown, after the tables it reads — and a `source_query` is read through a View of its own, `<name>_source`.
Both SDKs write the same statement for the same dictionary."""
from __future__ import annotations

import math
import re
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, SecretStr

from ._typed import ModelBacked, require_model
from .columns import columns_of, nullable_type
from .errors import MooseError, SourceLocation
from .life_cycle import LifeCycle
from .registry import notice
from .runtime_env import ddl_literal
from .source import caller_location
from .sql_resource import SqlResource
from .sql_text import quote_identifier, quote_string
from .views import View, ViewConfig


class _Settings(BaseModel):
    """A dictionary's settings object: an unknown field (a misspelt one) is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class DictionaryColumn(_Settings):
    """An attribute's settings beyond its name and type: `default` and `expression` are SQL."""

    default: Optional[str] = None
    expression: Optional[str] = None
    hierarchical: bool = False
    injective: bool = False
    is_object_id: bool = False
    #: Accepted; ClickHouse has no comment per dictionary attribute.
    comment: Optional[str] = None


class DictionaryLifetime(_Settings):
    min: int = 0
    max: int = 0


class DictionaryInvalidation(_Settings):
    """`INVALIDATE_QUERY 'SELECT <fn>(<column>) FROM <source>'`: the dictionary reloads when the answer changes."""

    column: str
    fn: str


class FlatLayout(_Settings):
    type: Literal["FLAT"] = "FLAT"


class HashedLayout(_Settings):
    type: Literal["HASHED"] = "HASHED"
    initial_array_size: Optional[int] = None
    max_load_factor: Optional[float] = None


class SparseHashedLayout(HashedLayout):
    type: Literal["SPARSE_HASHED"] = "SPARSE_HASHED"  # type: ignore[assignment]


class HashedArrayLayout(_Settings):
    type: Literal["HASHED_ARRAY"] = "HASHED_ARRAY"
    shards: Optional[int] = None


class RangeHashedLayout(_Settings):
    type: Literal["RANGE_HASHED"] = "RANGE_HASHED"
    range_lookup_strategy: Optional[str] = None


class CacheLayout(_Settings):
    type: Literal["CACHE"] = "CACHE"
    size_in_cells: int
    max_threads_for_updates: Optional[int] = None


class SsdCacheLayout(_Settings):
    type: Literal["SSD_CACHE"] = "SSD_CACHE"
    path: str
    block_size: Optional[int] = None
    file_size: Optional[int] = None
    read_buffer_size: Optional[int] = None
    write_buffer_size: Optional[int] = None
    max_stored_keys: Optional[int] = None


class DirectLayout(_Settings):
    type: Literal["DIRECT"] = "DIRECT"


class IpTrieLayout(_Settings):
    type: Literal["IP_TRIE"] = "IP_TRIE"
    access_to_key_from_attributes: Optional[bool] = None


class ComplexKeyHashedLayout(HashedLayout):
    type: Literal["COMPLEX_KEY_HASHED"] = "COMPLEX_KEY_HASHED"  # type: ignore[assignment]


class ComplexKeySparseHashedLayout(HashedLayout):
    type: Literal["COMPLEX_KEY_SPARSE_HASHED"] = "COMPLEX_KEY_SPARSE_HASHED"  # type: ignore[assignment]


class ComplexKeyHashedArrayLayout(HashedArrayLayout):
    type: Literal["COMPLEX_KEY_HASHED_ARRAY"] = "COMPLEX_KEY_HASHED_ARRAY"  # type: ignore[assignment]


class ComplexKeyCacheLayout(CacheLayout):
    type: Literal["COMPLEX_KEY_CACHE"] = "COMPLEX_KEY_CACHE"  # type: ignore[assignment]


class ComplexKeySsdCacheLayout(SsdCacheLayout):
    type: Literal["COMPLEX_KEY_SSD_CACHE"] = "COMPLEX_KEY_SSD_CACHE"  # type: ignore[assignment]


class ComplexKeyDirectLayout(_Settings):
    type: Literal["COMPLEX_KEY_DIRECT"] = "COMPLEX_KEY_DIRECT"


DictionaryLayout = Union[FlatLayout, HashedLayout, SparseHashedLayout, HashedArrayLayout, RangeHashedLayout, CacheLayout,
                         SsdCacheLayout, DirectLayout, IpTrieLayout, ComplexKeyHashedLayout, ComplexKeySparseHashedLayout,
                         ComplexKeyHashedArrayLayout, ComplexKeyCacheLayout, ComplexKeySsdCacheLayout, ComplexKeyDirectLayout]

#: A layout field → its ClickHouse keyword (the TypeScript SDK's table).
_LAYOUT_KEYWORDS = {
    "initial_array_size": "INITIAL_ARRAY_SIZE", "max_load_factor": "MAX_LOAD_FACTOR", "shards": "SHARDS",
    "range_lookup_strategy": "RANGE_LOOKUP_STRATEGY", "size_in_cells": "SIZE_IN_CELLS", "max_threads_for_updates": "MAX_THREADS_FOR_UPDATES",
    "path": "PATH", "block_size": "BLOCK_SIZE", "file_size": "FILE_SIZE", "read_buffer_size": "READ_BUFFER_SIZE",
    "write_buffer_size": "WRITE_BUFFER_SIZE", "max_stored_keys": "MAX_STORED_KEYS", "access_to_key_from_attributes": "ACCESS_TO_KEY_FROM_ATTRIBUTES",
}


class _DatabaseSource(_Settings):
    host: str
    port: int
    user: str
    password: Union[SecretStr, str]
    db: str
    table: str
    query: Optional[str] = None
    where_clause: Optional[str] = None
    invalidate_query: Optional[str] = None


class ClickHouseRemoteSource(_DatabaseSource):
    type: Literal["CLICK_HOUSE"] = "CLICK_HOUSE"


class MysqlSource(_DatabaseSource):
    type: Literal["MYSQL"] = "MYSQL"
    port: int = 3306


class PostgresqlSource(_DatabaseSource):
    type: Literal["POSTGRESQL"] = "POSTGRESQL"
    port: int = 5432


class HttpSource(_Settings):
    type: Literal["HTTP"] = "HTTP"
    url: str
    format: str
    method: Optional[str] = None
    where_clause: Optional[str] = None


class RedisSource(_Settings):
    type: Literal["REDIS"] = "REDIS"
    host: str
    port: int = 6379
    storage_type: str
    password: Optional[Union[SecretStr, str]] = None
    db_index: Optional[int] = None


class MongoDbSource(_Settings):
    type: Literal["MONGODB"] = "MONGODB"
    host: str
    port: int = 27017
    user: str
    password: Union[SecretStr, str]
    db: str
    collection: str


class ExecutableSource(_Settings):
    type: Literal["EXECUTABLE"] = "EXECUTABLE"
    command: str
    format: str
    implicit_key: Optional[bool] = None


class S3Source(_Settings):
    type: Literal["S3"] = "S3"
    url: str
    format: str
    access_key_id: Optional[str] = None
    secret_access_key: Optional[Union[SecretStr, str]] = None


ExternalSource = Union[HttpSource, ClickHouseRemoteSource, MysqlSource, PostgresqlSource, RedisSource, MongoDbSource, ExecutableSource, S3Source]


class OlapDictionaryConfig(_Settings):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    source_table: Optional[Any] = None
    #: SQL on the project's ClickHouse; name the tables it reads in source_tables.
    source_query: Optional[str] = None
    source_tables: Optional[list[Any]] = None
    external_source: Optional[ExternalSource] = None
    primary_key: list[str]
    layout: DictionaryLayout
    lifetime: Union[int, DictionaryLifetime] = 0
    invalidate: Optional[DictionaryInvalidation] = None
    columns: Optional[dict[str, DictionaryColumn]] = None
    settings: Optional[dict[str, Union[str, int]]] = None
    comment: Optional[str] = None
    #: Accepted, not applied (as in TypeScript).
    database: Optional[str] = None
    cluster: Optional[str] = None
    life_cycle: Optional[LifeCycle] = None
    metadata: Optional[dict] = None


_COMPLEX_KEY = re.compile(r"COMPLEX_KEY_")


class OlapDictionary(ModelBacked):
    """`OlapDictionary[Row]("dict_name", OlapDictionaryConfig(source_table=table, primary_key=["id"], layout=HashedLayout()))`."""

    def __init__(self, name: str, config: OlapDictionaryConfig, *, t: Any = None, _source: Optional[SourceLocation] = None):
        self.source = _source or caller_location()
        self.name = name
        self.config = config
        self._t = require_model(t, f'OLAP dictionary "{name}"', self.source, f'OlapDictionary[MyModel]("{name}", OlapDictionaryConfig(...))')
        self.column_specs = columns_of(self._t, name, self.source)
        self.create_statement, reads, source_view = self._definition()
        unapplied = [key for key in ("database", "cluster") if getattr(config, key) is not None]
        if config.life_cycle == LifeCycle.DELETION_PROTECTED:
            unapplied.append("life_cycle DELETION_PROTECTED")
        if unapplied:
            notice(f'OLAP dictionary "{name}": {", ".join(unapplied)} {"is" if len(unapplied) == 1 else "are"} accepted but not applied by moose-ts '
                   "(see docs/moosestack-differences.md)", self.source)
        if config.life_cycle != LifeCycle.EXTERNALLY_MANAGED:
            if source_view is not None:
                reads = [View(source_view[0], ViewConfig(select_statement=source_view[1], base_tables=source_view[2]))]
            SqlResource(name, [self.create_statement], [f"DROP DICTIONARY IF EXISTS {quote_identifier(name)}"], pulls_data_from=reads)

    def _fail(self, code: str, problem: str, hint: str) -> Any:
        raise MooseError(code, f'OLAP dictionary "{self.name}" {problem}', self.source, hint)

    def _definition(self) -> tuple[str, list[Any], Optional[tuple[str, str, list[Any]]]]:
        config = self.config
        names = [column["name"] for column in self.column_specs]
        known = f"the fields of its type are: {', '.join(names)}"
        if not config.primary_key:
            self._fail("INVALID_DICTIONARY", "has no primary_key", f"name its key field(s); {known}")
        for key in config.primary_key:
            if key not in names:
                self._fail("UNKNOWN_FIELD", f'primary_key names "{key}", which is not a field of its type', known)
        for key in (config.columns or {}):
            if key not in names:
                self._fail("UNKNOWN_FIELD", f'columns names "{key}", which is not a field of its type', known)
        layout = config.layout.type
        if not _COMPLEX_KEY.match(layout) and len(config.primary_key) > 1:
            self._fail("INVALID_DICTIONARY", f"has {len(config.primary_key)} key fields and the {layout} layout, which takes one",
                       "use a COMPLEX_KEY_* layout (e.g. ComplexKeyHashedLayout) for a key of several fields")
        sources = [key for key in ("source_table", "source_query", "external_source") if getattr(config, key) is not None]
        if len(sources) != 1:
            self._fail("INVALID_DICTIONARY", "has no source" if not sources else f"has {' and '.join(sources)}",
                       "set exactly one of source_table, source_query or external_source")
        attributes = [self._attribute(column, (config.columns or {}).get(column["name"])) for column in self.column_specs]
        source, reads, source_view = self._source()
        parts = [f"CREATE DICTIONARY IF NOT EXISTS {quote_identifier(self.name)} ({', '.join(attributes)})",
                 f"PRIMARY KEY {', '.join(quote_identifier(key) for key in config.primary_key)}",
                 f"SOURCE({source})", f"LAYOUT({self._layout()})", f"LIFETIME({self._lifetime()})"]
        if config.settings:
            parts.append(f"SETTINGS({', '.join(f'{self._setting_name(key)} = {_setting_value(value)}' for key, value in config.settings.items())})")
        if config.comment is not None:
            parts.append(f"COMMENT {quote_string(config.comment)}")
        return " ".join(parts), reads, source_view

    @staticmethod
    def _attribute(column: dict[str, Any], options: Optional[DictionaryColumn]) -> str:
        parts = [quote_identifier(column["name"]), nullable_type(column["type"]) if column.get("nullable") else column["type"]]
        if options is not None:
            if options.default is not None:
                parts.append(f"DEFAULT {options.default}")
            if options.expression is not None:
                parts.append(f"EXPRESSION {options.expression}")
            parts += [keyword for keyword, on in (("HIERARCHICAL", options.hierarchical), ("INJECTIVE", options.injective), ("IS_OBJECT_ID", options.is_object_id)) if on]
        return " ".join(parts)

    def _source(self) -> tuple[str, list[Any], Optional[tuple[str, str, list[Any]]]]:
        config = self.config
        table = config.source_table.id if config.source_table is not None else f"{self.name}_source" if config.source_query is not None else None
        invalidate = ""
        if config.invalidate is not None:
            if table is None:
                self._fail("INVALID_DICTIONARY", "has invalidate with an external source", "give the external source its own invalidate_query")
            invalidate = f" INVALIDATE_QUERY {self._text(f'SELECT {config.invalidate.fn}({config.invalidate.column}) FROM {quote_identifier(table)}', 'invalidate')}"
        if config.source_table is not None:
            return f"CLICKHOUSE(TABLE {quote_string(table)}{invalidate})", [config.source_table], None
        if config.source_query is not None:
            if not config.source_tables:
                self._fail("INVALID_DICTIONARY", "has a source_query without source_tables", "name the tables the query reads in source_tables, so they are created before it")
            return f"CLICKHOUSE(TABLE {quote_string(table)}{invalidate})", list(config.source_tables), (table, config.source_query, list(config.source_tables))
        return self._external(config.external_source), [], None

    def _external(self, source: Any) -> str:
        def text(value: Any, key: str) -> list[str]:
            if value is None:
                return []
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            return [f"{key.upper()} {self._text(plain, key)}"]

        def port(value: int) -> list[str]:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 65535:
                self._fail("INVALID_DICTIONARY", f"has external source port {value}", "set port to a TCP port number")
            return [f"PORT {value}"]

        if isinstance(source, _DatabaseSource):
            kind = {"CLICK_HOUSE": "CLICKHOUSE"}.get(source.type, source.type)
            where = [f"WHERE {self._text(source.where_clause, 'where_clause')}"] if source.where_clause is not None else []
            own = [f"INVALIDATE_QUERY {self._text(source.invalidate_query, 'invalidate_query')}"] if source.invalidate_query is not None else []
            fields = (text(source.host, "host") + port(source.port) + text(source.user, "user") + text(source.password, "password") + text(source.db, "db")
                      + text(source.table, "table") + text(source.query, "query") + where + own)
            return f"{kind}({' '.join(fields)})"
        if isinstance(source, HttpSource):
            if source.method is not None or source.where_clause is not None:
                notice(f'OLAP dictionary "{self.name}": the http source\'s method and where_clause are accepted but not applied by moose-ts '
                       "(ClickHouse's HTTP source sends a POST of the keys, or a GET)", self.source)
            return f"HTTP({' '.join(text(source.url, 'url') + text(source.format, 'format'))})"
        if isinstance(source, RedisSource):
            db_index = [f"DB_INDEX {self._integer(source.db_index, 'db_index')}"] if source.db_index is not None else []
            storage = [f"STORAGE_TYPE {self._text(source.storage_type, 'storage_type')}"]
            return f"REDIS({' '.join(text(source.host, 'host') + port(source.port) + text(source.password, 'password') + db_index + storage)})"
        if isinstance(source, MongoDbSource):
            fields = text(source.host, "host") + port(source.port) + text(source.user, "user") + text(source.password, "password") + text(source.db, "db") + text(source.collection, "collection")
            return f"MONGODB({' '.join(fields)})"
        if isinstance(source, ExecutableSource):
            return f"EXECUTABLE({' '.join(text(source.command, 'command') + text(source.format, 'format') + (['IMPLICIT_KEY 1'] if source.implicit_key else []))})"
        return self._fail("INVALID_DICTIONARY", "has an s3 external source, which ClickHouse dictionaries do not have",
                          "read the files through an S3 table engine (an OlapTable with S3Engine) and use it as source_table, or use an http source")

    def _layout(self) -> str:
        layout = self.config.layout
        parameters = []
        for field, keyword in _LAYOUT_KEYWORDS.items():
            value = getattr(layout, field, None)
            if value is None:
                continue
            if isinstance(value, bool):
                parameters.append(f"{keyword} {1 if value else 0}")
            elif isinstance(value, str):
                parameters.append(f"{keyword} {self._text(value, field)}")
            else:
                if not math.isfinite(value) or value < 0:
                    self._fail("INVALID_DICTIONARY", f"has layout {field} {value!r}", f"set {field} to a non-negative number")
                parameters.append(f"{keyword} {value}")
        return f"{layout.type}({' '.join(parameters)})"

    def _lifetime(self) -> str:
        lifetime = self.config.lifetime
        if isinstance(lifetime, int):
            return self._integer(lifetime, "lifetime")
        low, high = self._integer(lifetime.min, "lifetime.min"), self._integer(lifetime.max, "lifetime.max")
        if lifetime.min > lifetime.max:
            self._fail("INVALID_DICTIONARY", f"has lifetime min {low} over max {high}", "set min ≤ max")
        return f"MIN {low} MAX {high}"

    def _integer(self, value: Any, key: str) -> str:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self._fail("INVALID_DICTIONARY", f"has {key} {value!r}", f"set {key} to a whole number of at least 0")
        return str(value)

    def _setting_name(self, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            self._fail("INVALID_DICTIONARY", f"has setting name {name!r}", "setting names are letters, digits and underscores")
        return name

    def _text(self, value: str, key: str) -> str:
        return ddl_literal(value, f'OLAP dictionary "{self.name}"', key, self.source)


def _setting_value(value: Union[str, int]) -> str:
    """A number as written, anything else a string literal (the TypeScript SDK's rule)."""
    text = str(value)
    return text if re.fullmatch(r"-?\d+(\.\d+)?", text) else quote_string(text)
