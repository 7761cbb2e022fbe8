"""The SSRF guard: a webhook URL may only reach a public address. Pure: the standard library only.

``check_url`` parses the URL, refuses what is not https (http only when allowed: development,
tests, ``OPS_WEBHOOKS_ALLOW_HTTP``), resolves the host and refuses it when any address it resolves
to is loopback, private, link-local (169.254.x.x, the cloud metadata address), unique-local,
multicast, reserved, unspecified or otherwise not global — IPv4 and IPv6, an IPv4-mapped IPv6
address judged by its IPv4 — unless the subscription's admin-set "allow private" flag is on. It
returns the address it checked, and the sender connects to that address (no second resolution
that a DNS rebinding could answer differently).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from ops.errors import ServiceError
from ops.i18n import N_, _l

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ServiceError):
    """The URL may not be called (scheme, host or address refused)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name sent as Host and TLS SNI
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked IP address to connect to


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be called (a msgid), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return refused_reason(ip.ipv4_mapped)
    checks = (
        (ip.is_unspecified, N_("未指定地址")),
        (ip.is_loopback, N_("本机回环地址")),
        (ip.is_link_local, N_("链路本地地址（含云服务器元数据地址）")),
        (ip.is_multicast, N_("组播地址")),
        (ip.is_private, N_("内网地址")),
        (ip.is_reserved, N_("保留地址")),
        (not ip.is_global, N_("非公网地址")),
    )
    return next((reason for refused, reason in checks if refused), None)


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(_l("端口号无效。"), field="url") from exc
    if port == 0:
        raise UnsafeUrl(_l("端口号无效。"), field="url")
    return port or (443 if parts.scheme == "https" else 80)


def check_url(
    url: str,
    *,
    allow_http: bool,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> Target:
    """The checked target of ``url``, or ``UnsafeUrl`` with a message for the form's ``url`` field."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 address
        raise UnsafeUrl(_l("地址格式无效。"), field="url") from exc
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeUrl(
            _l("地址必须以 https:// 开头。")
            if not allow_http
            else _l("地址必须以 https:// 或 http:// 开头。"),
            field="url",
        )
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(_l("地址中不能包含用户名或密码。"), field="url")
    host = parts.hostname
    if not host:
        raise UnsafeUrl(_l("地址缺少主机名。"), field="url")
    port = _port(parts)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise UnsafeUrl(_l("无法解析域名 %(host)s。", host=host), field="url") from exc
    if not addresses:
        raise UnsafeUrl(_l("无法解析域名 %(host)s。", host=host), field="url")
    if not allow_private:
        for ip in addresses:
            reason = refused_reason(ip)
            if reason is not None:
                raise UnsafeUrl(
                    _l(
                        "不能发送到 %(address)s（%(reason)s）：只允许公网地址。",
                        address=str(ip),
                        reason=_l(reason),
                    ),
                    field="url",
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, str(addresses[0]))
