"""`moose_ts.dmv2`: moose_lib's `dmv2` module path, for code that imports from it (`from moose_lib.dmv2 import ...`
ports to `from moose_ts.dmv2 import ...`). Every name of `moose_ts` is here."""
from moose_ts import *  # noqa: F401,F403
from moose_ts import __all__  # noqa: F401
