"""The one exception base that gcp-mm's user-facing errors share."""


class InputError(ValueError):
    """A mistake in what the user gave (a file, a config key, a value, a
    data set): the message is one line that names it and the fix. Each
    part of gcp-mm raises its own subclass; the command-line tools print
    the line and exit with status 2 instead of a traceback."""
