"""Reading a channel's JSON order one object at a time, so that every refusal names the document and the JSON path
(``line_items[0].quantity: 'x' is not a number``). Pure: no I/O.

The sales-channel mappings subclass ``JsonNode`` (or ``LooseJsonNode``, ``MoneyNode``) for what only their channel
does: its date formats, id forms, money objects and key spellings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, NoReturn, Self, TypeVar

from crossdock.core.errors import DecodeError

_T = TypeVar("_T")


class JsonNode:
    """One JSON object of a document, with its path. Text is a JSON string, numbers are ``Decimal`` (a float is
    refused: it has already lost digits), timestamps are ISO 8601 with an offset, read as aware UTC."""

    __slots__ = ("data", "path", "source")

    # How a value of the wrong JSON type is told (``kind`` is "an object" or "a list": the type, not the value,
    # which may be a whole list of lines), and a float refused.
    WRONG_TYPE: ClassVar[str] = "{kind} was expected, not {type}"
    FLOAT: ClassVar[str] = "{value!r} is a float: parse the JSON with parse_float=Decimal"

    def __init__(self, data: Any, path: str, source: str) -> None:
        if not isinstance(data, Mapping):
            where = f"{path}: " if path else ""
            raise DecodeError(where + self._wrong(data, "an object"), source=source)
        self.data: Mapping[str, Any] = data
        self.path, self.source = path, source

    def _wrong(self, value: Any, kind: str) -> str:
        return self.WRONG_TYPE.format(value=value, kind=kind, type=type(value).__name__)

    def _spawn(self, data: Any, path: str) -> Self:
        """A node below this one; a subclass that carries more than the source passes it on here."""
        return type(self)(data, path, self.source)

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> NoReturn:
        raise DecodeError(f"{self.at(key)}: {message}", source=self.source)

    def required(self, key: str, value: _T | None) -> _T:
        """``value``, read at ``key``, which must be there."""
        return self.fail(key, "missing") if value is None else value

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def child(self, key: str) -> Self | None:
        value = self.raw(key)
        return None if value is None else self._spawn(value, self.at(key))

    def children(self, key: str, *, required: bool = False) -> list[Self]:
        value = self.raw(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.fail(key, "missing" if value is None else self._wrong(value, "a list"))
        path = self.at(key)
        return [self._spawn(item, f"{path}[{i}]") for i, item in enumerate(value)]

    def text(self, key: str) -> str | None:
        """A string, stripped; an empty one is no value."""
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(key, f"{value!r} is not text")
        return value.strip() or None

    def need_text(self, key: str) -> str:
        return self.required(key, self.text(key))

    def optional_id(self, key: str) -> str | None:
        """An id as its decimal digits: a JSON whole number or a string of digits; ``""`` is no id."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        digits = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(digits, str) and digits.isdecimal()):
            self.fail(key, f"{value!r} is not an id")
        return digits

    def need_id(self, key: str) -> str:
        return self.required(key, self.optional_id(key))

    # Digits before the point: no order reaches 10^15, and past it Decimal's 28 digits run out for cents.
    MAGNITUDE: ClassVar[int] = 15

    def decimal(self, key: str) -> Decimal | None:
        """A number given as a JSON string, integer or (parsed with ``parse_float=Decimal``) decimal; finite."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, float):
            self.fail(key, self.FLOAT.format(value=value))
        try:
            number = Decimal(value) if isinstance(value, int | str | Decimal) and not isinstance(value, bool) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.fail(key, f"{value!r} is not a number")
        if number and number.adjusted() >= self.MAGNITUDE:
            self.fail(key, f"{value!r} is too large for an amount or a quantity")
        return number

    def need_decimal(self, key: str) -> Decimal:
        return self.required(key, self.decimal(key))

    def quantity(self, key: str) -> Decimal:
        """A count of units: whole and not negative (zero is a line with nothing left)."""
        number = self.need_decimal(key)
        if number < 0 or number != number.to_integral_value():
            self.fail(key, f"{self.raw(key)!r} is not a quantity")
        return number

    def timestamp(self, key: str) -> dt.datetime | None:
        """An ISO 8601 date and time with its UTC offset (without one the instant is unknown), as aware UTC."""
        value = self.text(key)
        if value is None:
            return None
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            self.fail(key, f"{value!r} is not a date and time")
        if stamp.tzinfo is None:
            self.fail(key, f"{value!r} has no UTC offset")
        return stamp.astimezone(dt.UTC)

    def need_timestamp(self, key: str) -> dt.datetime:
        return self.required(key, self.timestamp(key))


class LooseJsonNode(JsonNode):
    """For the APIs loose with JSON types (WooCommerce, BigCommerce, Walmart): a number where text is wanted is read
    as its text (a postcode, a SKU), and ``""`` where a number is wanted is no number."""

    __slots__ = ()

    def text(self, key: str) -> str | None:
        value = self.raw(key)
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(value)
        return super().text(key)

    def decimal(self, key: str) -> Decimal | None:
        return None if self.raw(key) == "" else super().decimal(key)

    def utc_time(self, key: str, parse: Callable[[str], dt.datetime], what: str) -> dt.datetime | None:
        """A date and time in the channel's own format, ``what`` (``parse`` raises ValueError or TypeError on
        anything else), as aware UTC; these APIs send UTC without an offset."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        try:
            stamp = parse(value) if isinstance(value, str) else None
        except (TypeError, ValueError):
            stamp = None
        if stamp is None:
            self.fail(key, f"{value!r} is not {what}")
        return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


class OrderCurrency:
    """An order's one currency: the first amount read sets it (unless it is known), another currency is refused
    (an order's amounts are summed and compared, which is only right in one currency)."""

    __slots__ = ("code",)

    def __init__(self, code: str | None = None) -> None:
        self.code = code

    def amount(self, bag: JsonNode, amount: str, currency: str) -> Decimal:
        """The amount of the money object ``bag``, with its currency code at ``currency``."""
        value = bag.need_decimal(amount)
        code = bag.need_text(currency).upper()
        if self.code is None:
            self.code = code
        elif code != self.code:
            bag.fail(currency, f"{code!r} is not the order's currency {self.code!r}")
        return value


class MoneyNode(JsonNode):
    """A node of an order whose money objects (an amount and a currency code, keys named by the subclass) are all in
    the order's one currency."""

    __slots__ = ("currency",)

    AMOUNT: ClassVar[str]
    CURRENCY: ClassVar[str]

    def __init__(self, data: Any, path: str, source: str, currency: OrderCurrency) -> None:
        super().__init__(data, path, source)
        self.currency = currency

    def _spawn(self, data: Any, path: str) -> Self:
        return type(self)(data, path, self.source, self.currency)

    def money(self, key: str) -> Decimal | None:
        bag = self.child(key)
        return None if bag is None else self.currency.amount(bag, self.AMOUNT, self.CURRENCY)

    def need_money(self, key: str) -> Decimal:
        return self.required(key, self.money(key))
