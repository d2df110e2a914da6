# gkreport: every target installs what it needs. `make demo` runs the main job on a bundled
# sample; `make test` passes the tests. Both work on a fresh machine with nothing installed.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYS_STAMP := $(VENV)/.system-packages
# Debian packages: CJK TrueType fonts for rendering generated reports, poppler for looking at
# pages, Chromium for the review page's browser test.
DEBS := fonts-wqy-zenhei fonts-arphic-uming fonts-arphic-ukai fonts-noto-cjk poppler-utils chromium

.PHONY: install system-deps demo test test-fast train bench eval fuzz clean synth-eval

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,ray]'
	touch $(STAMP)

install: $(STAMP)

$(SYS_STAMP): Makefile
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@mkdir -p $(VENV) && touch $(SYS_STAMP)

system-deps: $(SYS_STAMP)

demo: $(STAMP)
	$(BIN)/gkreport extract eval/dev_set/hongze_2023.pdf -o demo-out/hongze_2023.json
	@echo "record written to demo-out/hongze_2023.json"

test: $(STAMP) $(SYS_STAMP)
	$(BIN)/python -m pytest -q

train: $(STAMP)
	$(BIN)/gkreport train

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pdf_text.py

# The generated evaluation set (docs/synth.md): deterministic from the seed, committed.
synth-eval: $(STAMP) $(SYS_STAMP)
	rm -f eval/generated/synth_*
	$(BIN)/gkreport synth --n 8 --seed 2024 --kinds pdf,html,text --out eval/generated
	$(BIN)/gkreport synth --n 2 --start 8 --seed 2024 --kinds scan --severity 2 --out eval/generated

# The evaluation harness (eval/README.md): dev set and generated set, scoreboard per input kind;
# full reports (report.html, report.md, fields.csv, summary.json) under eval-report/.
EVAL_JOBS ?= 2
eval: $(STAMP) $(SYS_STAMP)
	$(BIN)/gkreport eval --truth eval/dev_set --run eval/dev_set --jobs $(EVAL_JOBS) --out eval-report/dev --title "Dev set (eval/dev_set)"
	$(BIN)/gkreport eval --truth eval/generated --run eval/generated --jobs $(EVAL_JOBS) --out eval-report/generated --title "Generated set (eval/generated)"

# Long fuzz runs (docs/hardening.md): every parser and the digit-run splitter, FUZZ_N inputs each;
# fails on any crash, input over 10 s or memory over 1.5 GB. Findings go to fuzz/findings/.
FUZZ_N ?= 10000
fuzz: $(STAMP) $(SYS_STAMP)
	$(BIN)/python fuzz/run.py all --n $(FUZZ_N) --json fuzz/results.json

clean:
	rm -rf $(VENV) demo-out build *.egg-info
