"""The accent colour as a stylesheet and the logo file of ``site:`` (both same-origin, so the
pages' CSP stays ``style-src 'self'; img-src 'self'``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from dsr.domain.errors import NotFound
from dsr.site import LOGO_TYPES


@get("/site.css", include_in_schema=False)
async def site_stylesheet(request: Request[Any, Any, Any]) -> Response[str]:
    return Response(
        request.app.state.config.site.stylesheet,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300"},
    )


@get("/site/logo", include_in_schema=False)
async def site_logo(request: Request[Any, Any, Any]) -> Response[bytes]:
    path = request.app.state.config.site.logo_file
    if path is None or not path.is_file():
        raise NotFound()
    return Response(
        path.read_bytes(),
        media_type=LOGO_TYPES[path.suffix.lower()],
        headers={"Cache-Control": "public, max-age=300"},
    )
