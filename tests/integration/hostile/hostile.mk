# SPDX-License-Identifier: GPL-2.0
# Hostile containers (tests/integration/hostile/run.py): what a container's files can
# do to rsample, which reads them as root. Included by the top Makefile;
# `make integration-hostile ARGS='-k dwo'` runs a subset (root, BPF, strace needed).
#
# The victims are tests/victims/ledger.c, static (they run in a bare root, pivot_root):
#   ledger-static           -O2 -g
#   ledger-stripped(.debug) debug info moved out; build-id kept, no debuglink
#   ledger-noid(.debug)     no build-id, debug info behind a .gnu_debuglink (CRC)
#   ledger-split            -gsplit-dwarf, DW_AT_comp_dir rewritten to the placeholder
#                           /tmp/rsample-dwo-XXXXXXXX (a test makes it a host directory)
#   ledger-split-ledger.dwo its split units, beside it

HOSTILE_DIR	:= $(OUT)/hostile-victims
HOSTILE_CFLAGS	:= -O2 -g -static -pthread -fomit-frame-pointer -Wall -Wextra -Werror
HOSTILE_VICTIMS	:= $(addprefix $(HOSTILE_DIR)/,ledger-static ledger-stripped ledger-stripped.debug \
		   ledger-noid ledger-noid.debug ledger-split)

.PHONY: hostile-victims
hostile-victims: $(HOSTILE_VICTIMS)

$(HOSTILE_DIR):
	$(Q)mkdir -p $@

$(HOSTILE_DIR)/ledger-static: tests/victims/ledger.c | $(HOSTILE_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(HOSTILE_CFLAGS) $< -o $@

$(HOSTILE_DIR)/ledger-stripped.debug: $(HOSTILE_DIR)/ledger-static
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --only-keep-debug $< $@

$(HOSTILE_DIR)/ledger-stripped: $(HOSTILE_DIR)/ledger-static
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --strip-debug $< $@

$(HOSTILE_DIR)/ledger-noid-full: tests/victims/ledger.c | $(HOSTILE_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(VICTIM_CC) $(HOSTILE_CFLAGS) -Wl,--build-id=none $< -o $@

$(HOSTILE_DIR)/ledger-noid.debug: $(HOSTILE_DIR)/ledger-noid-full
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --only-keep-debug $< $@

$(HOSTILE_DIR)/ledger-noid: $(HOSTILE_DIR)/ledger-noid-full $(HOSTILE_DIR)/ledger-noid.debug
	$(call msg,OBJCOPY,$@)
	$(Q)cd $(HOSTILE_DIR) && $(OBJCOPY) --strip-debug --add-gnu-debuglink=ledger-noid.debug \
		ledger-noid-full ledger-noid

# Built in its directory so the .dwo lands beside it; comp_dir becomes the placeholder.
$(HOSTILE_DIR)/ledger-split: tests/victims/ledger.c | $(HOSTILE_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)cd $(HOSTILE_DIR) && $(VICTIM_CC) $(HOSTILE_CFLAGS) -gsplit-dwarf \
		-fdebug-prefix-map=$(CURDIR)/$(HOSTILE_DIR)=/tmp/rsample-dwo-XXXXXXXX \
		$(CURDIR)/$< -o ledger-split

.PHONY: integration-hostile
integration-hostile: all hostile-victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_HOSTILE_VICTIMS=$(CURDIR)/$(HOSTILE_DIR) \
		$(PYTHON) tests/integration/hostile/run.py $(ARGS)
