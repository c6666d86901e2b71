"""Decoding a whole X12 file into canonical documents, by transaction set code, one set at a time.

The mapping for each set is named, not imported, so reading one set never loads the others. ``iter_entries``
yields each output item as its set is decoded, so a caller can write them out without holding the file's
documents; ``decode_file`` collects them for callers that want the whole dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from types import ModuleType
from typing import Any

from crossdock.core.errors import CrossdockError
from crossdock.core.models import Model, Order
from crossdock.mappings.x12.envelope import Interchange, TransactionSet
from crossdock.mappings.x12.reader import Source, iter_events
from crossdock.mappings.x12.ta1 import interchange_acknowledgments
from crossdock.mappings.x12.validator import status, validate

# set code -> (output key, "module:function")
DECODERS: dict[str, tuple[str, str]] = {
    "850": ("orders", "po850:order_from_850"),
    "860": ("order_changes", "poc860:change_from_860"),
    "855": ("order_acknowledgments", "poack855:ack_from_855"),
    "856": ("shipments", "asn856:shipment_from_856"),
    "945": ("shipments", "whship945:shipment_from_945"),
    "180": ("returns", "rma180:return_from_180"),
    "944": ("return_receipts", "receipt944:receipt_from_944"),
    "810": ("invoices", "invoice810:invoice_from_810"),
    "846": ("inventory", "inventory846:inventory_from_846"),
    "824": ("application_advices", "advice824:advice_from_824"),
    "864": ("application_advices", "advice824:advice_from_864"),
    "865": ("change_acknowledgments", "poca865:change_ack_from_865"),
    "997": ("acknowledgments", "fa997:acknowledgment_from_997"),
    "999": ("acknowledgments", "fa997:acknowledgment_from_997"),
}
OUTPUT_KEYS = (
    "orders",
    "shipments",
    "invoices",
    "acknowledgments",
    "order_changes",
    "order_acknowledgments",
    "inventory",
    "interchange_acknowledgments",
    "application_advices",
)
RETURN_KEYS = ("returns", "return_receipts")  # present only when not empty: older outputs stay as they were
EXTRA_KEYS = ("change_acknowledgments", "skipped", "rejected")  # present only when not empty, after the others

Entry = tuple[str, Model | dict[str, Any]]  # (output key, one item of its list: a document, or a plain dict)


_DECODER_MODULES: dict[str, ModuleType] = {}


def decoder_for(code: str) -> tuple[str, Callable[[TransactionSet], Model]] | None:
    """The output key and mapping function for a set's code; the module is imported when first needed and kept
    (every set asks), the function looked up on it each time."""
    entry = DECODERS.get(code)
    if entry is None:
        return None
    key, target = entry
    module, _, func = target.partition(":")
    found = _DECODER_MODULES.get(module)
    if found is None:
        found = _DECODER_MODULES[module] = import_module(f"crossdock.mappings.x12.{module}")
    return key, getattr(found, func)


def document_json(model: Model) -> dict[str, Any]:
    """A model as JSON; an order also carries its ship-to party, which the ``to-json`` contract names."""
    data = model.model_dump(mode="json")
    if isinstance(model, Order):  # the ship-to is one of the parties just dumped: copied, not dumped again
        at = next((i for i, p in enumerate(model.parties) if p.role == "ST"), None)
        data["ship_to"] = None if at is None else _copied(data["parties"][at])
    return data


def _copied(value: Any) -> Any:
    """A copy of dumped JSON data (dicts, lists, scalars), so the two places never share a mutable part."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def iter_entries(source: Source, *, encoding: str = "auto", name: str | None = None) -> Iterator[Entry]:
    """Every output item in file order, each yielded as soon as its set (or interchange's TA1s) is read.

    Documents are yielded as models (``document_json`` makes them JSON) so that a writer can serialize them in
    one step; ``skipped`` and ``rejected`` items are plain dicts.

    Every set is validated as well as mapped: a set the validator rejects still yields its document (the
    mappings read what they can), followed by a ``rejected`` item naming the set, its findings and, as a
    JSON pointer, the document it yielded (None when it yielded none and is listed in ``skipped``).
    """
    counts = dict.fromkeys((*OUTPUT_KEYS, *RETURN_KEYS, *EXTRA_KEYS), 0)
    for kind, obj in iter_events(source, encoding=encoding, name=name):
        if kind == "interchange_end" and isinstance(obj, Interchange):
            for ta1 in interchange_acknowledgments(obj):
                yield "interchange_acknowledgments", ta1
        elif isinstance(obj, TransactionSet):
            yield from _set_entries(obj, counts)


def decode_file(source: Source, *, encoding: str = "auto") -> dict[str, list[Any]]:
    """Every transaction set crossdock has a mapping for, and every TA1, as canonical JSON, by document kind."""
    out: dict[str, list[Any]] = {key: [] for key in (*OUTPUT_KEYS, *RETURN_KEYS, *EXTRA_KEYS)}
    for key, item in iter_entries(source, encoding=encoding):
        out[key].append(item if isinstance(item, dict) else document_json(item))
    return {key: items for key, items in out.items() if items or key in OUTPUT_KEYS}


def _set_entries(ts: TransactionSet, counts: dict[str, int]) -> Iterator[Entry]:
    validate(ts)
    pointer = None
    found = decoder_for(ts.code)
    if found is None:
        yield "skipped", {"set": ts.code, "control": ts.control, "reason": "no mapping for this set"}
    else:
        key, decode = found
        try:
            document = decode(ts)
        except CrossdockError as exc:
            yield "skipped", {"set": ts.code, "control": ts.control, "reason": str(exc)}
        else:
            pointer = f"/{key}/{counts[key]}"
            counts[key] += 1
            yield key, document
    if status(ts) == "rejected":
        errors = [e.to_dict() for e in ts.errors]
        yield "rejected", {"set": ts.code, "control": ts.control, "document": pointer, "errors": errors}
