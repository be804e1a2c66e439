#!/usr/bin/env bash
# Runs the plugin core's tests on the oldest torch gcp-mm declares
# (setup.py's `torch>=` and `torchvision>=`), in a second environment
# cached outside the checkout (idempotent; CI runs it after `make test`).
#
#   bash tools/torch_floor.sh          # or: make test-torch-floor
#
# 1. creates $GCP_MM_CACHE/envs/torch<FLOOR>-cp311 (GCP_MM_CACHE defaults
#    to ~/.cache/gcp-mm) with Python 3.11;
# 2. installs the floor torch and torchvision from PyPI with the rest of
#    requirements.txt's pins (pip --isolated: a machine's pip config, such
#    as find-links to local CPU wheels, would mix a CPU torch with a CUDA
#    torchvision);
# 3. installs onedl-mmcv without its C++ ops (MMCV_WITH_OPS=0: pure
#    Python, no compile), which the plugin core does not need;
# 4. runs FLOOR_TESTS with the checkout first on the path.
# A stamp records what was installed, so an unchanged environment is not
# set up again (the tests then take under 2 minutes on 2 cores; any change
# to the stamp's inputs rebuilds it, about 3 minutes more). The exit
# status is pytest's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/install.sh
source "$ROOT/tools/install.sh"  # find_python, MMCV_VERSION

# The fastest test files that cover the ops, the necks, the backbone, the
# hooks and the classification configs (a few minutes on 2 cores).
FLOOR_TESTS=(
    tests/test_ops/test_isqrt_cov.py
    tests/test_ops/test_normalization.py
    tests/test_ops/test_sqrtm_eig.py
    tests/test_ops/test_sqrtm_pade.py
    tests/test_models/test_necks
    tests/test_models/test_backbones
    tests/test_models/test_heads
    tests/test_engine/test_bad_image_hook.py
    tests/test_engine/test_optim_wrappers.py
    tests/test_configs/test_imagenet_configs.py
)
# Left out: what needs mmcv's C++ ops (mmcv._ext), which this environment
# does not build (mmdet's registry and detection backbone, Mask R-CNN), and
# a DDP test that compares the child's whole stdout, where the floor torch's
# gloo and mmdet without ops print lines of their own (the steps pass).
# And torch.compile: tracing without graph breaks is a property of the
# pinned torch's dynamo (torch 2.3's breaks the graph inside the autograd
# Functions and their context managers); eager results are tested.
FLOOR_DESELECT=(
    'tests/test_ops/test_normalization.py::test_traces_as_one_graph'
    'tests/test_ops/test_normalization.py::test_compiled_forward_and_backward_equal_eager'
    'tests/test_models/test_necks/test_gcp.py::test_builds_from_both_registries[mmdet]'
    'tests/test_models/test_backbones/test_gcp_resnet.py::test_loads_converted_released_weights_and_matches_torchvision'
    tests/test_engine/test_optim_wrappers.py::test_cpu_amp_trains_gcpm_mask_rcnn_with_finite_losses
    tests/test_models/test_necks/test_dropcov.py::test_ddp_step_at_rate_one
)

floor_log() { printf '[torch-floor] %s\n' "$*"; }

declared_floor() {
    # declared_floor SETUP_PY NAME: the version of NAME's `>=` bound in
    # INSTALL_REQUIRES, e.g. 2.8.0 for 'torch>=2.8.0'
    local found
    found="$(sed -n "s/^ *'$2>=\([0-9][0-9.]*\)',\$/\1/p" "$1")"
    if [ -z "$found" ]; then
        echo "$1 declares no '$2>=VERSION' in INSTALL_REQUIRES" >&2
        return 1
    fi
    echo "$found"
}

floor_requirements() {
    # floor_requirements ROOT TORCH TORCHVISION: requirements.txt with the
    # floor torch and torchvision in place of the pinned ones (ninja and
    # ruff build and lint, they test nothing)
    echo "torch==$2"
    echo "torchvision==$3"
    grep -vE '^[[:space:]]*(#|$|torch==|torchvision==|ninja|ruff)' \
        "$1/requirements.txt"
}

floor_stamp_key() {
    # floor_stamp_key ROOT TORCH TORCHVISION: what the environment is made
    # of (the requirements, onedl-mmcv's version and this script)
    {
        floor_requirements "$1" "$2" "$3"
        echo "onedl-mmcv==$MMCV_VERSION MMCV_WITH_OPS=0"
        cat "$1/tools/torch_floor.sh"
    } | sha256sum | cut -c1-16
}

floor_env_up_to_date() {
    # floor_env_up_to_date ENV KEY: the stamp matches and the interpreter
    # still runs
    [ -f "$1/.gcp_mm_floor" ] && [ "$(cat "$1/.gcp_mm_floor")" = "$2" ] &&
        [ -x "$1/bin/python" ]
}

build_floor_env() {
    # build_floor_env ROOT ENV TORCH TORCHVISION
    local root="$1" env="$2" torch="$3" vision="$4" reqs
    rm -rf "$env"
    mkdir -p "$(dirname "$env")"
    "$(find_python)" -m venv "$env"
    reqs="$(mktemp)"
    floor_requirements "$root" "$torch" "$vision" > "$reqs"
    floor_log "installing torch $torch, torchvision $vision and requirements.txt's other pins from PyPI"
    "$env/bin/python" -m pip install --isolated -q --upgrade pip setuptools wheel
    "$env/bin/python" -m pip install --isolated -q -r "$reqs"
    rm -f "$reqs"
    floor_log "installing onedl-mmcv $MMCV_VERSION without C++ ops"
    "$env/bin/python" -m pip install --isolated -q --no-binary onedl-mmcv \
        "onedl-mmcv==$MMCV_VERSION"
}

main_floor() {
    local torch vision env key
    torch="$(declared_floor "$ROOT/setup.py" torch)"
    vision="$(declared_floor "$ROOT/setup.py" torchvision)"
    env="${GCP_MM_CACHE:-$HOME/.cache/gcp-mm}/envs/torch$torch-cp311"
    key="$(floor_stamp_key "$ROOT" "$torch" "$vision")"
    if floor_env_up_to_date "$env" "$key"; then
        floor_log "environment up to date ($env)"
    else
        build_floor_env "$ROOT" "$env" "$torch" "$vision"
        echo "$key" > "$env/.gcp_mm_floor"
    fi
    # the environment must hold the floor itself, not what pip resolved
    "$env/bin/python" - "$torch" "$vision" <<'PYEOF'
import sys

import torch
import torchvision

wanted = sys.argv[1:]
found = [torch.__version__.split('+')[0], torchvision.__version__.split('+')[0]]
if found != wanted:
    sys.exit(f'the floor environment holds torch/torchvision {found}, '
             f'not {wanted}: delete it and rerun tools/torch_floor.sh')
PYEOF
    floor_log "testing the plugin core on torch $torch, torchvision $vision"
    cd "$ROOT"
    PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$env/bin/python" -m pytest \
        -p no:cacheprovider "${FLOOR_TESTS[@]}" \
        "${FLOOR_DESELECT[@]/#/--deselect=}" "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main_floor "$@"
fi
