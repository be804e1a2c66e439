#!/usr/bin/env bash
# Distributed training on a Slurm cluster (mmengine's slurm launcher):
#   GPUS=16 tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py options]
# Environment: GPUS (total, default 8), GPUS_PER_NODE (8), CPUS_PER_TASK
# (5), SRUN_ARGS (extra srun options), PYTHON (default: .venv/bin/python
# when it exists, else python).
# Preemption: on SIGTERM every rank finishes the same iteration, rank 0
# saves a resumable checkpoint (last_checkpoint names it) and the job exits
# with 143. To continue after a requeue, pass --resume: it resumes from the
# work dir's latest checkpoint, or starts from scratch when there is none,
# so one command serves the first start and every requeue, e.g. in an
# sbatch script run with --requeue (and --signal=TERM@120 for a warning
# before the time limit):
#   GPUS=16 tools/slurm_train.sh PARTITION JOB_NAME CONFIG --work-dir DIR --resume
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# the project's environment (tools/install.sh) unless PYTHON says otherwise
VENV_PYTHON="$DIR/../.venv/bin/python"
if [ -x "$VENV_PYTHON" ]; then DEFAULT_PYTHON=$VENV_PYTHON; else DEFAULT_PYTHON=python; fi
PYTHON=${PYTHON:-$DEFAULT_PYTHON}
# shellcheck disable=SC2086
exec srun -p "$PARTITION" --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 $SRUN_ARGS \
    "$PYTHON" -u "$DIR/train.py" "$CONFIG" --launcher slurm "$@"
