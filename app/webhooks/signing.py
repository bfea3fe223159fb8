"""Webhook signatures and address checks, pure apart from DNS resolution.

Receivers verify `Engage-Signature: t=<unix seconds>,v1=<hex>` where v1 is
HMAC-SHA256(secret, "<t>.<raw body>"), and reject a `t` too far from their clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import urlsplit


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """The receiver's recipe, kept here so the documented one is also the tested one."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


class UnsafeUrl(ValueError):
    pass


def check_url_shape(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UnsafeUrl("Webhook URLs must use https.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrl("Credentials in webhook URLs are not allowed.")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    if not allow_private and not address.is_global:
        raise UnsafeUrl("The URL points at a private or reserved address.")


def resolve_public(url: str, allow_private: bool) -> None:
    """Checked at every delivery: every address the host resolves to must be public."""
    check_url_shape(url, allow_private)
    if allow_private:
        return
    parts = urlsplit(url)
    port = parts.port or 443
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeUrl(f"The host does not resolve: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise UnsafeUrl(f"The host resolves to a non-public address ({address}).")
