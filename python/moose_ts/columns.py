"""pydantic model → Manifest v1 columns and JSON Schema, with the same rules as moose-ts's TypeScript
extraction (docs/type-mapping.md), so that equivalent models give byte-identical manifests."""
from __future__ import annotations

import ipaddress
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Optional, Union, get_args, get_origin
from uuid import UUID

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .errors import MooseError, SourceLocation
from .source import class_location, field_location
from .types import (
    GEOMETRY,
    AggregateFunction,
    ClickHouseAlias,
    ClickHouseCodec,
    ClickhouseDecimal,
    ClickhouseDefault,
    ClickhouseFixedStringSize,
    ClickHouseJson,
    ClickHouseMaterialized,
    ClickhousePrecision,
    ClickhouseSize,
    ClickHouseTTL,
    SimpleAggregateFunction,
    _PrimaryKey,
)

_NONE = type(None)
_INT_TYPES = {"int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
              "uint8": "UInt8", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}
_INT_RANGES = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2147483648, 2147483647),
               "uint8": (0, 255), "uint16": (0, 65535), "uint32": (0, 4294967295)}
_TYPE_ALIAS = getattr(typing, "TypeAliasType", None)


@dataclass
class _Site:
    path: str
    location: Optional[SourceLocation]


@dataclass
class _Unwrapped:
    base: Any
    metadata: list[Any] = field(default_factory=list)
    has_none: bool = False
    only_none: bool = False


def _is_union(t: Any) -> bool:
    return get_origin(t) is Union or isinstance(t, types.UnionType)


def _unwrap(annotation: Any) -> _Unwrapped:
    """Peels Annotated[...] (collecting its metadata), Optional/`| None` and type aliases."""
    metadata: list[Any] = []
    has_none = False
    t = annotation
    while True:
        if _TYPE_ALIAS is not None and isinstance(t, _TYPE_ALIAS):
            t = t.__value__
        elif get_origin(t) is Annotated:
            for item in t.__metadata__:
                metadata.append(item)
                if isinstance(item, FieldInfo):
                    metadata.extend(item.metadata)
            t = t.__origin__
        elif _is_union(t):
            args = get_args(t)
            present = [arg for arg in args if arg is not _NONE]
            has_none = has_none or len(present) < len(args)
            if not present:
                return _Unwrapped(_NONE, metadata, True, True)
            if len(present) == 1:
                t = present[0]
                continue
            return _Unwrapped(Union[tuple(present)], metadata, has_none)
        else:
            return _Unwrapped(t, metadata, has_none, t is _NONE)


def _first(metadata: list[Any], kind: type) -> Any:
    return next((item for item in metadata if isinstance(item, kind)), None)


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _literal_values(t: Any) -> Optional[list[Any]]:
    """The values of Literal[...] or of a union of Literals, else None."""
    if get_origin(t) is Literal:
        return list(get_args(t))
    if _is_union(t) and all(get_origin(arg) is Literal for arg in get_args(t)):
        return [value for arg in get_args(t) for value in get_args(arg)]
    return None


def _type_name(t: Any) -> str:
    if isinstance(t, type):
        return t.__name__
    return str(t).replace("typing.", "")


def nullable_type(type_text: str) -> str:
    """A Nullable column's full type, inside LowCardinality when there is one (the TypeScript fullColumnType)."""
    match = re.fullmatch(r"LowCardinality\((.*)\)", type_text)
    return f"LowCardinality(Nullable({match.group(1)}))" if match else f"Nullable({type_text})"


