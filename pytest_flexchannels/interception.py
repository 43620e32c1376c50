"""While any fake runs, every Twilio host is intercepted in each HTTP client library; the fake
started last answers (a fake started inside another's lifetime wins until it stops).

The hooks go in when the first fake starts and come out when the last one stops. aiohttp's goes
in only once aiohttp is imported (now, or later through an import hook), so suites that never use
it never pay for importing it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from .transports.answering import ACTIVE as _active

if TYPE_CHECKING:
    from .core.http import Answerer

_lock = threading.RLock()
_AIOHTTP_MODULE = "aiohttp.connector"


def start(fake: Answerer) -> None:
    with _lock:
        if not _active:
            _install()
        _active.append(fake)


def stop(fake: Answerer) -> None:
    with _lock:
        if fake in _active:
            _active.remove(fake)
            if not _active:
                _uninstall()


def _install() -> None:
    from .transports import requests as requests_transport
    from .transports import responses as responses_transport

    requests_transport.install()
    responses_transport.install()
    if _AIOHTTP_MODULE in sys.modules:
        _install_aiohttp()
    else:
        sys.meta_path.insert(0, _WATCHER)


def _uninstall() -> None:
    from .transports import requests as requests_transport
    from .transports import responses as responses_transport

    requests_transport.uninstall()
    responses_transport.uninstall()
    if _WATCHER in sys.meta_path:
        sys.meta_path.remove(_WATCHER)
    if _AIOHTTP_MODULE in sys.modules:
        from .transports import aiohttp as aiohttp_transport

        aiohttp_transport.uninstall()


def _install_aiohttp() -> None:
    from .transports import aiohttp as aiohttp_transport

    aiohttp_transport.install()


def _aiohttp_loaded() -> None:
    with _lock:
        if _WATCHER in sys.meta_path:
            sys.meta_path.remove(_WATCHER)
        if _active:
            _install_aiohttp()


class _Loader(importlib.abc.Loader):
    """Runs aiohttp's own loader, then puts the hook in."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _aiohttp_loaded()


class _Watcher(importlib.abc.MetaPathFinder):
    """Notices aiohttp being imported while a fake runs."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _AIOHTTP_MODULE:
            return None
        for finder in sys.meta_path:  # whichever finder would have found it, not only PathFinder
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec: importlib.machinery.ModuleSpec | None = (
                find(fullname, path, target) if find is not None else None
            )
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


_WATCHER = _Watcher()
