"""User-facing errors: one line, no traceback, safe to show in the CLI and the web page."""

from __future__ import annotations


class RagError(Exception):
    """An error whose message is meant for the person using the tool."""


class InputError(RagError):
    """The query or a file given by the user cannot be used."""


class IndexBusyError(RagError):
    """Another process is writing the index."""


class ModelError(RagError):
    """A model (embedding or LLM) is missing, corrupt or cannot load."""


class BackendError(RagError):
    """An LLM backend failed after its retries (timeout, HTTP error, missing key)."""
