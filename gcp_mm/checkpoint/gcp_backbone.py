"""Which checkpoints may initialise a GCP network's backbone (``GCPResNet``
in detection): GCP ImageNet weights, not those of a GAP ResNet."""
from .io import REMOTE_CHECKPOINTS, CheckpointError
from .loading import read_state_dict, refuse_released
from .released import backbone_state_dict

# the keys by which a classifier's dropped head shows it is a GCP network:
# the released files' reduction (layer_reduce*) or gcp-mm's neck
_GCP_HEAD_PREFIXES = ('layer_reduce', 'neck.')


def check_gcp_backbone_init(init_cfg, name: str = 'GCPResNet') -> None:
    """Raise ``CheckpointError`` with the fixes unless a ``Pretrained``
    ``init_cfg`` names weights a GCP backbone may load: a converted or
    trained GCP ImageNet classifier, or a backbone alone. An ImageNet
    ResNet of mmdet's bases (``torchvision://``, ``open-mmlab://``) or a
    GAP classifier's file is refused, and so is a released file as it is
    (the one policy, :func:`.loading.refuse_released`). Other inits pass;
    a missing file is left to the caller."""
    import os.path as osp
    if not (isinstance(init_cfg, dict)
            and init_cfg.get('type') == 'Pretrained'):
        return
    path = str(init_cfg.get('checkpoint'))
    if not path.startswith(REMOTE_CHECKPOINTS):
        if not osp.isfile(path):
            return
        state = read_state_dict(path)
        _, dropped = backbone_state_dict(state)
        if not dropped:
            return  # a backbone alone
        if any(k.startswith(_GCP_HEAD_PREFIXES) for k in dropped):
            refuse_released(state, path, name)
            return
    raise CheckpointError(
        'convert GCP ImageNet weights (tools/convert_checkpoint.py) and '
        'set model.backbone.init_cfg.checkpoint=PATH, or set '
        'model.backbone.init_cfg=None to train from scratch: '
        f'{path} is a GAP ResNet')
