# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB    := espeak-ng sox libsox-fmt-all chromium

.PHONY: venv sysdeps demo demo-audio test clean bench-asr eval-asr eval-diarize eval eval-tune bench-score bench-long bench bench-rerun bench-report train eval-loop

venv: $(STAMP)

# Reinstalled whenever pyproject.toml changes. torch==2.13.0 resolves to the CPU wheel.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# espeak-ng and sox synthesise telephone-like test calls; chromium renders reports in tests.
sysdeps:
	@missing=""; for p in $(DEB); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

# The demo files are complete: no need to wait settle_seconds for them to stop changing.
# Exit status 1 means finished with failed calls: the demo inbox holds one unreadable recording.
demo: venv
	CALLQA_SETTLE_SECONDS=0 $(BIN)/callqa run --inbox examples/inbox --db var/demo.duckdb --out out/demo \
	  || [ $$? -eq 1 ]

# Re-synthesise the demo recordings from examples/calls.yaml. Synthesis is repeatable on one
# machine, but another espeak-ng or sox build speaks other bytes: a call's identity is the
# SHA-256 of its bytes, so the old demo database would keep the old calls and `make demo` would
# add the new ones beside them under the same PBX ids. The demo database describes the demo
# inbox, so it goes with the old audio.
demo-audio: venv sysdeps
	rm -f var/demo.duckdb* var/demo.published.duckdb*
	$(BIN)/python examples/make_calls.py examples/inbox

test: venv sysdeps
	$(BIN)/pytest -q

# Word error rate on the demo calls, as callqa transcribes and with Whisper's temperature
# fallback, and whether repeated runs (1 and 4 CPU threads) give one transcript. Minutes of CPU,
# so not part of `make test`; figures in README, Development.
bench-asr: venv
	$(BIN)/python bench/asr_wer.py

# WER per side, callqa against a plain faster-whisper script (each channel whole, beam 5, its
# own VAD) on the same audio in the same run: the demo calls and a harsher telephone line.
eval-asr: venv sysdeps
	$(BIN)/python bench/eval_asr.py

# Mono calls split by voice: the share of speech time that gets the right role, on the shared
# stereo recordings mixed to mono and on synthetic two-voice calls (target at least 90 %).
eval-diarize: venv sysdeps
	$(BIN)/python bench/eval_diarize.py

# Throughput end to end (bench/throughput.py): callqa run against a plain faster-whisper script
# and the openai-whisper engine on the same synthesised calls (about 30 minutes of audio), per
# stage, peak RSS, WER; then a re-run over 1,000 processed calls. Figures in README, Scaling out.
bench: venv sysdeps
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/rerun.py

bench-rerun: venv
	$(BIN)/python bench/rerun.py

# A 3-hour stereo recording (built once in var/bench/long-call/) transcribed block by block:
# peak RSS against the whole file decoded into memory (target under 2 GB); a few minutes of CPU.
bench-long: venv sysdeps
	$(BIN)/python bench/long_call.py

# 10,000 stored transcripts read back from DuckDB and scored in batches, against one at a time
# (target: under 60 s). The database is built once in var/bench/; figures in README, Development.
# Reports for 50 managers and 5,000 scored calls (bench/report_speed.py; target under 30 s).
bench-report: venv
	$(BIN)/python bench/report_speed.py

bench-score: venv
	$(BIN)/python bench/score_speed.py

# The learned layer: checklists/corpus/ -> checklists/models/sales_call.npz (+ .json), offline,
# the same weights for the same corpus; the artefact is committed, so scoring needs no training.
train: venv
	$(BIN)/callqa train

# Agreement of the verdicts with the labelled dev set (README, Accuracy). `eval` runs the locked
# part, which nobody tunes on; `eval-tune` the part phrases and models may be tuned on.
eval: venv
	$(BIN)/callqa eval tests/data/dev/locked
	$(BIN)/callqa eval tests/data/dev/support/locked --checklist support_call
	$(BIN)/callqa eval --promises locked

# The closed loop (README, Human review): the tune part's label disagreements as reviews, the
# learned layer trained again with them, the locked part before and after; about 4 minutes.
eval-loop: venv
	$(BIN)/python bench/closed_loop.py

eval-tune: venv
	$(BIN)/callqa eval tests/data/dev/tune
	$(BIN)/callqa eval tests/data/dev/support/tune --checklist support_call
	$(BIN)/callqa eval --promises tune

clean:
	rm -rf $(VENV) var out .pytest_cache
