"""Reconcile's checks of the money held at Crypto Pay (docs/payments-crypto.md, "Reconcile"):
each a set-based query returning the offending rows, run by `reconcile` with the ledger's own
checks. Deposits (the paid invoices) bring money into `crypto_pay_held`; payouts (withdrawals
paid by Crypto Pay's transfer) take it out."""

from __future__ import annotations

CRYPTO_CHECKS: tuple[tuple[str, str], ...] = (
    (
        # What the books say Crypto Pay holds for us = what the paid invoices brought in,
        # less the withdrawals paid out of it (their paid step's leg on crypto_pay_held).
        "money held at Crypto Pay differs from the invoices credited less the payouts",
        """
        SELECT coalesce(a.currency, i.currency, p.currency) AS currency,
               coalesce(a.held, 0) AS held, coalesce(i.credited, 0) AS credited,
               coalesce(p.paid_out, 0) AS paid_out
        FROM (SELECT currency, -sum(balance) AS held FROM accounts
              WHERE kind = 'crypto_pay_held' GROUP BY currency) a
        FULL JOIN (SELECT currency, sum(amount) AS credited FROM crypto_invoices
                   WHERE state = 'paid' GROUP BY currency) i ON i.currency = a.currency
        FULL JOIN (SELECT w.currency, sum(w.amount) AS paid_out FROM withdrawals w
                   WHERE w.state = 'paid' AND EXISTS (
                       SELECT 1 FROM ledger_legs l JOIN accounts ha ON ha.id = l.account_id
                       WHERE l.transaction_id = w.settlement_transaction_id
                         AND ha.kind = 'crypto_pay_held' AND l.amount = w.amount)
                   GROUP BY w.currency) p ON p.currency = coalesce(a.currency, i.currency)
        WHERE coalesce(a.held, 0) <> coalesce(i.credited, 0) - coalesce(p.paid_out, 0)
        """,
    ),
    (
        # A paid invoice's one deposit: into its player's wallet, of its amount, against the
        # money held at Crypto Pay.
        "paid crypto invoice without its one deposit",
        """
        SELECT i.reference, i.provider_invoice_id, i.amount
        FROM crypto_invoices i
        WHERE i.state = 'paid' AND NOT EXISTS (
            SELECT 1 FROM ledger_transactions t
            JOIN ledger_legs w ON w.transaction_id = t.id
            JOIN accounts wa ON wa.id = w.account_id
            JOIN ledger_legs h ON h.transaction_id = t.id
            JOIN accounts ha ON ha.id = h.account_id
            WHERE t.id = i.deposit_transaction_id AND t.kind = 'deposit'
              AND t.idempotency_key = 'cryptopay:' || i.provider_invoice_id::text
              AND wa.kind = 'player_wallet' AND wa.player_id = i.player_id
              AND wa.currency = i.currency AND w.amount = i.amount
              AND ha.kind = 'crypto_pay_held' AND h.amount = -i.amount)
        """,
    ),
    (
        "crypto deposit posting without a paid invoice",
        """
        SELECT t.id, t.idempotency_key
        FROM ledger_transactions t
        WHERE t.idempotency_key LIKE 'cryptopay:%'
          AND NOT EXISTS (SELECT 1 FROM crypto_invoices i
                          WHERE i.deposit_transaction_id = t.id AND i.state = 'paid')
        """,
    ),
)
