"""Sending invites as iMIP mail (RFC 6047) through an SMTP server, with smtplib only.

Each message carries one iTIP object for one UID: ``multipart/alternative`` with a
``text/plain`` part people can read and a ``text/calendar; method=...; charset=UTF-8`` part
their mail client acts on (Accept / Decline buttons). One UID per message because several
common clients act only on the first VEVENT of an iMIP message. The calendar part is
base64-encoded so its CRLF line ends and 75-octet folding arrive byte for byte.

Every message is built and serialised before the SMTP connection opens, so a mail that
cannot be built (a header that would break, an address the server cannot take) stops the
run before the first message goes out: delivery is all or nothing up to the server.

Subjects are folded the way RFC 5322 §2.2.3 and RFC 2047 mean (the first words stay on
the ``Subject:`` line, encoded words at most 75 characters): the ``email`` package's default
folding moves a whole subject that fits one line onto a continuation line, which leaves a
bare ``Subject:`` that several clients show as an empty subject.

From is the organiser (replies go there); credentials come from ``PLANNER_SMTP_USER`` /
``PLANNER_SMTP_PASSWORD``, are used only after STARTTLS (or to the local machine), and are
never stored or printed.
"""

from __future__ import annotations

import io
import os
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid

from planner.calendar.caldav import DeliveryError
from planner.calendar.net import is_local
from planner.domain.errors import InputError

__all__ = [
    "Mail",
    "Prepared",
    "build_message",
    "parse_server",
    "prepare_mails",
    "send_mails",
]

TIMEOUT_SECONDS = 30.0
MAX_LINE = 78
"""RFC 5322 §2.1.1: lines SHOULD be at most 78 characters."""
_EW_LINE = 76
"""A folding space and an encoded word of at most 75 characters (RFC 2047 §2)."""

POLICY = default_policy.clone(linesep="\r\n", max_line_length=MAX_LINE)
"""How messages are serialised for SMTP (CRLF line ends, 78-character lines)."""


_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
"""RFC 5322 specials: a display name holding one is written as a quoted string."""


class _Text(str):
    """A free-text header value kept exactly as written, folded like RFC 2047 asks.

    Two faults of the ``email`` package's own handling are avoided: its folder moves a
    subject that fits one line whole onto a continuation line (a bare ``Subject:``, shown
    by some clients as no subject), and it decodes anything that looks like an encoded
    word ("=?utf-8?q?...?=" in an activity or person name) when the header is set, so the
    reader would see other text than the organiser wrote. ``email.header.Header`` fills
    the first line after the name and splits encoded words at 75 characters.

    With ``address``, the value is the display name of ``From``/``To``; the address is
    written as given (it may be UTF-8, RFC 6532: ``formataddr`` refuses that).
    """

    name: str
    address: str | None
    _value: str

    def __new__(cls, name: str, value: str, address: str | None = None) -> _Text:
        for text in (value, address or ""):
            if text.splitlines() not in ([text], []):  # also U+0085, U+2028 and friends
                raise ValueError("Header values may not contain line breaks")
        made = super().__new__(cls, value if address is None else f"{value} <{address}>")
        made.name = name
        made.address = address
        made._value = value
        return made

    def fold(self, *, policy: EmailPolicy) -> str:
        value, sep = self._value, policy.linesep
        # Text that merely looks like an encoded word is itself encoded.
        plain = value.isascii() and "=?" not in value
        if self.address is not None and plain and _SPECIALS.search(value):
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            return f'{self.name}: "{quoted}" <{self.address}>{sep}'
        header = Header(
            value,
            charset="us-ascii" if plain else "utf-8",
            header_name=self.name,
            maxlinelen=min(policy.max_line_length or _EW_LINE, _EW_LINE),
        )
        text = header.encode(linesep=sep)
        if self.address is not None:
            last = f"{self.name}: {text}".rpartition(sep)[2]
            fits = len(last) + len(self.address) + 3 <= (policy.max_line_length or MAX_LINE)
            gap = " " if fits or not value else f"{sep} "  # folding white space (RFC 5322)
            text = f"{text}{gap}<{self.address}>" if value else f"<{self.address}>"
        return f"{self.name}: {text}{sep}"


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


