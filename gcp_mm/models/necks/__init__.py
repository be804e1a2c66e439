from .dropcov import DropCovPooling, dropcov_rate
from .gcp import GlobalCovariancePooling
from .inputs import (
                     BackboneOutputError,
                     check_backbone_config,
                     check_backbone_output,
)

__all__ = [
    'GlobalCovariancePooling', 'DropCovPooling', 'dropcov_rate',
    'BackboneOutputError',
    'check_backbone_config', 'check_backbone_output'
]
