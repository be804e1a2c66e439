# The recipe every detection config here trains with (docs/reference.md
# section 7): mmdet's 1x schedule (SGD lr 0.02 for 16 images = 8 GPUs x 2,
# steps at epochs 8 and 11) and default runtime, with gcp-mm's modules
# (tools/train.py adds the training safeguards, docs/training.md).
_base_ = ['mmdet::_base_/schedules/schedule_1x.py',
          'mmdet::_base_/default_runtime.py']
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)
# rescaled for other batch sizes (tools/train.py --auto-scale-lr)
auto_scale_lr = dict(enable=True, base_batch_size=16)
