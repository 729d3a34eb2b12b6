"""Provably fair: the current commitment, choosing a client seed, rotating to reveal."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.seeds import GetSeedPair, RotateSeedPair
from domain.errors import DomainError
from domain.fairness import MAX_CLIENT_SEED_LENGTH
from domain.players import Player
from domain.seeds import SeedCommitment
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.refusals import refusal_text
from entrypoints.bot.routing import Handlers

handlers = Handlers("fairness")


def _commitment_text(t: Translator, commitment: SeedCommitment) -> str:
    return t(
        "fairness.show",
        hash=commitment.server_seed_hash,
        client=commitment.client_seed,
        nonce=commitment.next_nonce,
    )


def _keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t("fairness.rotate"),
                                  callback_data=Menu(action="rotate").pack())],
            [InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="main").pack())],
        ]
    )  # fmt: skip


@handlers.callback_query(Menu.filter(F.action == "fairness"))
@inject
async def show(
    query: CallbackQuery, player: Player, t: Translator, get_pair: FromDishka[GetSeedPair]
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        commitment = await get_pair(player.id)
        how = t("fairness.set_client", max=MAX_CLIENT_SEED_LENGTH)
        await query.message.answer(
            _commitment_text(t, commitment) + "\n" + how,
            reply_markup=_keyboard(t),
        )


@handlers.message(Command("fairness"))
@inject
async def show_command(
    message: Message, player: Player, t: Translator, get_pair: FromDishka[GetSeedPair]
) -> None:
    commitment = await get_pair(player.id)
    await message.answer(_commitment_text(t, commitment), reply_markup=_keyboard(t))


@handlers.callback_query(Menu.filter(F.action == "rotate"))
@inject
async def rotate(
    query: CallbackQuery, player: Player, t: Translator, rotate: FromDishka[RotateSeedPair]
) -> None:
    await query.answer()
    rotation = await rotate(player.id)
    if isinstance(query.message, Message):
        await query.message.answer(
            t(
                "fairness.rotated",
                seed=rotation.revealed.server_seed if rotation.revealed else "—",
                hash=rotation.active.server_seed_hash,
                client=rotation.active.client_seed,
            )
        )


@handlers.message(Command("clientseed"))
@inject
async def client_seed(
    message: Message,
    command: CommandObject,
    player: Player,
    t: Translator,
    rotate: FromDishka[RotateSeedPair],
) -> None:
    if not command.args:
        await message.answer(t("fairness.set_client", max=MAX_CLIENT_SEED_LENGTH))
        return
    try:
        # The domain's rule (domain.fairness.validate_client_seed): any alphabet or emoji,
        # bounded, nothing invisible; the same at every door that sets one.
        rotation = await rotate(player.id, command.args.strip())
    except DomainError as error:
        await message.answer(refusal_text(t, error))
        return
    await message.answer(
        t(
            "fairness.rotated",
            seed=rotation.revealed.server_seed if rotation.revealed else "—",
            hash=rotation.active.server_seed_hash,
            client=rotation.active.client_seed,
        )
    )
