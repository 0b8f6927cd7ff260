"""`moose_ts.dmv2.web_app_helpers`: moose_lib's module path for a WebApp's helpers
(`from moose_lib.dmv2.web_app_helpers import get_moose_utils` ports to `from moose_ts.dmv2.web_app_helpers import ...`)."""
from moose_ts.web_app import ApiUtil, get_moose_dependency, get_moose_utils  # noqa: F401
