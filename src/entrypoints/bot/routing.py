"""Handlers declared once per module, with a fresh aiogram Router built for each Dispatcher
(a Router can belong to one Dispatcher only, and tests and webhook/polling processes build
several)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router

Decorated = Callable[..., Any]


class Handlers:
    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: list[tuple[str, Decorated, tuple[Any, ...]]] = []

    def message(self, *filters: Any) -> Callable[[Decorated], Decorated]:
        return self._add("message", filters)

    def callback_query(self, *filters: Any) -> Callable[[Decorated], Decorated]:
        return self._add("callback_query", filters)

    def pre_checkout_query(self, *filters: Any) -> Callable[[Decorated], Decorated]:
        return self._add("pre_checkout_query", filters)

    def my_chat_member(self, *filters: Any) -> Callable[[Decorated], Decorated]:
        return self._add("my_chat_member", filters)

    def errors(self, *filters: Any) -> Callable[[Decorated], Decorated]:
        return self._add("errors", filters)

    def _add(self, kind: str, filters: tuple[Any, ...]) -> Callable[[Decorated], Decorated]:
        def register(handler: Decorated) -> Decorated:
            self._entries.append((kind, handler, filters))
            return handler

        return register

    def router(self) -> Router:
        router = Router(name=self.name)
        for kind, handler, filters in self._entries:
            getattr(router, kind).register(handler, *filters)
        return router
