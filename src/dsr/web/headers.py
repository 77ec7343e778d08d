"""Security headers on every response."""

from __future__ import annotations

from litestar.datastructures import ResponseHeader

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def content_security_policy(image_origin: str | None = None) -> str:
    """The policy, allowing images also from ``image_origin`` (a logo served elsewhere)."""
    if image_origin is None:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:;", f"img-src 'self' data: {image_origin};"
    )


def security_headers(https: bool, image_origin: str | None = None) -> list[ResponseHeader]:
    headers = [
        ResponseHeader(name="Content-Security-Policy", value=content_security_policy(image_origin)),
        ResponseHeader(name="Referrer-Policy", value="no-referrer"),
        ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ResponseHeader(name="X-Frame-Options", value="DENY"),
        ResponseHeader(name="Cache-Control", value="no-store"),
    ]
    if https:
        headers.append(
            ResponseHeader(
                name="Strict-Transport-Security", value="max-age=31536000; includeSubDomains"
            )
        )
    return headers
