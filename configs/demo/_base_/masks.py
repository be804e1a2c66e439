# For Mask R-CNN configs on the demo's shapes (gcp_mm.testing), after the
# settings of ../faster_rcnn_r18_gcpm_shapes.py: the masks loaded too, and
# the mask branch sized as the box branch.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(96, 96), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    roi_head=dict(
        mask_roi_extractor=dict(out_channels=128),
        mask_head=dict(in_channels=128, num_classes=3)))
