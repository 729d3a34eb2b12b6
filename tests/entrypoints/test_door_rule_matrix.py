"""The door × rule matrix (issue 16): every door that moves money answers every standing as
domain.standing says, with that door's own error, and a refusal changes nothing.

Doors are enumerated from the running code (tests/entrypoints/doors.py): every gRPC method, HTTP
route, bot handler and CLI command must be classified below, as a money door with its
operation and a valid request (tests/entrypoints/door_cases.py), or as moving no money, with
why. A door in neither table fails `test_every_door_is_in_the_matrix`, and so does a table
entry whose door is gone.

Each cell makes a funded player, does what the case needs done in good standing (a bet to
settle, a withdrawal to pay, a Mini App session), puts the player in the standing (a staff
block through the use case, no terms on record, a time-out, a self-exclusion) and calls the
real door: gRPC over a socket with the generated stubs, HTTP through Litestar's test client,
the bot through the real Dispatcher with a fake Bot API. Where the policy refuses, the answer
is the door's error (gRPC FAILED_PRECONDITION with ErrorInfo; problem details; a polite bot
message in the player's language, Russian here) and the ledger, bets, withdrawals, outbox and
balances are as they were; where it allows, the call succeeds (and every money door is also
called in good standing, which proves its request valid).

Most of this module is the classification, kept in one place so that every door is seen at once;
the machinery is in door_world.py, the requests in door_cases.py."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import grpc
import pytest
from aiogram import Bot
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from adapters.telegram_stars import TelegramStarsRefunds
from application.bankroll import FundBankroll, FundBankrollCommand
from application.crash import SettleCrashedRound
from application.ports import StarsRefunds, UnitOfWorkFactory
from application.staff import Actor, CreateStaff
from domain.money import XTR, Money
from domain.staff import Role
from domain.standing import Operation
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.cli import main as cli
from entrypoints.composition.containers import make_http_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.crash_cleanup import finish_every_round
from tests.entrypoints import door_cases as c
from tests.entrypoints import door_cases_aggregators as hub88
from tests.entrypoints import door_cases_bonus as bonus
from tests.entrypoints import door_cases_bonus_app as bonus_app
from tests.entrypoints import door_cases_crypto as crypto
from tests.entrypoints import door_cases_deposit_app as deposit_app
from tests.entrypoints import door_cases_duels as duels
from tests.entrypoints import door_cases_free_bets as free_bets
from tests.entrypoints import door_cases_games as games
from tests.entrypoints import door_cases_mines_void as mines_void
from tests.entrypoints import door_cases_promo as promo
from tests.entrypoints import door_cases_vip as vip
from tests.entrypoints import door_cases_withdraw as wd
from tests.entrypoints.conftest import bot_runtime
from tests.entrypoints.door_world import (
    MATRIX_FOUR_EYES_XTR,
    Case,
    Cell,
    Standing,
    Subject,
    World,
    assert_refused,
)
from tests.entrypoints.doors import (
    STANDING_DOC,
    STANDING_SECTION,
    bot_doors,
    cli_doors,
    grpc_doors,
    http_doors,
    markdown_section_table,
    standing_rows,
    standing_table,
)
from tests.entrypoints.telegram_fakes import BOT_TOKEN, FakeTelegram
from tests.entrypoints.telegram_fakes import Player as TelegramUser

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

ROOT = Path(__file__).resolve().parents[2]
BET, PLAY_ON, DEPOSIT, WITHDRAW, PAY_OUT, SETTLE, ADJUST, PROMOTION = (
    Operation.BET,
    Operation.PLAY_ON,
    Operation.DEPOSIT,
    Operation.WITHDRAW,
    Operation.PAY_OUT,
    Operation.SETTLE,
    Operation.ADJUST,
    Operation.PROMOTION,
)
# A door is a tuple of cases (it moves money) or a string (it moves none: why).
Door = tuple[Case, ...] | str

GRPC: dict[str, Door] = {
    "croupier.v1.BettingService/PlaceBet": (Case(BET, c.grpc_place_bet),),
    "croupier.v1.BettingService/PlayInstant": (Case(BET, c.grpc_play_instant),),
    "croupier.v1.BettingService/StreamBets": (
        Case(BET, c.stream_place, label="place"),
        Case(SETTLE, c.stream_settle, c.placed_dice_bet, "settle"),
        Case(SETTLE, c.stream_void, c.placed_dice_bet, "void"),
    ),
    "croupier.v1.BettingService/PlaceBatch": (
        Case(BET, c.batch_place, label="place"),
        Case(SETTLE, c.batch_settle, c.placed_dice_bet, "settle"),
        Case(SETTLE, c.batch_void, c.placed_dice_bet, "void"),
    ),
    "croupier.v1.BettingService/SettleBet": (Case(SETTLE, c.grpc_settle, c.placed_dice_bet),),
    "croupier.v1.BettingService/VoidBet": (Case(SETTLE, c.grpc_void, c.placed_dice_bet),),
    "croupier.v1.BettingService/GetBet": "reads one bet",
    # Issue 21: opening a mines game places its bet; a new tile plays on (the standing as a
    # bet's); a cash-out collects what the tiles revealed won (never refused).
    "croupier.v1.MinesService/Open": (Case(BET, games.grpc_mines_open),),
    "croupier.v1.MinesService/Reveal": (
        Case(PLAY_ON, games.grpc_mines_reveal, games.open_mines_game),
    ),
    "croupier.v1.MinesService/CashOut": (
        Case(SETTLE, games.grpc_mines_cash_out, games.mines_game_with_a_safe_tile),
    ),
    # Issue 25: the stake back before the first tile is a settlement, never refused.
    "croupier.v1.MinesService/Void": (
        Case(SETTLE, mines_void.grpc_mines_void, mines_void.open_mines_game),
    ),
    "croupier.v1.MinesService/Get": "reads one mines game",
    "croupier.v1.CrashService/PlaceBet": (
        Case(BET, games.grpc_crash_bet, games.crash_betting_round),
    ),
    # Pays a bet already placed, at the round's multiplier: a settlement.
    "croupier.v1.CrashService/CashOut": (
        Case(SETTLE, games.grpc_crash_cash_out, games.crash_bet_riding),
    ),
    "croupier.v1.CrashService/GetRound": "reads a crash round",
    "croupier.v1.CrashService/StreamRounds": "streams crash rounds' changes",
    "croupier.v1.SeamlessWalletService/Debit": (Case(BET, c.seamless_debit),),
    "croupier.v1.SeamlessWalletService/Credit": (Case(SETTLE, c.seamless_credit, c.open_round),),
    "croupier.v1.SeamlessWalletService/Rollback": (
        Case(SETTLE, c.seamless_rollback, c.open_round),
    ),
    "croupier.v1.WalletService/Deposit": (Case(DEPOSIT, c.grpc_deposit),),
    "croupier.v1.WalletService/GetBalance": "reads balances",
    "croupier.v1.WalletService/ListTransactions": "reads a wallet's history",
    # Issue 16: internal services record the acceptance made in their own front end.
    "croupier.v1.PlayersService/AcceptTerms": "records that the player accepted the terms",
    # Issue 20: internal services make their players (an empty wallet, no money moves).
    "croupier.v1.PlayersService/EnsurePlayer": "registers a player with an empty wallet",
}

_READ = "reads (staff)"
HTTP: dict[str, Door] = {
    # The Mini App, as the player.
    "POST /api/v1/app/play": (Case(BET, c.mini_app_play, c.mini_app_session),),
    "POST /api/v1/app/crash/bets": (
        Case(BET, games.mini_app_crash_bet, games.mini_app_crash_session),
    ),
    # Pays a bet already placed, at the round's multiplier: a settlement.
    "POST /api/v1/app/crash/cashout": (
        Case(SETTLE, games.mini_app_crash_cash_out, games.mini_app_crash_riding),
    ),
    "GET /api/v1/app/crash": "reads the crash round and the player's bets on it",
    "POST /api/v1/app/session": "opens a player session",
    # Issue 21: a mines game's stake is a bet; a new tile plays on; a cash-out collects, even
    # for a player blocked since (the steps' routes take a blocked player's session).
    "POST /api/v1/app/mines": (Case(BET, games.mini_app_mines_open, c.mini_app_session),),
    "POST /api/v1/app/mines/{game_id:uuid}/reveal": (
        Case(PLAY_ON, games.mini_app_mines_reveal, games.mini_app_mines_game),
    ),
    "POST /api/v1/app/mines/{game_id:uuid}/cashout": (
        Case(SETTLE, games.mini_app_mines_cash_out, games.mini_app_mines_with_a_safe_tile),
    ),
    "POST /api/v1/app/mines/{game_id:uuid}/void": (
        Case(SETTLE, mines_void.mini_app_mines_void, mines_void.mini_app_mines_game),
    ),
    "GET /api/v1/app/mines": "reads the player's open mines game",
    # Issue 22: rakeback and the daily play-money bonus (promotions); the status reads, and is
    # refused, as a promotion, to a player the standing refuses.
    "POST /api/v1/app/vip/rakeback/claim": (
        Case(PROMOTION, vip.mini_app_claim_rakeback, vip.session_and_a_bet),
    ),
    "POST /api/v1/app/vip/daily": (Case(PROMOTION, vip.mini_app_daily_bonus, c.mini_app_session),),
    "GET /api/v1/app/vip": "reads the VIP status (refused, as a promotion, to a paused player)",
    "POST /api/v1/app/terms": "records that the player accepted the terms",
    # Issue 22: reads; the standing's refusal for a player refused promotions.
    "GET /api/v1/app/referral": "reads referral statistics (none for a player refused them)",
    "GET /api/v1/app/me": "reads the player and balances",
    "GET /api/v1/app/balances": "reads balances",
    "GET /api/v1/app/games": "reads the games on offer",
    "GET /api/v1/app/games/{code:str}/rules": "reads a game's rules",
    "GET /api/v1/app/bets": "reads the player's bets",
    "GET /api/v1/app/history": "reads the wallet's history",
    "GET /api/v1/app/fairness": "reads the seed commitment",
    "GET /api/v1/app/bonus": "reads the player's bonuses (nothing for a player refused promotions)",
    "POST /api/v1/app/fairness/rotate": "rotates provably fair seeds",
    "GET /api/v1/app/limits": "reads responsible-gambling settings",
    "PUT /api/v1/app/limits/{kind:str}/{period:str}": "sets a limit",
    "DELETE /api/v1/app/limits/{kind:str}/{period:str}": "removes a limit",
    "POST /api/v1/app/limits/{kind:str}/{period:str}/confirm": "confirms a limit change",
    "POST /api/v1/app/timeout": "starts a time-out",
    "POST /api/v1/app/self-exclusion": "starts a self-exclusion",
    "PUT /api/v1/app/reality-check": "sets the reality check",
    "POST /api/v1/app/reality-check/ack": "acknowledges a reality check",
    "WS /api/v1/app/live": "the player's live events (reads)",
    # Issue 24: the Mini App's deposit screen, on the bot's use cases (CreateStarsInvoice,
    # DepositInCrypto): refused where the invoice is made. Its options and the prompt's
    # "No limit for now" move no money.
    "POST /api/v1/app/deposit/stars": (
        Case(DEPOSIT, deposit_app.mini_app_stars, deposit_app.mini_app_deposit_ready),
    ),
    "POST /api/v1/app/deposit/crypto": (
        Case(DEPOSIT, deposit_app.mini_app_crypto, deposit_app.mini_app_deposit_ready),
    ),
    "GET /api/v1/app/deposit": "reads what the deposit screen offers and whether the prompt is due",
    "POST /api/v1/app/deposit/no-limit": "answers the deposit-limit prompt",
    # Issue 22: a promo code's bonus is a promotion, refused to every protected player.
    "POST /api/v1/app/promo": (Case(PROMOTION, promo.mini_app_promo, promo.mini_app_promo_ready),),
    # Issue 23: the notification choices move no money.
    "GET /api/v1/app/notifications": "reads the player's notification choices",
    "PUT /api/v1/app/notifications": "turns a notification topic on or off",
    # Issue 22: playing a free bet is a bet the house stakes and a promotion (its winnings
    # become a bonus): the guard's bet check, then the promotion check, refuse the same
    # standings (docs/bonuses.md, "Free bets"). The list reads.
    "POST /api/v1/app/bonus/free-bets/{free_bet_id:uuid}/play": (
        Case(PROMOTION, free_bets.mini_app_free_bet, free_bets.mini_app_free_bet_ready),
    ),
    # Issue 24: launching an aggregator's game moves no money itself, but it opens a game
    # session whose every bet the wallet takes: refused, as a bet is, to whoever may not bet.
    "POST /api/v1/app/aggregator-games/{aggregator:str}/{game_code:str}/launch": (
        Case(BET, hub88.mini_app_launch, hub88.mini_app_launch_ready),
    ),
    "GET /api/v1/app/aggregator-games": "reads the aggregators' games on offer",
    "GET /api/v1/app/bonus/free-bets": (
        "reads the player's free bets (nothing for a player refused promotions)"
    ),
    # Issue 22: the bonus screen's buttons, as the bot's: a claim turns the bonus into cash
    # (a promotion); giving it up hands money back and is never refused.
    "POST /api/v1/app/bonus/{bonus_id:uuid}/claim": (
        Case(PROMOTION, bonus_app.mini_app_bonus_claim, bonus_app.mini_app_bonus_ready),
    ),
    "POST /api/v1/app/bonus/{bonus_id:uuid}/give-up": (
        Case(SETTLE, bonus_app.mini_app_bonus_give_up, bonus_app.mini_app_bonus_ready),
    ),
    # The admin API, as staff.
    "POST /api/v1/withdrawals/{withdrawal_id:uuid}/approve": (
        Case(PAY_OUT, c.withdrawal_approve, c.requested_withdrawal),
    ),
    "POST /api/v1/withdrawals/{withdrawal_id:uuid}/paid": (
        Case(PAY_OUT, c.withdrawal_paid, c.approved_withdrawal),
    ),
    # Rejecting, or recording a failed payout, returns held money: what a frozen withdrawal
    # of a blocked player waits for, so never refused.
    "POST /api/v1/withdrawals/{withdrawal_id:uuid}/reject": (
        Case(SETTLE, c.withdrawal_reject, c.requested_withdrawal),
    ),
    "POST /api/v1/withdrawals/{withdrawal_id:uuid}/failed": (
        Case(SETTLE, c.withdrawal_failed, c.approved_withdrawal),
    ),
    "GET /api/v1/withdrawals": _READ,
    "GET /api/v1/withdrawals/{withdrawal_id:uuid}": _READ,
    "POST /api/v1/adjustments": (Case(ADJUST, c.adjustment_create),),
    "POST /api/v1/adjustments/{request_id:uuid}/approve": (
        Case(ADJUST, c.adjustment_approve, c.pending_adjustment),
    ),
    "POST /api/v1/adjustments/{request_id:uuid}/reject": "closes a pending adjustment unposted",
    "GET /api/v1/adjustments": _READ,
    # Campaigns (issue 22): staff set them up; no player's money moves until a player redeems
    # or deposits (the promo doors above, the deposit doors) or staff grant to a list, where
    # each player is checked by the standing and a protected one is skipped, not refused
    # (tests/unit/test_campaigns_on_fakes.py, test_staff_grant_a_no_deposit_bonus_to_a_list).
    "POST /api/v1/campaigns": "staff admin: creates a campaign and its budget",
    "POST /api/v1/campaigns/{code:str}/approve": "staff admin: a campaign's four-eyes approval",
    "POST /api/v1/campaigns/{code:str}/pause": "staff admin: pauses a campaign",
    "POST /api/v1/campaigns/{code:str}/resume": "staff admin: resumes a campaign",
    "POST /api/v1/campaigns/{code:str}/end": "staff admin: ends a campaign",
    "POST /api/v1/campaigns/{code:str}/grants": "staff grants to a list: protected players skipped",
    "GET /api/v1/campaigns": _READ,
    "GET /api/v1/campaigns/{code:str}": _READ,
    # A refund takes back a deposit already made: money owed for what happened (SETTLE).
    "POST /api/v1/payments/stars/{charge_id:str}/refund": (
        Case(SETTLE, c.stars_refund, c.stars_payment),
    ),
    # Issue 24: Crypto Pay reports an invoice paid: the money was taken from the player at an
    # invoice made in good standing, so it is credited whatever the standing since (SETTLE).
    # Issue 24: a game aggregator's Hub88-style wallet, the seamless wallet's use cases.
    "POST /aggregators/{aggregator:str}/transaction/bet": (Case(BET, hub88.hub88_bet),),
    "POST /aggregators/{aggregator:str}/transaction/win": (
        Case(SETTLE, hub88.hub88_win, hub88.hub88_open_round),
    ),
    "POST /aggregators/{aggregator:str}/transaction/rollback": (
        Case(SETTLE, hub88.hub88_rollback, hub88.hub88_open_round),
    ),
    "POST /aggregators/{aggregator:str}/user/info": "reads the player for an aggregator's game",
    "POST /aggregators/{aggregator:str}/user/balance": "reads a balance for an aggregator's game",
    "POST /crypto-pay/webhook/{secret:str}": (
        Case(SETTLE, crypto.http_crypto_webhook, crypto.crypto_invoice),
    ),
    "GET /api/v1/payments/stars": _READ,
    "GET /api/v1/payments/stars/{charge_id:str}": _READ,
    "GET /api/v1/players": _READ,
    "GET /api/v1/players/{player_id:int}": _READ,
    "GET /api/v1/players/{player_id:int}/notes": _READ,
    "GET /api/v1/players/{player_id:int}/responsible-gambling": _READ,
    "POST /api/v1/players/{player_id:int}/block": "staff admin: changes the standing",
    "POST /api/v1/players/{player_id:int}/unblock": "staff admin: changes the standing",
    "POST /api/v1/players/{player_id:int}/notes": "staff admin: a note",
    "PUT /api/v1/players/{player_id:int}/kyc": "staff admin: the KYC status",
    "GET /api/v1/ledger/transactions": _READ,
    "GET /api/v1/ledger/transactions/{transaction_id:uuid}": _READ,
    "GET /api/v1/bets": _READ,
    "GET /api/v1/bets/{bet_id:uuid}": _READ,
    "GET /api/v1/reports/cashflow": _READ,
    "GET /api/v1/reports/bankroll": "reads the accounts' totals and Crypto Pay's getBalance",
    "GET /api/v1/reports/ggr": _READ,
    "GET /api/v1/reports/outcomes": _READ,
    "GET /api/v1/reports/rtp": _READ,
    "GET /api/v1/reports/promotions": _READ,
    "GET /api/v1/reports/budgets": _READ,
    "GET /api/v1/promotion-budgets": _READ,
    # Budget raises (docs/bonuses.md#raising-a-budget): a budget bounds grants; raising it
    # moves no player's money (each grant still passes the standing), under four eyes.
    "POST /api/v1/promotion-budgets/{code:str}/raises": "staff admin: raises a budget's total",
    "POST /api/v1/promotion-budgets/raises/{raise_id:uuid}/approve": (
        "staff admin: a budget raise's four-eyes approval"
    ),
    "POST /api/v1/promotion-budgets/raises/{raise_id:uuid}/reject": (
        "staff admin: closes a budget raise unapplied"
    ),
    "GET /api/v1/promotion-budgets/raises": _READ,
    "GET /api/v1/risk/flags": _READ,
    "GET /api/v1/risk/flags/{flag_id:int}": _READ,
    "POST /api/v1/risk/flags/{flag_id:int}/resolve": "staff admin: closes a risk flag",
    "POST /api/v1/risk/flags/{flag_id:int}/dismiss": "staff admin: closes a risk flag",
    "GET /api/v1/games": _READ,
    "GET /api/v1/aggregator-games": _READ,
    "POST /api/v1/aggregator-games/{aggregator:str}/refresh": (
        "settings: refreshes the aggregators' game catalogue"
    ),
    "PATCH /api/v1/aggregator-games/{aggregator:str}/{game_code:str}": (
        "settings: switches an aggregator's game on or off"
    ),
    "PATCH /api/v1/games/{code:str}": "settings: a game's configuration",
    "GET /api/v1/audit": _READ,
    "POST /api/v1/auth/login": "staff sign-in",
    "POST /api/v1/auth/totp": "staff sign-in: a second factor",
    "POST /api/v1/auth/keys": "staff admin: an API key",
    "POST /api/v1/auth/totp/confirm": "staff sign-in: confirming a second factor",
    "POST /api/v1/auth/password": "staff sign-in: a new password",
    "GET /api/v1/auth/keys": _READ,
    "DELETE /api/v1/auth/keys/{key_id:str}": "staff admin: revoking an API key",
    "POST /api/v1/staff/{username:str}/disable": "staff admin: disabling an account",
    "POST /api/v1/staff/{username:str}/enable": "staff admin: re-enabling an account",
    "GET /api/v1/auth/me": _READ,
    "WS /api/v1/staff/live": "the staff's live feed (reads)",
    # Telegram's updates go to the bot's Dispatcher: its handlers are the bot doors below.
    "POST /telegram/webhook": "transport for the bot's doors",
    "GET /app": "the Mini App's page",
    "GET /app/index.html": "the Mini App's page (with Telegram's script tag)",
    "GET /app/{file_path:path}": "the Mini App's static files",
    "HEAD /app/{file_path:path}": "the Mini App's static files",
    "GET /health/live": "a probe",
    "GET /health/ready": "a probe",
    "GET /metrics": "Prometheus metrics",
    "GET /schema": "the OpenAPI document",
    "GET /schema/swagger": "the OpenAPI document",
    "GET /schema/openapi.json": "the OpenAPI document",
    "GET /schema/oauth2-redirect.html": "the OpenAPI document",
    "GET /schema/{path:str}": "the OpenAPI document",
    # Issue 20: the docs page's scripts and styles, from the package (it works offline).
    "GET /schema/assets/{file_path:path}": "the OpenAPI page's static files",
    "HEAD /schema/assets/{file_path:path}": "the OpenAPI page's static files",
}

_MENU = "shows a menu"
BOT: dict[str, Door] = {
    # Issue 23: a duel's stake is a bet, at the challenge and at the accept; a decline returns
    # the challenger's stake (owed whatever the standing); the bot's arrival in a group moves
    # nothing, nor does a group's command for another bot.
    "duels.challenge": (Case(BET, duels.bot_duel_challenge, duels.opponent_in_a_group),),
    "duels.accept": (Case(BET, duels.bot_duel_accept, duels.challenged_by_other),),
    "duels.decline": (Case(SETTLE, duels.bot_duel_decline, duels.challenged_by_other),),
    "duels.not_for_this_bot": "answers a group's command for another bot with nothing",
    "duels.old_duel_tap": "answers a tap on a duel button of an old format with nothing",
    # A lobby's seat is a bet (opening, Join); the Start plays the stakes held (every seated
    # player's standing); a Leave returns the leaver's stake (owed whatever the standing).
    "duel_lobbies.open_lobby": (Case(BET, duels.bot_lobby_open, duels.opponent_in_a_group),),
    "duel_lobbies.tap": (
        Case(BET, duels.bot_lobby_join, duels.lobby_by_other, label="join"),
        Case(SETTLE, duels.bot_lobby_leave, duels.lobby_joined, label="leave"),
        Case(BET, duels.bot_lobby_start, duels.lobby_of_subject, label="start"),
    ),
    "groups.added_to_group": "stays in a group an admin added it to, or leaves; records the group",
    "groups.group_stats": "reads a group's settled duels (ReportGroupDuels); the owner's share "
    "it shows was paid by the settlement, on the duels.accept road",
    "games.place_bet": (Case(BET, c.bot_place_bet),),
    "games.list_games": "reads the standing: a paused player sees why, not the games",
    "games.pick_stake": "reads the stake range (the game's limits, the balance)",
    "games.step_stake": "reads the stake range (the game's limits, the balance)",
    "games.ask_stake": "reads the stake range (the game's limits, the balance)",
    "games.typed_stake": "reads the stake range (the game's limits, the balance)",
    "games.check_stake": "reads the stake range (the game's limits, the balance)",
    "games.pick_option": _MENU,
    # Issue 21: opening places the game's bet; a tile or a cash-out plays out a bet placed.
    "mines.open_mines": (Case(BET, games.bot_open_mines),),
    "mines.reveal_tile": (Case(PLAY_ON, games.bot_reveal_tile, games.bot_mines_game),),
    "mines.cash_out_mines": (
        Case(SETTLE, games.bot_cash_out_mines, games.bot_mines_with_a_safe_tile),
    ),
    "mines.void_mines": (Case(SETTLE, mines_void.bot_void_mines, mines_void.bot_mines_game),),
    "mines.pick_mine_count": _MENU,
    # A crash bet joins the round taking bets; a cash-out pays a bet placed; the status reads.
    "crash.place_crash_bet": (Case(BET, games.bot_crash_bet, games.crash_betting_round),),
    "crash.cash_out_crash": (Case(SETTLE, games.bot_crash_cash_out, games.crash_bet_riding),),
    "crash.crash_status": "reads a crash round and the player's bet on it",
    "crash.pick_target": _MENU,
    # The invoice is where a deposit is refused before Telegram shows a payment form; the
    # checkout is the last point it can be (the Stars are not taken yet).
    "payments.send_invoice": (Case(DEPOSIT, c.bot_send_invoice, c.deposit_prompt_answered),),
    "payments.pre_checkout": (Case(DEPOSIT, c.bot_pre_checkout, c.stars_invoice),),
    # Telegram has taken the Stars: crediting them is owed whatever the standing is now.
    "payments.successful_payment": (Case(SETTLE, c.bot_successful_payment, c.stars_invoice),),
    "payments.choose_amount": "reads the standing: a paused player sees why, not the amounts",
    # Issue 24: the amount tap creates the Crypto Pay invoice, where a crypto deposit is
    # refused (the same guard as Stars); the asset tap only reads the standing. The prompt at
    # the first deposit is answered first, as for Stars (issue 23).
    "crypto_deposit.create_invoice": (
        Case(DEPOSIT, crypto.bot_crypto_invoice, crypto.crypto_prompt_answered),
    ),
    "crypto_deposit.choose_asset": "reads the standing (and the prompt): a paused player sees why",
    "crypto_deposit.ask_amount": "asks for a typed amount (or shows the prompt); the typed amount"
    " is the money door",
    "crypto_deposit.typed_amount": (
        Case(DEPOSIT, crypto.bot_crypto_typed, crypto.crypto_amount_asked),
    ),
    "withdrawals.withdraw": (Case(WITHDRAW, c.bot_withdraw),),
    "withdrawals.how_to_withdraw": _MENU,
    # Issue 25: withdrawals by buttons. Confirm requests the drafted withdrawal; the cancel
    # returns held money (what a frozen withdrawal of a blocked player may always get back).
    "withdrawals.confirm_withdrawal": (
        Case(WITHDRAW, wd.bot_withdrawal_confirm, wd.bot_withdrawal_draft),
    ),
    "withdrawals_pending.cancel_withdrawal": (
        Case(SETTLE, wd.bot_withdrawal_cancel, c.requested_withdrawal),
    ),
    "withdrawals.pick_currency": _MENU,
    "withdrawals.pick_amount": "a draft in the conversation: nothing requested yet",
    "withdrawals.typed_amount": "a draft in the conversation: nothing requested yet",
    "withdrawals.typed_destination": "a draft in the conversation: nothing requested yet",
    "withdrawals.drop_withdrawal": "forgets a draft: nothing was requested",
    "withdrawals_pending.pending_withdrawals": "reads the player's pending withdrawals",
    "withdrawals_pending.ask_cancel": "asks to confirm a cancel",
    # Issue 22: with a bonus active, the extra step that requests the draft giving it up.
    "withdrawals.confirm_withdrawal_forfeit": (
        Case(WITHDRAW, bonus.bot_withdrawal_forfeit, bonus.bonus_and_withdrawal_draft),
    ),
    # Issue 22: the player's bonus. A claim turns it into cash (a promotion); giving it up
    # hands promotion money back, never refused (as a cancel returns held money).
    "bonus.claim": (Case(Operation.PROMOTION, bonus.bot_bonus_claim, bonus.granted_bonus),),
    "bonus.give_up_sure": (Case(SETTLE, bonus.bot_bonus_give_up, bonus.granted_bonus),),
    "bonus.give_up": "asks to confirm a give-up",
    "bonus.bonus_menu": "reads the player's bonuses (nothing for a player refused promotions)",
    # Issue 22: a free bet's play (a bet the house stakes, its winnings a bonus).
    "free_bets.play": (Case(PROMOTION, free_bets.bot_free_bet, free_bets.granted_free_bet),),
    "bonus.bonus_command": "reads the player's bonuses (nothing for a player refused promotions)",
    "start.start": _MENU,
    "start.help_command": _MENU,
    "start.accept_gate": "records that the player accepted the terms",
    "start.main_menu": _MENU,
    "start.choose_language": _MENU,
    "start.set_language": "a setting: the language",
    "start.help_button": _MENU,
    "start.balance_button": "reads balances",
    "fairness.show": "reads the seed commitment",
    "fairness.show_command": "reads the seed commitment",
    "fairness.rotate": "rotates provably fair seeds",
    "fairness.client_seed": "sets the client seed",
    "history.first_page": "reads the history",
    "history.next_page": "reads the history",
    "history.bets_page": "reads the bets",
    # Issue 22: rakeback and the daily play-money bonus are promotions; the VIP screen itself
    # is refused to a player the standing refuses PROMOTION (they hear nothing about them).
    "vip.claim_rakeback": (Case(PROMOTION, vip.bot_claim_rakeback, vip.played_a_bet),),
    "vip.daily_bonus": (Case(PROMOTION, vip.bot_daily_bonus),),
    "vip.vip_command": "reads the VIP status (refused, as a promotion, to a paused player)",
    "vip.vip_button": "reads the VIP status (refused, as a promotion, to a paused player)",
    # Issue 23: the notification choices move no money.
    "notifications.notifications_command": "reads the player's notification choices",
    "notifications.notifications_button": "reads the player's notification choices",
    "notifications.turn_topic": "turns a notification topic on or off",
    "responsible.limits_command": "reads responsible-gambling settings",
    "responsible.limits_button": "reads responsible-gambling settings",
    "responsible.choose_period": _MENU,
    "responsible.choose_amount": _MENU,
    "responsible.set_limit": "sets a limit",
    "responsible.remove_limit": "removes a limit",
    "responsible.confirm_limit": "confirms a limit change",
    "responsible.choose_timeout": _MENU,
    "responsible.ask_timeout": _MENU,
    "responsible.start_timeout": "starts a time-out",
    "responsible.choose_exclusion": _MENU,
    "responsible.ask_exclusion": _MENU,
    "responsible.self_exclude": "starts a self-exclusion",
    "responsible.choose_reality_check": _MENU,
    "responsible.set_reality_check": "sets the reality check",
    "responsible.acknowledge": "acknowledges a reality check",
    # Issue 23: a limit typed as free text (the same SetLimit as the buttons), a game's rules.
    "limit_typing.ask_limit": _MENU,
    "limit_typing.cancel_typing": _MENU,
    "limit_typing.typed_limit": "sets a limit",
    # Issue 23, the prompt at the first deposit: remembers "No limit for now", moves no money.
    "deposit_prompt.no_limit_for_now": "answers the deposit-limit prompt",
    "rules.rules_button": "reads a game's rules",
    "rules.rules_command": "reads a game's rules",
    # Issue 22: a promo code, typed with the command or after it; the button only asks.
    "promo.promo_command": (Case(PROMOTION, promo.bot_promo, promo.promo_campaign),),
    "promo.typed_code": (Case(PROMOTION, promo.bot_promo_typed, promo.promo_asked),),
    "promo.promo_tapped": "asks for the code (the standing's refusal to a protected player)",
    # Issue 22: the referral screen reads; a player the standing refuses a promotion is
    # answered as if the command were unknown (test_bot_referral.py).
    "referral.referral": "reads referral statistics (none for a player refused promotions)",
    "support.paysupport": "a text",
    "support.privacy": "a text",
    "support.terms": "a text",
    "support.players_dice": "answers a dice the player threw themselves",
    "errors.polite_errors": "answers errors",
    # Issue 25: a tap on an old keyboard, data no handler takes, input nobody handles.
    "freshness.menu_instead": "refuses a tap on an old keyboard: a toast and the menu",
    "fallback.menu_instead": "answers a tap no handler takes: a toast and the menu",
    "fallback.not_understood": _MENU,
}

_OPS = "operations: no player's money"
CLI: dict[str, Door] = {
    # The house's own money (the owner's capital into the bankroll): no player, no standing.
    "bankroll fund": "moves house money only",
    "bankroll show": "reads balances (the accounts' totals and Crypto Pay's getBalance)",
    "run": _OPS,
    "relay": _OPS,
    "db upgrade": _OPS,
    "db downgrade": _OPS,
    "db grant": _OPS,
    "db current": _OPS,
    "crash chain new": "commits crash's hash chain (no player, no money)",
    "crash chain salt": "fixes the crash chain's public salt (no player, no money)",
    "currency list": _OPS,
    "currency add": _OPS,
    "verify": "verifies a provably fair result",
    "apikey create": _OPS,
    "apikey revoke": _OPS,
    "apikey list": _OPS,
    "admin create": _OPS,
    "reconcile": "reads the books",
    "outbox prune": "deletes published events; no money moves",
    "pii status": _OPS,
    "pii rotate": _OPS,
    # Issue 22: the referral job pays referrers, not the caller: each referrer's standing is
    # checked per commission (PROMOTION: withheld, never an error of the command), in
    # tests/unit/test_referrals_on_fakes.py (every refused standing) and on PostgreSQL.
    "referrals pay": "pays referral commissions, each through pay_promotion's standing check",
    "referrals budget": "sets the referral programme's budget (no player's money)",
    # Issue 24: credits invoices Crypto Pay reports paid on the webhook's own road (SETTLE,
    # never refused: the money was paid), and marks expired ones; no player asks it.
    "aggregator session": "issues a game session token; moves no money",
    "aggregator forget-answers": "deletes answers kept by request_uuid; no money moves",
    "aggregator games refresh": "settings: refreshes the aggregators' game catalogue",
    "aggregator games list": "reads the aggregators' game catalogue",
    "aggregator games enable": "settings: switches an aggregator's game on",
    "aggregator games disable": "settings: switches an aggregator's game off",
    "crypto-pay poll": "credits paid Crypto Pay invoices on the webhook's road (SETTLE)",
    "crypto-pay balance": "reads balances (the books' crypto_pay_held and Crypto Pay's getBalance)",
    "risk scan": "raises risk flags",
    "risk monitor": "raises risk flags",
    # Issue 22: the bonus jobs. Expiry gives promotion money back to the house; the sweep
    # converts through ConvertBonus, which asks each player's standing for PROMOTION.
    "bonuses expire": (
        "returns expired bonuses to the promotions account, marks unplayed free bets expired"
    ),
    "bonuses sweep": "converts met bonuses through ConvertBonus, which checks each standing",
    "health http": "a probe",
    "health grpc": "a probe",
    "health heartbeat": "a probe",
    "servers stop": _OPS,
    "secrets generate": "writes a file of fresh keys; touches no database",
    # Issue 20: development only (refused in production); it deposits only into the demo
    # players it registers itself, with the terms accepted, through CreditDeposit and its guard.
    "dev seed": "funds its own demo players, development only",
}

TABLES = {"grpc": GRPC, "http": HTTP, "bot": BOT, "cli": CLI}


def _cells() -> list[object]:
    cells = []
    for kind, table in TABLES.items():
        for door, entry in table.items():
            if isinstance(entry, str):
                continue
            for case in entry:
                for standing in Standing:
                    name = f"{kind}:{door}{f'[{case.label}]' if case.label else ''}"
                    cells.append(pytest.param(door, case, standing, id=f"{name}-{standing.value}"))
    return cells


# -- the world the cells share -----------------------------------------------------------------


class _FakeTelegramRefunds(Provider):
    """Stars refunds through the fake Bot API: the app has a bot token (the Mini App checks
    initData with it), and no test may reach Telegram."""

    @provide(scope=Scope.APP, override=True)
    def refunds(self) -> StarsRefunds:
        return TelegramStarsRefunds(Bot(BOT_TOKEN, session=FakeTelegram()))


@pytest.fixture(scope="module")
async def runtime(servers, tmp_path_factory):
    """The bot with Crypto Pay on (its deposit door is in the matrix), the provider a fake."""
    container, runtime = await bot_runtime(
        servers,
        tmp_path_factory.mktemp("matrix-bot"),
        crypto.FakeCryptoPay(),
        **crypto.CRYPTO_SETTINGS,
    )
    yield runtime
    await container.close()


@pytest.fixture(scope="module")
async def world(servers, engine, grpc_server, issue_key, tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrix")
    settings = Settings(
        bot_token=BOT_TOKEN,
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=folder,
        four_eyes_thresholds={"XTR": MATRIX_FOUR_EYES_XTR},
        **crypto.CRYPTO_SETTINGS,
        **hub88.aggregator_settings(folder),
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    # The use cases the cells call directly run on this loop; the app (on the test client's
    # loop) gets a container of its own.
    container = make_http_container(
        settings, endpoints, crypto.FakeCryptoPay(), hub88.FakeOperatorApi()
    )
    app_container = make_http_container(
        settings,
        endpoints,
        _FakeTelegramRefunds(),
        crypto.FakeCryptoPay(),
        hub88.FakeOperatorApi(),
    )
    # The Mini App's Stars deposit asks the bot for a payment link: a Bot API that never
    # touches the network.
    app_runtime = await app_container.get(TelegramRuntime)
    assert app_runtime.bot is not None
    app_runtime.bot.session = FakeTelegram()
    app = create_app(app_container)
    key = await issue_key(
        "wallet", "betting", "dice", "seamless", name=f"matrix-{secrets.token_hex(4)}"
    )
    await issue_key("seamless", name=hub88.NAME)  # the aggregator's service key
    async with (
        AsyncTestClient(app=app) as client,
        grpc.aio.insecure_channel(grpc_server.address) as channel,
    ):
        world = World(engine, container, channel, key, client, {}, BOT_TOKEN)
        await world.use(
            FundBankroll,
            FundBankrollCommand(Money(10**9, XTR), "tests", f"matrix-{uuid.uuid4()}"),
        )
        world.finance = await _finance_user(world)
        yield world
        # The crash rounds the cells opened (taking bets for an hour, or riding): finished, so
        # the next test that drives rounds finds none of them (tests/crash_cleanup.py).
        await finish_every_round(
            await container.get(UnitOfWorkFactory), await container.get(SettleCrashedRound)
        )
    await container.close()


async def _finance_user(world: World) -> dict[str, str]:
    name, password = f"matrix-{secrets.token_hex(4)}", "correct horse battery staple"
    await world.use(CreateStaff, name, password, Role.FINANCE, Actor("tests"))
    login = await world.http.post(
        "/api/v1/auth/login", json={"username": name, "password": password}
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


# -- every door is in the matrix ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(TABLES))
async def test_every_door_is_in_the_matrix(kind, world, runtime):
    found = {
        "grpc": grpc_doors,
        "http": lambda: http_doors(world.http.app),
        "bot": lambda: bot_doors(runtime.dispatcher),
        "cli": lambda: cli_doors(cli),
    }[kind]()
    table = TABLES[kind]
    missing = sorted(found - table.keys())
    assert not missing, (
        f"add it to the matrix (tests/entrypoints/test_door_rule_matrix.py, {kind.upper()}): "
        f"{missing}: a money door with its operation and a case, or why it moves no money"
    )
    gone = sorted(table.keys() - found)
    assert not gone, f"these {kind} doors no longer exist; take them out of the matrix: {gone}"


# -- the matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(("door", "case", "standing"), _cells())
async def test_a_money_door_answers_each_standing_as_the_policy_says(
    world, send, telegram, door, case, standing
):
    # What a case prepares needs the terms accepted; the standing then drops them again.
    accept = standing is not Standing.TERMS_NOT_ACCEPTED or case.prepare is not None
    subject = await world.new_subject(accept_terms=accept)
    cell = Cell(world, subject, send, telegram)
    if case.prepare is not None:
        cell.prepared = await case.prepare(cell)
    await world.put_in(subject, standing)
    expected = case.refusal(subject)
    before = await world.snapshot(subject.player_id)

    answer = await case.call(cell)

    if expected is None:
        assert answer.ok, (
            f"{door}: a player {standing.value} may {case.operation.label}, "
            f"but the door answered {answer.raw}"
        )
        return
    assert not answer.ok, f"{door}: should refuse ({expected.code}), but did it: {answer.raw}"
    assert_refused(door, answer, expected, subject)
    assert await world.snapshot(subject.player_id) == before, f"{door}: the refusal wrote"


# -- what already holds: the harness on an unknown player --------------------------------------


def _player_named_cases() -> list[object]:
    return [
        pytest.param(door, case, id=f"{door}{f'[{case.label}]' if case.label else ''}")
        for door, entry in GRPC.items()
        if not isinstance(entry, str)
        for case in entry
        if case.prepare is None
    ]


@pytest.mark.parametrize(("door", "case"), _player_named_cases())
async def test_a_grpc_money_door_does_not_know_an_unknown_player(world, send, telegram, door, case):
    nobody = Subject(10**15, TelegramUser())
    before = await world.snapshot(nobody.player_id)
    answer = await case.call(Cell(world, nobody, send, telegram))
    assert (answer.ok, answer.status, answer.code) == (False, "NOT_FOUND", "not_found"), answer
    assert await world.snapshot(nobody.player_id) == before


# -- the docs' table --------------------------------------------------------------------------


def test_the_standing_table_reads_back_as_rendered():
    markdown = f"# Croupier\n\n## {STANDING_SECTION}\n\nIntro.\n\n{standing_table()}\n\n## Next\n"
    assert markdown_section_table(markdown, STANDING_SECTION) == standing_rows()
    assert standing_rows()[1] == [Operation.BET.label, "yes", "no", "no", "no"]


def test_the_docs_show_what_each_standing_allows():
    doc = (ROOT / STANDING_DOC).read_text(encoding="utf-8")
    found = markdown_section_table(doc, STANDING_SECTION)
    advice = (
        f"{STANDING_DOC}'s table must be, under a heading {STANDING_SECTION!r}:"
        f"\n\n{standing_table()}"
    )
    assert found is not None, f"{STANDING_DOC} has no section {STANDING_SECTION!r}; {advice}"
    assert found == standing_rows(), advice
