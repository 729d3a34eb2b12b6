"""Reconcile's checks of the promotion books (docs/bonuses.md, "Reconcile"), read from the
ledger alone (the journal and the budgets), so they hold whatever tables the programmes keep.

Each is one set-based query returning the offending rows, like the ledger's own checks
(`adapters.postgres.reconcile`, which runs them with its own). A posting's amount is the sum
of its positive legs (what reached the account it was for). A bonus's grant is found by its
idempotency key, `bonus:{id}:grant` (`domain.posting_keys`), through the unique index; the
`\\:` keeps SQLAlchemy from reading `:grant` as a parameter.

That no bonus account is negative is the ledger's "forbidden negative balance" check (and
the accounts' CHECK before it): a `player_bonus` account may not go negative."""

from __future__ import annotations

from typing import Final

PROMOTION_CHECKS: Final[tuple[tuple[str, str], ...]] = (
    (
        # Every grant spends its budget in the unit of work that posts it, so a budget's
        # `spent` is exactly what was granted against it. A grant naming no budget, or one
        # that does not exist, shows with a null `budget`/`spent`.
        "promotion budget's spent differs from the grants posted against it",
        """
        WITH granted AS (
            SELECT t.metadata->>'budget' AS code, l.currency, sum(l.amount) AS granted
            FROM ledger_transactions t
            JOIN ledger_legs l ON l.transaction_id = t.id AND l.amount > 0
            WHERE t.kind = 'grant'
            GROUP BY 1, 2)
        SELECT b.code AS budget, g.code AS granted_budget, b.currency, b.spent,
               g.currency AS granted_currency, coalesce(g.granted, 0) AS granted
        FROM promotion_budgets b
        FULL JOIN granted g ON g.code = b.code
        WHERE b.code IS NULL OR b.spent <> coalesce(g.granted, 0) OR g.currency <> b.currency
        """,
    ),
    (
        "bonus conversion or forfeit names no granted bonus",
        """
        SELECT t.id, t.kind, t.metadata->>'bonus_id' AS bonus_id
        FROM ledger_transactions t
        LEFT JOIN ledger_transactions g
               ON g.kind = 'grant'
              AND g.idempotency_key = 'bonus:' || (t.metadata->>'bonus_id') || '\\:grant'
        WHERE t.kind IN ('conversion', 'forfeit') AND g.id IS NULL
        """,
    ),
    (
        # Converted and forfeited together, a bonus gives back at most what it was granted,
        # in the grant's currency.
        "bonus converted or forfeited more than it was granted",
        """
        WITH moved AS (
            SELECT t.kind, t.metadata->>'bonus_id' AS bonus_id, l.currency,
                   sum(l.amount) AS amount
            FROM ledger_transactions t
            JOIN ledger_legs l ON l.transaction_id = t.id AND l.amount > 0
            WHERE t.kind IN ('grant', 'conversion', 'forfeit')
              AND t.metadata->>'bonus_id' IS NOT NULL
            GROUP BY 1, 2, 3),
        granted AS (SELECT bonus_id, currency, amount FROM moved WHERE kind = 'grant'),
        used AS (
            SELECT bonus_id, currency, sum(amount) AS amount FROM moved
            WHERE kind <> 'grant' GROUP BY 1, 2)
        SELECT u.bonus_id, u.currency, u.amount AS converted_or_forfeited,
               g.currency AS granted_currency, g.amount AS granted
        FROM used u
        JOIN granted g ON g.bonus_id = u.bonus_id
        WHERE u.currency <> g.currency OR u.amount > g.amount
        """,
    ),
    (
        # The promotions account's one check (the bonus checks and these once had one each).
        # Per currency: it pays every grant and takes back every forfeit, and moves for
        # nothing else (its balance is forfeits - grants, from the journal); and its bonus
        # postings (reference `bonus:<id>`) moved exactly what the `bonuses` rows say:
        # -(every bonus granted) + (those forfeited or expired).
        "promotions account differs from its grants, forfeits and bonuses",
        """
        WITH house AS (
            SELECT currency, sum(balance) AS balance FROM accounts
            WHERE kind = 'promotions' GROUP BY currency),
        flows AS (
            SELECT l.currency,
                   coalesce(sum(l.amount) FILTER (WHERE t.kind = 'grant'), 0) AS granted,
                   coalesce(sum(l.amount) FILTER (WHERE t.kind = 'forfeit'), 0) AS forfeited
            FROM ledger_transactions t
            JOIN ledger_legs l ON l.transaction_id = t.id AND l.amount > 0
            WHERE t.kind IN ('grant', 'forfeit')
            GROUP BY 1),
        bonus_moved AS (
            SELECT a.currency, sum(l.amount) AS moved FROM ledger_legs l
            JOIN accounts a ON a.id = l.account_id AND a.kind = 'promotions'
            JOIN ledger_transactions t ON t.id = l.transaction_id
            WHERE t.reference LIKE 'bonus:%'
            GROUP BY 1),
        bonus_expected AS (
            SELECT currency,
                   sum(CASE WHEN state IN ('forfeited', 'expired') THEN 0
                            ELSE -amount END) AS expected
            FROM bonuses GROUP BY currency),
        currencies AS (
            SELECT currency FROM house UNION SELECT currency FROM flows
            UNION SELECT currency FROM bonus_moved UNION SELECT currency FROM bonus_expected)
        SELECT c.currency, coalesce(h.balance, 0) AS balance,
               coalesce(f.granted, 0) AS granted, coalesce(f.forfeited, 0) AS forfeited,
               coalesce(m.moved, 0) AS bonus_moved, coalesce(e.expected, 0) AS bonus_expected
        FROM currencies c
        LEFT JOIN house h ON h.currency = c.currency
        LEFT JOIN flows f ON f.currency = c.currency
        LEFT JOIN bonus_moved m ON m.currency = c.currency
        LEFT JOIN bonus_expected e ON e.currency = c.currency
        WHERE coalesce(h.balance, 0) <> coalesce(f.forfeited, 0) - coalesce(f.granted, 0)
           OR coalesce(m.moved, 0) <> coalesce(e.expected, 0)
        """,
    ),
)
