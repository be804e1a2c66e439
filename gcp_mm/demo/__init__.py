"""The demo (``tools/demo.py``, docs/demo.md) and what it is made of: its
generated data sets (:mod:`gcp_mm.demo.data`), the zoo configs made small
(:mod:`gcp_mm.demo.configs`), its runs (:mod:`gcp_mm.demo.runner`) and
how their learning-rate sweep is read over seeds (:mod:`gcp_mm.demo.sweep`).

Not loaded by ``import gcp_mm``: only the demo, the benchmarks and the
tests import it."""
from .configs import (
    compress_schedule,
    config_on_data,
    give_own_visualizer,
    set_data_root,
)
from .data import (
    CATEGORIES,
    CLASS_NAMES,
    make_coco_shapes_dataset,
    make_color_texture_dataset,
)
from .runner import (
    HEADS,
    DemoSettings,
    auto_scaled_lr,
    demo_config,
    detection_demo,
    lr_key,
    run_config,
    run_demo,
    train_classifier,
)
from .sweep import (
    LEARNED_TOP1,
    best_rate,
    shared_learning_rate,
    summarise_seeds,
)

__all__ = [
    'HEADS', 'DemoSettings', 'run_demo', 'run_config', 'demo_config',
    'auto_scaled_lr', 'lr_key', 'best_rate', 'train_classifier',
    'detection_demo', 'config_on_data', 'compress_schedule', 'set_data_root',
    'give_own_visualizer', 'CLASS_NAMES', 'make_color_texture_dataset',
    'CATEGORIES', 'make_coco_shapes_dataset', 'LEARNED_TOP1',
    'shared_learning_rate', 'summarise_seeds'
]
