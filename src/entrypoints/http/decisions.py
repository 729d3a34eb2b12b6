"""Staff decisions on one pending thing (approve or reject an adjustment or a withdrawal, mark
a payout paid or failed, refund a payment, resolve or dismiss a risk flag), made one way.

Each is `POST /{<key>}/<decision>`: the key from the path, a small JSON body when the
decision needs words (a reason, a note, a reference), the acting staff member, and one use
case; it answers 200 (not Litestar's 201 for a POST: nothing new is created) with the
thing's view. A refused decision is a domain error, which `problems` turns into problem
details like any other."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

import msgspec
from dishka import FromComponent
from dishka.integrations.litestar import inject
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg, PathParameter

from application.staff import Actor
from entrypoints.http.auth import Guard

Acting = NamedDependency[Actor]  # from the controller's `actor` dependency

# The path parameter types Litestar parses that a decision's key may have.
_KEY_TYPES: dict[str, type] = {"uuid": uuid.UUID, "int": int, "str": str}
_KEY = re.compile(r"\{(\w+):(\w+)\}")
JSON_BODY = BodyKwarg(media_type=RequestEncodingType.JSON)  # what JSONBody[T] says of T


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision's route. `decide(use_case, key, body, actor)` calls the use case (body is
    None without a `body` type); `view` encodes what it returns, and its return type is the
    answer documented in the OpenAPI document."""

    path: str  # "/{withdrawal_id:uuid}/approve": the key's name and type are read from it
    guard: Guard
    summary: str
    use_case: type[Any]
    decide: Callable[[Any, Any, Any, Actor], Awaitable[Any]]
    view: Callable[[Any], msgspec.Struct]
    body: type[msgspec.Struct] | None = None

    def handler(self) -> HTTPRouteHandler:
        """The route handler, for a controller's class body (`approve = Decision(…).handler()`)."""
        decision = self

        async def without_body(
            controller: Controller, key: Any, actor: Acting, use_case: Any
        ) -> Any:
            return decision.view(await decision.decide(use_case, key, None, actor))

        async def with_body(
            controller: Controller, key: Any, actor: Acting, use_case: Any, data: Any
        ) -> Any:
            return decision.view(await decision.decide(use_case, key, data, actor))

        handler = without_body if self.body is None else with_body
        match = _KEY.search(self.path)
        if match is None:
            raise ValueError(f"{self.path}: a decision's path names its key, as {{name:type}}")
        name, kind = match.groups()
        # The annotations say what the fixed signature above cannot: the key's name and type
        # (so the OpenAPI document names the path parameter as the path does), the use case
        # for dishka to inject (FromDishka[use case], spelled out), the body, and the answer.
        handler.__annotations__.update(
            key=Annotated[_KEY_TYPES[kind], PathParameter(name=name)],
            use_case=Annotated[self.use_case, FromComponent()],
            **{"return": get_type_hints(self.view)["return"]},
        )
        if self.body is not None:
            handler.__annotations__["data"] = Annotated[self.body, JSON_BODY]
        # The handler's name makes the OpenAPI operation id: the decision's, as before.
        handler.__name__ = handler.__qualname__ = self.path.rsplit("/", 1)[-1]
        route = post(self.path, guards=[self.guard], status_code=200, summary=self.summary)
        return route(inject(handler))
