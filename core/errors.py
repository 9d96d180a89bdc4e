"""Errors a planner sees: each carries one line naming the file, the problem and the fix."""

from __future__ import annotations


class CarecircleError(Exception):
    """Base class of every error carecircle reports to a planner without a traceback."""

    exit_code = 2


class StudyFileError(CarecircleError):
    """The study TOML file is missing, malformed, or has unknown keys or wrong types."""


class ProfileError(CarecircleError):
    """A standards profile is unknown or invalid."""


class InputFileError(CarecircleError):
    """An input file is missing, unreadable, or of an unsupported type."""


class InputDataError(CarecircleError):
    """An input file is readable but its content is wrong (columns, values, CRS)."""


class NetworkError(CarecircleError):
    """The walking network cannot be built from the given input."""


class OutputError(CarecircleError):
    """An output cannot be written."""
