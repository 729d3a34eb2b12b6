"""Admin API, the bankroll report (issue 24): per currency, the house bankroll (over its
shards), what the house owes players, and for Crypto Pay's assets the money held there by the
books against the provider's `getBalance`. Any staff role may read it, as the other reports.
Amounts are integers in minor units; `format=csv` answers a file with a header row. Crypto Pay
down is a column saying "not answered", never an error: the rest is answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from application.bankroll_report import BankrollLine, BankrollReport
from domain.errors import InvalidField
from entrypoints.http.auth import ANY_STAFF, SECURITY
from entrypoints.http.reports import GENERATED_AT_HEADER, to_csv


class BankrollRowWire(msgspec.Struct):
    currency: str
    bankroll: int  # the house bankroll, summed over its shards
    player_balances: int  # the players' wallets
    bets_in_play: int  # stakes not settled yet, duel stakes in escrow
    withdrawals_in_flight: int  # requested and approved, not paid or returned yet
    liability: int  # player_balances + bets_in_play + withdrawals_in_flight
    bonus_balances: int  # bonus money, not cash until wagered: not in the liability
    crypto_pay_books: int | None  # held at Crypto Pay by the books (deposits less payouts)
    crypto_pay_reported: int | None  # Crypto Pay's getBalance (available); null: no answer
    crypto_pay_difference: int | None  # reported - books
    crypto_pay: str | None  # "agree", "difference", "not answered"; null: not a Crypto Pay asset


class BankrollReportWire(msgspec.Struct):
    generated_at: datetime
    rows: list[BankrollRowWire]


def bankroll_row(line: BankrollLine) -> BankrollRowWire:
    money, held, state = line.money, line.crypto_pay, line.crypto_pay_state
    return BankrollRowWire(
        currency=money.currency,
        bankroll=money.bankroll,
        player_balances=money.player_balances,
        bets_in_play=money.bets_in_play,
        withdrawals_in_flight=money.withdrawals_in_flight,
        liability=money.liability,
        bonus_balances=money.bonus_balances,
        crypto_pay_books=None if held is None else held.books.amount,
        crypto_pay_reported=None if held is None or held.provider is None else held.provider.amount,
        crypto_pay_difference=(
            None if held is None or held.difference is None else held.difference.amount
        ),
        crypto_pay=None if state is None else state.value,
    )


Format = Annotated[str | None, QueryParameter(name="format", description="json (default) or csv")]


class BankrollReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY

    @get(
        "/bankroll",
        summary="The house's money per currency: bankroll, liability, money at Crypto Pay",
        description=(
            "Now, per currency: the house bankroll summed over its shards; what the house "
            "owes players (wallets, bets in play, withdrawals in flight; bonus money apart); "
            "for Crypto Pay's assets the money held there by the books (deposits credited "
            "less payouts paid) against getBalance, and the difference (`crypto_pay`: agree, "
            "difference, or `not answered` when Crypto Pay is down). `format=csv` answers "
            "text/csv with a header row."
        ),
        responses={200: ResponseSpec(data_container=BankrollReportWire, description="The report")},
    )
    @inject
    async def bankroll(
        self, report: FromDishka[BankrollReport], fmt: Format = None
    ) -> Response[BankrollReportWire | str]:
        made = await report()
        rows = [bankroll_row(line) for line in made.lines]
        wanted = (fmt or "json").strip().lower()
        if wanted == "json":
            return Response(BankrollReportWire(made.generated_at, rows))
        if wanted != "csv":
            raise InvalidField("format", "format is json or csv")
        generated = made.generated_at.strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "Content-Disposition": f'attachment; filename="bankroll_{generated}.csv"',
            GENERATED_AT_HEADER: made.generated_at.isoformat(),
        }
        text = to_csv(BankrollRowWire.__struct_fields__, rows)
        return Response(text, media_type="text/csv", headers=headers)
