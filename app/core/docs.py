"""`/docs` (Swagger UI) and `/redoc` served with their assets from Engage itself, so they work
on a machine without internet access. The assets come from the `fastapi-offline` package."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def install(app: FastAPI, openapi_url: str) -> None:
    directory = str(files("fastapi_offline") / "static")
    app.mount(ASSETS, StaticFiles(directory=directory), name="docs-assets")

    # Both pages are static: rendered once, here.
    title = f"{app.title} API"
    swagger_ui = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )
    redoc = get_redoc_html(
        openapi_url=openapi_url,
        title=title,
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )
    for path, html in (("/docs", swagger_ui), ("/redoc", redoc)):
        app.add_api_route(path, _serve(html), methods=["GET"], include_in_schema=False)


def _serve(html: HTMLResponse) -> Callable[[], Awaitable[HTMLResponse]]:
    body = bytes(html.body)

    async def serve() -> HTMLResponse:
        return HTMLResponse(body)

    return serve
