from mmengine.optim.scheduler import PolyLR
from mmengine.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class PolyToEndLR(PolyLR):
    """Polynomial decay ``lr_t = eta_min + (lr_0 - eta_min) (1 - t / T)^p``
    with ``T = end - begin``, i.e. the decay would reach ``eta_min`` at
    ``end``.

    mmengine's ``PolyLR`` uses ``T = end - begin - 1`` (it reaches
    ``eta_min`` on its last step). With ``convert_to_iter_based=True`` and
    ``end`` = the number of epochs, this class gives the reference
    ShuffleNetV2 schedule ``lr_0 (1 - step / total_steps)`` exactly, for any
    data set size (docs/reference.md section 3).
    """

    def __init__(self, optimizer, *args, **kwargs):
        super().__init__(optimizer, *args, **kwargs)
        self.total_iters = self.end - self.begin
        # the constructor already applied step 0, which does not use T
