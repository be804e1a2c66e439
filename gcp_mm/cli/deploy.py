"""The command-line arguments of the ONNX export tools
(``tools/deploy/export_onnx.py``, ``tools/deploy/export_zoo.py``)."""


def add_comparison_arguments(parser) -> None:
    """``--image`` and ``--repeats``: the photo ONNX Runtime and PyTorch
    are compared on, and how many timed runs each gets."""
    parser.add_argument('--image', help='photo to compare on (default: '
                        "matplotlib's grace_hopper.jpg)")
    parser.add_argument('--repeats', type=int, default=10,
                        help='timed runs per runtime (default: 10)')


def comparison_photo(args) -> str:
    """The photo of ``--image``, or the default real photo."""
    from gcp_mm.testing import real_photo
    return args.image or real_photo()
