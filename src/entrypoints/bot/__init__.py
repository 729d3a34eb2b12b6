"""The players' Telegram bot (aiogram 3)."""
