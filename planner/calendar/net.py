"""Small network helpers shared by the delivery modules."""

from __future__ import annotations

import ipaddress


def is_local(host: str) -> bool:
    """True for this machine (credentials may travel unencrypted only to it)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
