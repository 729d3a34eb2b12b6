"""A Bot API server on 127.0.0.1 for the bot to call over HTTP, as it calls Telegram's.

It answers what the bot calls the way Telegram does (`{"ok": true, "result": …}`, messages
with ids, a chat and a date), records every call in order, and hands out updates the test
pushes through `getUpdates`, long-polled. Dice take the values the test queues. A method it
does not know answers ok with `true` and is recorded all the same.

Unlike tests/entrypoints/telegram_fakes.py (a session object inside the test's process), this
is a network server: the real `croupier` process, started by the test, reaches it through
`CROUPIER_BOT_API_URL`, so the HTTP client, the polling loop and the JSON on the wire are the
ones production runs."""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 424242, "is_bot": True, "first_name": "Croupier", "username": "croupier_bot"}
# Parameters aiogram sends as JSON text inside the form; the others are plain strings.
_JSON_PARAMS = frozenset(
    {"reply_markup", "prices", "commands", "allowed_updates", "entities", "scope",
     "link_preview_options", "reply_parameters", "caption_entities", "suggested_tip_amounts"}
)  # fmt: skip
# Methods that answer with the message they sent or edited.
_SENDS = frozenset({"sendMessage", "sendDice", "sendInvoice", "sendPhoto", "sendDocument"})
_EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
# What a player sees or is told: the calls that count as the bot answering an update.
ANSWERS = _SENDS | _EDITS | {"answerCallbackQuery", "answerPreCheckoutQuery", "deleteMessage"}


@dataclass(frozen=True)
class Call:
    """One request the bot made: the method, its parameters (JSON ones decoded), when
    (time.monotonic()) and what it was answered (a sent message is the chat's own dict, so it
    shows later edits)."""

    method: str
    params: dict[str, Any]
    at: float
    result: Any


@dataclass
class FakeBotApi:
    token: str
    calls: list[Call] = field(default_factory=list)
    dice: deque[int] = field(default_factory=deque)  # the values the next dice show
    base_url: str = ""
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _new: asyncio.Condition = field(default_factory=asyncio.Condition)
    # Random like Telegram's: the bot drops an update id it saw in the last 24 h (in Redis,
    # which other tests' bots share).
    _update_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(secrets.randbelow(2**30) + 1)
    )
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _closing: bool = False
    _called: asyncio.Condition = field(default_factory=asyncio.Condition)
    polled: asyncio.Event = field(default_factory=asyncio.Event)  # the bot is polling

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        async with self._new:  # a long poll still waiting answers now
            self._closing = True
            self._new.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what the test does --------------------------------------------------------------------

    async def push(self, update: dict[str, Any]) -> int:
        """Queue an update (its `update_id` is given here) for the next getUpdates."""
        update_id = next(self._update_ids)
        async with self._new:
            self._updates.append({"update_id": update_id, **update})
            self._new.notify_all()
        return update_id

    async def until(self, check: Callable[[], bool], within: float) -> bool:
        """Whether `check()` holds within `within` seconds, looked at after each call."""
        async with self._called:
            try:
                await asyncio.wait_for(self._called.wait_for(check), within)
            except TimeoutError:
                return check()
            return True

    def of(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    # -- what the bot calls --------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        try:
            result = await self._answer(method, params)
        except web.HTTPException as refused:
            await self._record(Call(method, params, time.monotonic(), None))
            return web.Response(
                status=refused.status, text=refused.text, content_type="application/json"
            )
        if method != "getUpdates":  # the polling loop's own calls are not the bot's answers
            await self._record(Call(method, params, time.monotonic(), result))
        return web.json_response({"ok": True, "result": result})

    async def _record(self, call: Call) -> None:
        async with self._called:
            self.calls.append(call)
            self._called.notify_all()

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            self.polled.set()
            return await self._long_poll(int(params.get("offset", 0)), _wait_s(params))
        if method == "getMe":
            return BOT_USER
        if method in _SENDS:
            return self._send(method, params)
        if method in _EDITS:
            return self._edit(params)
        if method == "deleteMessage":
            key = (int(params["chat_id"]), int(params["message_id"]))
            return self._messages.pop(key, None) is not None
        return True  # answerCallbackQuery, setMyCommands, deleteWebhook, … and the unknown

    async def _long_poll(self, offset: int, wait_s: float) -> list[dict[str, Any]]:
        # Telegram forgets the updates below the offset: they were confirmed.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        async with self._new:
            if not self._updates and not self._closing:
                try:
                    await asyncio.wait_for(self._new.wait(), wait_s)
                except TimeoutError:
                    return []
            return list(self._updates)

    def _send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if method == "sendMessage":
            message["text"] = params["text"]
        elif method == "sendDice":
            emoji = params.get("emoji", "🎲")
            message["dice"] = {"emoji": emoji, "value": self.dice.popleft()}
        elif method == "sendInvoice":
            message["invoice"] = {
                "title": params["title"],
                "description": params["description"],
                "start_parameter": params.get("start_parameter", ""),
                "currency": params["currency"],
                "total_amount": sum(int(p["amount"]) for p in params["prices"]),
            }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _edit(self, params: dict[str, Any]) -> Any:
        if "chat_id" not in params:
            return True  # an inline message: Telegram answers true
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self._messages.get(key)
        if message is None:
            refusal = {"ok": False, "error_code": 400,
                       "description": "Bad Request: message to edit not found"}  # fmt: skip
            raise web.HTTPBadRequest(text=json.dumps(refusal), content_type="application/json")
        if "text" in params:
            message["text"] = params["text"]
        message.pop("reply_markup", None)  # an edit without a keyboard removes it
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        message["edit_date"] = int(time.time())
        return message


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post() if request.can_read_body else request.query
    params: dict[str, Any] = {}
    for key, value in {**request.query, **form}.items():
        text = value if isinstance(value, str) else str(value)
        params[key] = json.loads(text) if key in _JSON_PARAMS else text
    return params


def _wait_s(params: dict[str, Any]) -> float:
    return min(float(params.get("timeout", 0) or 0), 30.0)


def _error(code: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": code, "description": description}
    return web.json_response(body, status=code)
