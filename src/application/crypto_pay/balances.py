"""What Crypto Pay holds for us, by the books and by the provider: the reconcile of the
provider account, and the line of the bankroll report that shows the money at the provider."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from application.ports import (
    CryptoPayGateway,
    CryptoPayRefused,
    CryptoPayUnavailable,
    UnitOfWorkFactory,
)
from domain.accounts import AccountKind
from domain.crypto_pay import CRYPTO_ASSETS, decimal_text, parse_amount
from domain.errors import DomainError
from domain.money import Money


@dataclass(frozen=True, slots=True)
class ProviderBalance:
    """One asset: `books` is what the ledger says Crypto Pay holds for us (the deposits
    credited less the payouts paid, `-crypto_pay_held`); `provider` what `getBalance` says is
    available (None: it did not answer, or wrote no amount we can read)."""

    books: Money
    provider: Money | None

    @property
    def difference(self) -> Money | None:
        """provider - books: positive when the provider holds more than the books (the
        operator topped the app up, or a deposit is not credited yet), negative when less
        (money left the app outside Croupier: it must be explained)."""
        if self.provider is None:
            return None
        return Money(self.provider.amount - self.books.amount, self.books.currency)

    def line(self) -> str:
        code = self.books.currency.code
        books = f"{decimal_text(self.books)} {code}"
        if self.provider is None:
            return f"{code}: books {books}, Crypto Pay did not answer"
        difference = self.difference
        assert difference is not None
        said = f"{decimal_text(self.provider)} {code}"
        if not difference.amount:
            return f"{code}: books {books}, Crypto Pay {said}: they agree"
        sign = "+" if difference.amount > 0 else "-"
        gap = decimal_text(Money(abs(difference.amount), difference.currency))
        return f"{code}: books {books}, Crypto Pay {said}: DIFFERENCE {sign}{gap} {code}"


class CryptoPayBalances:
    """Per asset, the books' `crypto_pay_held` against Crypto Pay's `getBalance`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        client: CryptoPayGateway,
        assets: Collection[str] = frozenset({"USDT", "TON"}),
    ) -> None:
        self._uow = uow
        self._client = client
        self._assets = sorted(a for a in assets if a in CRYPTO_ASSETS)

    async def __call__(self) -> Sequence[ProviderBalance]:
        currencies = [CRYPTO_ASSETS[a] for a in self._assets]
        async with self._uow() as uow:
            books = [
                Money(-(await uow.accounts.house_balance(AccountKind.CRYPTO_PAY_HELD, c)), c)
                for c in currencies
            ]
        try:
            said = await self._client.balances()
        except (CryptoPayUnavailable, CryptoPayRefused):
            said = {}
        answers = []
        for held in books:
            provider: Money | None = None
            text = said.get(held.currency.code)
            if text is not None:
                try:
                    provider = parse_amount(text, held.currency)
                except DomainError:
                    provider = None
            answers.append(ProviderBalance(held, provider))
        return answers
