# SPDX-License-Identifier: GPL-2.0
# Profile overhead benchmarks: `make bench-profile` builds rsample and
# $(OUT)/bench-profile/cpuwork (tests/bench/cpuwork.c: fixed CPU work without
# frame pointers) and swfloor (tests/bench/swfloor*.c: an empty sched_switch
# program, the floor of any off-CPU tracer), then runs tests/bench/profile_bench.py (root, real BPF,
# perf and libbpf-tools' offcputime as peers; ~5 minutes). It prints every
# command and writes tests/bench/profile-results.md.
#
#   make bench-profile PROFILE_BENCH_ARGS='--only on-cpu --runs 3'

PROFILE_BENCH_DIR	:= $(OUT)/bench-profile
PYTHON			?= python3

.PHONY: bench-profile
bench-profile: all $(PROFILE_BENCH_DIR)/cpuwork $(PROFILE_BENCH_DIR)/swfloor \
		$(PROFILE_BENCH_DIR)/swfloor.bpf.o
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_CPUWORK=$(CURDIR)/$(PROFILE_BENCH_DIR)/cpuwork \
		RS_SWFLOOR=$(CURDIR)/$(PROFILE_BENCH_DIR)/swfloor \
		$(PYTHON) tests/bench/profile_bench.py $(PROFILE_BENCH_ARGS)

$(PROFILE_BENCH_DIR):
	$(Q)mkdir -p $@

# -O2 -fomit-frame-pointer on purpose, and not $(CFLAGS): the work must be the same
# whatever rsample is built with.
$(PROFILE_BENCH_DIR)/cpuwork: tests/bench/cpuwork.c | $(PROFILE_BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -fomit-frame-pointer -g $< -o $@

$(PROFILE_BENCH_DIR)/swfloor.bpf.o: tests/bench/swfloor.bpf.c $(VMLINUX) | $(PROFILE_BENCH_DIR)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(PROFILE_BENCH_DIR)/swfloor: tests/bench/swfloor.c | $(PROFILE_BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -g $(PKG_CFLAGS) $< -o $@ $(PKG_LIBS)

# -F 100000 on every CPU ending on time (tests/bench/profile_stop.py, ~1 minute):
#   make bench-profile-stop PROFILE_STOP_ARGS='--runs 3'
.PHONY: bench-profile-stop
bench-profile-stop: all profile-victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_SPINALL=$(CURDIR)/$(PROF_VICTIM_DIR)/spinall \
		$(PYTHON) tests/bench/profile_stop.py $(PROFILE_STOP_ARGS)
