# SPDX-License-Identifier: GPL-2.0
# pprof's message set (user/out/pprof.proto) compiled by protoc-c, included by the
# Makefile after its variables. Generated sources live in $(OUT)/gen/; code
# includes "gen/pprof.pb-c.h" (the Makefile passes -I$(OUT)).
#
#   GEN_OBJS      the generated code, linked into rsample
#   GEN_SAN_OBJS  the same with ASan/UBSan, linked into every unit test
#   LIBS          gains libprotobuf-c

PROTOC_C	?= protoc-c
GEN_DIR		:= $(OUT)/gen
GEN_PROTO_HDRS	:= $(GEN_DIR)/pprof.pb-c.h
GEN_OBJS	:= $(GEN_DIR)/pprof.pb-c.o
GEN_SAN_OBJS	:= $(OUT)/san/gen/pprof.pb-c.o
PPROF_MODS	:= out/pprof out/pprof_map
PROTOBUF_C_LIBS	:= $(shell $(PKG_CONFIG) --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c)
LIBS		+= $(PROTOBUF_C_LIBS)
ALL_CFLAGS	+= $(shell $(PKG_CONFIG) --cflags libprotobuf-c 2>/dev/null)

# Generated code is not ours to keep warning-free: plain flags, no -Werror.
GEN_CFLAGS	:= -std=gnu11 $(CFLAGS) -I$(GEN_DIR) $(shell $(PKG_CONFIG) --cflags libprotobuf-c \
		   2>/dev/null) -MMD -MP $(EXTRA_CFLAGS)

$(GEN_DIR) $(OUT)/san/gen:
	$(Q)mkdir -p $@

# One protoc-c run writes both files (a grouped pattern rule).
$(GEN_DIR)/%.pb-c.c $(GEN_DIR)/%.pb-c.h: user/out/%.proto | $(GEN_DIR)
	$(call msg,PROTOC-C,$@)
	$(Q)$(PROTOC_C) --proto_path=user/out --c_out=$(GEN_DIR) $<

$(GEN_DIR)/%.pb-c.o: $(GEN_DIR)/%.pb-c.c $(GEN_DIR)/%.pb-c.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(GEN_CFLAGS) -c $< -o $@

$(OUT)/san/gen/%.pb-c.o: $(GEN_DIR)/%.pb-c.c $(GEN_DIR)/%.pb-c.h | $(OUT)/san/gen
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(GEN_CFLAGS) $(SAN) -c $< -o $@

# Whatever includes the generated header waits for it; the links take the object
# through $^.
$(patsubst %,$(OUT)/user/%.o,$(PPROF_MODS)) $(patsubst %,$(OUT)/san/user/%.o,$(PPROF_MODS)) \
$(patsubst tests/unit/%.c,$(OUT)/tests/%.o,$(wildcard tests/unit/*pprof*.c tests/unit/*/*pprof*.c)): $(GEN_PROTO_HDRS)
$(OUT)/rsample: $(GEN_OBJS)
$(SAN_LIB): $(GEN_SAN_OBJS)

-include $(GEN_OBJS:.o=.d) $(GEN_SAN_OBJS:.o=.d)
