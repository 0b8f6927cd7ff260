"""`moose_ts.dmv2`: moose_lib's `dmv2` module path, for code that imports from it (`from moose_lib.dmv2 import ...`
ports to `from moose_ts.dmv2 import ...`), and its submodules' paths (`from moose_lib.dmv2.workflow import Task`
ports to `from moose_ts.dmv2.workflow import Task`). Every name of `moose_ts` is in each."""
import sys as _sys

from moose_ts import *  # noqa: F401,F403
from moose_ts import __all__  # noqa: F401

# moose_lib.dmv2's submodules (web_app and web_app_helpers are modules of their own here): each name is this module.
for _submodule in ("consumption", "ingest_api", "ingest_pipeline", "life_cycle", "materialized_view", "moose_model", "olap_dictionary",
                   "olap_table", "registry", "sql_resource", "stream", "types", "view", "workflow"):
    _sys.modules.setdefault(f"{__name__}.{_submodule}", _sys.modules[__name__])
