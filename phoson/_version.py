"""The installed version of phoson-sdk, sent in the User-Agent header."""

__all__ = ["__version__"]

__version__ = "0.1.0"
