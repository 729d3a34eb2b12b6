"""The door × rule matrix's machinery (test_door_rule_matrix.py): a funded player in a
standing, the cell that calls one door for them, the door's answer in one shape, what a
refusal must look like at each kind of door, and what "nothing changed" means. The requests
themselves are in door_cases.py.

A player is made for each cell (registered, funded by a staff adjustment, then whatever the
case needs done while in good standing), and only then put in the standing: so every cell is
independent (velocity windows, daily withdrawal totals, limits) while the servers are shared.
They are funded by staff, not by a deposit: a deposit must be wagered before it can be
withdrawn, and a withdrawal cell must be refused for the standing or not at all."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from aiogram.methods import AnswerCallbackQuery, AnswerPreCheckoutQuery, SendMessage
from aiogram.types import Update
from dishka import AsyncContainer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.adjustments import RequestAdjustment
from application.player_admin import BlockPlayer
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import SelfExclude, StartTimeout
from application.staff import Actor
from croupier.v1 import betting_pb2
from domain.errors import DomainError
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.responsible import (
    Exclusion,
    ResponsibleGamblingRefusal,
    SelfExclusionPeriod,
    TimeoutPeriod,
)
from domain.standing import Operation, PlayerBlocked, PlayerStanding, Rule, StandingRefusal
from entrypoints.bot.handlers.responsible import refusal_text
from entrypoints.bot.i18n import Translator
from tests.entrypoints.grpc_calls import rpc_info
from tests.entrypoints.telegram_fakes import FakeTelegram
from tests.entrypoints.telegram_fakes import Player as TelegramUser

FUNDS = 1_000  # XTR, a staff credit: under the matrix's four-eyes limit, so it posts at once
# The matrix's four-eyes threshold for XTR: the four-eyes rule adds up what one staff member
# adjusts over a day, and the matrix funds hundreds of players (and its finance user credits
# many) with the same names; the rule itself is tested in tests/integration/test_four_eyes.py.
MATRIX_FOUR_EYES_XTR = 10**7
LANGUAGE = "ru"  # not English: a bot refusal must be in the player's language, not the code's


class Standing(enum.Enum):
    GOOD = "good"
    BLOCKED = "blocked"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    TIMED_OUT = "timed_out"
    SELF_EXCLUDED = "self_excluded"


@dataclass
class Subject:
    """The player of one cell."""

    player_id: int
    user: TelegramUser
    standing: Standing = Standing.GOOD
    exclusion: Exclusion | None = None
    session: dict[str, str] = field(default_factory=dict)  # Mini App bearer headers

    def refusal(self, operation: Operation) -> DomainError | None:
        """What the domain says this player's standing answers `operation`."""
        status = PlayerStatus.BLOCKED if self.standing is Standing.BLOCKED else PlayerStatus.ACTIVE
        terms = self.standing is not Standing.TERMS_NOT_ACCEPTED
        standing = PlayerStanding(self.player_id, status, terms, self.exclusion)
        return standing.refusal(operation, datetime.now(UTC))


