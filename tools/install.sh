#!/usr/bin/env bash
# Sets up the project's environment in .venv (idempotent).
#
#   bash tools/install.sh
#
# 1. creates .venv with Python 3.11 and installs requirements.txt;
# 2. builds onedl-mmcv from source with its C++ ops against the installed
#    torch, with CUDA ops where a GPU is visible (or FORCE_CUDA=1 asks)
#    and a toolkit of torch's CUDA is found (decide_mmcv_build), keeping the built wheel in $GCP_MM_CACHE
#    (default ~/.cache/gcp-mm) under a key of versions and device so later
#    set-ups skip the ~13 minute compile and CPU and CUDA builds never mix,
#    and skipping the step entirely when an identical build is installed;
# 3. installs gcp_mm itself in editable mode.
# A stamp in .venv records what was installed and the device it was
# installed for; an unchanged stack on an unchanged machine costs a second.
#
# Sourcing this file (tests do) defines the functions without running
# anything.
set -euo pipefail

MMCV_VERSION=2.3.6
# torch >= 2.13 headers use C++20 features; onedl-mmcv 2.3.6's setup.py
# passes -std=c++17 to the compiler. This is the one place that changes it.
MMCV_CXX_STD=c++20
# Built for with FORCE_CUDA=1 where no GPU is visible (a build node): the
# architectures CUDA 13 still supports from Turing on, plus PTX of the
# newest so later cards JIT-compile it (docs/installation.md).
DEFAULT_CUDA_ARCHS='7.5;8.0;8.6;8.9;9.0+PTX'

log() { printf '[install] %s\n' "$*"; }

find_python() {
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            command -v "$candidate"
            return
        fi
    done
    echo "gcp-mm needs Python 3.11 (python3.11 not found on PATH)" >&2
    exit 1
}

# ------------------------------------------------------------------ device
# Each function reads the machine only through PATH, CUDA_HOME/CUDA_PATH
# (/usr/local/cuda without them), the environment and its arguments, so
# the tests fake a machine with stub executables.

visible_gpu_archs() {
    # Compute capabilities of the visible NVIDIA GPUs, e.g. "8.0;9.0";
    # nothing when no driver answers.
    command -v nvidia-smi >/dev/null 2>&1 || return 0
    local archs
    archs="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader \
        2>/dev/null | tr -d ' \r' | grep -E '^[0-9]+\.[0-9]+$' |
        sort -u -V | paste -sd ';' -)" || true
    [ -z "$archs" ] || echo "$archs"
}

find_nvcc() {
    # The toolkit's nvcc: CUDA_HOME or CUDA_PATH as torch's extension
    # builder reads them, else /usr/local/cuda, else nvcc on PATH (after
    # the real home: a wrapper on PATH does not tell where the headers are).
    local home="${CUDA_HOME:-${CUDA_PATH:-}}"
    if [ -n "$home" ]; then
        [ -x "$home/bin/nvcc" ] && echo "$home/bin/nvcc"
        return 0
    fi
    if [ -x /usr/local/cuda/bin/nvcc ]; then
        echo /usr/local/cuda/bin/nvcc
    elif command -v nvcc >/dev/null 2>&1; then
        command -v nvcc
    fi
    return 0
}

nvcc_version() {
    # "13.0" from `nvcc --version` ("... release 13.0, V13.0.88")
    "$1" --version 2>/dev/null |
        sed -n 's/.*release \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1
}

device_fingerprint() {
    # What the build depends on that the stamp's file hash does not see;
    # shell only (no Python start), and no toolkit probe on a machine that
    # builds for the CPU anyway, so the up-to-date check stays fast.
    local gpus nvcc=''
    gpus="$(visible_gpu_archs)"
    if [ -n "$gpus" ] || [ "${FORCE_CUDA:-}" = 1 ]; then
        nvcc="$(find_nvcc)"
        [ -n "$nvcc" ] && nvcc="$nvcc:$(nvcc_version "$nvcc")"
    fi
    printf 'gpu=%s force=%s nvcc=%s arch=%s\n' "$gpus" "${FORCE_CUDA:-}" \
        "$nvcc" "${TORCH_CUDA_ARCH_LIST:-}"
}

