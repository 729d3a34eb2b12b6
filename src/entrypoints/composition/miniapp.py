"""The Mini App's sessions: opened from Telegram's initData, read on every call."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide

from application.miniapp import GetMe, MiniAppConfig, OpenMiniAppSession, ReadPlayerSession
from entrypoints.settings import Settings


class MiniAppProvider(Provider):
    """The session check (one per process) and the session use cases (one per request)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def config(self, settings: Settings) -> MiniAppConfig:
        return MiniAppConfig(settings.bot_token, timedelta(seconds=settings.miniapp_max_age_s))

    read_player_session = provide(ReadPlayerSession, scope=Scope.APP)
    open_mini_app_session = provide(OpenMiniAppSession)
    get_me = provide(GetMe)