@dataclass
class World:
    """The shared servers and what reaches them: the use cases (on the test's event loop),
    the gRPC channel with a key for every service, the HTTP app and a finance user."""

    engine: AsyncEngine
    container: AsyncContainer
    channel: grpc.aio.Channel
    api_key: str
    http: Any  # litestar AsyncTestClient
    finance: dict[str, str]
    bot_token: str

    @property
    def md(self) -> tuple[tuple[str, str], ...]:
        return (("x-api-key", self.api_key),)

    async def use(self, kind: type[Any], *args: Any) -> Any:
        """Call a use case as the application wires it."""
        async with self.container() as scope:
            return await (await scope.get(kind))(*args)

    async def new_subject(self, *, accept_terms: bool) -> Subject:
        user = TelegramUser(LANGUAGE)
        registration = await self.use(
            RegisterPlayer,
            RegisterPlayerCommand(
                user.user.id, language_code=LANGUAGE, currencies=(XTR,), accept_terms=accept_terms
            ),
        )
        player_id = registration.player.id
        await self.use(
            RequestAdjustment,
            player_id,
            Money(FUNDS, XTR),
            "door matrix funds",
            Actor("staff:matrix-setup"),
            uuid.uuid4(),
        )
        return Subject(player_id, user)

    async def put_in(self, subject: Subject, standing: Standing) -> None:
        subject.standing = standing
        if standing is Standing.BLOCKED:
            await self.use(BlockPlayer, subject.player_id, "door matrix", Actor("staff:matrix"))
        elif standing is Standing.TERMS_NOT_ACCEPTED:
            # Cases that prepare something (a bet to settle, a withdrawal to pay) need the terms
            # accepted to do it; this player's acceptance is then taken off the record: a player
            # whose bet or withdrawal predates the terms rule. The others never accepted.
            async with self.engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE player_preferences SET terms_accepted_at = NULL"
                        " WHERE player_id = :p"
                    ),
                    {"p": subject.player_id},
                )
        elif standing is Standing.TIMED_OUT:
            subject.exclusion = await self.use(StartTimeout, subject.player_id, TimeoutPeriod.DAY)
        elif standing is Standing.SELF_EXCLUDED:
            subject.exclusion = await self.use(
                SelfExclude, subject.player_id, SelfExclusionPeriod.SIX_MONTHS
            )

    async def snapshot(self, player_id: int) -> dict[str, Any]:
        """What a refused operation must leave as it was: every ledger transaction and outbox
        row, and the player's balances, bets, withdrawals, adjustments and Stars payments."""
        mine = {
            "bets": "state",
            "withdrawals": "state",
            "adjustment_requests": "state",
            "stars_payments": "status",
        }
        seen: dict[str, Any] = {}
        async with self.engine.connect() as conn:
            for table in ("ledger_transactions", "outbox", "provider_transactions"):
                seen[table] = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
            for table, state in mine.items():
                rows = await conn.execute(
                    text(
                        f"SELECT {state}, count(*) FROM {table} WHERE player_id = :p"
                        f" GROUP BY {state}"
                    ),
                    {"p": player_id},
                )
                seen[table] = dict(rows.all())
            rows = await conn.execute(
                # Keyed by kind too: a player's XTR wallet and bonus account share a currency,
                # and keyed by currency alone whichever row came last won (flaky by plan).
                text(
                    "SELECT kind || ':' || currency, balance FROM accounts"
                    " WHERE player_id = :p ORDER BY id"
                ),
                {"p": player_id},
            )
            seen["balances"] = dict(rows.all())
        return seen


@dataclass
class Cell:
    """One door × standing: the world, the player, the bot harness, what `prepare` left."""

    world: World
    subject: Subject
    send: Callable[[Update], Awaitable[None]]
    telegram: FakeTelegram
    prepared: Any = None

    @property
    def pid(self) -> str:
        return str(self.subject.player_id)


# -- answers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A door's answer in one shape. `rule` is None where the door's error cannot carry one
    (a StreamBets result's ErrorDetail has no metadata)."""

    kind: str  # grpc, http, bot
    ok: bool
    status: str = ""  # the gRPC status name or the HTTP status
    code: str = ""  # ErrorInfo reason or the problem's code, lower case
    rule: str | None = ""
    text: str = ""  # what the player read (bot)
    raw: str = ""


_STATUS_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}


async def grpc_answer(call: Any) -> Answer:
    try:
        reply = await call
    except grpc.aio.AioRpcError as error:
        reason, metadata = rpc_info(error)
        rule = metadata.get("rule", "")
        name = error.code().name
        return Answer("grpc", False, name, reason.lower(), rule, raw=f"{name}: {error.details()}")
    return Answer("grpc", True, "OK", raw=str(reply)[:300])


def stream_answer(result: betting_pb2.BetResult) -> Answer:
    if result.HasField("ok"):
        return Answer("grpc", True, "OK", raw=str(result)[:300])
    error = result.error
    name = _STATUS_NAMES.get(error.code, str(error.code))
    return Answer("grpc", False, name, error.detail.reason.lower(), None, raw=str(error))