decide_mmcv_build() {
    # decide_mmcv_build TORCH_CUDA NVCC NVCC_VERSION GPU_ARCHS
    # TORCH_CUDA: torch.version.cuda ("" for a CPU-only torch); NVCC and
    # NVCC_VERSION: the toolkit found ("" for none); GPU_ARCHS: see
    # visible_gpu_archs. CUDA ops are built where a GPU is visible, or
    # where FORCE_CUDA=1 asks for them without one (a build node), and a
    # toolkit of torch's CUDA major version is found (torch's extension
    # builder refuses another). Sets MMCV_BUILD (cuda|cpu), MMCV_BUILD_KEY
    # (the wheel cache's device part), MMCV_ARCHS and MMCV_BUILD_LINE
    # (what is built, or what is missing for the CUDA ops wanted).
    local torch_cuda="$1" nvcc="$2" nvcc_ver="$3" gpus="$4"
    MMCV_BUILD=cpu MMCV_BUILD_KEY=cpu MMCV_ARCHS=''
    local wanted='' missing=''
    if [ -n "$gpus" ]; then
        wanted='a GPU is visible'
    elif [ "${FORCE_CUDA:-}" = 1 ]; then
        wanted='FORCE_CUDA=1'
    fi
    if [ -z "$wanted" ]; then
        MMCV_BUILD_LINE='building onedl-mmcv with CPU ops only (no GPU visible; FORCE_CUDA=1 builds CUDA ops without one)'
        return 0
    fi
    if [ -z "$torch_cuda" ]; then
        missing='torch is a CPU-only build: install a CUDA build of torch'
    elif [ -z "$nvcc" ]; then
        missing="no CUDA toolkit (nvcc) was found: install CUDA $torch_cuda's toolkit and set CUDA_HOME to it"
    elif [ "${nvcc_ver%%.*}" != "${torch_cuda%%.*}" ]; then
        missing="$nvcc is CUDA ${nvcc_ver:-of unknown version} but torch was built with CUDA $torch_cuda: set CUDA_HOME to a CUDA ${torch_cuda%%.*}.x toolkit"
    fi
    if [ -n "$missing" ]; then
        MMCV_BUILD_LINE="$wanted but $missing, then rerun tools/install.sh; building onedl-mmcv with CPU ops only, so Faster/Mask R-CNN fail on CUDA"
        return 0
    fi
    MMCV_BUILD=cuda
    MMCV_ARCHS="${TORCH_CUDA_ARCH_LIST:-${gpus:-$DEFAULT_CUDA_ARCHS}}"
    MMCV_BUILD_KEY="cu$torch_cuda-sm$(printf '%s' "$MMCV_ARCHS" | tr ' ;' '__')"
    MMCV_BUILD_LINE="building onedl-mmcv with CUDA ops (CUDA $torch_cuda, $nvcc, architectures $MMCV_ARCHS)"
}

mmcv_build_env() {
    # The environment for onedl-mmcv's setup.py after decide_mmcv_build, as
    # `export` lines. Its own detection (torch.cuda.is_available()) is
    # taken out of the decision: a CPU build hides the GPUs from it.
    # mmcv_build_env BUILD NVCC
    echo 'export MMCV_WITH_OPS=1'
    if [ "$1" = cuda ]; then
        echo 'export FORCE_CUDA=1'
        printf 'export TORCH_CUDA_ARCH_LIST=%q\n' "$MMCV_ARCHS"
        printf 'export CUDA_HOME=%q\n' "$(dirname "$(dirname "$2")")"
    else
        echo 'export FORCE_CUDA=0'
        echo 'export CUDA_VISIBLE_DEVICES='
    fi
}

stamp_key() {
    # stamp_key ROOT: the files that define the stack, and the device
    cat "$1/requirements.txt" "$1/setup.py" "$1/tools/install.sh" |
        sha256sum | cut -c1-16 | tr -d '\n'
    printf ' %s\n' "$(device_fingerprint)"
}

mmcv_wheel_dir() {
    # mmcv_wheel_dir CACHE TORCH_VERSION, after decide_mmcv_build: where
    # this build's wheel is cached
    echo "$1/wheels/onedl_mmcv-$MMCV_VERSION-torch$2-cp311-$MMCV_CXX_STD-$MMCV_BUILD_KEY"
}

mmcv_ops_work() {
    # mmcv_ops_work PYTHON BUILD: the installed onedl-mmcv is this
    # version with compiled ops; for BUILD=cuda, with CUDA ops, and where
    # torch sees a GPU, nms and RoIAlign run on it and match the CPU.
    "$1" - "$MMCV_VERSION" "$2" <<'PYEOF' >/dev/null 2>&1
import sys

import mmcv
import mmcv._ext  # noqa: F401
import torch

version, build = sys.argv[1:]
assert mmcv.__version__ == version, mmcv.__version__
if build == 'cuda':
    from mmcv.ops import get_compiling_cuda_version, nms, roi_align
    assert get_compiling_cuda_version() != 'not available'
    if torch.cuda.is_available():
        boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11],
                              [20, 20, 30, 30.]], device='cuda')
        scores = torch.tensor([0.9, 0.8, 0.7], device='cuda')
        _, keep = nms(boxes, scores, iou_threshold=0.5)
        assert keep.tolist() == [0, 2], keep
        feats = torch.randn(1, 2, 8, 8)
        rois = torch.tensor([[0, 1.0, 1.0, 6.0, 6.0]])
        args = ((2, 2), 1.0, 2, 'avg', True)
        torch.testing.assert_close(
            roi_align(feats.cuda(), rois.cuda(), *args).cpu(),
            roi_align(feats, rois, *args))
PYEOF
}

# -------------------------------------------------------------------- main

