# The fine-grained configs' fixtures (tiny data sets in each benchmark's
# real layout, ImageNet checkpoints of the zoo), shared with the preflight
# and TTA tests here.
from test_configs.test_finegrained_configs import (  # noqa: F401
    imagenet_checkpoint,
    tiny_data,
)
