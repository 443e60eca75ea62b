# The commands a learner and CI use. `make course` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: course test test-latest lab exercises practice data export bench outputs clean help site serve browser-test

help:
	@echo "make course   set up, get the data, export exp/, run every notebook in order"
	@echo "make test     set up, then nbdev_test (all notebooks) and pytest (tests/)"
	@echo "make test-latest  the same checks in .venv-latest: the newest versions the requirements allow, no pins"
	@echo "make lab      open JupyterLab on the course's home notebook, nbs/index.ipynb"
	@echo "make exercises  write copies of the notebooks without solutions to exercises/ (FORCE=1 overwrites)"
	@echo "make practice   make exercises, then open JupyterLab on the first of them (LAB_ARGS=--port=9999 passes options)"
	@echo "make bench    the performance table (ratios measured in one run)"
	@echo "make site     build the course as web pages in _site/ (from the committed notebooks, not re-run)"
	@echo "make serve    make site, then serve _site/ on http://127.0.0.1:$(PORT)/"
	@echo "make browser-test  JupyterLab and the site tested in headless Chromium (needs chromium, chromium-driver)"
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

# What `make site` and `make browser-test` add: MkDocs, its notebook plugin, MathJax, selenium (setup.py's
# extra `site`, from settings.ini's site_requirements), at the versions in constraints.txt.
SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,site]"
	touch $(SITE_STAMP)

# JupyterLab settings the course ships (tools/lab_overrides.json: no "Jupyter news?" pop-up, no update
# check), installed as the environment's overrides, so they hold for anyone using this .venv.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): tools/lab_overrides.json $(STAMP)
	mkdir -p $(dir $(LAB_SETTINGS))
	cp tools/lab_overrides.json $(LAB_SETTINGS)

# The dataset: get_data finds it (or downloads it) and checks it loads.
data: $(STAMP)
	$(BIN)/python -c "from exp.data import get_data; x, *_ = get_data(); print('data ready:', tuple(x.shape))"

export: $(STAMP)
	$(BIN)/nbdev_export

course: export data
	$(BIN)/python tools/run_course.py

test: export data
	$(BIN)/nbdev_test --n_workers 1 --timing
	$(BIN)/python -m pytest tests --ignore=tests/browser

# The latest lane: a second environment with the newest releases that settings.ini's requirements allow
# (no constraints file; upgraded on every run), then the same checks as `make test`: export and clean
# leave exp/ and nbs/ unchanged, nbdev_test, pytest. It finds the next upstream break before a learner does.
LATEST := .venv-latest
test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e ".[dev]"
	@echo "latest lane versions:"; $(LATEST)/bin/pip list --format=freeze 2>/dev/null | grep -iE '^(torch|numpy|matplotlib|sympy|nbdev|execnb|fastcore|ipython|ipykernel|jupyterlab|pytest|hypothesis|tqdm)=='
	@before="$$(git status --porcelain -- exp nbs)"; $(LATEST)/bin/nbdev_export && $(LATEST)/bin/nbdev_clean; \
	  if [ "$$before" != "$$(git status --porcelain -- exp nbs)" ]; then \
	    echo "test-latest: nbdev_export/nbdev_clean of the newest nbdev 2 changed exp/ or nbs/:" >&2; git status --porcelain -- exp nbs >&2; exit 1; fi
	$(LATEST)/bin/python -c "from exp.data import get_data; x, *_ = get_data(); print('data ready:', tuple(x.shape))"
	$(LATEST)/bin/nbdev_test --n_workers 1 --timing
	$(LATEST)/bin/python -m pytest tests --ignore=tests/browser

# JupyterLab serves the repository's root, so a notebook's `../images/...` link reaches images/ (as it does
# on a code host and from exercises/); it opens on the home notebook, its file browser starts in nbs/.
lab: export data $(LAB_SETTINGS)
	$(BIN)/jupyter lab $(JUPYTER_ROOT) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/nbs/index.ipynb --FileContentsManager.preferred_dir=nbs

# The learner's copies: solutions replaced by stubs; a copy you have edited is kept unless FORCE=1.
exercises: $(STAMP)
	$(BIN)/python tools/make_exercises.py $(if $(FORCE),--force)

# It opens on the first notebook of exercises/; LAB_ARGS passes more options to JupyterLab (LAB_ARGS=--port=9999).
practice: exercises export data $(LAB_SETTINGS)
	$(BIN)/jupyter lab $(JUPYTER_ROOT) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$$(ls exercises/[0-9]*.ipynb | head -n 1) $(LAB_ARGS) --FileContentsManager.preferred_dir=exercises

# The course as web pages in _site/: one page per notebook, with its committed outputs (nothing is re-run),
# maths by a MathJax copy served with the pages, nothing from the network. mkdocs.yml and tools/site_hooks.py.
site: $(SITE_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --clean

PORT ?= 8000
serve: site
	@echo "The course's pages: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _site

# JupyterLab (as `make lab` starts it) and the pages of `make site`, driven in headless Chromium.
browser-test: export data site $(LAB_SETTINGS)
	$(BIN)/python -m pytest tests/browser

bench: export data
	$(BIN)/python bench/run.py

# Maintainers: run notebooks (all, or NB=nbs/03_broadcasting.ipynb) in place so they are committed with outputs.
NB ?= $(sort $(wildcard nbs/[0-9]*.ipynb))
outputs: export data
	cd nbs && for nb in $(notdir $(NB)); do ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=3600 $$nb || exit 1; done
	$(BIN)/nbdev_clean
	$(BIN)/nbdev_export

clean:
	rm -rf $(VENV) $(LATEST) _proc _docs _site .pytest_cache .hypothesis .cache/mkdocs-jupyter
