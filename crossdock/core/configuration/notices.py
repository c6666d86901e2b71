"""The per-source setting that mails an order's buyer at each event (``notify:``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from crossdock.core.configuration.types import Name, Strict
from crossdock.core.notices.models import DEFAULT_EVENTS, Event

LANGUAGES = ("en", "de", "fr", "es")  # the languages crossdock ships templates in


class CustomerNotices(Strict):
    """Mail the buyer when an order from this source is received, shipped, delivered, cancelled or refunded."""

    sink: Name = Field(description="an smtp sink with customers: true")
    events: list[Event] = Field(
        default_factory=lambda: list(DEFAULT_EVENTS),
        min_length=1,
        description="which events mail: received, shipped, cancelled, refunded (the default), and delivered",
    )
    language: str = Field(default="en", description=f"the shipped templates' language: {', '.join(LANGUAGES)}")
    templates: Path | None = Field(
        default=None,
        description="a folder of your own templates (<event>.txt, optionally <event>.html) replacing the shipped ones",
    )
    store_name: str = Field(default="", max_length=100, description="who the mail says it is from, e.g. 'Acme Tools'")
    tracking_urls: dict[str, str] = Field(
        default_factory=dict,
        description="carrier (SCAC or name) -> tracking page with {number}, beside the shipped UPS, FedEx, USPS, DHL",
    )

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"no shipped templates in {value!r}: use one of {', '.join(LANGUAGES)} or templates:")
        return value

    @field_validator("tracking_urls")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        for carrier, url in value.items():
            if not url.startswith("https://") or url.count("{number}") != 1:
                raise ValueError(f"tracking_urls {carrier}: an https:// address with {{number}} once, not {url!r}")
        return {carrier.upper(): url for carrier, url in value.items()}
