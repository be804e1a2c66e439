"""make gpu-check: gcp-mm's CUDA paths on this machine's GPU, in one report.

    .venv/bin/python benchmarks/gpu_check.py [--work-dir work_dirs/gpu_check]

Writes ``gpu_check.md`` (tables) and ``gpu_check.json`` (the same numbers)
with the card's name, from these sections (``--sections`` picks some):

* ``accuracy``: the op (``isqrt_cov``) and each normalisation, forward and
  backward, in float32 and under float16 / bfloat16 autocast (input in the
  autocast dtype, as a conv's output is), against the same function in
  float64 on the CPU, on rank-deficient ReLU features at the paper's shape
  (256 channels, 14x14 positions): relative Frobenius errors and whether
  everything is finite;
* ``training``: a few ``--amp`` training steps (mmengine's
  ``AmpOptimWrapper``, dynamic loss scale) of the GCP ResNet-50, ConvNeXt-T,
  Swin-T and DeiT-S configs and of Faster R-CNN GCP_M on random input:
  losses finite, the loss scale after the steps;
* ``step_share``: a GCP ResNet-50 training step (batch 32, 224 px) and the
  op's forward+backward at its shape: the op's share of the step;
* ``benchmarks``: benchmarks/isqrt_cov.py and benchmarks/normalisations.py
  (fp32, fp16 and bf16 autocast; each normalisation's ratio to
  Newton-Schulz, eig included) with ``--device cuda``, their output kept;
* ``tests``: the suite's CUDA tests (``pytest tests -k cuda``; they skip
  without a GPU), counted from pytest's JUnit XML.

Without a GPU torch can use it measures nothing: one line, status 2.
``--device cpu --quick`` runs the CPU-capable sections at small sizes (how
the suite tests the report itself).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from benchmarks.harness import median_seconds, sync  # noqa: E402
from gcp_mm.ops import NORMALIZATIONS, isqrt_cov, normalized_covariance_triu  # noqa

SECTIONS = ('accuracy', 'training', 'step_share', 'benchmarks', 'tests')
METHODS = ('isqrt_cov', ) + NORMALIZATIONS
PRECISIONS = {'float32': None, 'float16': torch.float16,
              'bfloat16': torch.bfloat16}
TRAINING_CONFIGS = {
    'GCP ResNet-50': 'configs/imagenet/resnet50_gcp_lrnorm.py',
    'ConvNeXt-T GCP': 'configs/transformers/convnext_tiny_gcp_adamw.py',
    'Swin-T GCP': 'configs/transformers/swin_tiny_gcp_adamw.py',
    'DeiT-S GCP': 'configs/transformers/deit_small_gcp_adamw.py',
    'Faster R-CNN R-50 GCP_M': 'configs/faster_rcnn_r50_gcpm.py',
}


class NoGpuError(RuntimeError):
    """The report needs a GPU torch can use."""


def pooled(method: str, x: torch.Tensor) -> torch.Tensor:
    if method == 'isqrt_cov':
        return isqrt_cov(x)
    return normalized_covariance_triu(x, method)


def relu_features(batch: int, channels: int, side: int) -> torch.Tensor:
    """float64 CPU ReLU features: covariances of rank < side^2 <= C."""
    gen = torch.Generator().manual_seed(0)
    return torch.randn(batch, channels, side, side, generator=gen,
                       dtype=torch.float64).relu_()


def _relative(approx: torch.Tensor, exact: torch.Tensor) -> float:
    diff = approx.detach().double().cpu() - exact
    return float(diff.norm() / exact.norm())


def accuracy(device: torch.device, batch: int, channels: int,
             side: int) -> list:
    """One row per (method, precision), see the module docstring."""
    x64 = relu_features(batch, channels, side)
    rows = []
    for method in METHODS:
        ref_in = x64.clone().requires_grad_()
        ref = pooled(method, ref_in)
        upstream = torch.randn(ref.shape, dtype=torch.float64,
                               generator=torch.Generator().manual_seed(1))
        ref.backward(upstream)
        for precision, dtype in PRECISIONS.items():
            x = x64.float().to(device).requires_grad_()
            with torch.autocast(device.type, dtype=dtype,
                                enabled=dtype is not None):
                out = pooled(method, x if dtype is None else x.to(dtype))
            out.float().backward(upstream.float().to(device))
            rows.append(dict(
                method=method, precision=precision,
                output_dtype=str(out.dtype).replace('torch.', ''),
                forward_error=_relative(out, ref.detach()),
                backward_error=_relative(x.grad, ref_in.grad),
                finite=bool(torch.isfinite(out).all()
                            and torch.isfinite(x.grad).all())))
    return rows


def _build(config: str):
    """The config's model (weights as initialised by the constructors;
    Pretrained checkpoints are not loaded) and the config."""
    from mmengine.config import Config
    cfg = Config.fromfile(os.path.join(ROOT, config))
    if 'rcnn' in config:
        from mmdet.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
        # as the Runner does: the config's preprocessor (normalisation, and
        # the class count for the transformers' Mixup / CutMix)
        cfg.model.data_preprocessor = dict(
            cfg.get('data_preprocessor', {}),
            num_classes=cfg.model.head.num_classes)
    return MODELS.build(cfg.model), cfg


def _classifier_batch(size: int, num: int, num_classes: int) -> dict:
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(0)
    return dict(
        inputs=[torch.rand(3, size, size, generator=gen) * 255
                for _ in range(num)],
        data_samples=[DataSample().set_gt_label(i % num_classes)
                      for i in range(num)])


def _detector_batch(size: int, num: int) -> dict:
    from mmdet.testing import demo_mm_inputs
    return demo_mm_inputs(batch_size=num, image_shapes=[(3, size, size)] * num,
                          num_items=[4] * num, num_classes=10)


def _amp_wrapper(model, cfg, device: torch.device):
    """cfg's optimiser in the wrapper tools/train.py --amp picks."""
    from mmengine.optim import build_optim_wrapper
    wrapper_cfg = cfg.optim_wrapper.copy()
    if device.type == 'cuda':
        wrapper_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
    else:
        wrapper_cfg.update(type='CPUAmpOptimWrapper', dtype='bfloat16')
    return build_optim_wrapper(model, wrapper_cfg)


