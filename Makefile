# SPDX-License-Identifier: GPL-2.0
# rsample — one Makefile for BPF objects, skeletons, the binary and the tests.
# Outputs go to build/. V=1 shows commands.

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

ARCH		?= x86
OUT		:= build
CC		?= cc
CLANG		?= clang
BPFTOOL		?= bpftool
PKG_CONFIG	?= pkg-config
VMLINUX		:= vmlinux/$(ARCH)/vmlinux.h
VERSION		:= $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

PKGS		:= libbpf libelf libdw
# Recursive (=) so a make that first ran 'deps' still finds the flags.
PKG_CFLAGS	= $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Werror -Wno-missing-field-initializers
ALL_CFLAGS	= -std=gnu11 $(WARN) $(CFLAGS) -Iinclude -Iuser -I$(OUT) $(PKG_CFLAGS) \
		   -DRS_VERSION='"$(VERSION)"' -D_GNU_SOURCE -MMD -MP $(EXTRA_CFLAGS)
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

-include tests/victims/victims.mk
-include tests/unit/fixtures.mk
-include user/out/proto.mk
-include tests/validate/validate.mk
-include tests/integration/integration.mk
-include tests/integration/profile/profile.mk
-include tests/integration/hostile/hostile.mk
-include tests/bench/bench.mk
-include tests/bench/profile.mk
-include tests/kernels/kernels.mk
-include tests/fuzz/fuzz.mk

# make bench: the snapshot benchmarks (bench.mk), the profiler overhead and -F 100000 ending on
# time (profile.mk).
bench: bench-profile bench-profile-stop

.PHONY: unit
unit: $(UNIT_BINS) $(UNIT_DEPS)
	$(Q)fail=0; for t in $(UNIT_BINS); do \
		echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t || fail=1; \
	done; exit $$fail

# The README's test command: installs what is missing, builds, runs every suite.
.PHONY: test
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit validate-formats integration integration-proc \
		integration-profile integration-hostile integration-churn \
		integration-privs integration-waits valgrind fuzz-short

.PHONY: deps
deps:
	$(Q)sh scripts/deps.sh

.PHONY: vmlinux
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

.PHONY: lint
lint:
	$(Q)clang-format --dry-run --Werror bpf/*.c bpf/*.h bpf/arch/*.h $(USER_SRCS) $(wildcard user/*/*.h user/*/*/*.h) include/*.h \
		$(UNIT_SRCS)

# The README's first command: set up, build, and run rsample on a hung demo service.
.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory all victims
	$(Q)RS_BUILD=$(OUT) sh scripts/demo.sh

.PHONY: clean
clean:
	rm -rf $(OUT)

-include $(BPF_OBJS:.o=.d) $(USER_OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(wildcard $(OUT)/tests/*.d $(OUT)/tests/*/*.d)
