"""Which application a deployment runs: one environment variable names its module.

`ALGOCLOUD_APP` is a module path whose `build_config()` returns an AppConfig;
the bundled warehouse example is the default.
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from .domain.config import AppConfig

APP_ENV_VAR = "ALGOCLOUD_APP"
DEFAULT_APP = "algocloud.example.app"


@cache
def load_app_config(module_name: str | None = None) -> AppConfig:
    name = module_name or os.environ.get(APP_ENV_VAR) or DEFAULT_APP
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise RuntimeError(f"{APP_ENV_VAR}={name!r}: cannot import the application: {exc}") from exc
    build = getattr(module, "build_config", None)
    if not callable(build):
        raise TypeError(f"{APP_ENV_VAR}={name!r}: the module has no build_config() function")
    config = build()
    if not isinstance(config, AppConfig):
        raise TypeError(f"{APP_ENV_VAR}={name!r}: build_config() must return an AppConfig")
    return config
