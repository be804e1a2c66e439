"""Reading a config file, with the user's mistakes as one-line errors: the
one place where gcp-mm loads a config that a user named."""
from mmengine.config import Config

from gcp_mm.errors import InputError
from gcp_mm.input_files import check_input_path


class ConfigFileError(InputError):
    """A config file that cannot be read."""


def read_config(path: str) -> Config:
    """``Config.fromfile(path)``; a missing file raises
    :class:`~gcp_mm.errors.InputFileError`, a syntax error or a missing
    base :class:`ConfigFileError`."""
    check_input_path(path, 'config file')
    try:
        return Config.fromfile(path)
    except Exception as err:  # syntax errors, missing bases, ...
        first = str(err).strip().splitlines()[0] if str(err).strip() else ''
        raise ConfigFileError(
            f'cannot read config {path}: {type(err).__name__}: {first}'
        ) from err
