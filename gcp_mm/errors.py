"""The one exception base that gcp-mm's user-facing errors share, and the
one kind for a file or folder the user named that is not there."""


class InputError(ValueError):
    """A mistake in what the user gave (a file, a config key, a value, a
    data set): the message is one line that names it and the fix. Each
    part of gcp-mm raises its own subclass; the command-line tools print
    the line and exit with status 2 instead of a traceback."""


class InputFileError(InputError, FileNotFoundError):
    """A file or folder the user named (a config, a checkpoint, released
    weights, a data file or folder) that does not exist or is a folder
    where a file is needed, or a file where a folder is
    (:func:`gcp_mm.input_files.check_input_path`). Also a
    ``FileNotFoundError``, so that code catching that keeps working."""
