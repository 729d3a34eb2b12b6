"""Reconcile's checks of the duel books (docs/duels.md, "Reconcile"): each a set-based query
returning the offending rows, run by `reconcile` with the ledger's own checks."""

from __future__ import annotations

DUEL_CHECKS: tuple[tuple[str, str], ...] = (
    (
        # A challenged duel holds the challenger's stake, an accepted or rolling one both; an
        # open or rolling lobby the stake of every seat not left (revision 0046).
        "duel escrow differs from the stakes of open duels and lobbies",
        """
        SELECT coalesce(a.currency, d.currency) AS currency,
               coalesce(a.held, 0) AS held, coalesce(d.open_stakes, 0) AS open_stakes
        FROM (SELECT currency, sum(balance) AS held FROM accounts
              WHERE kind = 'duel_escrow' GROUP BY currency) a
        FULL JOIN (SELECT currency, sum(held) AS open_stakes
                   FROM (SELECT currency,
                                stake * CASE state WHEN 'challenged' THEN 1 ELSE 2 END
                                    AS held
                         FROM duels WHERE state IN ('challenged', 'accepted', 'rolling')
                         UNION ALL
                         SELECT l.currency, l.stake AS held
                         FROM duel_lobbies l
                         JOIN duel_lobby_seats s ON s.lobby_id = l.id AND s.left_at IS NULL
                         WHERE l.state IN ('open', 'rolling')) o
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
    (
        # A lobby: a stake (bet) per seat, a return per seat left (a refund keyed `…leave`),
        # and once ended exactly one settlement (settled) or one refund of the seats still
        # taken (refunded, expired; keyed `…refund`). No colons here: they would be bind marks.
        "lobby without a stake per seat, a return per seat left and its one end",
        """
        SELECT l.id, l.state, s.seats, s.left_seats,
               count(t.id) FILTER (WHERE t.kind = 'bet') AS stakes,
               count(t.id) FILTER (WHERE t.kind = 'refund' AND t.idempotency_key LIKE '%leave')
                   AS returns,
               count(t.id) FILTER (WHERE t.kind = 'win') AS settlements,
               count(t.id) FILTER (WHERE t.kind = 'refund' AND t.idempotency_key LIKE '%refund')
                   AS refunds
        FROM duel_lobbies l
        JOIN (SELECT lobby_id, count(*) AS seats, count(left_at) AS left_seats
              FROM duel_lobby_seats GROUP BY lobby_id) s ON s.lobby_id = l.id
        LEFT JOIN ledger_transactions t ON t.reference = 'lobby:' || l.id::text
        GROUP BY l.id, l.state, s.seats, s.left_seats
        HAVING count(t.id) FILTER (WHERE t.kind = 'bet') <> s.seats
            OR count(t.id) FILTER (WHERE t.kind = 'refund' AND t.idempotency_key LIKE '%leave')
                   <> s.left_seats
            OR count(t.id) FILTER (WHERE t.kind = 'win')
                   <> CASE WHEN l.state = 'settled' THEN 1 ELSE 0 END
            OR count(t.id) FILTER (WHERE t.kind = 'refund' AND t.idempotency_key LIKE '%refund')
                   <> CASE WHEN l.state IN ('refunded', 'expired') THEN 1 ELSE 0 END
        """,
    ),
    (
        # The settlement of a settled duel or lobby moves exactly its pot out of escrow (a
        # duel's two stakes, a lobby's every seat not left); the house's bankroll gets the cut
        # less the owner's part; the owner's part, when paid, is the fixed share of the cut
        # rounded down (domain.duels.split_cut) and lands in the owner's wallet; the players'
        # wallets get the prize plus that part, nothing more. One query for both: the same
        # rule, read off either table (`kind` says which).
        "duel or lobby settlement's pot, cut or group owner's share does not add up",
        """
        WITH terms AS (
            SELECT 'duel' AS kind, d.id, d.stake * 2 AS pot, d.cut_bps, d.owner_share_bps
            FROM duels d WHERE d.state = 'settled'
            UNION ALL
            SELECT 'lobby' AS kind, lb.id, lb.stake * count(ls.seat) AS pot, lb.cut_bps,
                   lb.owner_share_bps
            FROM duel_lobbies lb
            JOIN duel_lobby_seats ls ON ls.lobby_id = lb.id AND ls.left_at IS NULL
            WHERE lb.state = 'settled'
            GROUP BY lb.id, lb.stake, lb.cut_bps, lb.owner_share_bps
        ), s AS (
            SELECT p.kind, p.id, p.pot, (p.pot * p.cut_bps + 9999) / 10000 AS cut,
                   p.owner_share_bps,
                   coalesce((t.metadata ->> 'owner_share')::bigint, 0) AS owner_part,
                   (t.metadata ->> 'owner_id')::bigint AS owner_id,
                   t.id AS transaction_id
            FROM terms p
            JOIN ledger_transactions t
              ON t.idempotency_key = p.kind || ':' || p.id::text || ':' || 'settle'
        ), l AS (
            SELECT s.id,
                   -sum(g.amount) FILTER (WHERE a.kind = 'duel_escrow') AS escrow_out,
                   coalesce(sum(g.amount) FILTER (WHERE a.kind = 'house_bankroll'), 0)
                       AS house_in,
                   coalesce(sum(g.amount) FILTER (WHERE a.kind = 'player_wallet'), 0)
                       AS wallets_in,
                   count(*) FILTER (WHERE a.kind = 'player_wallet'
                                    AND a.player_id = s.owner_id) AS owner_legs,
                   count(*) FILTER (WHERE a.kind NOT IN
                                    ('duel_escrow', 'house_bankroll', 'player_wallet'))
                       AS other_legs
            FROM s
            JOIN ledger_legs g ON g.transaction_id = s.transaction_id
            JOIN accounts a ON a.id = g.account_id
            GROUP BY s.id
        )
        SELECT s.kind, s.id, s.pot, s.cut, s.owner_part, l.escrow_out, l.house_in,
               l.wallets_in
        FROM s JOIN l ON l.id = s.id
        WHERE l.escrow_out <> s.pot
           OR l.house_in + s.owner_part <> s.cut
           OR l.wallets_in <> s.pot - s.cut + s.owner_part
           OR l.other_legs <> 0
           OR (s.owner_part <> 0
               AND (s.owner_part <> (s.cut * s.owner_share_bps) / 10000 OR l.owner_legs <> 1))
        """,
    ),
)
