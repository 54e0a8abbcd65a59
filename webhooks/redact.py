"""Secrets in webhook URLs, masked for everyone but admins and in the audit log.

A URL can carry its credential in the user info (`user:pass@`), in the query (`?token=...`) or in
the path (Slack: /services/T…/B…/<token>; Discord, Zapier and others alike). The masked form
keeps the scheme, host, port, query keys and the path segments that read as plain words
("hooks", "billing-events"), and replaces everything else with MASK.
"""

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "••••"
# A path segment shown as is: a short lowercase word (no digits, no mixed case), which a
# random token almost never is.
_WORD = re.compile(r"[a-z][a-z._-]{0,19}")


def _segment(segment: str) -> str:
    return segment if not segment or _WORD.fullmatch(segment) else MASK


def _query_item(item: str) -> str:
    key, equals, _value = item.partition("=")
    return f"{key}={MASK}" if equals else MASK  # a bare item (?abc123) may be the token itself


def url_mask(url: str) -> str:
    """`url` with its user info, query values and token-like path segments masked."""
    try:
        parts = urlsplit(url)
        hostport = parts.netloc.rpartition("@")[2]
    except ValueError:
        return MASK
    if not parts.netloc:  # not a URL (auditlog passes "None" for a field that had no value)
        return url
    netloc = f"{MASK}@{hostport}" if "@" in parts.netloc else hostport
    path = "/".join(_segment(s) for s in parts.path.split("/"))
    query = "&".join(_query_item(item) for item in parts.query.split("&") if item)
    return urlunsplit((parts.scheme, netloc, path, query, MASK if parts.fragment else ""))


def text_redact(text: str, url: str) -> str:
    """`text` (e.g. a transport error) with every spelling of `url`'s secret parts masked."""
    parts = urlsplit(url)
    masked = urlsplit(url_mask(url))
    pairs = [(url, url_mask(url))]
    if parts.query:
        pairs.append((f"{parts.path}?{parts.query}", f"{masked.path}?{masked.query}"))
    pairs.append((parts.path, masked.path))
    for secret, shown in pairs:
        if secret and secret != "/":
            text = text.replace(secret, shown)
    return text
