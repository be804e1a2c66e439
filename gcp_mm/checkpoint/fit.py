"""Whether a state dict fits a model: names and shapes, key by key."""
from typing import List, Mapping, Sequence

import torch

from .io import CheckpointError

# keys named in a one-line message; the rest are counted
EXAMPLES = 3


class StateDictMismatch(CheckpointError):
    """A state dict that does not fit the model. ``str()`` is one short
    line (counts and a few example keys); :meth:`full_report` lists every
    key, for a file next to the run."""

    def __init__(self, source: str, model: str, unknown: Sequence[str],
                 missing: Sequence[str], mis_shaped: Sequence[str]):
        self.source, self.model = source, model
        self.unknown, self.missing = list(unknown), list(missing)
        self.mis_shaped = list(mis_shaped)
        super().__init__(f'{source} does not fit {model}: ' +
                         self.summary(EXAMPLES))

    def summary(self, examples: int = EXAMPLES, shapes: bool = True) -> str:
        """The counts, with up to ``examples`` keys of each kind (with
        both shapes of a mismatch, unless ``shapes`` is False)."""
        groups = []
        mis_shaped = self.mis_shaped if shapes else [
            key.split(':')[0] for key in self.mis_shaped]
        for title, keys in (('unknown keys', self.unknown),
                            ('missing keys', self.missing),
                            ('shape mismatches', mis_shaped)):
            if keys and examples:
                more = ', ...' if len(keys) > examples else ''
                groups.append(f'{title} ({len(keys)}): '
                              f'{", ".join(keys[:examples])}{more}')
            elif keys:
                groups.append(f'{len(keys)} {title}')
        return '; '.join(groups)

    def full_report(self) -> str:
        lines = [f'{self.source} does not fit {self.model}']
        for title, keys in (('unknown keys', self.unknown),
                            ('missing keys', self.missing),
                            ('shape mismatches', self.mis_shaped)):
            if keys:
                lines.append(f'\n{title} ({len(keys)}):')
                lines.extend(f'  {key}' for key in keys)
        return '\n'.join(lines) + '\n'


def check_state_dict_fits(state: Mapping[str, torch.Tensor],
                          target: Mapping[str, torch.Tensor], model: str,
                          source: str, unknown: Sequence[str] = ()) -> None:
    """Raise :class:`StateDictMismatch` unless every key of ``state`` is in
    the ``target`` state dict with the same shape and no key of ``target``
    is missing; ``unknown`` are keys already found unknown."""
    unknown = list(unknown) + [k for k in state if k not in target]
    missing = [k for k in target if k not in state]
    mis_shaped = [
        f'{k}: {tuple(v.shape)} in the file, {tuple(target[k].shape)} in '
        'the model' for k, v in state.items()
        if k in target and tuple(v.shape) != tuple(target[k].shape)
    ]
    if unknown or missing or mis_shaped:
        raise StateDictMismatch(source, model, unknown, missing, mis_shaped)


def _group(key: str) -> str:
    """The module a key belongs to, two levels deep (``head.fc``)."""
    return '.'.join(key.split('.')[:2])


def describe_kept(state: Mapping[str, torch.Tensor],
                  target: Mapping[str, torch.Tensor],
                  loaded: Sequence[str]) -> List[str]:
    """The modules of ``target`` that keep their initialisation although
    the file has weights for them, with why: e.g. ``head.fc: 1000 classes
    in the file, 3 in the model`` (the first dimension of the weight)."""
    loaded, kept = set(loaded), {}
    for key, value in target.items():
        if key in loaded or key not in state:
            continue
        group, ours = _group(key), tuple(value.shape)
        theirs = tuple(state[key].shape)
        if group.startswith('head.') and key.endswith('.weight') \
                and theirs != ours and theirs[1:] == ours[1:]:
            kept[group] = (f'{group}: {theirs[0]} classes in the file, '
                           f'{ours[0]} in the model')
        elif theirs != ours:
            kept.setdefault(group,
                            f'{group}: {theirs} in the file, {ours} here')
        else:
            kept.setdefault(group, f'{group}: not loaded')
    return list(kept.values())
