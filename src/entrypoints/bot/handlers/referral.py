"""/referral: the player's referral link, how many friends it brought and what it earned
(docs/bonuses.md, "Referrals"). A player the standing refuses a promotion (blocked,
unconfirmed, timed out, self-excluded) hears nothing about referrals: the command is answered
as one the bot does not know."""

from __future__ import annotations

from decimal import Decimal

from aiogram.filters import Command
from aiogram.types import Message
from dishka.integrations.aiogram import FromDishka, inject

from application.balances import GetBalances
from application.ports import Clock
from application.referrals import GetReferralStats, ReferralStats
from domain.money import Money
from domain.players import Player
from domain.referrals import BASIS_POINTS, CommissionBasis, referral_link
from domain.responsible import ResponsibleGamblingRefusal
from domain.standing import PlayerStanding, StandingRefusal
from entrypoints.bot.handlers.start import home
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers

handlers = Handlers("referral")


@handlers.message(Command("referral"))
@inject
async def referral(
    message: Message,
    player: Player,
    standing: PlayerStanding,
    t: Translator,
    stats: FromDishka[GetReferralStats],
    balances: FromDishka[GetBalances],
    clock: FromDishka[Clock],
) -> None:
    try:
        found = await stats(player.id)
    except (StandingRefusal, ResponsibleGamblingRefusal):
        await message.answer(t("nav.not_understood"))
        await home(message, standing, t, await balances(player.id), clock.now())
        return
    bot = message.bot
    username = (await bot.me()).username if bot is not None else None
    await message.answer(referral_text(t, found, username), disable_web_page_preview=True)


def referral_text(t: Translator, stats: ReferralStats, bot_username: str | None) -> str:
    policy = stats.policy
    period = t(f"referral.period_{policy.period.value}")
    # 1000 basis points read "10", 1250 read "12.5".
    share = format((Decimal(policy.share_bps) * 100 / BASIS_POINTS).normalize(), "f")
    rule_key = "rule_ngr" if policy.basis is CommissionBasis.NGR else "rule_deposits"
    lines = [t("referral.title"), ""]
    if bot_username:
        lines.append(t("referral.link", link=referral_link(bot_username, stats.code)))
    else:  # no username known: the code a friend sends as /start ref_<code>
        lines.append(t("referral.link", link=f"/start ref_{stats.code}"))
    if stats.caps:
        rule = t(f"referral.{rule_key}", share=share)
        lines.append(t("referral.how", rule=rule, period=period, caps=_amounts(t, stats.caps)))
    else:
        lines.append(t("referral.no_currency"))
    lines += [
        "",
        t("referral.invited", count=stats.referred),
        t("referral.this_period", period=period, amount=_amounts(t, stats.this_period)),
        t("referral.paid_total", amount=_amounts(t, stats.paid_total)),
    ]
    return "\n".join(lines)


def _amounts(t: Translator, amounts: tuple[Money, ...]) -> str:
    return ", ".join(t.money(a) for a in amounts) if amounts else t("referral.nothing")
