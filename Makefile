# SPDX-License-Identifier: GPL-2.0
# rsample — one Makefile for BPF objects, skeletons, the binary and the tests.
# Outputs go to build/. V=1 shows commands.

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

ARCH		?= x86
OUT		:= build
# Debug files kept decompressed between runs (user/stack/debugcache.c): the suites,
# benchmarks and the demo use one inside the build directory, not /var/cache/rsample.
export RSAMPLE_CACHE_DIR ?= $(CURDIR)/$(OUT)/cache
CC		?= cc
CLANG		?= clang
BPFTOOL		?= bpftool
PKG_CONFIG	?= pkg-config
VMLINUX		:= vmlinux/$(ARCH)/vmlinux.h
VERSION		:= $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

# RS_WITH_CURL=0 builds without libcurl: --push then says this build has no push support.
# With it, only curl.h is used at build time: --push loads libcurl.so.4 when asked
# (user/push/transport.c), so no other command pays for libcurl's ~25 libraries.
RS_WITH_CURL	?= 1
PKGS		:= libbpf libelf libdw
# Recursive (=) so a make that first ran 'deps' still finds the flags.
PKG_CFLAGS	= $(shell $(PKG_CONFIG) --cflags $(PKGS) $(if $(filter 1,$(RS_WITH_CURL)),libcurl) \
		  2>/dev/null)
PKG_LIBS	= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Werror -Wno-missing-field-initializers
ALL_CFLAGS	= -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -Iinclude -Iuser -I$(OUT) $(PKG_CFLAGS) \
		   -DRS_VERSION='"$(VERSION)"' -DRS_WITH_CURL=$(RS_WITH_CURL) -D_GNU_SOURCE -MMD -MP $(EXTRA_CFLAGS)
LIBS		= $(PKG_LIBS) -liberty -lz -lpthread
ALL_LDFLAGS	:= $(LDFLAGS) $(EXTRA_LDFLAGS)

BPF_CFLAGS	:= -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
		   -Ivmlinux/$(ARCH) -Iinclude -I$(OUT) -MMD -MP

SAN		:= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS		:= $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# user/ holds one folder per pipeline stage (README "Code map"); stack/gdb/ is one level deeper.
USER_SRCS	:= $(wildcard user/*.c user/*/*.c user/*/*/*.c)
USER_OBJS	:= $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS	:= $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
SAN_OBJS	:= $(patsubst $(OUT)/user/%.o,$(OUT)/san/user/%.o,$(LIB_OBJS))
# Every module but main() with ASan/UBSan, for the unit tests: each test links what it uses.
SAN_LIB		:= $(OUT)/san/librsample.a
GEN_HDRS	:= $(OUT)/syscalls_gen.h
# tests/unit/ mirrors user/: tests/unit/<stage>/test_<file>.c tests user/<stage>/<file>.c.
UNIT_SRCS	:= $(wildcard tests/unit/*/test_*.c tests/unit/*/*/test_*.c)
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.PHONY: all
all: $(OUT)/rsample

$(OUT)/bpf:
	$(Q)mkdir -p $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Syscall names come from the build machine's own uapi header, never a copied table.
$(OUT)/syscalls_gen.h: scripts/gen-syscalls.sh | $(OUT)/bpf
	$(call msg,GEN,$@)
	$(Q)sh scripts/gen-syscalls.sh > $@