@dataclass(frozen=True)
class Prepared:
    """One message, serialised exactly as it goes over the wire."""

    recipients: tuple[str, ...]
    data: bytes
    smtputf8: bool
    """The envelope needs SMTPUTF8 (an address that is not ASCII, RFC 6531)."""


def build_message(mail: Mail, *, from_name: str, from_email: str) -> EmailMessage:
    # cte_type 7bit: a text part that is not ASCII goes quoted-printable (or base64), so
    # no server without 8BITMIME can mangle it.
    msg = EmailMessage(policy=default_policy.clone(max_line_length=MAX_LINE, cte_type="7bit"))
    msg["From"] = _Text("From", from_name, from_email)
    msg["To"] = _Text("To", mail.to_name, mail.to_email)
    msg["Subject"] = _Text("Subject", mail.subject)
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


def prepare_mails(
    mails: Sequence[Mail | EmailMessage],
    *,
    from_name: str,
    from_email: str,
    source: str = "--smtp",
) -> list[Prepared]:
    """Build and serialise every mail; the first that cannot be built is an input error.

    A ready :class:`EmailMessage` (a poll, say) goes to the addresses of its ``To``.
    ``source`` names where the offending text came from (the workspace, for export).
    Nothing is sent here, so a failure leaves every recipient without a message.
    """
    prepared: list[Prepared] = []
    for mail in mails:
        if isinstance(mail, EmailMessage):
            what = f"the message {str(mail.get('Subject', ''))!r}"
        else:
            what = f"the {mail.method} message to {mail.to_email} ({mail.subject!r})"
        try:
            if isinstance(mail, EmailMessage):
                msg = mail
                to = tuple(a.addr_spec for a in msg["To"].addresses) if msg["To"] else ()
                if not to:
                    raise ValueError("it has no To address")
            else:
                msg = build_message(mail, from_name=from_name, from_email=from_email)
                to = (mail.to_email,)
            smtputf8 = not "".join((from_email, *to)).isascii()
            buffer = io.BytesIO()
            BytesGenerator(buffer, policy=POLICY.clone(utf8=smtputf8)).flatten(msg)
        except (ValueError, TypeError, UnicodeError, HeaderParseError) as exc:
            raise InputError.single(source, f"{what} cannot be built: {exc}") from None
        prepared.append(Prepared(to, buffer.getvalue(), smtputf8))
    return prepared


def send_mails(
    server: str,
    mails: Sequence[Prepared | Mail | EmailMessage],
    *,
    from_email: str,
    from_name: str = "",
    user: str | None = None,
    password: str | None = None,
) -> int:
    """Send every message over one SMTP session; returns how many were accepted.

    Every message is built (:func:`prepare_mails`; ``from_name`` is for :class:`Mail`)
    before the connection opens: whatever can go wrong with a message's content has gone
    wrong before the first one is sent. A caller that must also write nothing when a mail
    cannot be built prepares them itself first.
    """
    host, port = parse_server(server)
    ready = [
        m
        if isinstance(m, Prepared)
        else prepare_mails([m], from_name=from_name, from_email=from_email)[0]
        for m in mails
    ]
    if user is None:
        user = os.environ.get("PLANNER_SMTP_USER") or None
    if password is None:
        password = os.environ.get("PLANNER_SMTP_PASSWORD")
    if not ready:
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
            if any(m.smtputf8 for m in ready) and not smtp.has_extn("smtputf8"):
                raise DeliveryError(
                    f"smtp {host}:{port}: an address is not ASCII and the server does not "
                    "offer SMTPUTF8; nothing was sent"
                )
            for m in ready:
                options = ["SMTPUTF8", "BODY=8BITMIME"] if m.smtputf8 else []
                smtp.sendmail(from_email, list(m.recipients), m.data, mail_options=options)
                sent += 1
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError(
            f"smtp {host}:{port}: login refused (check PLANNER_SMTP_USER / PLANNER_SMTP_PASSWORD)"
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"smtp {host}:{port}: sending failed after {sent} of {len(ready)} messages ({exc})"
        ) from None
    return sent
