#!/usr/bin/env bash
# Distributed training with torchrun:
#   tools/dist_train.sh CONFIG GPUS [train.py options]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on each.
# SIGTERM / Ctrl-C: the ranks stop after the same iteration, save a
# resumable checkpoint and exit (143 / 130); continue with --resume.
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# the project's environment (tools/install.sh) unless PYTHON says otherwise
VENV_PYTHON="$DIR/../.venv/bin/python"
if [ -x "$VENV_PYTHON" ]; then DEFAULT_PYTHON=$VENV_PYTHON; else DEFAULT_PYTHON=python; fi
PYTHON=${PYTHON:-$DEFAULT_PYTHON}
exec "$PYTHON" -m torch.distributed.run --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$DIR/train.py" "$CONFIG" --launcher pytorch "$@"
