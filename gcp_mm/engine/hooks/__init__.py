from .bad_image_hook import BadImageHook, make_loading_safe
from .finite_state_hook import FiniteStateHook
from .landscape_hook import LandscapeHook, measure_landscape
from .preemption_hook import PreemptionHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = [
    'BadImageHook', 'make_loading_safe', 'LandscapeHook', 'measure_landscape',
    'FiniteStateHook', 'PreemptionHook', 'SafeCheckpointHook'
]
