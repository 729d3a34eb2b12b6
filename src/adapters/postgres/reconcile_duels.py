"""Reconcile's checks of the duel books (docs/duels.md, "Reconcile"): each a set-based query
returning the offending rows, run by `reconcile` with the ledger's own checks."""

from __future__ import annotations

DUEL_CHECKS: tuple[tuple[str, str], ...] = (
    (
        # A challenged duel holds the challenger's stake, an accepted or rolling one both.
        "duel escrow differs from the stakes of open duels",
        """
        SELECT coalesce(a.currency, d.currency) AS currency,
               coalesce(a.held, 0) AS held, coalesce(d.open_stakes, 0) AS open_stakes
        FROM (SELECT currency, sum(balance) AS held FROM accounts
              WHERE kind = 'duel_escrow' GROUP BY currency) a
        FULL JOIN (SELECT currency,
                          sum(stake * CASE state WHEN 'challenged' THEN 1 ELSE 2 END)
                              AS open_stakes
                   FROM duels WHERE state IN ('challenged', 'accepted', 'rolling')
                   GROUP BY currency) d ON d.currency = a.currency
        WHERE coalesce(a.held, 0) <> coalesce(d.open_stakes, 0)
        """,
    ),
    (
        "duel ended without its one settlement or refund",
        """
        SELECT d.id, d.state, count(t.id) FILTER (WHERE t.kind = 'win') AS settlements,
               count(t.id) FILTER (WHERE t.kind = 'refund') AS refunds
        FROM duels d
        LEFT JOIN ledger_transactions t ON t.reference = 'duel:' || d.id::text
        GROUP BY d.id, d.state
        HAVING count(t.id) FILTER (WHERE t.kind = 'win')
                   <> CASE WHEN d.state = 'settled' THEN 1 ELSE 0 END
            OR count(t.id) FILTER (WHERE t.kind = 'refund')
                   <> CASE WHEN d.state IN ('refunded', 'declined', 'expired') THEN 1 ELSE 0 END
        """,
    ),
)
