"""gcp-mm's version: the one place that defines it (setup.py reads this
file as text, without importing the package)."""
__version__ = '0.1.0'


def parse_version_info(version: str) -> tuple:
    """``'0.1.0'`` -> ``(0, 1, 0)``; a pre-release keeps its tag as the last
    item: ``'0.2.0rc1'`` -> ``(0, 2, 0, 'rc1')``."""
    info = []
    for part in version.split('.'):
        digits = len(part) - len(part.lstrip('0123456789'))
        info.append(int(part[:digits]))
        if part[digits:]:
            info.append(part[digits:])
    return tuple(info)


version_info = parse_version_info(__version__)

__all__ = ['__version__', 'version_info']
