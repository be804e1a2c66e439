"""Does the normalisation matter? GAP, every normalisation of the GCP neck
and DropCov trained on the demo's colour textures in a regime like the
paper's (each covariance close to its full rank), each method at its own
best learning rate, over several seeds.

The zoo's ResNet-18 configs of the demo (``configs/demo/``: GAP, and GCP
with layer4 at stride 1) at ``--size`` px: at 112 the GCP network's last
map is 7x7 = 49 positions. Narrower by default (``--base-channels`` 16:
layer4 has 128 channels, the zoo's 512) and the GCP reduction to
``--reduced-channels`` d = 64 (128 -> 64, as the paper's 512 -> 256), so
each covariance has rank at most 48 of 64 (0.75; the paper's at 224 px:
195 of 256, 0.76). Every method first trains at each rate of
``--lr-factors`` (multiples of the recipe's rate scaled to the batch) with
seed 0; its best rate (final top-1, the smaller rate on a tie) then trains
with seeds 1 .. ``--seeds``-1 (the data stay those of ``data_seed``). The
fast-schedule question (docs/reference.md section 8): GCP (Newton-Schulz)
with LRfast compressed to 30/50 of the epochs, at its best LRadju rate
converted as the recipes convert it (0.1233 / 0.1041), against GAP with
LRadju, the same seeds.

Prints the tables (top-1 of each rate, mean and standard deviation of
final top-1 over the seeds, per-epoch wall and process CPU time, the
study's wall time) and writes ``study.json`` into the work dir. Finished
runs are kept in ``<work dir>/runs/*/result.json`` and read back, not
retrained, by a later invocation with the same settings; so two processes
on different ``--methods`` can share the work (``--threads 1`` each), and
a last invocation with every method prints the whole table. Numbers are
reported, never asserted.

    python benchmarks/normalisation_study.py --work-dir /tmp/study
    python benchmarks/normalisation_study.py --work-dir /tmp/tiny --size 32 \\
        --base-channels 8 --reduced-channels 8 --train-per-class 2 \\
        --val-per-class 1 --epochs 2 --seeds 2 --lr-factors 1 4
"""
import argparse
import json
import math
import os.path as osp
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from gcp_mm.demo import (  # noqa: E402
    auto_scaled_lr,
    demo_config,
    lr_key,
    make_color_texture_dataset,
    run_config,
)
from gcp_mm.engine import stop_runner_workers  # noqa: E402
from gcp_mm.ops import NORMALIZATIONS  # noqa: E402

METHODS = ('gap', ) + NORMALIZATIONS + ('dropcov', )
FAST_METHOD = 'newton_schulz'  # iSQRT-COV, the paper's
# LRfast starts at 0.1 (53/52)^11 where LRadju starts at 0.1 (50/49)^2
LRFAST_PER_LRADJU = (53 / 52)**11 / (50 / 49)**2


@dataclass
class StudySettings:
    size: int = 112
    base_channels: int = 16  # ResNet-18's is 64
    reduced_channels: int = 64
    train_per_class: int = 48
    val_per_class: int = 32
    batch_size: int = 16
    epochs: int = 10  # LRadju compressed to this many; LRfast gets 6
    lr_factors: Tuple[float, ...] = (0.5, 2.0, 8.0)
    seeds: int = 3
    data_seed: int = 0
    methods: Tuple[str, ...] = METHODS
    fast_schedule: bool = True

    @property
    def fast_epochs(self) -> int:
        return max(1, round(self.epochs * 30 / 50))  # LRfast: 30 of 50


def method_config(method: str, schedule: str, data_root: str,
                  work_dir: str, settings: StudySettings, lr: float,
                  seed: int) -> Config:
    """The demo's config of ``method`` at the study's sizes."""
    head = 'gap' if method == 'gap' else 'gcp'
    epochs = settings.epochs if schedule == 'lradju' else \
        settings.fast_epochs
    cfg = run_config(
        demo_config(f'resnet18_{head}_{schedule}_textures.py'), data_root,
        work_dir, settings.size, epochs, lr, seed)
    width = settings.base_channels
    cfg.model.backbone.stem_channels = width
    cfg.model.backbone.base_channels = width
    features = 8 * width  # layer4's channels
    if method == 'gap':
        cfg.model.head.in_channels = features
    else:
        d = settings.reduced_channels
        neck = dict(in_channels=features, reduced_channels=d)
        if method == 'dropcov':
            cfg.model.neck = dict(type='DropCovPooling', **neck)
        else:
            cfg.model.neck.update(neck, normalization=method)
        cfg.model.head.in_channels = d * (d + 1) // 2
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # all work in this process, so that its CPU time is the run's
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_dataloader.batch_size = settings.batch_size
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 50
    return cfg