def _identifier(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else "`" + name.replace("`", "\\`") + "`"


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _model_fields(model: type[BaseModel]) -> list[tuple[str, str, Any, FieldInfo]]:
    """(python name, column name, raw annotation with its Annotated metadata, FieldInfo), in pydantic's order."""
    try:
        hints = typing.get_type_hints(model, include_extras=True)
    except Exception as error:  # an unresolvable forward reference
        raise MooseError("UNSUPPORTED_TYPE", f"the annotations of {model.__name__} cannot be resolved: {error}",
                         class_location(model), "define every type the model uses before the model") from error
    fields = []
    for name, info in model.model_fields.items():
        annotation = hints.get(name, info.annotation)
        # `Field(ge=0)` beside an Annotated type: its constraints are in the FieldInfo, not the annotation.
        extra = [item for item in info.metadata if get_origin(annotation) is not Annotated or item not in annotation.__metadata__]
        if extra:
            annotation = Annotated[(annotation, *extra)]  # type: ignore[misc]
        fields.append((name, info.alias or name, annotation, info))
    return fields


class _Mapper:
    def __init__(self, with_defaults: bool = False) -> None:
        self._expanding: list[type] = []
        self._with_defaults = with_defaults

    # ---- columns -------------------------------------------------------------------------------
    def columns(self, model: Any, path: str, where: Optional[SourceLocation], what: str = "") -> list[dict[str, Any]]:
        if not _is_model(model):
            raise MooseError("UNSUPPORTED_TYPE", f"{what}: the model must be a pydantic BaseModel class, not {_type_name(model)}",
                             where, "describe one row as `class Row(BaseModel): ...`")
        return self._expand(model, _Site(path, class_location(model) or where),
                            lambda: [self._column(model, name, column, annotation, info, path)
                                     for name, column, annotation, info in _model_fields(model)])

    def _column(self, model: type, name: str, column: str, annotation: Any, info: FieldInfo, path: str) -> dict[str, Any]:
        site = _Site(f"{path}.{name}", field_location(model, name))
        type_text, nullable, metadata = self._field(annotation, site)
        computed = {
            "default": _first(metadata, ClickhouseDefault),
            "materialized": _first(metadata, ClickHouseMaterialized),
            "alias": _first(metadata, ClickHouseAlias),
        }
        present = {key: value.expression for key, value in computed.items() if value is not None}
        if len(present) > 1:
            raise MooseError("CONFLICTING_ANNOTATIONS",
                             f"{site.path} combines more than one of ClickHouseDefault, ClickHouseMaterialized and ClickHouseAlias",
                             site.location, "keep one of them")
        spec: dict[str, Any] = {"name": column, "type": type_text, "nullable": nullable, **present}
        if info.description:
            spec["comment"] = info.description.strip()
        codec = _first(metadata, ClickHouseCodec)
        if codec is not None:
            spec["codec"] = codec.expression
        ttl = _first(metadata, ClickHouseTTL)
        if ttl is not None:
            spec["ttl"] = ttl.expression
        if _first(metadata, _PrimaryKey) is not None:
            spec["primaryKey"] = True
        return spec

    def _field(self, annotation: Any, site: _Site) -> tuple[str, bool, list[Any]]:
        """(type text without Nullable, nullable, metadata); containers are never nullable, nor is a field
        with a ClickHouseDefault (as MooseStack: the default stands in for a missing value)."""
        unwrapped = _unwrap(annotation)
        if unwrapped.only_none:
            raise MooseError("UNSUPPORTED_TYPE", f"{site.path} can only be None", site.location, "give the field a value type")
        type_text, container = self._type(unwrapped, site)
        if "LowCardinality" in unwrapped.metadata and not type_text.startswith("LowCardinality("):
            type_text = f"LowCardinality({type_text})"
        defaulted = _first(unwrapped.metadata, ClickhouseDefault) is not None
        return type_text, unwrapped.has_none and not container and not defaulted, unwrapped.metadata

    def _inner(self, annotation: Any, site: _Site) -> str:
        type_text, nullable, _ = self._field(annotation, site)
        return nullable_type(type_text) if nullable else type_text

    def _fail(self, site: _Site, message: str, hint: Optional[str] = None) -> Any:
        raise MooseError("UNSUPPORTED_TYPE", f"{site.path}: {message}", site.location, hint)

    def _type(self, unwrapped: _Unwrapped, site: _Site) -> tuple[str, bool]:
        t, metadata = unwrapped.base, unwrapped.metadata
        simple = _first(metadata, SimpleAggregateFunction)
        if simple is not None:
            return f"SimpleAggregateFunction({simple.agg_func}, {self._inner(simple.arg_type, _Site(site.path + '<arg>', site.location))})", False
        aggregate = _first(metadata, AggregateFunction)
        if aggregate is not None:
            parts = [aggregate.agg_func] + [self._inner(arg, _Site(f"{site.path}<arg{i}>", site.location))
                                            for i, arg in enumerate(aggregate.param_types)]
            return f"AggregateFunction({', '.join(parts)})", False
        json_options = _first(metadata, ClickHouseJson)
        if json_options is not None or t is Any or (get_origin(t) is dict and get_args(t)[:1] == (str,) and get_args(t)[1:] == (Any,)):
            return _json_type(json_options), False
        geometry = next((item for item in metadata if isinstance(item, str) and item in GEOMETRY), None)
        if geometry is not None:
            return geometry, True
        literal = _literal_values(t)
        if literal is not None:
            if all(isinstance(value, str) for value in literal):
                return "LowCardinality(String)", False
            return self._fail(site, f"Literal{literal} has no ClickHouse column type",
                              "use string literals (LowCardinality(String)) or an Enum (Enum8)")
        if _is_union(t):
            return self._fail(site, f"has type {_type_name(t)}, which has no ClickHouse column type",
                              "a column holds one type: use one type, Literal strings or an Enum")
        if isinstance(t, type) and issubclass(t, Enum):
            return _enum_type(t, site), False
        if t is bool:
            return "Bool", False
        if t is str or t is bytes:
            size = _first(metadata, ClickhouseFixedStringSize)
            if size is not None:
                if not isinstance(size.size, int) or size.size < 1:
                    return self._fail(site, "FixedString size must be a positive integer", "write FixedString(16)")
                return f"FixedString({size.size})", False
            return "String", False
        if t is int:
            brand = next((item for item in metadata if isinstance(item, str) and item in _INT_TYPES), None)
            return _INT_TYPES[brand or "int64"], False
        if t is float:
            size = _first(metadata, ClickhouseSize)
            if "float32" in metadata or (size is not None and size.size == 4):
                return "Float32", False
            return "Float64", False
        if t is Decimal:
            precision, scale = _decimal_digits(metadata)
            if precision < 1 or precision > 76 or scale < 0 or scale > precision:
                return self._fail(site, f"Decimal({precision}, {scale}) is out of range", "precision must be 1..76 and scale 0..precision")
            return f"Decimal({precision}, {scale})", False
        if t is datetime:
            precision = _first(metadata, ClickhousePrecision)
            if precision is None:
                return "DateTime('UTC')", False
            if not isinstance(precision.precision, int) or not 0 <= precision.precision <= 9:
                return self._fail(site, f"DateTime64 precision {precision.precision} is out of range", "use 0..9 (3 = milliseconds)")
            return f"DateTime64({precision.precision})", False
        if t is date:
            # As MooseStack: Date32 (1900-2299); ClickhouseSize(2) makes it the 2-byte Date (1970-2149).
            size = _first(metadata, ClickhouseSize)
            if size is None or size.size == 4:
                return "Date32", False
            if size.size == 2:
                return "Date", False
            return self._fail(site, f"a date of ClickhouseSize({size.size}) has no ClickHouse type", "use 4 (Date32, the default) or 2 (Date)")
        if t is UUID:
            return "UUID", False
        if t is ipaddress.IPv4Address:
            return "IPv4", False
        if t is ipaddress.IPv6Address:
            return "IPv6", False
        origin, args = get_origin(t), get_args(t)
        if origin is list or origin is set or origin is frozenset:
            if origin is not list:
                return self._fail(site, f"has type {_type_name(t)}, which has no ClickHouse column type", "use list[T] (Array)")
            if not args:
                return self._fail(site, "list needs an element type", "write list[str]")
            return f"Array({self._inner(args[0], _Site(site.path + '[]', site.location))})", True
        if origin is tuple:
            if not args or (len(args) == 2 and args[1] is Ellipsis):
                return self._fail(site, f"{_type_name(t)} has no fixed items", "use list[T] for a variable length (Array), or tuple[A, B]")
            items = [self._inner(arg, _Site(f"{site.path}[{i}]", site.location)) for i, arg in enumerate(args)]
            return f"Tuple({', '.join(items)})", True
        if origin is dict:
            if len(args) != 2:
                return self._fail(site, "dict needs a key and a value type", "write dict[str, V]")
            key = _unwrap(args[0]).base
            key_type = "Int64" if key is int else "String" if key is str else None
            if key_type is None:
                return self._fail(site, f"map keys of type {_type_name(args[0])} are not supported", "use str or int keys")
            return f"Map({key_type}, {self._inner(args[1], _Site(site.path + '{}', site.location))})", True
        if _is_model(t):
            fields = self._expand(t, site, lambda: [
                f"{_identifier(column)} {self._inner(annotation, _Site(f'{site.path}.{name}', field_location(t, name)))}"
                for name, column, annotation, _ in _model_fields(t)])
            kind = "Tuple" if "ClickHouseNamedTuple" in metadata else "Nested"
            return f"{kind}({', '.join(fields)})", True
        hint = None
        if t is complex or t is object:
            hint = "give the field a concrete type"
        return self._fail(site, f"has type {_type_name(t)}, which has no ClickHouse column type", hint)

    def _expand(self, model: type, site: _Site, expand: Any) -> Any:
        if model in self._expanding:
            raise MooseError("UNSUPPORTED_TYPE", f"{site.path} refers to itself ({model.__name__}); recursive types have no column type",
                             site.location, "break the cycle, e.g. store the nested part as a JSON string")
        self._expanding.append(model)
        try:
            return expand()
        finally:
            self._expanding.pop()

    # ---- JSON Schema ---------------------------------------------------------------------------
    def schema(self, annotation: Any) -> dict[str, Any]:
        unwrapped = _unwrap(annotation)
        if unwrapped.only_none:
            return {"type": "null"}
        base = self._base_schema(unwrapped)
        return {"anyOf": [base, {"type": "null"}]} if unwrapped.has_none else base

    def _base_schema(self, unwrapped: _Unwrapped) -> dict[str, Any]:
        t, metadata = unwrapped.base, unwrapped.metadata
        literal = _literal_values(t)
        if literal is not None:
            # As the TypeScript extractor (src/manifest/enum-order.ts): numbers first, ascending, then strings.
            return {"enum": sorted(literal, key=lambda value: (isinstance(value, str), value))}
        if isinstance(t, type) and issubclass(t, Enum):
            return {"enum": [member.value for member in t]}
        if _is_union(t):
            return {"anyOf": [self._base_schema(_unwrap(arg)) for arg in get_args(t)]}
        if t is bool:
            return {"type": "boolean"}
        if t is UUID:
            return {"type": "string", "format": "uuid"}
        if t is datetime:
            return {"type": "string", "format": "date-time"}
        if t is date:
            return {"type": "string", "format": "date"}
        if t is Decimal:
            # A JSON number or a decimal string (exact beyond a float's precision), as pydantic accepts.
            return {"type": ["number", "string"], "pattern": "^-?\\d+(\\.\\d+)?$"}
        if t is str:
            return _with_constraints({"type": "string"}, metadata)
        if t is bytes or t in (ipaddress.IPv4Address, ipaddress.IPv6Address):
            return {"type": "string"}
        if t is int:
            brand = next((item for item in metadata if isinstance(item, str) and item in _INT_TYPES), "int64")
            bounds = _INT_RANGES.get(brand)
            return _with_constraints({"type": "integer", "minimum": bounds[0], "maximum": bounds[1]} if bounds else {"type": "integer"}, metadata)
        if t is float:
            return _with_constraints({"type": "number"}, metadata)
        origin, args = get_origin(t), get_args(t)
        if origin is list and args:
            return _with_constraints({"type": "array", "items": self.schema(args[0])}, metadata)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            items = [self.schema(arg) for arg in args]
            return {"type": "array", "items": items, "minItems": len(items), "maxItems": len(items)}
        if origin is dict and len(args) == 2:
            return {"type": "object", "properties": {}, "additionalProperties": self.schema(args[1])}
        if _is_model(t):
            return self._object_schema(t)
        return {}

    def _object_schema(self, model: type[BaseModel]) -> dict[str, Any]:
        if model in self._expanding:
            return {"type": "object"}
        self._expanding.append(model)
        try:
            properties: dict[str, Any] = {}
            required: list[str] = []
            for _, column, annotation, info in _model_fields(model):
                properties[column] = self.schema(annotation)
                default = _json_default(info) if self._with_defaults else None
                if default is not None:
                    # Ingest fills it in, so the record reaching the topic (and the sync's table check) has it.
                    properties[column] = {**properties[column], "default": default}
                unwrapped = _unwrap(annotation)
                computed = any(isinstance(item, (ClickhouseDefault, ClickHouseMaterialized, ClickHouseAlias)) for item in unwrapped.metadata)
                # Optional, computed by ClickHouse, or with a pydantic default: a payload may leave it out.
                if not unwrapped.has_none and not computed and info.is_required():
                    required.append(column)
            return {"type": "object", "properties": properties, **({"required": required} if required else {})}
        finally:
            self._expanding.pop()


_LENGTH_KEYWORDS = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems")}


def _json_default(info: FieldInfo) -> Any:
    """A field's plain default (`fail: bool = False`, a string, a number, an enum member's value) as JSON, else None.

    A default_factory is left out: its value is the call's at each validation, not one to write down.
    """
    value = info.default
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool) or isinstance(value, str) or (isinstance(value, (int, float)) and value == value and value not in (float("inf"), float("-inf"))):
        return value
    return None


