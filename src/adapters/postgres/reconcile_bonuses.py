"""Reconcile's checks of the bonus books (docs/bonuses.md, "Reconcile"): each a set-based
query returning the offending rows, run by `reconcile` with the ledger's own checks. The
promotions account's side of the bonuses is checked with the rest of that account, once, in
`reconcile_promotions` ("promotions account differs from its grants, forfeits and
bonuses")."""

from __future__ import annotations

# A bonus's postings carry the reference `bonus:<id>` (domain/posting_keys.py).
_POSTINGS = """
    SELECT b.id, b.state, b.amount, b.grant_transaction_id, b.end_transaction_id,
           count(t.id) FILTER (WHERE t.kind = 'grant') AS grants,
           count(t.id) FILTER (WHERE t.kind = 'conversion') AS conversions,
           count(t.id) FILTER (WHERE t.kind = 'forfeit') AS forfeits,
           bool_and(t.kind <> 'grant' OR t.id = b.grant_transaction_id) AS grant_is_its_own,
           bool_and(t.kind = 'grant' OR t.id = b.end_transaction_id) AS end_is_its_own
    FROM bonuses b
    LEFT JOIN ledger_transactions t ON t.reference = 'bonus:' || b.id::text
    GROUP BY b.id
"""

BONUS_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "bonus account differs from the player's active bonuses",
        """
        SELECT coalesce(a.player_id, b.player_id) AS player_id,
               coalesce(a.currency, b.currency) AS currency,
               coalesce(a.balance, 0) AS balance, coalesce(b.active, 0) AS active
        FROM (SELECT player_id, currency, balance FROM accounts
              WHERE kind = 'player_bonus') a
        FULL JOIN (SELECT player_id, currency, sum(amount) AS active FROM bonuses
                   WHERE state = 'active' GROUP BY player_id, currency) b
               ON b.player_id = a.player_id AND b.currency = a.currency
        WHERE coalesce(a.balance, 0) <> coalesce(b.active, 0)
        """,
    ),
    (
        "bonus does not have exactly its grant and, once ended, its one end",
        f"""
        SELECT * FROM ({_POSTINGS}) p
        WHERE p.grants <> 1 OR NOT p.grant_is_its_own OR NOT p.end_is_its_own
           OR p.conversions <> CASE p.state WHEN 'converted' THEN 1 ELSE 0 END
           OR p.forfeits <> CASE WHEN p.state IN ('forfeited', 'expired') THEN 1 ELSE 0 END
        """,  # noqa: S608 - constant SQL  # nosec B608
    ),
    (
        "bonus posting moved another amount than its bonus",
        """
        SELECT b.id, t.id AS transaction_id, t.kind, l.amount FROM bonuses b
        JOIN ledger_transactions t ON t.reference = 'bonus:' || b.id::text
        JOIN ledger_legs l ON l.transaction_id = t.id
        JOIN accounts a ON a.id = l.account_id AND a.kind = 'player_bonus'
        WHERE a.player_id <> b.player_id OR a.currency <> b.currency
           OR l.amount <> CASE t.kind WHEN 'grant' THEN b.amount ELSE -b.amount END
        """,
    ),
)
