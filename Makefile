# The commands a learner and CI use. `make course` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: course test lab exercises practice data export bench outputs clean help

help:
	@echo "make course   set up, get the data, export exp/, run every notebook in order"
	@echo "make test     set up, then nbdev_test (all notebooks) and pytest (tests/)"
	@echo "make lab      open JupyterLab on nbs/"
	@echo "make exercises  write copies of the notebooks without solutions to exercises/ (FORCE=1 overwrites)"
	@echo "make practice   make exercises, then open JupyterLab on exercises/"
	@echo "make bench    the performance table (ratios measured in one run)"
	@echo "make outputs  re-execute the notebooks in place and clean them (for maintainers)"

# Which PyTorch build pip installs. Empty: whatever your pip's index serves for torch 2.13.0 (see
# the README: a CUDA build on Linux from PyPI, CPU/MPS on macOS, CPU on Windows). Set it to one of
# PyTorch's own indexes to choose, e.g. make course TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
# JupyterLab refuses to start as root (Docker, notebook services) unless told it may.
JUPYTER_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# The virtual environment, rebuilt when the pinned versions or the package metadata change.
# torch goes first and on its own, so that no other requirement can pull a CUDA build.
$(STAMP): constraints.txt settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "torch==2.13.0"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# The dataset: get_data finds it (or downloads it) and checks it loads.
data: $(STAMP)
	$(BIN)/python -c "from exp.data import get_data; x, *_ = get_data(); print('data ready:', tuple(x.shape))"

export: $(STAMP)
	$(BIN)/nbdev_export

course: export data
	$(BIN)/python tools/run_course.py

test: export data
	$(BIN)/nbdev_test --n_workers 1 --timing
	$(BIN)/python -m pytest tests

lab: export data
	$(BIN)/jupyter lab $(JUPYTER_ROOT) nbs

# The learner's copies: solutions replaced by stubs; a copy you have edited is kept unless FORCE=1.
exercises: $(STAMP)
	$(BIN)/python tools/make_exercises.py $(if $(FORCE),--force)

practice: exercises export data
	$(BIN)/jupyter lab $(JUPYTER_ROOT) exercises

bench: export data
	$(BIN)/python bench/run.py

# Maintainers: run notebooks (all, or NB=nbs/03_broadcasting.ipynb) in place so they are committed with outputs.
NB ?= $(sort $(wildcard nbs/[0-9]*.ipynb))
outputs: export data
	cd nbs && for nb in $(notdir $(NB)); do ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=3600 $$nb || exit 1; done
	$(BIN)/nbdev_clean
	$(BIN)/nbdev_export

clean:
	rm -rf $(VENV) _proc _docs .pytest_cache .hypothesis
