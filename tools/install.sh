#!/usr/bin/env bash
# Sets up the project's environment in .venv (idempotent).
#
#   bash tools/install.sh
#
# 1. creates .venv with Python 3.11 and installs requirements.txt;
# 2. builds onedl-mmcv from source with its C++ ops against the installed
#    torch, keeping the built wheel in $GCP_MM_CACHE (default
#    ~/.cache/gcp-mm) so later set-ups on this machine skip the ~13 minute
#    compile, and skipping the step entirely when an identical build is
#    already installed;
# 3. installs gcp_mm itself in editable mode.
# A stamp in .venv records what was installed; an unchanged stack costs a
# few seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CACHE="${GCP_MM_CACHE:-$HOME/.cache/gcp-mm}"
MMCV_VERSION=2.3.6
# torch >= 2.13 headers use C++20 features; onedl-mmcv 2.3.6's setup.py
# passes -std=c++17 to the compiler. This is the one place that changes it.
MMCV_CXX_STD=c++20

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

stamp_key() {
    cat "$ROOT/requirements.txt" "$ROOT/setup.py" "$0" | sha256sum | cut -c1-16
}

mmcv_ops_work() {
    "$PY" - <<PYEOF >/dev/null 2>&1
import mmcv, mmcv._ext  # noqa: F401
assert mmcv.__version__ == '$MMCV_VERSION', mmcv.__version__
PYEOF
}

if [ ! -x "$PY" ]; then
    log "creating $VENV"
    "$(find_python)" -m venv "$VENV"
fi

KEY="$(stamp_key)"
STAMP="$VENV/.gcp_mm_installed"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ] && mmcv_ops_work; then
    log "environment up to date ($VENV)"
    exit 0
fi

log "installing the pinned stack from requirements.txt"
"$PY" -m pip install -q --upgrade pip setuptools wheel
"$PY" -m pip install -q -r "$ROOT/requirements.txt"

TORCH_VERSION="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
WHEEL_DIR="$CACHE/wheels/onedl_mmcv-$MMCV_VERSION-torch$TORCH_VERSION-cp311-$MMCV_CXX_STD"

if mmcv_ops_work; then
    log "onedl-mmcv $MMCV_VERSION with compiled ops already installed"
else
    if ! ls "$WHEEL_DIR"/onedl_mmcv-*.whl >/dev/null 2>&1; then
        log "compiling onedl-mmcv $MMCV_VERSION ops against torch $TORCH_VERSION (about 13 minutes on 2 cores)"
        BUILD_DIR="$(mktemp -d)"
        trap 'rm -rf "$BUILD_DIR"' EXIT
        "$PY" -m pip download -q --no-deps --no-binary :all: \
            "onedl-mmcv==$MMCV_VERSION" -d "$BUILD_DIR"
        tar -xzf "$BUILD_DIR"/onedl_mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD_DIR"
        SRC="$BUILD_DIR/onedl_mmcv-$MMCV_VERSION"
        if ! grep -q "'-std=c++17'" "$SRC/setup.py"; then
            echo "onedl-mmcv setup.py no longer sets -std=c++17: revisit MMCV_CXX_STD in $0" >&2
            exit 1
        fi
        log "patching onedl-mmcv setup.py: -std=c++17 -> -std=$MMCV_CXX_STD"
        sed -i "s/'-std=c++17'/'-std=$MMCV_CXX_STD'/g" "$SRC/setup.py"
        mkdir -p "$WHEEL_DIR"
        MMCV_WITH_OPS=1 MAX_JOBS="$(nproc)" "$PY" -m pip wheel -q \
            --no-build-isolation --no-deps -w "$WHEEL_DIR" "$SRC"
        log "cached $(ls "$WHEEL_DIR")"
    else
        log "using cached build $WHEEL_DIR"
    fi
    "$PY" -m pip install -q "$WHEEL_DIR"/onedl_mmcv-*.whl
    mmcv_ops_work || { echo "onedl-mmcv installed but mmcv._ext does not import" >&2; exit 1; }
fi

log "installing gcp_mm (editable)"
"$PY" -m pip install -q --no-deps --no-build-isolation -e "$ROOT"
echo "$KEY" > "$STAMP"
log "done: $("$PY" -c 'import torch, mmcv, mmdet, mmpretrain, mmengine; print(f"torch {torch.__version__}, mmengine {mmengine.__version__}, mmcv {mmcv.__version__}, mmdet {mmdet.__version__}, mmpretrain {mmpretrain.__version__}")')"
