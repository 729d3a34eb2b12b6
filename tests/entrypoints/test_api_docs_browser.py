"""The API docs page works offline (issue 20): /schema and /schema/swagger load Swagger UI from
the package (/schema/assets/), never from a CDN, and list the operations. Headless Chromium
(Debian's, as in test_miniapp_browser.py) with every request off this machine refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.entrypoints.test_miniapp_browser import WAIT_MS, browser, live_server

__all__ = ["browser", "live_server"]  # fixtures

pytestmark = [pytest.mark.integration]


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
async def test_the_api_docs_page_lists_the_operations_offline(live_server, browser, path, tmp_path):
    from playwright.async_api import Route, expect

    local = urlsplit(live_server.url).netloc
    outside: list[str] = []

    async def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).netloc == local:
            await route.continue_()
        else:  # as offline: nothing off this machine answers
            outside.append(route.request.url)
            await route.abort()

    page = await browser.new_page()
    try:
        await page.route("**/*", only_this_machine)
        await page.goto(live_server.url + path)
        operations = page.locator(".opblock")
        await expect(operations.first).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator(".info .title")).to_contain_text("Croupier admin API")
        await expect(
            page.locator(
                ".opblock-summary-path[data-path='/api/v1/adjustments/{request_id}/approve']"
            )
        ).to_be_visible()
        count = await operations.count()
        # What the browser saw, kept with the test's files (pytest's basetemp).
        await page.screenshot(path=tmp_path / "api-docs.png", full_page=False)
    finally:
        await page.close()
    assert outside == []
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        schema = (await api.get("/schema/openapi.json")).json()
        # Every operation of the document is on the page (a tag's section shows them all).
        listed = sum(len(methods) for methods in schema["paths"].values())
        styles = await api.get("/schema/assets/swagger-ui.css")
    assert count == listed
    assert styles.status_code == 200
    assert styles.headers["content-type"].startswith("text/css")
