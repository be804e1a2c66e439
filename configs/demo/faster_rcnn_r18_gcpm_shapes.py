# The demo's detector (docs/demo.md, "Detection"): Faster R-CNN with the
# GCP_M backbone (../faster_rcnn_r50_gcpm.py) at depth 18, initialised from
# the demo's best GCP ResNet-18 (tools/demo.py sets the checkpoint), on
# generated 96 px COCO-format images of three shapes that never overlap
# (gcp_mm.demo.data.coco_shapes; tools/demo.py writes them and sets
# data_root), sized for 2 CPU cores. Tests put other detection configs on
# these images with the settings of this file (gcp_mm.testing).
_base_ = '../faster_rcnn_r50_gcpm.py'

# ---- the data
data_root = 'work_dirs/demo/coco_shapes/'
metainfo = dict(classes=('square', 'disc', 'triangle'))
image_scale = (96, 96)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
coco = dict(data_root=data_root, data_prefix=dict(img='images/'),
            metainfo=metainfo)
train_dataloader = dict(
    batch_size=2,
    num_workers=1,
    dataset=dict(**coco, ann_file='annotations/train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(**coco, ann_file='annotations/val.json',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator

# ---- the detector on the CPU: at most 3 objects an image need 100
# proposals (of 400 before NMS); 128 FPN channels, a 512-wide box head and
# 32 sampled RoIs, half of them positive, keep an iteration of 2 images at
# about 0.15 s; one box regressor for all classes learns from every
# positive RoI. The box head learns the overlap itself (GIoU on decoded
# boxes, with mmdet's GIoU configs' weight): with L1 on the deltas, boxes
# stayed loose (AP75 0.28). BN adapts to the new images.
channels = 128
model = dict(
    backbone=dict(
        depth=18,
        norm_eval=False,
        init_cfg=dict(checkpoint='work_dirs/demo/resnet18_gcp.pth')),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(
            num_classes=3,
            in_channels=channels,
            fc_out_channels=512,
            reg_class_agnostic=True,
            reg_decoded_bbox=True,
            loss_bbox=dict(_delete_=True, type='GIoULoss',
                           loss_weight=10.0))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=400, max_per_img=100),
        rcnn=dict(sampler=dict(num=32, pos_fraction=0.5))),
    test_cfg=dict(rpn=dict(nms_pre=400, max_per_img=100)))

# ---- the schedule: a fixed rate of 0.02 for 2 images an iteration;
# unclipped, it kills the box head's ReLUs within 80 iterations (its
# gradient norm is 10-20); clipped at norm 2, every step is at most 2 x lr
# long and they live. mmdet's 1x schedule compressed to 11 epochs, a
# 50-iteration warm-up; evaluated once, after training (tools/demo.py).
optim_wrapper = dict(optimizer=dict(lr=0.02),
                     clip_grad=dict(max_norm=2, norm_type=2))
auto_scale_lr = dict(enable=False)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', begin=0, end=11, by_epoch=True,
         milestones=[7, 10], gamma=0.1)
]
train_cfg = dict(max_epochs=11, val_begin=12)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=11, max_keep_ckpts=1),
    logger=dict(interval=10))
randomness = dict(seed=0)
