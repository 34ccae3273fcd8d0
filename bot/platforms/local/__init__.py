"""The local platform: an in-memory chat used by `matchmaker demo` and the tests."""

from .platform import LocalMessage, LocalPlatform, LocalThread

__all__ = ["LocalMessage", "LocalPlatform", "LocalThread"]
