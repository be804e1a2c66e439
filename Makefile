# The two commands of README.md. Both set up .venv first (tools/install.sh,
# a no-op when the environment is already up to date).
PYTHON := .venv/bin/python

.PHONY: install demo test lint benchmark benchmark-model \
	benchmark-normalisations gpu-check test-torch-floor

install:
	bash tools/install.sh

demo: install
	$(PYTHON) tools/demo.py

test: install
	$(PYTHON) -m pytest tests

# the plugin core's tests on the oldest torch setup.py declares, in a second
# environment cached in ~/.cache/gcp-mm/envs (docs/installation.md)
test-torch-floor:
	bash tools/torch_floor.sh

lint: install
	$(PYTHON) -m ruff check gcp_mm tools tests benchmarks configs

benchmark: install
	$(PYTHON) benchmarks/isqrt_cov.py

benchmark-model: install
	$(PYTHON) benchmarks/model_step.py

benchmark-normalisations: install
	$(PYTHON) benchmarks/normalisations.py

# every CUDA path on this machine's GPU: one report in work_dirs/gpu_check
# (docs/installation.md); without a GPU it says so and measures nothing
gpu-check: install
	$(PYTHON) benchmarks/gpu_check.py --work-dir work_dirs/gpu_check
