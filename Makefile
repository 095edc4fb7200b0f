# Two commands for a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean labextension

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf kizuna-demo
	$(BIN)/kizuna demo kizuna-demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# kizuna lab's JupyterLab extension (lab/frontend/, TypeScript) -> lab/labextensions/kizuna-lab/,
# shipped prebuilt in the package: only who changes the extension needs node (npm registry via jlpm)
labextension: $(STAMP)
	rm -rf lab/labextensions/kizuna-lab
	cd lab/frontend && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm install --immutable && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm build

clean:
	rm -rf $(VENV) kizuna-demo build *.egg-info
