"""The address guard: refuse to connect to loopback, private and reserved addresses.

A crawler that follows links from the open web must not be steered into the operator's
own network (SSRF): links to ``http://10.0.0.1/``, to a cloud metadata service, or to a
public name that resolves to ``127.0.0.1`` are refused. The check runs on the *resolved*
address at connect time (a resolver wrapped around aiohttp's), and on IP literals, which
aiohttp connects to without resolving. ``allow_private`` lifts it (tests, local demos).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

# Cloud metadata endpoints that are not already covered by "not global".
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254")
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def forbidden_reason(address: str | IPAddress) -> str | None:
    """Why connecting to ``address`` is refused, or ``None`` if it is a public address."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return "cloud metadata address"
    for attr, reason in (
        ("is_loopback", "loopback address"),
        ("is_link_local", "link-local address"),
        ("is_multicast", "multicast address"),
        ("is_unspecified", "unspecified address"),
        ("is_reserved", "reserved address"),
        ("is_private", "private address"),
    ):
        if getattr(ip, attr):
            return reason
    if not ip.is_global:
        return "non-global address"
    return None


def literal_ip(host: str) -> IPAddress | None:
    """The IP address if ``host`` is an IP literal (brackets allowed), else ``None``."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def literal_refusal(host: str, *, allow_private: bool) -> str | None:
    """Why a URL host that is an IP literal is refused, or ``None`` (names pass here:
    they are checked after resolution by :class:`GuardedResolver`)."""
    if allow_private:
        return None
    ip = literal_ip(host)
    return forbidden_reason(ip) if ip is not None else None


class BlockedResolution(OSError):
    """Raised inside the connector when every resolved address of a host is forbidden."""

    def __init__(self, host: str, reasons: list[str]) -> None:
        super().__init__(f"{host} resolves only to refused addresses ({', '.join(reasons)})")
        self.host = host
        self.reasons = reasons


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then drops forbidden addresses.

    If nothing is left, raises :class:`BlockedResolution` so that no connection is tried.
    """

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        reasons: list[str] = []
        for result in results:
            reason = forbidden_reason(result["host"])
            if reason is None:
                allowed.append(result)
            else:
                reasons.append(f"{result['host']}: {reason}")
        if not allowed:
            raise BlockedResolution(host, reasons)
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def describe(exc: BaseException) -> Any:
    """The :class:`BlockedResolution` behind an aiohttp connector error, if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BlockedResolution):
            return current
        seen.add(id(current))
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    return None