def training(device: torch.device, steps: int, size: int, batch: int,
             configs: dict) -> list:
    """A few --amp steps per config: losses, finiteness, loss scale."""
    from mmengine.registry import DefaultScope

    import gcp_mm.engine  # noqa: F401  registers CPUAmpOptimWrapper
    rows = []
    for name, config in configs.items():
        detector = 'rcnn' in config
        scope = 'mmdet' if detector else 'mmpretrain'
        with DefaultScope.overwrite_default_scope(scope):
            torch.manual_seed(0)
            model, cfg = _build(config)
            model.to(device).train()
            wrapper = _amp_wrapper(model, cfg, device)
            if detector:
                data = _detector_batch(size * 2, batch)
            else:
                data = _classifier_batch(size, batch,
                                         cfg.model.head.num_classes)
            losses = []
            start = time.perf_counter()
            for _ in range(steps):
                log_vars = model.train_step(data, wrapper)
                losses.append(float(log_vars['loss']))
            sync(device)
            scaler = getattr(wrapper, 'loss_scaler', None)
            scale = float(scaler.get_scale()) if scaler is not None else None
            rows.append(dict(
                model=name, config=config, steps=steps,
                seconds=time.perf_counter() - start, losses=losses,
                finite=all(map(_finite, losses)),
                loss_scale=scale,
                # dynamic scaling starts at 2^16, halves on each overflow:
                # a scale below 1 means fp16 gradients overflow persistently
                scale_sane=scale is None or 1.0 <= scale <= 2.0**24))
            del model, wrapper
    return rows


def _finite(value: float) -> bool:
    return value == value and abs(value) != float('inf')


