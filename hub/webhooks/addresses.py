"""Where webhooks may go: http(s) URLs whose host resolves to public addresses only.

Checked when an endpoint is registered and again before every delivery (DNS can change
between the two); the delivery then connects to the address that was checked, so a name
cannot resolve to a public address for the check and a private one for the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from hub.errors import BadInput
from hub.webhooks.rules import MAX_URL_LENGTH

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# IPv6 ranges that carry an IPv4 address inside or are otherwise not one host's own address,
# though older Pythons call some of them global: NAT64, 6to4, Teredo, IPv4-compatible and
# IPv4-translated addresses, the deprecated site-local range.
EMBEDDING = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
        "::/96",
        "::ffff:0:0:0/96",
        "fec0::/10",
    )
)


@dataclass(frozen=True)
class Policy:
    """Loopback is refused unless allowed (development and tests); private, link-local,
    metadata and other non-public addresses unless inside an allowed network."""

    allow_loopback: bool = False
    allowed_networks: tuple[Network, ...] = ()

    def permits(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        if address.is_loopback:
            return self.allow_loopback
        if isinstance(address, ipaddress.IPv6Address) and any(
            address in network for network in EMBEDDING
        ):
            return False
        return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to for it."""

    url: str
    host: str
    address: str
    port: int
    https: bool


class Refused(Exception):
    """The URL may not be called; the message says why."""


def check_url(url: str, *, field: str) -> SplitResult:
    """Refuse, as bad input, a URL that is not a plain absolute http(s) URL."""
    if len(url) > MAX_URL_LENGTH:
        raise BadInput(f"the URL is at most {MAX_URL_LENGTH} characters", field=field)
    if any(ord(char) < 33 for char in url):
        raise BadInput("the URL may not contain spaces or control characters", field=field)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise BadInput("the URL is not valid", field=field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput("the URL must be an absolute http:// or https:// URL", field=field)
    if parts.username is not None or parts.password is not None:
        raise BadInput("the URL may not carry a user name or password", field=field)
    if parts.fragment:
        raise BadInput("the URL may not have a #fragment", field=field)
    return parts


async def resolve(url: str, policy: Policy) -> Target:
    """Resolve the URL's host and check every address; raise Refused when one is not allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    addresses = await _addresses(host, port)
    refused = [str(address) for address in addresses if not policy.permits(address)]
    if refused:
        raise Refused(f"{host[:100]} resolves to {refused[0]}, which is not a public address")
    return Target(url=url, host=host, address=str(addresses[0]), port=port, https=https)


async def _addresses(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"{host[:100]} does not resolve") from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(f"{host[:100]} does not resolve")
    return addresses


def networks(text: str) -> tuple[Network, ...]:
    """Parse a comma-separated list of networks (CIDR); raise ValueError naming a bad one."""
    found = []
    for item in text.split(","):
        if item.strip():
            try:
                found.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{item.strip()!r} is not a network such as 10.0.0.0/8") from None
    return tuple(found)
