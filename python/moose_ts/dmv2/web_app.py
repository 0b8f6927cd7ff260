"""`moose_ts.dmv2.web_app`: moose_lib's module path for WebApp (`from moose_lib.dmv2.web_app import WebApp` ports to
`from moose_ts.dmv2.web_app import ...`)."""
from moose_ts.web_app import RESERVED_MOUNT_PATHS, WebApp, WebAppConfig, WebAppMetadata  # noqa: F401