def step_share(device: torch.device, batch: int, size: int,
               repeats: int) -> dict:
    """GCP ResNet-50 train step (fp32) and the op's share of it."""
    from mmengine.optim import OptimWrapper
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model, cfg = _build(TRAINING_CONFIGS['GCP ResNet-50'])
        model.to(device).train()
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
        data = _classifier_batch(size, batch, cfg.model.head.num_classes)
        step = median_seconds(lambda: model.train_step(data, wrapper),
                              repeats, device)
    side = size // 16  # layer4 at stride 1: 1/16 of the input
    x = torch.randn(batch, cfg.model.neck.reduced_channels, side, side,
                    device=device).relu_().requires_grad_()
    grad = torch.randn(batch, cfg.model.head.in_channels, device=device)
    op = median_seconds(lambda: isqrt_cov(x).backward(grad), repeats,
                        device)
    return dict(batch=batch, size=size, step_seconds=step,
                op_seconds=op, op_share=op / step)


def run_benchmarks(device: torch.device, quick: bool) -> list:
    runs = [['benchmarks/isqrt_cov.py', '--quick'],
            ['benchmarks/normalisations.py', '--quick']]
    runs += [['benchmarks/normalisations.py', '--quick', '--no-memory',
              '--autocast', dtype] for dtype in ('float16', 'bfloat16')]
    results = []
    for argv in runs:
        done = subprocess.run(
            [sys.executable, *argv, '--device', device.type], cwd=ROOT,
            capture_output=True, text=True, timeout=300)
        results.append(dict(command=' '.join(argv + ['--device',
                                                     device.type]),
                            returncode=done.returncode,
                            output=(done.stdout + done.stderr)[-4000:]))
    return results


def cuda_tests(work_dir: str) -> dict:
    xml = os.path.join(work_dir, 'cuda_tests.xml')
    done = subprocess.run(
        [sys.executable, '-m', 'pytest', 'tests', '-k', 'cuda', '-q',
         '-p', 'no:cacheprovider', f'--junitxml={xml}'], cwd=ROOT,
        capture_output=True, text=True, timeout=420)
    return dict(returncode=done.returncode, **junit_counts(xml),
                tail=done.stdout[-1500:])


def junit_counts(path: str) -> dict:
    """Passed / failed / skipped test ids of a pytest JUnit XML file."""
    outcome = dict(passed=[], failed=[], skipped=[])
    for case in ET.parse(path).getroot().iter('testcase'):
        test = f"{case.get('classname')}::{case.get('name')}"
        if case.find('failure') is not None or case.find(
                'error') is not None:
            outcome['failed'].append(test)
        elif case.find('skipped') is not None:
            outcome['skipped'].append(test)
        else:
            outcome['passed'].append(test)
    return outcome


def describe_device(device: torch.device) -> dict:
    info = dict(device=str(device), torch=torch.__version__,
                torch_cuda=torch.version.cuda,
                python=platform.python_version())
    if device.type == 'cuda':
        props = torch.cuda.get_device_properties(device)
        info.update(card=props.name,
                    memory_gib=round(props.total_memory / 2**30, 1),
                    compute_capability=f'{props.major}.{props.minor}')
    else:
        info.update(card=f'CPU ({platform.processor() or platform.machine()},'
                    f' {os.cpu_count()} cores): no GPU measured')
    return info


def check_device(name: str) -> torch.device:
    device = torch.device(name)
    if device.type == 'cuda' and not torch.cuda.is_available():
        from gcp_mm.cuda_device import check_cuda_usable
        check_cuda_usable()  # a GPU torch cannot use: its own line
        raise NoGpuError(
            'no GPU: torch.cuda.is_available() is False here, so '
            'make gpu-check measured nothing; run it on a machine with an '
            'NVIDIA GPU (or --device cpu --quick to try the report)')
    return device


def run(device_name: str, work_dir: str, sections, quick: bool) -> dict:
    device = check_device(device_name)
    os.makedirs(work_dir, exist_ok=True)
    report = dict(machine=describe_device(device), quick=quick)
    if 'accuracy' in sections:
        shape = (2, 16, 3) if quick else (8, 256, 14)
        report['accuracy'] = dict(shape=dict(zip(
            ('batch', 'channels', 'side'), shape)),
            rows=accuracy(device, *shape))
    if 'training' in sections:
        configs = TRAINING_CONFIGS
        if quick:  # the CPU run: one classifier, tiny input
            configs = {k: v for k, v in configs.items() if 'ResNet' in k}
        report['training'] = training(device, steps=2 if quick else 3,
                                      size=64 if quick else 224,
                                      batch=2 if quick else 8,
                                      configs=configs)
    if 'step_share' in sections:
        report['step_share'] = step_share(
            device, batch=2 if quick else 32, size=64 if quick else 224,
            repeats=1 if quick else 5)
    if 'benchmarks' in sections:
        report['benchmarks'] = run_benchmarks(device, quick)
    if 'tests' in sections:
        report['tests'] = cuda_tests(work_dir)
    write_report(report, work_dir)
    return report


