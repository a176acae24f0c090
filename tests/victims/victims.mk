# SPDX-License-Identifier: GPL-2.0
# Test victims for tests/integration and the demo, built into $(OUT)/victims/.
# Included by the top Makefile.
#
#   ledger-nofp         C, -O2 -g, no frame pointers
#   ledger-fp           C, -O2 -g, frame pointers
#   ledger-dbg          ledger-nofp without debug info, with a .gnu_debuglink to
#   ledger-dbg.debug    ... its debug info in a separate file
#   orderd              Rust, std only, opt-level 3, full debug info, no frame pointers
#   asyncd              Rust, std only, as orderd: an executor whose task holds a std
#                       Mutex across a blocking pool get, idle workers, a reactor
#   asyncd-dbg          asyncd without debug info, with a .gnu_debuglink to
#   asyncd-dbg.debug    ... its debug info in a separate file
#   rsservice-nodebug   tests/gdbcompare/progs/rsservice.rs as cargo's release profile
#                       builds it: no debug info, names from the symbol table only
#   rsservice-abort     the same, opt-level 3, -g, panic=abort, frame pointers: its
#                       .debug_aranges give the main shim to a CU whose ranges omit it
#   symnames            C, -O1, no debug info: functions whose ELF names gdb rewrites
#                       (clone suffixes, "__" read as Ada)
#   bigframe            C, -O2 -g: threads waiting below a 300 KiB stack frame
#   deepspin            C, -O2 -g: a thread spinning on a CPU 900 calls (~115 KiB) deep
#   cxxservice-split    tests/gdbcompare/progs/cxxservice.cc, -O2 -g -gsplit-dwarf:
#                       its DIEs in cxxservice-split-cxxservice.dwo beside it
#   forker              C, -O2 -g: long-lived threads beside short-lived children and
#                       threads started without pause (the churn tests)
#   hangsvc             C, -O2 -g: a service (idle condvar pool, epoll reactor) that
#                       hangs after N s on a pipe or a held mutex (the watch tests)
#   hangsvc-rs          Rust, std only, as orderd: the same service in Rust
#   waiter              C, -O2 -g: threads blocked on pipes, sockets, epoll, sleeps, a
#                       child, a join, a rwlock and a vfork (the wait tests)
#   verdicts            C, -O2 -g: a spinning thread, stuck ones (pipe, mutex), a
#                       progressing one, an idle pool and reactor (the --compare tests)
#   verdictd            Rust, std only, as orderd: the same in Rust (std Mutex, Condvar)
#
# The victims always build with the system C compiler and rustc from PATH;
# they never get the sanitizer or warning flags of the rsample build.

VICTIM_DIR	:= $(OUT)/victims
VICTIM_CC	?= $(CC)
VICTIM_CFLAGS	:= -O2 -g -pthread -Wall -Wextra -Werror
RUSTC		?= rustc
OBJCOPY		?= objcopy
VICTIM_RUSTFLAGS := --edition 2021 -C opt-level=3 -C debuginfo=2 -C force-frame-pointers=no \
		   -C panic=unwind

VICTIMS		:= $(addprefix $(VICTIM_DIR)/,ledger-nofp ledger-fp ledger-dbg ledger-dbg.debug orderd \
		     asyncd asyncd-dbg asyncd-dbg.debug \
		     rsservice-nodebug rsservice-abort cxxservice-split symnames bigframe deepspin forker waiter \
		     verdicts verdictd hangsvc hangsvc-rs)
VICTIM_CXX	?= $(CXX)

.PHONY: victims
victims: $(VICTIMS)

$(VICTIM_DIR):
	$(Q)mkdir -p $@

$(VICTIM_DIR)/ledger-nofp: tests/victims/ledger.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fomit-frame-pointer $< -o $@

$(VICTIM_DIR)/ledger-fp: tests/victims/ledger.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fno-omit-frame-pointer $< -o $@

# The debug info moves to ledger-dbg.debug; the stripped binary keeps its
# .symtab and CFI (.eh_frame) and points at the debug file by name and CRC.
$(VICTIM_DIR)/ledger-dbg.debug: $(VICTIM_DIR)/ledger-nofp
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --only-keep-debug $< $@

$(VICTIM_DIR)/ledger-dbg: $(VICTIM_DIR)/ledger-nofp $(VICTIM_DIR)/ledger-dbg.debug
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --strip-debug --add-gnu-debuglink=$(VICTIM_DIR)/ledger-dbg.debug $< $@

