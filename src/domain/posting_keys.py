"""The one key scheme of the ledger: how each kind of posting's idempotency key and reference
are formed, in this one place (the postings themselves are built in `domain.postings`).

A posting's idempotency key is what makes a retried operation move money once; its reference
ties together the postings of one business object (a bet, a withdrawal, a provider's round)
for whoever reads the books. Both, with the kind and the metadata, are what a replay is
compared with (`Transaction.fingerprint`), so the strings formed here are stored data: change
one and a replay after the upgrade no longer matches the row the first request wrote (it is
refused, or posts the money a second time). tests/unit/test_postings.py and
tests/integration/test_posting_keys.py pin them; a change is a migration, not a refactor.

The scheme, kind by kind: `kind | idempotency key | reference` (`caller`: what the caller of
the use case gives; `{…}` a value):

    bet placement          bet               | bet:{bet}:place    | bet:{bet}
    bet settlement, void   win, loss, refund | bet:{bet}:settle   | bet:{bet}
    deposit                deposit           | caller             | caller
      over gRPC                              | deposit:{provider}:{external id} | {external id}
    debit                  debit             | caller             | caller
    staff adjustment       adjustment        | caller             | staff:{staff}
    four-eyes adjustment   adjustment        | adjustment:{request} | adjustment:{request}
    transfer               transfer          | caller             | caller
    bankroll funding       transfer          | caller             | staff:{staff}
    withdrawal step        withdrawal        | withdrawal:{withdrawal}:{step}
                                             | withdrawal:{withdrawal}
    seamless debit, credit bet, win          | seamless:{provider}:{tx}
                                             | seamless:{provider}:{round}
    seamless rollback      refund            | seamless-rollback:{provider}:{tx}
                                             | seamless:{provider}:{round}
    Stars credit           deposit           | stars:{charge}     | telegram-stars:{charge}
    Stars refund           refund            | stars-refund:{charge}:{attempt}
                                             | telegram-stars-refund:{charge}
    Stars refund undone    deposit           | stars-refund-undo:{charge}:{attempt}
                                             | telegram-stars-refund-undone:{charge}
    bonus grant            grant             | bonus:{bonus}:grant | bonus:{bonus}
    bonus conversion       conversion        | bonus:{bonus}:convert | bonus:{bonus}
    bonus forfeit          forfeit           | bonus:{bonus}:forfeit | bonus:{bonus}
    promotion payment      grant             | promotion:{programme}:{caller}
                                             | promotion:{budget}

A promotion payment (rakeback, referral commission, the daily play-money bonus: cash straight
into a wallet) is keyed by its programme and the caller's key for it (a player's claim, a
period); the programme names have no ':'. The withdrawal steps are request, approve, reject,
paid and failed; a Stars refund's attempt
counts the refunds of that charge Telegram refused before (0 at first).

Every prefix is its own, and none is another's followed by ':', so no two keys formed here
for different postings are ever equal (a provider name has no ':', see
`domain.seamless.validate_provider`); keys a caller gives are the caller's to keep apart."""

from __future__ import annotations

import enum
import uuid


# A bet's keys and reference take its id or the id's text (the postings build the text once
# for the key, the reference and the metadata: the same characters either way).
def bet_placement_key(bet_id: uuid.UUID | str) -> str:
    return f"bet:{bet_id}:place"


def bet_settlement_key(bet_id: uuid.UUID | str) -> str:
    return f"bet:{bet_id}:settle"


def bet_reference(bet_id: uuid.UUID | str) -> str:
    return f"bet:{bet_id}"


def processor_deposit_key(provider: str, external_id: str) -> str:
    """A payment processor's deposit, named by the processor (the calling service's name)
    and its own id for the payment."""
    return f"deposit:{provider}:{external_id}"


def staff_reference(staff_id: str) -> str:
    return f"staff:{staff_id}"


def adjustment_key(request_id: uuid.UUID) -> str:
    """A four-eyes adjustment request: one request, one movement, whoever approves it."""
    return f"adjustment:{request_id}"


def adjustment_reference(request_id: uuid.UUID) -> str:
    return f"adjustment:{request_id}"


class WithdrawalStep(enum.StrEnum):
    """The steps of a withdrawal that move its money, each once."""

    REQUEST = "request"
    APPROVE = "approve"
    REJECT = "reject"
    PAID = "paid"
    FAILED = "failed"
    CANCEL = "cancel"


def withdrawal_key(withdrawal_id: uuid.UUID, step: WithdrawalStep) -> str:
    return f"withdrawal:{withdrawal_id}:{step.value}"


def withdrawal_reference(withdrawal_id: uuid.UUID) -> str:
    return f"withdrawal:{withdrawal_id}"


def seamless_key(provider: str, transaction_id: str) -> str:
    """A provider's debit or credit, by the provider's own transaction id."""
    return f"seamless:{provider}:{transaction_id}"


def seamless_rollback_key(provider: str, transaction_id: str) -> str:
    """The refund that undoes a debit. A prefix of its own, so that no transaction id (they
    may contain ':') can produce another call's key."""
    return f"seamless-rollback:{provider}:{transaction_id}"


def seamless_reference(provider: str, round_id: str) -> str:
    return f"seamless:{provider}:{round_id}"


def stars_credit_key(charge_id: str) -> str:
    """One credit per Telegram charge, however often Telegram reports it."""
    return f"stars:{charge_id}"


def stars_refund_key(charge_id: str, attempt: int) -> str:
    """A refund's reversal; `attempt` counts the refunds Telegram refused before, so a new
    attempt posts anew."""
    return f"stars-refund:{charge_id}:{attempt}"


def stars_refund_undone_key(charge_id: str, attempt: int) -> str:
    return f"stars-refund-undo:{charge_id}:{attempt}"


def crypto_pay_credit_key(provider_invoice_id: int) -> str:
    """One credit per Crypto Pay invoice, whichever of the webhook and the poll sees it paid."""
    return f"cryptopay:{provider_invoice_id}"


def crypto_pay_credit_reference(reference: str) -> str:
    return f"crypto-pay:{reference}"


def stars_credit_reference(charge_id: str) -> str:
    return f"telegram-stars:{charge_id}"


def stars_refund_reference(charge_id: str) -> str:
    return f"telegram-stars-refund:{charge_id}"


def stars_refund_undone_reference(charge_id: str) -> str:
    return f"telegram-stars-refund-undone:{charge_id}"


class BonusStep(enum.StrEnum):
    """The movements of one bonus, each once: granted, then converted or forfeited."""

    GRANT = "grant"
    CONVERT = "convert"
    FORFEIT = "forfeit"


def bonus_key(bonus_id: uuid.UUID, step: BonusStep) -> str:
    return f"bonus:{bonus_id}:{step.value}"


def bonus_reference(bonus_id: uuid.UUID) -> str:
    return f"bonus:{bonus_id}"


def promotion_key(programme: str, key: str) -> str:
    return f"promotion:{programme}:{key}"


def promotion_reference(budget: str) -> str:
    return f"promotion:{budget}"
