"""`moose_ts.blocks`: moose_lib's `blocks` module path, for code that imports from it (`from moose_lib.blocks import ...`
ports to `from moose_ts.blocks import ...`). Every name of `moose_ts` is here."""
from moose_ts import *  # noqa: F401,F403
from moose_ts import __all__  # noqa: F401
