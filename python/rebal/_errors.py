"""The exceptions rebal raises: every one is a rebal.Error, with the library's message
(the same one the CLI prints), and also the built-in exception of its kind."""


class Error(Exception):
    """An error from rebal. ``code`` is the library's status name ("usage", "data", ...)."""

    code = "error"


class SettingsError(Error, ValueError):
    """A setting, option or argument that is not valid (the CLI's usage errors)."""

    code = "usage"


class DataError(Error, ValueError):
    """Input data that is malformed, fails validation, conflicts with stored bars, or names
    a symbol that is not there."""

    code = "data"


class FileError(Error, OSError):
    """A file that could not be opened, read or written."""

    code = "io"


class StoreError(Error, OSError):
    """A store that is not a rebal store, is newer than this library, is corrupt, or that
    SQLite could not read or write."""

    code = "store"


class OutOfMemory(Error, MemoryError):
    """The library ran out of memory."""

    code = "nomem"


class Interrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C (a KeyboardInterrupt). ``results`` holds the rows done
    (a DataFrame); with ``results=`` they are in the results store as well, and the same
    call with ``resume=True`` completes the sweep."""

    def __init__(self, message, results=None, summary=None):
        super().__init__(message)
        self.results = results
        self.summary = summary


# The library's status codes (rebal.h, rb_status) and the exception of each.
_BY_CODE = {
    1: OutOfMemory,
    2: FileError,
    3: SettingsError,
    4: DataError,
    5: StoreError,
    6: StoreError,
    7: DataError,
    8: DataError,
}


def _raise(code, message):
    """Called by the extension module: raises the exception of a library status."""
    raise _BY_CODE.get(code, Error)(message)