def http_answer(response: Any, status: int, state: tuple[str, str] | None = None) -> Answer:
    """Success is `status`, and the body's `state[0]` field equal to `state[1]` if given."""
    body = response.json() if response.content else {}
    if response.status_code == status:
        ok = state is None or body.get(state[0]) == state[1]
        return Answer("http", ok, str(status), raw=response.text[:500])
    problem = response.headers.get("content-type", "").startswith("application/problem+json")
    return Answer(
        "http",
        False,
        str(response.status_code),
        str(body.get("code", "")).lower() if problem else "",
        str(body.get("rule", "")) if problem else "",
        raw=response.text[:500],
    )


def _seen(calls: list[Any]) -> list[str]:
    """Every text the player was shown: messages, alerts, a refused checkout's reason."""
    texts = []
    for call in calls:
        if isinstance(call, SendMessage) or (isinstance(call, AnswerCallbackQuery) and call.text):
            texts.append(call.text)
        elif isinstance(call, AnswerPreCheckoutQuery) and not call.ok:
            texts.append(call.error_message or "")
    return texts


async def bot_answer(cell: Cell, update: Update, ok: Callable[[list[Any]], bool]) -> Answer:
    already = len(cell.telegram.calls)
    await cell.send(update)
    calls = cell.telegram.calls[already:]
    texts = _seen(calls)
    return Answer("bot", ok(calls), text="\n".join(texts), raw=repr(calls)[:800])


# -- a case: one door's request ----------------------------------------------------------------

Call = Callable[[Cell], Awaitable[Answer]]
Prepare = Callable[[Cell], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    """A valid request at one door for an operation; `prepare` runs in good standing first."""

    operation: Operation
    call: Call
    prepare: Prepare | None = None
    label: str = ""  # which of a door's cases (StreamBets carries three)

    def refusal(self, subject: Subject) -> DomainError | None:
        """What the door must answer the subject's standing."""
        return subject.refusal(self.operation)


# -- what a refusal looks like at each kind of door --------------------------------------------

# Problem details: a standing refusal is 403; a responsible-gambling refusal and a frozen
# withdrawal are 409 (the player's own state conflicts with the request).
_PROBLEM_STATUS = {StandingRefusal: "403", ResponsibleGamblingRefusal: "409"}


def assert_refused(door: str, answer: Answer, expected: DomainError, subject: Subject) -> None:
    """`answer` is `door`'s own form of the domain's refusal `expected`."""
    rule = str(getattr(expected, "rule", ""))
    if answer.kind == "grpc":
        assert (answer.status, answer.code) == ("FAILED_PRECONDITION", expected.code), answer.raw
        if answer.rule is not None:  # a StreamBets result has no room for it
            assert answer.rule == rule, answer.raw
    elif answer.kind == "http":
        status = next((s for k, s in _PROBLEM_STATUS.items() if isinstance(expected, k)), "409")
        # Blocking ends the player's live Mini App sessions (issue 16): a session ended by the
        # block is that door's refusal too.
        if (
            isinstance(expected, PlayerBlocked)
            and door.startswith("POST /api/v1/app/")
            and (answer.status, answer.code) == ("401", "unauthenticated")
        ):
            return
        assert (answer.status, answer.code, answer.rule) == (status, expected.code, rule), (
            answer.raw
        )
    elif answer.kind == "hub88":
        # The aggregators' dialect has one status for a player who may not play now.
        assert answer.status == "RS_ERROR_USER_DISABLED", answer.raw
    else:
        t = Translator(subject.user.user.language_code or "en")
        if isinstance(expected, ResponsibleGamblingRefusal):
            polite = refusal_text(t, expected)
        else:
            polite = t("start.blocked" if expected.rule is Rule.BLOCKED else "start.need_gate")
        assert polite in answer.text, (
            f"{door}: the player should read {polite!r} in their language; read {answer.text!r}"
        )
        _assert_no_internals(answer.text.replace(polite, ""), subject)


def _assert_no_internals(text: str, subject: Subject) -> None:
    """Nothing of the system's own: no exception or class names, no ids."""
    assert not re.search(r"Traceback|Exception|Error|\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b", text), text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", text), text
    assert not re.search(rf"\b({subject.player_id}|{subject.user.user.id})\b", text), text
