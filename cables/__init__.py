"""A warehouse of the WikiLeaks diplomatic cables: command line, settings and read-side helpers."""

__version__ = "0.1.0"
