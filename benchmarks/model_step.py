"""Train-step time and peak memory of ResNet-50 GAP vs GCP (the paper's
configs), and the shares of the GCP head and of the iSQRT-COV op.

    .venv/bin/python benchmarks/model_step.py [--batch 16] [--size 224]
        [--repeats 3]
    .venv/bin/python benchmarks/model_step.py --compile [--batch 8]
        [--size 112] [--repeats 3]

The step is forward + loss + backward + SGD update at batch 16, 224 px, on
the CPU. The head (GCP neck + classifier) and the op are timed forward +
backward in isolation on the tensors they see inside the step (layer4
features B x 2048 x 14 x 14, reduced features B x 256 x 14 x 14), next to
the plain autograd op of benchmarks/isqrt_cov.py. Peak memory is the growth
of the resident set's high-water mark during one step, in a fresh process.
Numbers are reported, never asserted.

``--compile`` times instead the GCP ResNet-50 train step (forward + loss +
backward + SGD update, inputs already preprocessed) with the model's loss
under ``torch.compile`` (inductor) against the same step in eager mode,
and counts dynamo's graph breaks in that loss (docs/deploy.md).
"""
import argparse
import json
import sys
import time
from os import path as osp

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from benchmarks.harness import (  # noqa: E402
    in_fresh_process,
    median_seconds,
    median_seconds_in_turns,
    peak_bytes,
)
from gcp_mm.resources import config_path  # noqa: E402
from gcp_mm.testing import plain_isqrt_cov  # noqa: E402


def build(head: str):
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper
    from mmpretrain.registry import MODELS

    import gcp_mm  # noqa: F401
    cfg = Config.fromfile(config_path('imagenet',
                                      f'resnet50_{head}_lrnorm.py'))
    model = MODELS.build(cfg.model)
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01,
                                         momentum=0.9, weight_decay=1e-4))
    return model, optim


def make_batch(batch: int, size: int):
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(0)
    return dict(
        inputs=[(torch.rand(3, size, size, generator=gen) * 255).to(
            torch.uint8) for _ in range(batch)],
        data_samples=[DataSample().set_gt_label(i % 1000)
                      for i in range(batch)])


def time_step(head, batch, size, repeats):
    model, optim = build(head)
    data = make_batch(batch, size)
    return median_seconds(lambda: model.train_step(data, optim), repeats)


def time_head(batch, repeats):
    """GCP neck + classifier forward/backward on layer4-sized features."""
    model, _ = build('gcp')
    feats = torch.randn(batch, 2048, 14, 14, requires_grad=True)
    labels = torch.randint(0, 1000, (batch, ))

    def step():
        logits = model.head.fc(model.neck(feats))
        torch.nn.functional.cross_entropy(logits, labels).backward()

    return median_seconds(step, repeats)


def time_op(fn, batch, repeats):
    x = torch.randn(batch, 256, 14, 14, requires_grad=True)
    grad = torch.ones(batch, 32896)
    return median_seconds(lambda: fn(x).backward(grad), repeats)


def compile_comparison(batch, size, repeats):
    """Eager vs torch.compile train step of the GCP ResNet-50: (eager s,
    compiled s, first compiled step s, graph breaks)."""
    model, optim = build('gcp')
    data = model.data_preprocessor(make_batch(batch, size), True)
    inputs, samples = data['inputs'], data['data_samples']

    def loss(images):
        return model(images, samples, mode='loss')['loss']

    def step(fn):
        optim.update_params(fn(inputs))

    torch._dynamo.reset()
    breaks = torch._dynamo.explain(loss)(inputs).graph_break_count
    torch._dynamo.reset()
    compiled_loss = torch.compile(loss)
    start = time.perf_counter()
    step(compiled_loss)  # compiles
    first = time.perf_counter() - start
    # in turns, so that load from other processes hits both alike
    seconds = median_seconds_in_turns(
        dict(eager=lambda: step(loss), compiled=lambda: step(compiled_loss)),
        repeats)
    eager, compiled = seconds['eager'], seconds['compiled']
    return eager, compiled, first, breaks


def peak_step_memory(head, batch, size):
    return in_fresh_process(__file__, [head, batch, size])


def child(head, batch, size):
    model, optim = build(head)
    data = make_batch(batch, size)
    print(peak_bytes(lambda: model.train_step(data, optim),
                     torch.device('cpu'),
                     warm_up=lambda: model.train_step(make_batch(2, 64),
                                                      optim)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--compile', action='store_true',
                        help='GCP step under torch.compile vs eager')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*json.loads(args.child))
        return
    if args.compile:
        print(f'GCP ResNet-50 train step, batch {args.batch}, {args.size} '
              f'px, CPU, {torch.get_num_threads()} threads, torch '
              f'{torch.__version__}')
        eager, compiled, first, breaks = compile_comparison(
            args.batch, args.size, args.repeats)
        print(f'graph breaks in the loss under torch._dynamo.explain: '
              f'{breaks}')
        print(f'eager step: {eager:.3f} s; torch.compile step: '
              f'{compiled:.3f} s ({eager / compiled:.2f}x); first compiled '
              f'step (compiling): {first:.1f} s')
        return
    from gcp_mm.ops import isqrt_cov
    print(f'ResNet-50 train step, batch {args.batch}, {args.size} px, CPU, '
          f'{torch.get_num_threads()} threads, torch {torch.__version__}')
    step = {h: time_step(h, args.batch, args.size, args.repeats)
            for h in ('gap', 'gcp')}
    memory = {h: peak_step_memory(h, args.batch, args.size)
              for h in ('gap', 'gcp')}
    head = time_head(args.batch, args.repeats)
    op = time_op(isqrt_cov, args.batch, args.repeats)
    plain = time_op(plain_isqrt_cov, args.batch, args.repeats)
    for h in ('gap', 'gcp'):
        print(f'{h.upper()} step: {step[h]:.3f} s, peak memory '
              f'{memory[h] / 2**20:.0f} MiB')
    print(f"GCP / GAP step time: {step['gcp'] / step['gap']:.2f}x, "
          f"memory: {memory['gcp'] / memory['gap']:.2f}x")
    print(f"GCP head (neck + fc): {head:.3f} s = "
          f"{100 * head / step['gcp']:.1f}% of the GCP step")
    print(f"iSQRT-COV op (gcp_mm): {op:.3f} s = "
          f"{100 * op / step['gcp']:.1f}% of the GCP step")
    print(f"iSQRT-COV op (plain autograd): {plain:.3f} s = "
          f"{100 * plain / step['gcp']:.1f}% of the GCP step")


if __name__ == '__main__':
    main()
