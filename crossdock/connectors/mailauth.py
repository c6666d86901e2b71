"""What a mail proves about who sent it: the one From address, read as a mail client shows it, and what the
receiving mail server found when it checked DKIM and DMARC (its ``Authentication-Results`` field).

A From header is text the sender writes: it proves nothing by itself. ``From: edi@partner.com
<mallory@evil.com>`` is a mail from mallory@evil.com (the address in angle brackets is the mailbox; what comes
before it is a display name), although Python's own parsers read edi@partner.com there. So the address is read
here by the RFC 5322 rule, and a From field that holds anything else than one plain mailbox (two From fields,
two addresses, a group, text after the angle brackets) is not read at all.

DKIM and DMARC results are only as good as the server that wrote them. A sender can put an
``Authentication-Results`` field into its own mail, so only fields carrying the authserv-id of the receiving
server (``authserv_id``) count, and of those only the topmost one holding each method: a receiving server
prepends its field above everything that came with the mail (RFC 8601 section 5; it should also remove fields
that claim its id). A DKIM pass counts for the sender when its signing domain (``header.d``) is the From
address's domain or a parent of it (DMARC's relaxed alignment); a DMARC pass when its ``header.from`` is that
domain.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = re.compile(rf"^({_ATOM}(?:\.{_ATOM})*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}})$")
_METHOD = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*(?:/\s*[0-9]+\s*)?=\s*([A-Za-z0-9_-]+)")
_QUOTED = r'"(?:[^"\\]|\\.)*"'
# a property (ptype.property=value), or a quoted string or any other character skipped whole, so that text
# quoted in a reason is never read as a property
_PROPERTY = re.compile(
    rf'([A-Za-z0-9_-]+)\s*\.\s*([A-Za-z0-9_-]+)\s*=\s*({_QUOTED}|[^\s"]+)|{_QUOTED}|[A-Za-z0-9_-]+|\S'
)


class UnreadableSender(ValueError):
    """The From field is not one plain mailbox: the mail is quarantined with this reason."""


def sender_allowed(address: str, allowed: list[str]) -> bool:
    """Whether ``address`` is in ``allowed``: exact addresses or ``@domain`` entries (that domain only, not its
    subdomains). An empty list allows no one."""
    address = address.strip().lower()
    if not address:
        return False
    for entry in allowed:
        entry = entry.strip().lower()
        if address == entry or (entry.startswith("@") and address.endswith(entry)):
            return True
    return False


def from_address(message: Message) -> str:
    """The one mailbox of the mail's From field, lower-cased; ``UnreadableSender`` when there is not exactly one."""
    fields = [value for name, value in message.raw_items() if name.lower() == "from"]
    if not fields:
        raise UnreadableSender("the mail has no From field")
    if len(fields) > 1:
        raise UnreadableSender(f"the mail has {len(fields)} From fields")
    return mailbox(_unfold(str(fields[0])))


def mailbox(value: str) -> str:
    """The address of one From field's text: the one in angle brackets when there are any, else the whole text."""
    text = _strip_comments(value).strip()
    if _outside_quotes(text, ","):
        raise UnreadableSender(f"the From field holds more than one address ({_shown(value)})")
    if _outside_quotes(text, ":") or _outside_quotes(text, ";"):
        raise UnreadableSender(f"the From field is a group, not one address ({_shown(value)})")
    opened, closed = _outside_quotes(text, "<"), _outside_quotes(text, ">")
    if opened or closed:
        if len(opened) != 1 or len(closed) != 1 or closed[0] < opened[0]:
            raise UnreadableSender(f"the From address cannot be read ({_shown(value)})")
        start, end = opened[0], closed[0]
        if text[end + 1 :].strip():
            raise UnreadableSender(f"the From field has text after its address ({_shown(value)})")
        text = text[start + 1 : end].strip()
    if not _ADDRESS.match(text):
        raise UnreadableSender(f"the From address cannot be read ({_shown(value)})")
    return text.lower()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass(slots=True)