def markdown(report: dict) -> str:
    machine = report['machine']
    lines = [f"# gcp-mm GPU check: {machine['card']}", '',
             f"torch {machine['torch']} (CUDA {machine['torch_cuda']}), "
             f"Python {machine['python']}, device {machine['device']}"
             + (' (quick: small sizes)' if report['quick'] else ''), '']
    if 'accuracy' in report:
        shape = report['accuracy']['shape']
        lines += [
            '## Accuracy against float64 on the CPU',
            '',
            f"ReLU features, batch {shape['batch']}, {shape['channels']} "
            f"channels, {shape['side']}x{shape['side']} positions; relative "
            'Frobenius errors of the output and of the input gradient.', '',
            '| method | precision | output dtype | forward error | '
            'backward error | finite |', '|---|---|---|---|---|---|']
        lines += [f"| {r['method']} | {r['precision']} | {r['output_dtype']}"
                  f" | {r['forward_error']:.2e} | {r['backward_error']:.2e} "
                  f"| {'yes' if r['finite'] else '**no**'} |"
                  for r in report['accuracy']['rows']]
        lines.append('')
    if 'training' in report:
        lines += ['## Training steps with --amp', '',
                  '| model | steps | losses | finite | loss scale | '
                  'seconds |', '|---|---|---|---|---|---|']
        for r in report['training']:
            scale = ('-' if r['loss_scale'] is None else
                     f"{r['loss_scale']:g}" + (
                         '' if r['scale_sane'] else ' (**not sane**)'))
            losses = ' '.join(f'{v:.4g}' for v in r['losses'])
            lines.append(f"| {r['model']} | {r['steps']} | {losses} | "
                         f"{'yes' if r['finite'] else '**no**'} | {scale} | "
                         f"{r['seconds']:.1f} |")
        lines.append('')
    if 'step_share' in report:
        s = report['step_share']
        lines += ['## The op in a GCP ResNet-50 training step', '',
                  f"batch {s['batch']}, {s['size']} px, float32: step "
                  f"{s['step_seconds'] * 1e3:.1f} ms, iSQRT-COV forward+"
                  f"backward {s['op_seconds'] * 1e3:.2f} ms = "
                  f"{100 * s['op_share']:.1f}% of the step", '']
    for bench in report.get('benchmarks', []):
        lines += [f"## `{bench['command']}` (exit {bench['returncode']})",
                  '', '```', bench['output'].rstrip(), '```', '']
    if 'tests' in report:
        t = report['tests']
        lines += ["## The suite's CUDA tests (`pytest tests -k cuda`)", '',
                  f"{len(t['passed'])} passed, {len(t['failed'])} failed, "
                  f"{len(t['skipped'])} skipped", '']
        lines += [f'* failed: `{name}`' for name in t['failed']]
    return '\n'.join(lines).rstrip() + '\n'


def write_report(report: dict, work_dir: str) -> None:
    with open(os.path.join(work_dir, 'gpu_check.json'), 'w') as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(work_dir, 'gpu_check.md'), 'w') as f:
        f.write(markdown(report))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--work-dir', default='work_dirs/gpu_check')
    parser.add_argument('--sections', nargs='+', choices=SECTIONS,
                        default=list(SECTIONS))
    parser.add_argument('--quick', action='store_true',
                        help='small sizes (a CPU run of the report)')
    args = parser.parse_args(argv)
    from gcp_mm.errors import InputError
    try:
        run(args.device, args.work_dir, args.sections, args.quick)
    except (NoGpuError, InputError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'wrote {args.work_dir}/gpu_check.md and gpu_check.json')
    return 0


if __name__ == '__main__':
    sys.exit(main())
