"""Storing events on a CalDAV collection (RFC 4791) with the standard library only.

One calendar object resource per UID, named ``<uid>.ics`` (RFC 4791 §4.1 asks for one UID
per resource; METHOD is not allowed in stored objects). Writes are conditional so that we
never clobber an event someone edited on the server without knowing it existed:

* ``PUT`` with ``If-None-Match: *`` creates the resource (201);
* if it exists (412), ``GET`` reads its ETag and ``PUT`` with ``If-Match`` replaces it;
* cancelled sessions are removed with ``DELETE`` (404 means already gone).

Credentials come from ``PLANNER_CALDAV_USER`` / ``PLANNER_CALDAV_PASSWORD`` and are never
stored or printed; they are refused over plain http to anything but the local machine.
"""

from __future__ import annotations

import base64
import http.client
import os
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from planner.calendar.net import is_local
from planner.domain.errors import InputError, PlannerError

__all__ = ["CalDAVResult", "DeliveryError", "check_url", "resource_url", "store_events"]

TIMEOUT_SECONDS = 30.0


class DeliveryError(PlannerError):
    """A server refused or could not be reached; the files on disk are complete."""

    exit_code = 1
    title = "Delivery"


@dataclass
class CalDAVResult:
    url: str
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def line(self) -> str:
        return (
            f"caldav {self.url}: stored {self.created + self.updated} events "
            f"({self.created} created, {self.updated} updated), removed {self.deleted}"
        )


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    display: str


def check_url(url: str) -> str:
    """Validate ``--caldav URL`` before anything is written (exit 2 on a bad value)."""
    _target(url)
    return url


_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
"""Characters left as they are when the path is percent-encoded (RFC 3986 pchar and '/';
'%' keeps escapes the user already wrote)."""


def _target(url: str) -> _Target:
    # The URL is not quoted back in these messages: it may hold a password.
    if any(c.isspace() or not c.isprintable() for c in url):
        # http.client would refuse it mid-delivery (InvalidURL), or send a broken request.
        raise InputError.single(
            "--caldav", "the URL holds white space or a control character (write a space as %20)"
        )
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed '[' of an IPv6 address
        raise InputError.single("--caldav", "not a valid URL") from None
    if parts.username or parts.password:
        raise InputError.single(
            "--caldav",
            "put no credentials in the URL; use PLANNER_CALDAV_USER and PLANNER_CALDAV_PASSWORD",
        )
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InputError.single("--caldav", "not an http(s) URL of a collection")
    if parts.query or parts.fragment:
        raise InputError.single("--caldav", "the collection URL takes no query or fragment")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError.single("--caldav", "the URL has an invalid port") from None
    try:
        parts.hostname.encode("idna")  # what http.client does with a host in another script
    except UnicodeError:
        raise InputError.single("--caldav", "the host name is not valid") from None
    # http.client sends the request line as ASCII: a path in any other script is encoded.
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if not path.endswith("/"):
        path += "/"
    display = f"{parts.scheme}://{parts.netloc}{path}"
    return _Target(parts.scheme, parts.hostname, port, path, display)


def resource_url(collection: str, uid: str) -> str:
    """Where the event with ``uid`` lives in ``collection``."""
    target = _target(collection)
    return f"{target.display}{_resource_name(uid)}"


def _resource_name(uid: str) -> str:
    return quote(uid, safe="") + ".ics"


class _Client:
    def __init__(self, target: _Target, user: str | None, password: str | None) -> None:
        self.target = target
        self.headers: dict[str, str] = {"User-Agent": "planner"}
        if user:
            if target.scheme != "https" and not is_local(target.host):
                raise InputError.single(
                    "--caldav",
                    "refusing to send the CalDAV password over plain http; use an https URL",
                )
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"

    def request(
        self, method: str, name: str, body: bytes | None = None, headers: Mapping[str, str] = {}
    ) -> tuple[int, str, dict[str, str]]:
        t = self.target
        conn: http.client.HTTPConnection
        if t.scheme == "https":
            conn = http.client.HTTPSConnection(
                t.host, t.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(t.host, t.port, timeout=TIMEOUT_SECONDS)
        try:
            conn.request(method, t.path + name, body=body, headers={**self.headers, **headers})
            response = conn.getresponse()
            response.read()
            return (
                response.status,
                response.reason,
                {k.lower(): v for k, v in response.getheaders()},
            )
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryError(f"caldav {t.display}: cannot reach the server ({exc})") from None
        finally:
            conn.close()


def store_events(
    url: str,
    objects: Mapping[str, bytes],
    remove: Sequence[str] = (),
    *,
    user: str | None = None,
    password: str | None = None,
) -> CalDAVResult:
    """PUT each ``uid -> VCALENDAR bytes`` and DELETE each UID in ``remove``.

    ``user``/``password`` default to the environment variables; nothing is kept.
    """
    target = _target(url)
    if user is None:
        user = os.environ.get("PLANNER_CALDAV_USER") or None
    if password is None:
        password = os.environ.get("PLANNER_CALDAV_PASSWORD")
    client = _Client(target, user, password)
    result = CalDAVResult(target.display)
    for uid, body in objects.items():
        name = _resource_name(uid)
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        status, reason, _ = client.request("PUT", name, body, {**headers, "If-None-Match": "*"})
        if status == 412:
            status, reason, got = client.request("GET", name)
            _check(status, reason, target, uid, "read")
            etag = got.get("etag")
            conditional = {"If-Match": etag} if etag else {}
            status, reason, _ = client.request("PUT", name, body, {**headers, **conditional})
            _check(status, reason, target, uid, "update")
            result.updated += 1
        else:
            _check(status, reason, target, uid, "create")
            result.created += 1
    for uid in remove:
        status, reason, _ = client.request("DELETE", _resource_name(uid))
        if status == 404:
            continue
        _check(status, reason, target, uid, "delete")
        result.deleted += 1
    return result


def _check(status: int, reason: str, target: _Target, uid: str, action: str) -> None:
    if 200 <= status < 300:
        return
    hint = ""
    if status in {401, 403}:
        hint = " (check PLANNER_CALDAV_USER / PLANNER_CALDAV_PASSWORD and access rights)"
    elif status in {404, 409}:
        hint = " (does the calendar collection exist?)"
    elif status == 412:
        hint = " (the event changed on the server meanwhile; run the export again)"
    raise DeliveryError(
        f"caldav {target.display}: could not {action} event {uid}: {status} {reason}{hint}"
    )
