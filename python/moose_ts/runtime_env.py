"""`moose_runtime_env` (MooseStack's name): values read from the environment when the app runs, not when its
infrastructure is extracted. While moose extracts the app (`IS_LOADING_INFRA_MAP=true`, set by the extraction)
`get` returns a marker, which an engine argument refuses (it would be written into a migration file); at run
time it returns the variable. The same contract as the TypeScript SDK's mooseRuntimeEnv."""
from __future__ import annotations

import os

from .errors import MooseError, SourceLocation
from .source import caller_location
from .sql_text import quote_string

RUNTIME_ENV_PREFIX = "__MOOSE_RUNTIME_ENV__:"


class _RuntimeEnv:
    def get(self, env_var_name: str) -> str:
        if not isinstance(env_var_name, str) or env_var_name.strip() == "":
            raise MooseError("RUNTIME_ENV_NAME", "moose_runtime_env.get() needs an environment variable name", caller_location(),
                             hint='e.g. moose_runtime_env.get("AWS_ACCESS_KEY_ID")')
        if os.environ.get("IS_LOADING_INFRA_MAP") == "true":
            return f"{RUNTIME_ENV_PREFIX}{env_var_name}"
        value = os.environ.get(env_var_name)
        if value is None:
            raise MooseError("RUNTIME_ENV_MISSING", f"environment variable {env_var_name} is not set (read by moose_runtime_env.get)", caller_location(),
                             hint=f"set {env_var_name} in the environment of the process running the app")
        return value


moose_runtime_env = _RuntimeEnv()
#: MooseStack's older name for moose_runtime_env.
moose_env_secrets = moose_runtime_env


def ddl_literal(value: str, subject: str, key: str, location: SourceLocation) -> str:
    """`value` as a SQL string literal of DDL moose writes into migration files (engine arguments, a dictionary's
    source): a moose_runtime_env marker there would be written as the marker, so it is refused."""
    if RUNTIME_ENV_PREFIX in value:
        raise MooseError("RUNTIME_ENV_IN_DDL", f"{subject} uses moose_runtime_env.get() for {key}", location,
                         "moose-ts writes this into migration files and cannot resolve runtime environment values there yet; "
                         "pass the value another way (e.g. a ClickHouse named collection)")
    return quote_string(value)