class Result:
    """One method's result in an ``Authentication-Results`` field, with its properties (``header.d`` ...)."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        said = " ".join(f"{k}={v}" for k, v in self.properties.items())
        return f"{self.method}={self.result}" + (f" {said}" if said else "")


def authentication_results(message: Message, authserv_id: str) -> dict[str, list[Result]]:
    """Method -> its results in the topmost ``Authentication-Results`` field of ``authserv_id`` that has that
    method; fields of any other id, and lower fields claiming this one, are ignored."""
    trusted = authserv_id.lower()
    found: dict[str, list[Result]] = {}
    for name, value in message.raw_items():
        if name.lower() != "authentication-results":
            continue
        server, results = parse_authentication_results(_unfold(str(value)))
        if server.lower() != trusted:
            continue
        methods: dict[str, list[Result]] = {}
        for result in results:
            methods.setdefault(result.method, []).append(result)
        for method, said in methods.items():
            found.setdefault(method, said)
    return found


def parse_authentication_results(value: str) -> tuple[str, list[Result]]:
    """(authserv-id, results) of one field's value (RFC 8601); comments dropped, unreadable parts skipped."""
    parts = _split(_strip_comments(value), ";")
    head = parts[0].split()
    server = _unquote(head[0]) if head else ""
    results: list[Result] = []
    for part in parts[1:]:
        m = _METHOD.match(part)
        if m is None:
            continue
        rest = part[m.end() :]
        properties = {
            f"{p.group(1)}.{p.group(2)}".lower(): _unquote(p.group(3)) for p in _PROPERTY.finditer(rest) if p.group(1)
        }
        results.append(Result(m.group(1).lower(), m.group(2).lower(), properties))
    return server, results


def authenticated(message: Message, sender: str, authserv_id: str, *, dkim: bool, dmarc: bool) -> str | None:
    """Why the receiving server's results do not vouch for ``sender`` (None when they do, for every method
    required)."""
    domain = domain_of(sender)
    results = authentication_results(message, authserv_id)
    for method, required, counts in (("dkim", dkim, _dkim_for), ("dmarc", dmarc, _dmarc_for)):
        if not required:
            continue
        said = results.get(method)
        if not said:
            return f"mail from {sender}: no {method} result from {authserv_id} (Authentication-Results)"
        if not any(r.result == "pass" and counts(r, domain) for r in said):
            shown = "; ".join(str(r) for r in said)
            return f"mail from {sender}: {authserv_id} found no {method} pass for {domain} ({_shown(shown)})"
    return None


def _dkim_for(result: Result, domain: str) -> bool:
    signer = result.properties.get("header.d") or domain_of(result.properties.get("header.i", ""))
    return aligned(signer.lower(), domain)


def _dmarc_for(result: Result, domain: str) -> bool:
    return result.properties.get("header.from", "").lower() == domain


def aligned(signer: str, domain: str) -> bool:
    """Whether a signing domain speaks for ``domain``: the same, or a parent of it with a dot in its name."""
    return bool(signer) and (signer == domain or ("." in signer and domain.endswith("." + signer)))


def _unfold(value: str) -> str:
    return value.replace("\r\n", "").replace("\n", "").replace("\r", "")


def _scan(text: str) -> Iterator[tuple[int, str, bool]]:
    """(index, char, outside) for each character of comment-free text: outside is False within a quoted string."""
    quoted, escaped = False, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            escaped = ch == "\\"
            quoted = ch != '"'
        else:
            quoted = ch == '"'
            yield i, ch, not quoted
            continue
        yield i, ch, False


def _strip_comments(text: str) -> str:
    """The text without its (comments), which may nest; quoted strings are kept whole."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in text:
        if escaped:
            escaped = False
            if not depth:
                out.append(ch)
            continue
        if ch == "\\" and (quoted or depth):
            escaped = True
            if not depth:
                out.append(ch)
            continue
        if depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if not depth:
                out.append(" ")
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "(" and not quoted:
            depth = 1
            continue
        out.append(ch)
    return "".join(out)


def _outside_quotes(text: str, char: str) -> list[int]:
    return [i for i, ch, outside in _scan(text) if outside and ch == char]


def _split(text: str, char: str) -> list[str]:
    cuts = _outside_quotes(text, char)
    bounds = [-1, *cuts, len(text)]
    return [text[a + 1 : b] for a, b in itertools.pairwise(bounds)]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _shown(text: str, limit: int = 200) -> str:
    """Outside text as a reason quotes it: on one line, control characters escaped, cut to ``limit``."""
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[:limit] + "..."
