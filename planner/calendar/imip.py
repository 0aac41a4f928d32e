"""Sending invites as iMIP mail (RFC 6047) through an SMTP server, with smtplib only.

Each message carries one iTIP object for one UID: ``multipart/alternative`` with a
``text/plain`` part people can read and a ``text/calendar; method=...; charset=UTF-8`` part
their mail client acts on (Accept / Decline buttons). One UID per message because several
common clients act only on the first VEVENT of an iMIP message. The calendar part is
base64-encoded so its CRLF line ends and 75-octet folding arrive byte for byte.

From is the organiser (replies go there); credentials come from ``PLANNER_SMTP_USER`` /
``PLANNER_SMTP_PASSWORD``, are used only after STARTTLS (or to the local machine), and are
never stored or printed.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from planner.calendar.caldav import DeliveryError
from planner.calendar.net import is_local
from planner.domain.errors import InputError

__all__ = ["Mail", "build_message", "parse_server", "send_mails"]

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Mail:
    """One iMIP message to one person about one session."""

    to_name: str
    to_email: str
    method: str
    subject: str
    text: str
    calendar: bytes


def parse_server(text: str) -> tuple[str, int]:
    """``--smtp HOST:PORT`` (``[v6]:PORT`` for IPv6; the port defaults to 25)."""
    value = text.strip()
    host, port_text = value, "25"
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise InputError.single("--smtp", f"{text!r} is not HOST:PORT")
        host, rest = value[1:end], value[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise InputError.single("--smtp", f"{text!r} is not HOST:PORT")
            port_text = rest[1:]
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    elif ":" in value:
        raise InputError.single("--smtp", f"{text!r}: write IPv6 addresses as [ADDRESS]:PORT")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError.single("--smtp", f"{text!r} is not HOST:PORT")
    return host, int(port_text)


def build_message(mail: Mail, *, from_name: str, from_email: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((from_name, from_email))
    msg["To"] = formataddr((mail.to_name, mail.to_email))
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=from_email.rpartition("@")[2] or None)
    msg.set_content(mail.text)
    msg.add_alternative(
        mail.calendar,
        maintype="text",
        subtype="calendar",
        cte="base64",
        params={"method": mail.method, "charset": "UTF-8"},
    )
    return msg


def send_mails(
    server: str,
    mails: Sequence[Mail | EmailMessage],
    *,
    from_name: str,
    from_email: str,
    user: str | None = None,
    password: str | None = None,
) -> int:
    """Send every mail over one SMTP session; returns how many were accepted.

    A ready :class:`EmailMessage` (a poll, say) is sent as it is."""
    host, port = parse_server(server)
    if user is None:
        user = os.environ.get("PLANNER_SMTP_USER") or None
    if password is None:
        password = os.environ.get("PLANNER_SMTP_PASSWORD")
    if not mails:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as smtp:
            smtp.ehlo()
            secure = False
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
                secure = True
            if user:
                if not secure and not is_local(host):
                    raise DeliveryError(
                        f"smtp {host}:{port}: the server offers no STARTTLS; "
                        "refusing to send the password in the clear"
                    )
                smtp.login(user, password or "")
            for mail in mails:
                message = (
                    mail
                    if isinstance(mail, EmailMessage)
                    else build_message(mail, from_name=from_name, from_email=from_email)
                )
                smtp.send_message(message)
                sent += 1
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError(
            f"smtp {host}:{port}: login refused (check PLANNER_SMTP_USER / PLANNER_SMTP_PASSWORD)"
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"smtp {host}:{port}: sending failed after {sent} of {len(mails)} messages ({exc})"
        ) from None
    return sent
