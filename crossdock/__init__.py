"""crossdock: an integration hub for order flows."""

__version__ = "0.1.0"
