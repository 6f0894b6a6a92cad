"""Which addresses a probe may connect to: the operator's deny list (`VANTAGE_PROBE_DENY`).

A check is written by an account, but it runs from the agent's host and network: without a limit
it can read the server's own endpoints, the cloud's metadata service (and the credentials it hands
out) or any TCP service next to the agent. The policy is asked about the address a probe is about
to connect to, after DNS resolution and again at every redirect hop, so neither a host name that
resolves to a denied address (DNS rebinding included) nor a redirect gets around it.

The setting is a comma-separated list of CIDRs, single addresses and these group names:

- `loopback`: 127.0.0.0/8 and ::1, plus 0.0.0.0/8 and :: (on Linux, connecting to "this host"
  reaches the loopback interface).
- `link-local`: 169.254.0.0/16 and fe80::/10 (the metadata service of most clouds lives here).
- `metadata`: cloud metadata addresses outside link-local: fd00:ec2::254 (AWS over IPv6),
  100.100.100.200 (Alibaba Cloud) and 192.0.0.192 (Oracle Cloud, legacy), and 169.254.169.254.

An empty string denies nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SETTING = "VANTAGE_PROBE_DENY"
GROUPS: dict[str, tuple[str, ...]] = {
    "loopback": ("127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128"),
    "link-local": ("169.254.0.0/16", "fe80::/10"),
    "metadata": ("169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32", "192.0.0.192/32"),
}
# The embedded agent runs inside the server: its loopback is the server's own API and whatever
# else listens on the server's host.
EMBEDDED_DEFAULT = "loopback,link-local,metadata"
# A remote agent is often placed to check services on its own host, so loopback stays allowed.
REMOTE_DEFAULT = "link-local,metadata"
VERDICT_CACHE_SIZE = 4096


class PolicyError(ValueError):
    """The setting names something that is neither a network, an address nor a group."""


class TargetDenied(Exception):
    """A probe was about to connect to an address the operator's policy denies."""

    def __init__(self, host: str, address: str) -> None:
        shown = address if host == address else f"{host} ({address})"
        self.message = f"Connection to {shown} refused by the operator's probe policy ({SETTING})"
        super().__init__(self.message)


def parse_networks(text: str) -> tuple[Network, ...]:
    """The networks a setting names, in order, without duplicates; raises `PolicyError`."""
    found: list[Network] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        members = GROUPS.get(item.lower(), (item,))
        for member in members:
            try:
                network = ipaddress.ip_network(member, strict=False)
            except ValueError:
                groups = ", ".join(GROUPS)
                raise PolicyError(
                    f"{item!r} is not a CIDR, an IP address or one of {groups}"
                ) from None
            if network not in found:
                found.append(network)
    return tuple(found)


def normalise(address: Address) -> Address:
    """::ffff:127.0.0.1 is 127.0.0.1 on the wire, and is judged as such."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TargetPolicy:
    """A deny list of networks, asked once per connection; verdicts are remembered per address
    (checks hit the same few addresses over and over), so the hot path is one dict lookup."""

    __slots__ = ("_verdicts", "deny")

    def __init__(self, deny: Iterable[Network] = ()) -> None:
        self.deny = tuple(deny)
        self._verdicts: dict[str, bool] = {}

    @classmethod
    def parse(cls, text: str) -> TargetPolicy:
        return cls(parse_networks(text))

    def __repr__(self) -> str:
        return f"TargetPolicy({self.describe()!r})"

    def describe(self) -> str:
        """The networks denied, comma-separated, for logs ("" when nothing is)."""
        return ",".join(str(network) for network in self.deny)

    def denies(self, address: str) -> bool:
        """Whether a probe may not connect to `address` (an IP literal, IPv6 scope id allowed).

        Something that is not an address at all is denied: nobody can say where it leads.
        """
        if not self.deny:
            return False
        verdict = self._verdicts.get(address)
        if verdict is None:
            verdict = _judge(self.deny, address)
            if len(self._verdicts) >= VERDICT_CACHE_SIZE:
                self._verdicts.clear()
            self._verdicts[address] = verdict
        return verdict

    def check(self, host: str, address: str) -> None:
        """Raise `TargetDenied` when `address` (what `host` resolved to) is denied."""
        if self.denies(address):
            raise TargetDenied(host, address)


def _judge(deny: tuple[Network, ...], address: str) -> bool:
    try:
        ip = normalise(ipaddress.ip_address(address))
    except ValueError:
        return True
    return any(ip in network for network in deny)


ALLOW_ALL = TargetPolicy()