def texture_data(root: str, settings: StudySettings) -> Dict[str, int]:
    """The colour textures at the study's size, written once: a second
    invocation (or a parallel one started later) reads them back."""
    spec = dict(size=settings.size, train=settings.train_per_class,
                val=settings.val_per_class, seed=settings.data_seed)
    marker = osp.join(root, 'written.json')
    if osp.isfile(marker):
        with open(marker) as f:
            done = json.load(f)
        if done['spec'] == spec:
            return done['counts']
    counts = make_color_texture_dataset(root, spec['train'], spec['val'],
                                        spec['size'], spec['seed'])
    with open(marker, 'w') as f:
        json.dump(dict(spec=spec, counts=counts), f)
    return counts


def last_map_positions(cfg: Config, size: int) -> int:
    """H x W of the backbone's last feature map for ``size`` px inputs."""
    from mmpretrain.registry import MODELS
    backbone = MODELS.build(cfg.model.backbone)
    backbone.eval()
    with torch.no_grad():
        out = backbone(torch.zeros(1, 3, size, size))[-1]
    return out.shape[2] * out.shape[3]


class EpochClock(Hook):
    """Per training epoch: wall and process CPU seconds (the CPU time over
    the wall time shows how much of the machine the run got), the mean
    drop rate of a DropCov neck; per validation: top-1."""

    def __init__(self):
        self.wall, self.cpu, self.top1, self.drop_rate = [], [], [], []
        self._rates = []

    def before_train_epoch(self, runner):
        self._start = (time.perf_counter(), time.process_time())
        self._rates = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = getattr(runner.model, 'module', runner.model)
        rate = getattr(getattr(model, 'neck', None), 'last_drop_rate', None)
        if rate is not None:  # a benchmark may wait for the device
            self._rates.append(float(rate))

    def after_train_epoch(self, runner):
        self.wall.append(time.perf_counter() - self._start[0])
        self.cpu.append(time.process_time() - self._start[1])
        if self._rates:
            self.drop_rate.append(sum(self._rates) / len(self._rates))

    def after_val_epoch(self, runner, metrics=None):
        self.top1.append((metrics or {}).get('accuracy/top1'))


def train(cfg: Config) -> dict:
    """Train one config; its curve and times."""
    clock = EpochClock()
    start = (time.perf_counter(), time.process_time())
    started = time.time()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(clock, priority='LOWEST')
    runner.train()
    stop_runner_workers(runner)  # not 5 s each at the next run's gc
    return dict(top1=clock.top1[-1], curve=clock.top1,
                epoch_wall=clock.wall, epoch_cpu=clock.cpu,
                drop_rate=clock.drop_rate,
                started=started, finished=time.time(),
                wall=time.perf_counter() - start[0],
                cpu=time.process_time() - start[1])