def _with_constraints(schema: dict[str, Any], metadata: list[Any]) -> dict[str, Any]:
    """pydantic's field constraints as the JSON Schema keywords ingest and API parameters are checked with.

    `Field(ge=…, gt=…, le=…, lt=…, multiple_of=…)` on numbers (within an integer type's own range),
    `min_length`/`max_length` on strings and lists, `pattern` on strings (also from `conint`,
    `constr`, `conlist`, annotated_types); as typia's tags in TypeScript.
    """
    result = dict(schema)
    numeric, lengths = result["type"] in ("integer", "number"), _LENGTH_KEYWORDS.get(result["type"])
    for item in _constraints(metadata):
        value = lambda name: _json_number(getattr(item, name, None))  # noqa: E731
        if numeric:
            if value("ge") is not None:
                result["minimum"] = max(value("ge"), result.get("minimum", value("ge")))
            if value("le") is not None:
                result["maximum"] = min(value("le"), result.get("maximum", value("le")))
            if value("gt") is not None:
                result["exclusiveMinimum"] = value("gt")
            if value("lt") is not None:
                result["exclusiveMaximum"] = value("lt")
            # ajv checks a multiple exactly, pydantic a float's with a tolerance (0.3 is a multiple of 0.1 to
            # it): only whole multiples mean the same to both.
            if isinstance(value("multiple_of"), int):
                result["multipleOf"] = value("multiple_of")
        if lengths is not None:
            if isinstance(value("min_length"), int):
                result[lengths[0]] = value("min_length")
            if isinstance(value("max_length"), int):
                result[lengths[1]] = value("max_length")
        pattern = getattr(item, "pattern", None)
        pattern = getattr(pattern, "pattern", pattern)  # re.compile(...) too
        if result["type"] == "string" and isinstance(pattern, str):
            result["pattern"] = pattern
    return result


