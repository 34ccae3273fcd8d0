"""The local platform: an in-memory chat used by `matchmaker demo` and the tests.

`LocalPlatform` carries the core's outbound messages; `LocalChat` takes members' commands,
forms and button presses inbound, as the Discord and Slack adapters do.
"""

from .chat import LocalChat, Reply
from .platform import LocalMessage, LocalPlatform, LocalThread

__all__ = ["LocalChat", "LocalMessage", "LocalPlatform", "LocalThread", "Reply"]
