"""Every error evalkit raises on purpose, in one place.

Each carries what a user needs to fix the input: the file, the place in it, and what was expected.
The CLI prints ``str(error)`` and exits 2; nothing here should surface as a traceback.
"""

from __future__ import annotations


class EvalkitError(Exception):
    """Base class of evalkit's own errors."""


class FilingError(EvalkitError):
    """A filing could not be read at all: names the file, the place and what was expected."""

    def __init__(self, file: str, message: str, where: str = "", expected: str = "") -> None:
        self.file = str(file)
        self.where = where
        self.expected = expected
        self.detail = message
        text = f"{self.file}"
        if where:
            text += f"（{where}）"
        text += f"：{message}"
        if expected:
            text += f"；应为：{expected}"
        super().__init__(text)


class ProfileError(EvalkitError):
    """A scoring profile is missing or invalid: names the file and the field."""


class DecisionsError(EvalkitError):
    """A reviewer decisions file is invalid: names the file and the field."""


class KernelError(EvalkitError):
    """A Jupyter kernel for the batch could not be started (after retries) or died twice on a unit."""
