"""The OpenAPI document's interactive page, whole from the package.

Swagger UI's scripts, stylesheet and icon come from the `swagger-ui-bundle-v2` wheel and are
served at /schema/assets/, so /schema and /schema/swagger work without reaching the internet
(Litestar's default loads them from a public CDN, and the page stayed blank offline). Neither
the page nor its assets are served in production (entrypoints.http.app)."""

from __future__ import annotations

from pathlib import Path

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from entrypoints.http.auth import SECURITY_COMPONENTS

SCHEMA = "/schema"
ASSETS = f"{SCHEMA}/assets"
ASSETS_DIR = Path(str(swagger_ui_path))

OPENAPI = OpenAPIConfig(
    title="Croupier admin API",
    version="1.0.0",
    path=SCHEMA,
    components=SECURITY_COMPONENTS,
    # /schema (and /schema/swagger, its older address) is the interactive page;
    # /schema/openapi.json the document.
    render_plugins=[
        SwaggerRenderPlugin(
            path=["/", "/swagger"],
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
        )
    ],
)


def assets_router() -> Router:
    """The page's scripts, stylesheet and icons, out of the OpenAPI document."""
    return create_static_files_router(
        path=ASSETS, directories=[ASSETS_DIR], name="api-docs-assets", include_in_schema=False
    )