def _json_number(value: Any) -> Any:
    """A bound as JSON can carry it: Decimal and float bounds as numbers (ints when whole), others as they are; not-finite ones dropped."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, int):
        return value
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if number.is_integer() else number


def _constraints(metadata: list[Any]) -> list[Any]:
    """annotated_types' constraints, with grouped ones (`Interval`, `Len`, pydantic's `StringConstraints`) taken apart."""
    found: list[Any] = []
    for item in metadata:
        if isinstance(item, annotated_types.GroupedMetadata):
            found.extend(part for part in item if isinstance(part, annotated_types.BaseMetadata))
        elif isinstance(item, annotated_types.BaseMetadata):
            found.append(item)
    return found


def _decimal_digits(metadata: list[Any]) -> tuple[int, int]:
    marker = _first(metadata, ClickhouseDecimal)
    if marker is not None:
        return marker.precision, marker.scale
    precision = next((item.max_digits for item in metadata if getattr(item, "max_digits", None) is not None), 10)
    scale = next((item.decimal_places for item in metadata if getattr(item, "decimal_places", None) is not None), 0)
    return precision, scale


def _json_type(options: Optional[ClickHouseJson]) -> str:
    if options is None:
        return "JSON"
    settings: list[str] = []
    if options.max_dynamic_paths is not None:
        settings.append(f"max_dynamic_paths={options.max_dynamic_paths}")
    if options.max_dynamic_types is not None:
        settings.append(f"max_dynamic_types={options.max_dynamic_types}")
    settings += [f"SKIP {path}" for path in options.skip_paths]
    settings += [f"SKIP REGEXP '{pattern}'" for pattern in options.skip_regexps]
    return f"JSON({', '.join(settings)})" if settings else "JSON"


def _enum_type(enum: type[Enum], site: _Site) -> str:
    members = list(enum)
    values = [member.value for member in members]
    if all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        entries = [(member.name, member.value) for member in members]
    elif all(isinstance(value, str) for value in values):
        # String enums store their values; ClickHouse needs numbers, so they are numbered 1..n.
        entries = [(value, index + 1) for index, value in enumerate(values)]
    else:
        raise MooseError("UNSUPPORTED_TYPE", f"{site.path}: enum {enum.__name__} mixes string and number values (or has others)",
                         site.location, "use only string or only int values")
    fits8 = all(-128 <= value <= 127 for _, value in entries)
    body = ", ".join(f"{_quote(name)} = {value}" for name, value in entries)
    return f"{'Enum8' if fits8 else 'Enum16'}({body})"


def columns_of(model: Any, what: str, where: Optional[SourceLocation]) -> list[dict[str, Any]]:
    """The columns of a row model; errors name `Model.field` and point at the field's line."""
    return _Mapper().columns(model, getattr(model, "__name__", what), where, what)


def json_schema_of(annotation: Any, with_defaults: bool = False) -> dict[str, Any]:
    """The JSON Schema a payload is checked with; `with_defaults`: fields' plain defaults as `default` (ingest fills them in)."""
    return _Mapper(with_defaults).schema(annotation)
