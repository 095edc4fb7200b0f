# Two commands for a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench messages labextension clean

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

# Extract marked text, merge it into the Japanese catalog, compile it (see catalog/i18n.py).
messages: $(STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords N_ --no-location --sort-output \
	    --project kizuna --omit-header --output-file catalog/locale/kizuna.pot .
	test -f catalog/locale/ja/LC_MESSAGES/kizuna.po || $(BIN)/pybabel init --domain kizuna \
	    --input-file catalog/locale/kizuna.pot --output-dir catalog/locale --locale ja
	$(BIN)/pybabel update --domain kizuna --input-file catalog/locale/kizuna.pot \
	    --output-dir catalog/locale --locale ja --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --domain kizuna --directory catalog/locale --locale ja
	$(BIN)/pybabel compile --domain click --directory catalog/locale --locale ja

# kizuna lab's JupyterLab extension (lab/frontend/, TypeScript) -> lab/labextensions/kizuna-lab/,
# shipped prebuilt in the package: only who changes the extension needs node (npm registry via jlpm)
labextension: $(STAMP)
	rm -rf lab/labextensions/kizuna-lab
	cd lab/frontend && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm install --immutable && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm build

clean:
	rm -rf $(VENV) kizuna-demo build *.egg-info