$(OUT)/user/%.o: user/%.c $(SKELS) $(GEN_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/rsample: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# Unit tests: every user module rebuilt with ASan/UBSan, one binary per test file.
$(OUT)/san/user/%.o: user/%.c $(SKELS) $(GEN_HDRS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c $< -o $@

$(SAN_LIB): $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/tests/%.o: tests/unit/%.c
	$(call msg,CC-TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -Werror=unused-function -Itests/unit -DRS_FIXTURES='"$(CURDIR)/tests/fixtures"' \
		-DRS_BUILD='"$(CURDIR)/$(OUT)"' -c $< -o $@

# A test links the sanitized archive: the linker takes the modules it uses.
$(OUT)/tests/%: $(OUT)/tests/%.o $(SAN_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $(SAN) $< $(SAN_LIB) $(LIBS) -lcmocka -o $@

# rustc from PATH, else rustup's default place (CI's PATH may lack ~/.cargo/bin).
RUSTC		?= $(firstword $(shell command -v rustc 2>/dev/null) \
		   $(wildcard $(HOME)/.cargo/bin/rustc /root/.cargo/bin/rustc) rustc)

# make bench installs the peers first: this rule's prerequisites come before bench.mk's
# (a serial make takes them in order).
bench: deps-bench

-include tests/victims/victims.mk
-include tests/unit/fixtures.mk
-include user/out/proto.mk
-include static.mk
-include tests/validate/validate.mk
-include tests/integration/integration.mk
-include tests/integration/profile/profile.mk
-include tests/deploy/deploy.mk
-include tests/integration/hostile/hostile.mk
-include tests/bench/bench.mk
-include tests/bench/profile.mk
-include tests/kernels/kernels.mk
-include tests/fuzz/fuzz.mk

# make bench: the snapshot benchmarks (bench.mk), the profiler overhead and -F 100000 ending on
# time (profile.mk).
bench: bench-profile bench-profile-stop

# make test keeps each suite's log and counts in $(RESULTS)/<suite>.{log,txt}.
RESULTS		:= $(OUT)/test-results

# One line per test binary; a failing binary's whole output (cmocka's and what its
# checkers printed) is shown, a passing one's stays in $(RESULTS)/unit/.
.PHONY: unit
unit: $(UNIT_BINS) $(UNIT_DEPS)
	$(Q)sh tests/unit/run.sh $(RESULTS)/unit $(UNIT_BINS)

# as_root CMD: CMD as root, through sudo for a user who has it (root has no sudo on Debian).
as_root = if [ "$$(id -u)" -eq 0 ]; then $(1); elif command -v sudo >/dev/null 2>&1; then \
	sudo $(1); else echo "make $@: this step loads BPF programs and creates cgroups, which \
	needs root: run make as root, or install sudo and add this user to its sudoers" >&2; \
	exit 2; fi

# Every suite of `make test`, in order; each needs root (unit and validate-formats do not
# but run the same way).
TEST_SUITES	:= unit validate-formats integration integration-proc integration-profile integration-push \
		   integration-deploy \
		   integration-hostile integration-churn integration-privs integration-waits \
		   integration-waits-proc integration-verdicts integration-verdicts-proc integration-watch \
		   valgrind fuzz-short packaging integration-static integration-hostile-static \
		   integration-podman

# The README's test command: installs what is missing, builds as the calling user, runs
# every suite as root (each one even when one before failed; tests/suite-run.sh keeps its
# counts) and ends with the total over all suites; any failed or missing suite fails it.
.PHONY: test test-build test-suites
test: deps deps-test
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)rm -rf $(RESULTS)
	$(Q)$(call as_root,$(MAKE) --no-print-directory test-suites); \
		sh tests/sum-results.sh $(RESULTS) $(TEST_SUITES)

test-build: all victims profile-victims hostile-victims $(UNIT_BINS) $(UNIT_DEPS) \
	    $(VALIDATE_DIR)/gen_profiles fuzz-build

test-suites:
	$(Q)for s in $(TEST_SUITES); do \
		sh tests/suite-run.sh $(RESULTS) $$s $(MAKE) --no-print-directory $$s; done; true

# Build and run dependencies (what `make demo` and the binary need), the tests' and the
# benchmarks' (scripts/deps.sh; each installs only what is missing).
.PHONY: deps deps-test deps-bench
deps:
	$(Q)sh scripts/deps.sh run

deps-test: deps
	$(Q)sh scripts/deps.sh test

deps-bench: deps
	$(Q)sh scripts/deps.sh bench

.PHONY: vmlinux
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

.PHONY: lint
lint:
	$(Q)clang-format --dry-run --Werror bpf/*.c bpf/*.h bpf/arch/*.h $(USER_SRCS) $(wildcard user/*/*.h user/*/*/*.h) include/*.h \
		$(UNIT_SRCS)

# The README's first command: set up, build, and run rsample on a hung demo service
# (root: through sudo when not root). Builds only rsample and the one victim it shows.
.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory all $(VICTIM_DIR)/ledger-nofp
	$(Q)$(call as_root,env RS_BUILD=$(OUT) sh scripts/demo.sh)

# make install [PREFIX=/usr/local] [DESTDIR=...]: the binary, the man page, the bash
# completion and the documents (README, the JSON format and its schema).
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
DOCDIR		?= $(PREFIX)/share/doc/rsample
COMPDIR		?= $(PREFIX)/share/bash-completion/completions
INSTALL		?= install
INSTALLED	:= $(BINDIR)/rsample $(MANDIR)/man1/rsample.1 $(COMPDIR)/rsample \
		   $(DOCDIR)/README.md $(DOCDIR)/json.md $(DOCDIR)/rsample.schema.json

.PHONY: install uninstall
install: $(OUT)/rsample
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR) \
		$(DESTDIR)$(DOCDIR)
	$(Q)$(INSTALL) -m 755 $(OUT)/rsample $(DESTDIR)$(BINDIR)/rsample
	$(Q)$(INSTALL) -m 644 docs/rsample.1 $(DESTDIR)$(MANDIR)/man1/rsample.1
	$(Q)$(INSTALL) -m 644 completion/rsample.bash $(DESTDIR)$(COMPDIR)/rsample
	$(Q)$(INSTALL) -m 644 README.md docs/json.md docs/rsample.schema.json $(DESTDIR)$(DOCDIR)

uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# make deb: dpkg-buildpackage -us -uc -b on a copy of the tracked tree in $(DEB_DIR)/src
# (the products land in $(DEB_DIR), not in the repository's parent; the build's own
# outputs in debian/build, so neither touches build/). Needs make deps-test's debhelper.
DEB_DIR		:= $(OUT)/deb

.PHONY: deb
deb:
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/rsample
	$(Q)git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/src/rsample
	$(Q)cd $(DEB_DIR)/src/rsample && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; echo "make deb: dpkg-buildpackage failed (log: $(DEB_DIR)/src/build.log)" >&2; exit 1; }
	$(Q)mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/src/*.changes $(DEB_DIR)/
	$(Q)mv $(DEB_DIR)/src/*.ddeb $(DEB_DIR)/ 2>/dev/null || true
	$(Q)ls $(DEB_DIR)/*.deb

# The man page, the completion, make install and the .deb (tests/packaging/run.py).
.PHONY: packaging
packaging: all deb
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_DEB_DIR=$(CURDIR)/$(DEB_DIR) \
		$(PYTHON) tests/packaging/run.py $(ARGS)

# make demo on a bare Debian 12 root (debootstrap): it installs only the run set
# (tests/packaging/demo-root.sh; root, Debian's archive, ~5 minutes the first time).
.PHONY: demo-fresh-root
demo-fresh-root:
	$(Q)$(call as_root,sh tests/packaging/demo-root.sh)

.PHONY: clean
clean:
	rm -rf $(OUT)

-include $(BPF_OBJS:.o=.d) $(USER_OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(wildcard $(OUT)/tests/*.d $(OUT)/tests/*/*.d)