$(VICTIM_DIR)/orderd: tests/victims/orderd.rs | $(VICTIM_DIR)
	$(call msg,RUSTC,$@)
	$(Q)command -v $(RUSTC) >/dev/null || { echo "victims: '$(RUSTC)' not found: put rustc in PATH (e.g. ~/.cargo/bin) or set RUSTC=" >&2; exit 1; }
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) $(VICTIM_RUSTFLAGS) --crate-name orderd $< -o $@

$(VICTIM_DIR)/asyncd: tests/victims/asyncd.rs | $(VICTIM_DIR)
	$(call msg,RUSTC,$@)
	$(Q)command -v $(RUSTC) >/dev/null || { echo "victims: '$(RUSTC)' not found: put rustc in PATH (e.g. ~/.cargo/bin) or set RUSTC=" >&2; exit 1; }
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) $(VICTIM_RUSTFLAGS) --crate-name asyncd $< -o $@

$(VICTIM_DIR)/asyncd-dbg.debug: $(VICTIM_DIR)/asyncd
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --only-keep-debug $< $@

$(VICTIM_DIR)/asyncd-dbg: $(VICTIM_DIR)/asyncd $(VICTIM_DIR)/asyncd-dbg.debug
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --strip-debug --add-gnu-debuglink=$(VICTIM_DIR)/asyncd-dbg.debug $< $@

$(VICTIM_DIR)/rsservice-nodebug: tests/gdbcompare/progs/rsservice.rs | $(VICTIM_DIR)
	$(call msg,RUSTC,$@)
	$(Q)command -v $(RUSTC) >/dev/null || { echo "victims: '$(RUSTC)' not found: put rustc in PATH (e.g. ~/.cargo/bin) or set RUSTC=" >&2; exit 1; }
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) --edition 2021 -C opt-level=3 -C debuginfo=0 \
		--crate-name rsservice $< -o $@

$(VICTIM_DIR)/rsservice-abort: tests/gdbcompare/progs/rsservice.rs | $(VICTIM_DIR)
	$(call msg,RUSTC,$@)
	$(Q)command -v $(RUSTC) >/dev/null || { echo "victims: '$(RUSTC)' not found: put rustc in PATH (e.g. ~/.cargo/bin) or set RUSTC=" >&2; exit 1; }
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) --edition 2021 -C opt-level=3 -g -C panic=abort \
		-C force-frame-pointers=yes --crate-name rsservice $< -o $@

$(VICTIM_DIR)/symnames: tests/victims/symnames.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) -O1 -fno-omit-frame-pointer -pthread -Wall -Wextra -Werror $< -o $@

$(VICTIM_DIR)/bigframe: tests/victims/bigframe.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fomit-frame-pointer $< -o $@

$(VICTIM_DIR)/deepspin: tests/victims/deepspin.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fomit-frame-pointer $< -o $@

$(VICTIM_DIR)/forker: tests/victims/forker.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fomit-frame-pointer $< -o $@

$(VICTIM_DIR)/waiter: tests/victims/waiter.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fomit-frame-pointer $< -o $@

$(VICTIM_DIR)/verdicts: tests/victims/verdicts.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fomit-frame-pointer $< -o $@

$(VICTIM_DIR)/verdictd: tests/victims/verdictd.rs | $(VICTIM_DIR)
	$(call msg,RUSTC,$@)
	$(Q)command -v $(RUSTC) >/dev/null || { echo "victims: '$(RUSTC)' not found: put rustc in PATH (e.g. ~/.cargo/bin) or set RUSTC=" >&2; exit 1; }
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) $(VICTIM_RUSTFLAGS) --crate-name verdictd $< -o $@

$(VICTIM_DIR)/hangsvc: tests/victims/hangsvc.c | $(VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(VICTIM_CFLAGS) -fomit-frame-pointer $< -o $@

$(VICTIM_DIR)/hangsvc-rs: tests/victims/hangsvc.rs | $(VICTIM_DIR)
	$(call msg,RUSTC,$@)
	$(Q)command -v $(RUSTC) >/dev/null || { echo "victims: '$(RUSTC)' not found: put rustc in PATH (e.g. ~/.cargo/bin) or set RUSTC=" >&2; exit 1; }
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) $(VICTIM_RUSTFLAGS) --crate-name hangsvc $< -o $@

# Run from the victim directory so the .dwo lands beside the binary.
$(VICTIM_DIR)/cxxservice-split: tests/gdbcompare/progs/cxxservice.cc | $(VICTIM_DIR)
	$(call msg,CXX-VIC,$@)
	$(Q)cd $(VICTIM_DIR) && $(VICTIM_CXX) -O2 -g -gsplit-dwarf -pthread $(CURDIR)/$< \
		-o cxxservice-split
