from .gcp_resnet import GCPResNet, gcp_backbone_state_dict

__all__ = ['GCPResNet', 'gcp_backbone_state_dict']
