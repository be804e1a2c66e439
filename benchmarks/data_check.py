"""Rate of the data check (tools/check_data.py) on small JPEGs.

    .venv/bin/python benchmarks/data_check.py [--count 10000] [--size 64]
        [--workers 2]

Writes ``count`` random-texture ``size`` px JPEGs as class folders (10
classes) into a temporary folder, then times what tools/check_data.py does
with them: indexing the folders as mmpretrain's CustomDataset and decoding
every file in ``workers`` processes. Prints images/s and the time a
100,000-image folder would take at that rate (an extrapolation). Numbers
are reported, never asserted.
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from gcp_mm.datasets.data_check import (  # noqa: E402
    check_images,
    dataset_images,
)
from gcp_mm.testing import write_small_jpegs  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=10000)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    import gcp_mm  # noqa: F401
    with tempfile.TemporaryDirectory() as root:
        per_class = args.count // 10
        for c in range(10):
            write_small_jpegs(os.path.join(root, 'train', f'class{c}'),
                              per_class, args.size, seed=c)
        start = time.perf_counter()
        paths = dataset_images(dict(type='CustomDataset', data_root=root,
                                    data_prefix='train'), 'mmpretrain')
        index_s = time.perf_counter() - start
        start = time.perf_counter()
        bad = check_images(paths, args.workers, progress=False)
        decode_s = time.perf_counter() - start
    rate = len(paths) / (index_s + decode_s)
    print(json.dumps(dict(
        images=len(paths), size=args.size, workers=args.workers,
        bad=len(bad), index_s=round(index_s, 2),
        decode_s=round(decode_s, 2), images_per_s=round(rate),
        minutes_for_100k=round(1e5 / rate / 60, 1),
        cpus=os.cpu_count())))


if __name__ == '__main__':
    main()
