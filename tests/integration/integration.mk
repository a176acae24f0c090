# SPDX-License-Identifier: GPL-2.0
# The integration suite: root, real BPF, real victims in a cgroup + PID/mount namespace.
# Included by the top Makefile. `make integration ARGS='-k rust'` runs a subset;
# RS_BACKEND=proc|bpf|auto passes --backend to every snapshot run.

PYTHON		?= python3

.PHONY: integration
integration: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/run.py $(ARGS)

# The same suite with every snapshot taken by the /proc backend (--backend proc;
# RS_BACKEND=proc make integration is the same): what BPF-free nodes get.
.PHONY: integration-proc
integration-proc: all victims
	$(Q)RS_BACKEND=proc RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/run.py $(ARGS)

# rsample under valgrind's memcheck (tests/valgrind.sh).
.PHONY: valgrind
valgrind: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) sh tests/valgrind.sh

# Exit codes under churn: snapshots of a forking, thread-churning service exit 0
# with one summary line; a zombie is said as one (tests/integration/churn.py).
.PHONY: integration-churn
integration-churn: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/churn.py $(ARGS)

# Least privilege: the capabilities kept after loading, read from /proc while
# rsample runs; the README's minimum is enough; one less is one clear line
# (tests/integration/privs.py).
.PHONY: integration-privs
integration-privs: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/privs.py $(ARGS)

# What each thread waits on: fds, peers, sockets, epoll sets, sleeps, children, joins,
# rwlock writers, D state, in JSON and text (tests/integration/waits.py), with the
# default backend and (integration-waits-proc) the /proc backend.
.PHONY: integration-waits integration-waits-proc
integration-waits: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/waits.py $(ARGS)

integration-waits-proc: all victims
	$(Q)RS_BACKEND=proc RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/waits.py $(ARGS)

# --push: each interval's profile to a stand-in for Pyroscope's POST /ingest on loopback
# (requests checked as Pyroscope documents them; 503s, a hung server, none at all)
# (tests/integration/push.py).
.PHONY: integration-push
integration-push: all profile-victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_PROFILE_VICTIMS=$(CURDIR)/$(PROF_VICTIM_DIR) \
		$(PYTHON) tests/integration/push.py $(ARGS)

# Stuck, spinning, progressing, idle: rsample --compare on a C and a Rust victim with one
# thread of each kind, in JSON and text (tests/integration/verdicts.py), with the default
# backend and (integration-verdicts-proc) the /proc backend.
.PHONY: integration-verdicts integration-verdicts-proc
integration-verdicts: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/verdicts.py $(ARGS)

integration-verdicts-proc: all victims
	$(Q)RS_BACKEND=proc RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/verdicts.py $(ARGS)

# The hang watch: one report per incident over services that hang after a few seconds,
# idle pools that never trigger, clearing, --json and --out-dir (tests/integration/watch.py).
.PHONY: integration-watch
integration-watch: all victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_VICTIMS=$(CURDIR)/$(VICTIM_DIR) \
		$(PYTHON) tests/integration/watch.py $(ARGS)
