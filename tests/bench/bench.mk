# SPDX-License-Identifier: GPL-2.0
# The snapshot benchmarks: `make bench` builds rsample, the victims, the
# big-binary victim and the symbolizer driver, runs tests/bench/bench.py (root,
# real BPF, gdb/lldb/eu-stack/addr2line as peers) and prints the table that
# BENCHMARKS.md records. Included by the top Makefile after victims.mk.
#
#   $(OUT)/bench/bigrs      Rust, full debug info, ~64 MB (7 MB of text, 57 MB of DWARF):
#                           the generated source ($(OUT)/bench/bigrs.rs) is
#                           tests/bench/bigrs.rs plus BIGRS_MODULES modules from
#                           tests/bench/gen_bigrs.py. opt-level 0 (cargo's dev profile)
#                           builds in ~15 s; opt-level 2 takes 10x longer for less DWARF.
#   $(OUT)/bench/symbench   rsample's symbolizer (user/proc.h) over an address file
#   $(OUT)/bench/rusage     runs a tool and records its own peak RSS and CPU time
#
# `make bench BENCH_ARGS='--only symbolize'` runs a subset (bench.py --help).
# `make bench-watch WATCH_BENCH_ARGS="--incidents 50"`: the watch benchmark alone.

BENCH_DIR	:= $(OUT)/bench
BIGRS_MODULES	?= 80
BIGRS_RUSTFLAGS	:= --edition 2021 -C opt-level=0 -C debuginfo=2 -C force-frame-pointers=no
PYTHON		?= python3
AR		?= ar

BENCH_BINS	:= $(BENCH_DIR)/bigrs $(BENCH_DIR)/symbench $(BENCH_DIR)/rusage

.PHONY: bench bench-build
bench-build: $(BENCH_BINS)

bench: all victims $(BENCH_BINS)
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		RS_BENCH=$(CURDIR)/$(BENCH_DIR) $(PYTHON) tests/bench/bench.py $(BENCH_ARGS)

$(BENCH_DIR):
	$(Q)mkdir -p $@

$(BENCH_DIR)/bigrs.rs: tests/bench/gen_bigrs.py tests/bench/bigrs.rs | $(BENCH_DIR)
	$(call msg,GEN,$@)
	$(Q)$(PYTHON) tests/bench/gen_bigrs.py $(BIGRS_MODULES) tests/bench/bigrs.rs $@

$(BENCH_DIR)/bigrs: $(BENCH_DIR)/bigrs.rs
	$(call msg,RUSTC,$@)
	$(Q)command -v $(RUSTC) >/dev/null || { echo "bench: '$(RUSTC)' not found: put rustc in PATH (e.g. ~/.cargo/bin) or set RUSTC=" >&2; exit 1; }
	$(Q)$(RUSTC) $(BIGRS_RUSTFLAGS) --crate-name bigrs $< -o $@

# The user modules as an archive: symbench pulls in only what proc.h needs.
$(BENCH_DIR)/librsample.a: $(LIB_OBJS) $(GEN_OBJS) | $(BENCH_DIR)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BENCH_DIR)/symbench.o: tests/bench/symbench.c $(SKELS) $(GEN_HDRS) | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BENCH_DIR)/symbench: $(BENCH_DIR)/symbench.o $(BENCH_DIR)/librsample.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BENCH_DIR)/rusage: tests/bench/rusage.c | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

-include $(BENCH_DIR)/symbench.d $(BENCH_DIR)/rusage.d

# The hang watch: CPU per incident report for a 16-thread victim (warm caches), RSS at the
# first and last of 200 incidents, and the idle overhead node-wide (perf bench sched pipe
# outside the watched cgroup); tests/bench/watch_bench.py, ~3 minutes.
.PHONY: bench-watch
bench: bench-watch
bench-watch: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/bench/watch_bench.py $(WATCH_BENCH_ARGS)
