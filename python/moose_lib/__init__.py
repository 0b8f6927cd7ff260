"""MooseStack's module name for moose_ts, so a MooseStack Python project's imports run unchanged:
`from moose_lib import OlapTable`, `from moose_lib.dmv2 import Api`, `from moose_lib.blocks import …`,
`from moose_lib.dmv2.web_app_helpers import get_moose_utils`. Each `moose_lib.<path>` is the module `moose_ts.<path>`
(the same objects, not a copy); moose_lib's modules that only gather names (`main`, `commons`, `secrets`) are
`moose_ts` itself. moose puts this folder ahead of the app's packages on PYTHONPATH, so a moose-lib installed in the
project's environment is never the one imported: its objects would register with MooseStack, not with moose."""
import importlib
import importlib.abc
import importlib.util
import sys

from moose_ts import *  # noqa: F401,F403
from moose_ts import __all__  # noqa: F401

_GATHERING_MODULES = {"main", "commons", "secrets"}


def _target(fullname):
    """The moose_ts module `moose_lib.<path>` is."""
    rest = fullname[len(__name__) + 1:]
    return "moose_ts" if rest in _GATHERING_MODULES else f"moose_ts.{rest}"


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(__name__ + ".") or importlib.util.find_spec(_target(fullname)) is None:
            return None  # ModuleNotFoundError names moose_lib.<path>, at the app's import line
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(_target(spec.name))

    def exec_module(self, module):
        pass  # the moose_ts module is loaded already


if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Alias())
