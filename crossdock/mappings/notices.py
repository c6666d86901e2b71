"""Customer notices as text: templates checked once, and values from an order, a shipment or a cancel filled in.

Everything a buyer or a channel wrote (names, addresses, SKUs, descriptions) is untrusted: each value loses
its control characters and is cut to a bound before it lands, a subject stays one line (no header can be
smuggled in), and in the HTML alternative every value is escaped. Templates use ``${name}`` placeholders
(``string.Template``): nothing in a template can run code.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from crossdock.core.errors import DecodeError

FIELDS = frozenset(
    {
        "store_name",
        "po_number",
        "order_number",
        "buyer_name",
        "ship_to",
        "lines",
        "carrier",
        "ship_date",
        "tracking",
        "reason",
        "refund_amount",
    }
)
BLOCKS = frozenset({"ship_to", "lines", "tracking"})  # several lines each; every other value is one line
VALUE_LIMIT = 200  # characters of one value
BLOCK_LINES = 50  # lines of one block; more are summed up in one line
SUBJECT_LIMIT = 200

# Tracking pages of the carriers most orders ship with, by SCAC and by name as 945s and channels give them.
TRACKING_PAGES = {
    "UPS": "https://www.ups.com/track?tracknum={number}",
    "UPSN": "https://www.ups.com/track?tracknum={number}",
    "FEDEX": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "FDEG": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "FDE": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "FXFE": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "DHL": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    "DHLC": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
}

# Why lines were cancelled, as a sentence to the buyer, by language and by the Cancellation's reason code.
REASONS = {
    "en": {
        "out_of_stock": "They are out of stock.",
        "buyer_request": "They were cancelled as requested.",
        "address": "The delivery address could not be used.",
        "fraud": "The payment could not be confirmed.",
    },
    "de": {
        "out_of_stock": "Sie sind nicht vorrätig.",
        "buyer_request": "Sie wurden wie gewünscht storniert.",
        "address": "Die Lieferadresse konnte nicht verwendet werden.",
        "fraud": "Die Zahlung konnte nicht bestätigt werden.",
    },
    "fr": {
        "out_of_stock": "Ils ne sont plus en stock.",
        "buyer_request": "Ils ont été annulés à votre demande.",
        "address": "L'adresse de livraison n'a pas pu être utilisée.",
        "fraud": "Le paiement n'a pas pu être confirmé.",
    },
    "es": {
        "out_of_stock": "No quedan existencias.",
        "buyer_request": "Se han cancelado según lo solicitado.",
        "address": "No se pudo usar la dirección de envío.",
        "fraud": "No se pudo confirmar el pago.",
    },
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


@dataclass(frozen=True, slots=True)
class Template:
    subject: string.Template
    text: string.Template
    html: string.Template | None


def parse_template(text: str, html_text: str | None, where: str) -> Template:
    """A template from its text (``Subject: ...``, a blank line, the body) and an optional HTML body; what is
    wrong raises ``DecodeError`` naming ``where`` and the line."""
    head, sep, body = text.partition("\n\n")
    if not sep or not head.startswith("Subject:") or "\n" in head.strip():
        raise DecodeError(f"{where}: line 1 must be 'Subject: ...' followed by a blank line, then the text")
    parts = {"subject": head.removeprefix("Subject:").strip(), "text": body}
    if html_text is not None:
        parts["html"] = html_text
    checked = {name: _checked(value, where, name) for name, value in parts.items()}
    return Template(checked["subject"], checked["text"], checked.get("html"))


def _checked(value: str, where: str, part: str) -> string.Template:
    template = string.Template(value)
    if not template.is_valid():
        line = _line_of(value, "$")
        raise DecodeError(f"{where}: the {part} has a '$' that is not a ${{name}} placeholder (line {line})")
    unknown = sorted(set(template.get_identifiers()) - FIELDS)
    if unknown:
        line = _line_of(value, unknown[0])
        raise DecodeError(
            f"{where}: the {part} names unknown value(s) {', '.join(unknown)} (line {line}); "
            f"known: {', '.join(sorted(FIELDS))}"
        )
    return template


def _line_of(text: str, needle: str) -> int:
    return text[: max(text.find(needle), 0)].count("\n") + 1


def one_line(value: object, limit: int = VALUE_LIMIT) -> str:
    """A value as one line of plain text: control characters (line breaks, escapes, bidi overrides) become one
    space, and it is cut to ``limit`` characters."""
    cleaned = _CONTROL.sub(" ", str(value)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def block(rows: Iterable[object]) -> str:
    """Several values, one a line, each made one line, at most ``BLOCK_LINES`` of them."""
    lines = [one_line(row) for row in rows]
    if len(lines) > BLOCK_LINES:
        lines = [*lines[: BLOCK_LINES - 1], f"... and {len(lines) - BLOCK_LINES + 1} more"]
    return "\n".join(line for line in lines if line)


def item_line(quantity: Decimal, sku: str | None, description: str | None) -> str:
    amount = format(quantity.normalize(), "f") if quantity == quantity.to_integral() else str(quantity)
    return " ".join(part for part in (f"{amount} x", sku, description and f"- {description}") if part)


def tracking_link(carrier: str | None, number: str, pages: Mapping[str, str]) -> str:
    """The carrier's tracking page for ``number``, or the bare number when the carrier is not known."""
    page = pages.get((carrier or "").strip().upper()) or TRACKING_PAGES.get((carrier or "").strip().upper())
    return page.format(number=quote(number, safe="")) if page else number


def render(template: Template, values: Mapping[str, str]) -> tuple[str, str, str | None]:
    """Subject, text and HTML of one notice. ``values`` are made safe here, whoever built them."""
    plain = {name: _safe(name, values.get(name, "")) for name in FIELDS}
    subject = one_line(template.subject.substitute(plain), SUBJECT_LIMIT)
    text = template.text.substitute(plain)
    markup = None
    if template.html is not None:
        escaped = {name: html.escape(value).replace("\n", "<br>\n") for name, value in plain.items()}
        markup = template.html.substitute(escaped)
    return subject, text, markup


def _safe(name: str, value: str) -> str:
    return block(value.split("\n")) if name in BLOCKS else one_line(value)
