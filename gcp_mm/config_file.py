"""Reading a config file, with the user's mistakes as one-line errors: the
one place where gcp-mm loads a config that a user named."""
import os.path as osp

from mmengine.config import Config

from gcp_mm.errors import InputError


class ConfigFileError(InputError):
    """A config file that is missing or cannot be read."""


def read_config(path: str) -> Config:
    """``Config.fromfile(path)``; a missing file, a syntax error or a
    missing base raise :class:`ConfigFileError`."""
    if not osp.isfile(path):
        raise ConfigFileError(f'config file not found: {path}')
    try:
        return Config.fromfile(path)
    except Exception as err:  # syntax errors, missing bases, ...
        first = str(err).strip().splitlines()[0] if str(err).strip() else ''
        raise ConfigFileError(
            f'cannot read config {path}: {type(err).__name__}: {first}'
        ) from err
