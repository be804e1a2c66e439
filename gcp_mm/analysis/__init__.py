from .landscape import bands, find_records, plot
from .training_curves import (
    epoch_to,
    plot_curves,
    plot_lr_sweep,
    plot_sweep,
    read_val_curve,
)

__all__ = [
    'find_records', 'bands', 'plot', 'read_val_curve', 'epoch_to',
    'plot_curves', 'plot_lr_sweep', 'plot_sweep'
]