main() {
    local ROOT VENV PY CACHE
    ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    VENV="$ROOT/.venv"
    PY="$VENV/bin/python"
    CACHE="${GCP_MM_CACHE:-$HOME/.cache/gcp-mm}"

    if [ ! -x "$PY" ]; then
        log "creating $VENV"
        "$(find_python)" -m venv "$VENV"
    fi

    local KEY STAMP STAMPED_BUILD STAMPED_LINE
    KEY="$(stamp_key "$ROOT")"
    STAMP="$VENV/.gcp_mm_installed"
    if [ -f "$STAMP" ] && [ "$(head -n 1 "$STAMP")" = "$KEY" ]; then
        STAMPED_BUILD="$(sed -n 2p "$STAMP")"
        STAMPED_LINE="$(sed -n 3p "$STAMP")"
        if mmcv_ops_work "$PY" "$STAMPED_BUILD"; then
            # what is missing for CUDA ops is said on every run
            [[ "$STAMPED_LINE" == *'Faster/Mask R-CNN fail'* ]] && log "$STAMPED_LINE"
            log "environment up to date ($VENV, onedl-mmcv with ${STAMPED_BUILD^^} ops)"
            return 0
        fi
    fi

    log "installing the pinned stack from requirements.txt"
    "$PY" -m pip install -q --upgrade pip setuptools wheel
    "$PY" -m pip install -q -r "$ROOT/requirements.txt"

    local TORCH_INFO TORCH_VERSION TORCH_CUDA NVCC WHEEL_DIR
    TORCH_INFO="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0], torch.version.cuda or "")')"
    read -r TORCH_VERSION TORCH_CUDA <<< "$TORCH_INFO"
    NVCC="$(find_nvcc)"
    decide_mmcv_build "$TORCH_CUDA" "$NVCC" \
        "$([ -n "$NVCC" ] && nvcc_version "$NVCC")" "$(visible_gpu_archs)"
    log "$MMCV_BUILD_LINE"
    WHEEL_DIR="$(mmcv_wheel_dir "$CACHE" "$TORCH_VERSION")"

    if mmcv_ops_work "$PY" "$MMCV_BUILD"; then
        log "onedl-mmcv $MMCV_VERSION with compiled ops already installed"
    else
        if ! ls "$WHEEL_DIR"/onedl_mmcv-*.whl >/dev/null 2>&1; then
            log "compiling onedl-mmcv $MMCV_VERSION ops against torch $TORCH_VERSION (about 13 minutes on 2 cores for CPU ops)"
            BUILD_DIR="$(mktemp -d)"
            trap 'rm -rf "$BUILD_DIR"' EXIT
            "$PY" -m pip download -q --no-deps --no-binary :all: \
                "onedl-mmcv==$MMCV_VERSION" -d "$BUILD_DIR"
            tar -xzf "$BUILD_DIR"/onedl_mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD_DIR"
            local SRC="$BUILD_DIR/onedl_mmcv-$MMCV_VERSION"
            if ! grep -q "'-std=c++17'" "$SRC/setup.py"; then
                echo "onedl-mmcv setup.py no longer sets -std=c++17: revisit MMCV_CXX_STD in ${BASH_SOURCE[0]}" >&2
                exit 1
            fi
            log "patching onedl-mmcv setup.py: -std=c++17 -> -std=$MMCV_CXX_STD"
            sed -i "s/'-std=c++17'/'-std=$MMCV_CXX_STD'/g" "$SRC/setup.py"
            mkdir -p "$WHEEL_DIR"
            (
                eval "$(mmcv_build_env "$MMCV_BUILD" "$NVCC")"
                MAX_JOBS="$(nproc)" "$PY" -m pip wheel -q \
                    --no-build-isolation --no-deps -w "$WHEEL_DIR" "$SRC"
            )
            log "cached $(ls "$WHEEL_DIR")"
        else
            log "using cached build $WHEEL_DIR"
        fi
        # a build for the other device may be installed at the same version
        "$PY" -m pip uninstall -q -y onedl-mmcv >/dev/null 2>&1 || true
        "$PY" -m pip install -q "$WHEEL_DIR"/onedl_mmcv-*.whl
        mmcv_ops_work "$PY" "$MMCV_BUILD" || {
            echo "onedl-mmcv installed but its $MMCV_BUILD ops do not work (mmcv._ext, and nms/RoIAlign on CUDA)" >&2
            exit 1
        }
    fi

    log "installing gcp_mm (editable)"
    "$PY" -m pip install -q --no-deps --no-build-isolation -e "$ROOT"
    printf '%s\n%s\n%s\n' "$KEY" "$MMCV_BUILD" "$MMCV_BUILD_LINE" > "$STAMP"
    log "done: $("$PY" -c 'import torch, mmcv, mmdet, mmpretrain, mmengine; print(f"torch {torch.__version__}, mmengine {mmengine.__version__}, mmcv {mmcv.__version__}, mmdet {mmdet.__version__}, mmpretrain {mmpretrain.__version__}")')"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
