"""Where webhooks may go: public internet addresses only.

A webhook URL is the subscriber's to choose, and the dispatcher sends from inside the
deployment: a URL naming a loopback, private, link-local (the cloud metadata service at
169.254.169.254), shared, multicast or reserved address would let a subscriber reach
what only the deployment can. So such URLs are refused when the subscription is made
(literal addresses, `localhost`, and names that resolve to them) and again at every
send, after resolving the name; the request then goes to the very address that was
checked (the name still travels in `Host` and in TLS SNI, and the certificate is checked
against it), so a name that resolves differently a moment later (DNS rebinding) gets
nowhere.

`DECONFLICT_WEBHOOK_ALLOW_HOSTS` lets a test or private deployment through: host names
(exact) and IP addresses or networks (`127.0.0.1`, `10.20.0.0/16`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: host, port -> its addresses; raises OSError when the name does not resolve.
Resolver = Callable[[str, int], Sequence[str]]

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCAL_NAMES = ("localhost", ".localhost", ".localdomain")


def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def is_public(address: Address) -> bool:
    """A globally reachable unicast address. IPv6 addresses that carry an IPv4 address
    (mapped, 6to4, Teredo, NAT64) are judged by the address they carry."""
    if isinstance(address, ipaddress.IPv6Address):
        teredo = address.teredo
        carried = address.ipv4_mapped or address.sixtofour or (teredo[1] if teredo else None)
        if carried is None and address in _NAT64:
            carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried is not None:
            return is_public(carried)
    return address.is_global and not address.is_multicast


class Unreachable(Exception):
    """The URL may not be sent to; the message says why, without connection details."""


@dataclass(frozen=True, slots=True)
class Pinned:
    """A request to send: the URL with the checked address in place of the name, and
    what keeps the name for the receiver (Host header, TLS server name)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


class WebhookTargets:
    """Implements services.context.WebhookTargets (subscription time) and pins the
    address of each send (`HttpWebhookSender`)."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver = resolve) -> None:
        self._names: set[str] = set()
        self._networks: list[Network] = []
        for entry in allow:
            try:
                self._networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self._names.add(entry.strip().lower().rstrip("."))
        self._resolve = resolver

    def _allowed(self, address: Address) -> bool:
        return is_public(address) or any(address in n for n in self._networks)

    def _addresses(self, host: str, port: int) -> list[Address]:
        """The host's addresses, each checked; Unreachable naming the first that is not
        public. OSError when the name does not resolve."""
        try:
            found = [ipaddress.ip_address(host)]
        except ValueError:
            if host.endswith(_LOCAL_NAMES) or host == "localhost":
                raise Unreachable(f"{host} is this machine: webhooks go to public hosts") from None
            found = [ipaddress.ip_address(a.split("%")[0]) for a in self._resolve(host, port)]
        for address in found:
            if not self._allowed(address):
                named = "" if str(address) == host else f" ({host} resolves to it)"
                raise Unreachable(
                    f"{address} is not a public address{named}: webhooks go to public hosts"
                )
        return found

    def refusal(self, url: str) -> str | None:
        """Why `url` may not receive webhooks, or None. A name that does not resolve
        (yet) is accepted: each send checks again."""
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        if host in self._names:
            return None
        try:
            self._addresses(host, parts.port or _default_port(parts.scheme))
        except Unreachable as e:
            return str(e)
        except (OSError, UnicodeError, ValueError):
            return None
        return None

    def pin(self, url: str) -> Pinned:
        """The request for `url` to the checked address; Unreachable if it may not be sent."""
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        if host in self._names:
            return Pinned(url)
        port = parts.port or _default_port(parts.scheme)
        try:
            address = self._addresses(host, port)[0]
        except (OSError, UnicodeError, ValueError):
            raise Unreachable(f"{host} does not resolve") from None
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = literal if parts.port is None else f"{literal}:{parts.port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        host_header = parts.netloc.rpartition("@")[2]
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        return Pinned(pinned, {"Host": host_header}, extensions)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
