"""Where a webhook may point: an https URL that parses, naming no loopback, private,
link-local, multicast, reserved or unspecified address, literally or through what its host
resolves to. Pure apart from DNS resolution (`resolve`), which the delivery does once and then
connects to the address it checked, so a name cannot answer differently the second time."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_HOST = 253
# Controls, whitespace and DEL/C1 never belong in a URL (a NUL would reach the resolver).
_BAD_CHARACTERS = re.compile(r"[\x00-\x20\x7f-\x9f]")
# What `inet_aton` reads as an IPv4 address: `127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`.
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)


class UnsafeUrl(ValueError):
    pass


class Unresolved(UnsafeUrl):
    """The host has no address (now): refused at delivery, accepted at creation."""


@dataclass(frozen=True)
class Target:
    """A parsed webhook URL: what to connect to and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str

    def url_for(self, address: Address) -> str:
        """The URL with the checked address in place of the host (TLS still names the host)."""
        literal = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def literal_address(host: str) -> Address | None:
    """The address a host names literally, in any form a resolver would accept."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not (
        address.is_multicast or address.is_unspecified or address.is_reserved
    )


def parse_target(url: str, allow_private: bool) -> Target:
    """The URL's parts, or UnsafeUrl saying what is wrong with it (never another error)."""
    if _BAD_CHARACTERS.search(url):
        raise UnsafeUrl("The URL contains a control character or whitespace.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"The URL does not parse: {exc}.") from None
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UnsafeUrl("Webhook URLs must use https.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("The URL has no host.")
    if len(host) > MAX_HOST:
        raise UnsafeUrl(f"The host is longer than {MAX_HOST} characters.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Credentials in webhook URLs are not allowed.")
    if port == 0:
        raise UnsafeUrl("The port must be between 1 and 65535.")
    if not allow_private:
        address = literal_address(host)
        if address is not None and not is_public(address):
            raise UnsafeUrl(f"The URL points at a non-public address ({address}).")
        if address is None and (host.lower() == "localhost" or host.lower().endswith(".localhost")):
            raise UnsafeUrl("The URL points at this machine (localhost).")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, host, port or default, path)


def resolve(target: Target, allow_private: bool) -> Address:
    """The one address a delivery connects to: every address the host resolves to must be
    public (a name with one private address among public ones is refused)."""
    literal = literal_address(target.host)
    if literal is not None:
        return literal
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolved(f"The host does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise Unresolved("The host does not resolve.")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise UnsafeUrl(f"The host resolves to a non-public address ({address}).")
    return addresses[0]


def check_url(url: str, allow_private: bool) -> None:
    """At creation: the URL's shape and, when the host resolves now, what it resolves to. A
    name that does not resolve yet is accepted; its deliveries fail until it does."""
    target = parse_target(url, allow_private)
    with contextlib.suppress(Unresolved):
        resolve(target, allow_private)