@dataclass
class Study:
    settings: StudySettings
    work_dir: str
    log: object = print
    runs: Dict[str, dict] = field(default_factory=dict)
    data_root: str = ''

    def run(self, method: str, schedule: str, lr: float, seed: int) -> dict:
        name = f'{method}_{schedule}_lr{lr_key(lr)}_seed{seed}'
        run_dir = osp.join(self.work_dir, 'runs', name)
        done = osp.join(run_dir, 'result.json')
        # what the run depends on
        key = {k: v for k, v in asdict(self.settings).items()
               if k not in ('lr_factors', 'seeds', 'methods',
                            'fast_schedule')}
        key.update(method=method, schedule=schedule, lr=lr, seed=seed)
        if osp.isfile(done):
            with open(done) as f:
                result = json.load(f)
            if result.get('key') == key:
                self.runs[name] = result
                return result
        cfg = method_config(method, schedule, self.data_root, run_dir,
                            self.settings, lr, seed)
        result = dict(train(cfg), key=key, method=method,
                      schedule=schedule, lr=lr, seed=seed)
        with open(done, 'w') as f:
            json.dump(result, f)
        self.runs[name] = result
        self.log(f'RUN {name}: top-1 {result["top1"]:.1f}%, '
                 f'{result["wall"]:.0f} s wall, {result["cpu"]:.0f} s CPU'
                 + (f', drop rate {result["drop_rate"][-1]:.2f}'
                    if result['drop_rate'] else ''))
        return result

    def execute(self) -> dict:
        s = self.settings
        start = time.time()
        self.data_root = osp.join(self.work_dir, 'data')
        counts = texture_data(self.data_root, s)
        recipe = Config.fromfile(
            demo_config('resnet18_gcp_lradju_textures.py'))
        recipe.train_dataloader.batch_size = s.batch_size
        base_lr = auto_scaled_lr(recipe)
        probe = method_config('newton_schulz', 'lradju', self.data_root,
                              self.work_dir, s, base_lr, 0)
        positions = last_map_positions(probe, s.size)
        d = s.reduced_channels
        rank = min(positions - 1, d)
        self.log(f'data: {counts} images of {s.size} px (data seed '
                 f'{s.data_seed}); ResNet-18 of width {s.base_channels} '
                 f'(64 is the zoo\'s); GCP: last map {positions} positions, '
                 f'd = {d}, rank ratio min(positions - 1, d) / d = '
                 f'{rank}/{d} = {rank / d:.2f}; LRadju in {s.epochs} '
                 f'epochs, batch {s.batch_size}, base lr {base_lr:.4g}, '
                 f'{torch.get_num_threads()} threads')
        sweep, results = {}, {}
        rates = {lr_key(base_lr * f): base_lr * f for f in s.lr_factors}
        for method in s.methods:
            sweep[method] = {
                key: self.run(method, 'lradju', lr, 0)['top1']
                for key, lr in rates.items()}
            best = max(sweep[method],
                       key=lambda r: (sweep[method][r], -float(r)))
            results[method] = dict(
                lr=best, sweep=sweep[method],
                runs=[self.run(method, 'lradju', rates[best], seed)
                      for seed in range(s.seeds)])
        fast = None
        if s.fast_schedule and FAST_METHOD in results and 'gap' in results:
            lr = rates[results[FAST_METHOD]['lr']] * LRFAST_PER_LRADJU
            fast = dict(lr=lr_key(lr), epochs=s.fast_epochs, runs=[
                self.run(FAST_METHOD, 'lrfast', lr, seed)
                for seed in range(s.seeds)])
        runs = list(self.runs.values())
        study = dict(settings=asdict(s), data=counts, base_lr=base_lr,
                     threads=torch.get_num_threads(),
                     positions=positions, rank_ratio=rank / d,
                     run_seconds=sum(r['wall'] for r in runs),
                     span=max(r['finished'] for r in runs) -
                     min(r['started'] for r in runs),
                     results={m: summarise(r) for m, r in results.items()},
                     fast_schedule=summarise(fast) if fast else None,
                     wall=time.time() - start, runs=self.runs)
        with open(osp.join(self.work_dir, 'study.json'), 'w') as f:
            json.dump(study, f, indent=1)
        return study


def _mean_std(values: List[float]) -> Tuple[float, float]:
    return (statistics.mean(values),
            statistics.stdev(values) if len(values) > 1 else math.nan)


def summarise(result: dict) -> dict:
    runs = result['runs']
    top1 = [r['top1'] for r in runs]
    wall = [t for r in runs for t in r['epoch_wall']]
    cpu = [t for r in runs for t in r['epoch_cpu']]
    rates = [p for r in runs for p in r['drop_rate']]
    mean, std = _mean_std(top1)
    return dict({k: v for k, v in result.items() if k != 'runs'},
                top1=top1, mean=mean, std=std, seeds=len(runs),
                epoch_wall=statistics.mean(wall),
                epoch_cpu=statistics.mean(cpu),
                run_wall=statistics.mean(r['wall'] for r in runs),
                drop_rate=statistics.mean(rates) if rates else None)


NAMES = dict(gap='GAP', newton_schulz='GCP newton_schulz', eig='GCP eig',
             pade='GCP pade (MPA-Lya)', none='GCP none', dropcov='DropCov')


def table(study: dict) -> str:
    """The study's results as a Markdown table and the fast-schedule one."""
    rates = list(next(iter(study['results'].values()))['sweep'])
    lines = [
        '| method | top-1 at lr ' + ' / '.join(rates) + ' (seed 0) | best lr '
        '| top-1 mean | std | seeds | s/epoch wall | s/epoch CPU | s/run |',
        '|---|---|---|---|---|---|---|---|---|']
    for method, r in study['results'].items():
        sweep = ' / '.join(f'{r["sweep"][lr]:.1f}' for lr in rates)
        lines.append(
            f'| {NAMES[method]} | {sweep} | {r["lr"]} | {r["mean"]:.1f}% | '
            f'{r["std"]:.1f} | {r["seeds"]} | {r["epoch_wall"]:.1f} | '
            f'{r["epoch_cpu"]:.1f} | {r["run_wall"]:.0f} |')
    fast = study['fast_schedule']
    if fast:
        gap = study['results']['gap']
        gcp = study['results'][FAST_METHOD]
        s = study['settings']
        lines += [
            '', '| run | epochs | lr | top-1 per seed | mean | std | seeds |',
            '|---|---|---|---|---|---|---|']
        for label, r, epochs in (
                (f'{NAMES[FAST_METHOD]}, LRfast', fast, fast['epochs']),
                ('GAP, LRadju', gap, s['epochs']),
                (f'{NAMES[FAST_METHOD]}, LRadju', gcp, s['epochs'])):
            per_seed = ' '.join(f'{t:.1f}' for t in r['top1'])
            lines.append(f'| {label} | {epochs} | {r["lr"]} | {per_seed} | '
                         f'{r["mean"]:.1f}% | {r["std"]:.1f} | '
                         f'{r["seeds"]} |')
    lines.append(
        f'\nstudy wall time: {study["span"] / 60:.1f} min from the first '
        f'run\'s start to the last one\'s end ({study["run_seconds"] / 60:.1f}'
        f' min of runs, {study["threads"]} threads per process; this '
        f'invocation: {study["wall"] / 60:.1f} min)')
    return '\n'.join(lines)


def parse_args(argv=None):
    d = StudySettings()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--size', type=int, default=d.size)
    parser.add_argument('--base-channels', type=int, default=d.base_channels,
                        help='ResNet-18 width (the zoo: 64)')
    parser.add_argument('--reduced-channels', type=int,
                        default=d.reduced_channels)
    parser.add_argument('--train-per-class', type=int,
                        default=d.train_per_class)
    parser.add_argument('--val-per-class', type=int, default=d.val_per_class)
    parser.add_argument('--batch-size', type=int, default=d.batch_size)
    parser.add_argument('--epochs', type=int, default=d.epochs)
    parser.add_argument('--lr-factors', type=float, nargs='+',
                        default=d.lr_factors)
    parser.add_argument('--seeds', type=int, default=d.seeds)
    parser.add_argument('--methods', nargs='+', default=list(METHODS),
                        choices=METHODS)
    parser.add_argument('--no-fast-schedule', action='store_true')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch threads (two processes of 1 thread each '
                        'on different --methods share 2 cores without '
                        'waiting for each other)')
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error('--seeds must be at least 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    settings = StudySettings(
        size=args.size, base_channels=args.base_channels,
        reduced_channels=args.reduced_channels,
        train_per_class=args.train_per_class,
        val_per_class=args.val_per_class, batch_size=args.batch_size,
        epochs=args.epochs,
        lr_factors=tuple(args.lr_factors), seeds=args.seeds,
        methods=tuple(args.methods),
        fast_schedule=not args.no_fast_schedule)
    torch.set_num_threads(args.threads)
    study = Study(settings, args.work_dir).execute()
    print(table(study))
    print(f'written: {osp.join(args.work_dir, "study.json")}')


if __name__ == '__main__':
    main()
