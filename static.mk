# SPDX-License-Identifier: GPL-2.0
# make static: one statically linked x86-64 executable, $(STATIC_DIR)/rsample, that runs
# in an empty root (tests/integration/static/run.py). Included by the top Makefile after
# its variables and proto.mk.
#
# glibc static, not musl: Debian ships libbpf.a, libelf.a, libdw.a, libz.a, liblzma.a,
# libbz2.a, libiberty.a and libprotobuf-c.a built against glibc; musl would mean
# rebuilding elfutils and libbpf from source. rsample calls nothing that needs NSS or
# iconv (no getpw*, no name lookups); the one dlopen is libdw's, for libdebuginfod,
# which the static build never reaches (elfopen.c says debuginfod is unavailable).
#
# libdw and libelf open some files with plain open(); the dynamic build interposes
# open() and tells their calls apart with dladdr (user/stack/dwopen.c), which a static
# executable cannot do. Here the build links private copies of libdw.a and libelf.a
# whose undefined "open" is renamed rs_dw_open, so exactly their calls reach the
# confinement to the target's root.
#
# Every object but the few built with -DRS_STATIC is the dynamic build's own.
# RS_WITH_CURL=0: the static build leaves out what needs libcurl (libcurl's static
# dependencies are not all shipped as .a by Debian); code that needs it tests RS_WITH_CURL.

STATIC_DIR	:= $(OUT)/static
STATIC_SRCS	:= user/main.c user/stack/dwopen.c user/stack/elfopen.c user/push/transport.c
STATIC_OWN	:= $(patsubst user/%.c,$(STATIC_DIR)/user/%.o,$(STATIC_SRCS))
STATIC_SHARED	:= $(filter-out $(patsubst user/%.c,$(OUT)/user/%.o,$(STATIC_SRCS)),$(USER_OBJS))
STATIC_LIBDIR	:= $(STATIC_DIR)/lib
SYS_LIBDIR	?= $(shell $(PKG_CONFIG) --variable=libdir libdw 2>/dev/null || \
		   echo /usr/lib/x86_64-linux-gnu)
# The order the linker needs: each library before the ones it uses.
STATIC_LIBS	= -L$(STATIC_LIBDIR) -lbpf -ldw -lelf -liberty -lprotobuf-c -lz -lbz2 -llzma \
		  -lpthread
STATIC_CFLAGS	:= -DRS_STATIC=1 -URS_WITH_CURL -DRS_WITH_CURL=0

.PHONY: static
static: $(STATIC_DIR)/rsample

$(STATIC_DIR)/user/%.o: user/%.c $(SKELS) $(GEN_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(STATIC_CFLAGS) -c $< -o $@

# objcopy works on whole archives: every member's reference to open becomes rs_dw_open.
$(STATIC_LIBDIR)/libdw.a $(STATIC_LIBDIR)/libelf.a: $(STATIC_LIBDIR)/%.a: $(SYS_LIBDIR)/%.a
	$(call msg,OBJCOPY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(OBJCOPY) --redefine-sym open=rs_dw_open $< $@

$(STATIC_DIR)/rsample: $(STATIC_OWN) $(STATIC_SHARED) $(GEN_OBJS) $(STATIC_LIBDIR)/libdw.a \
		       $(STATIC_LIBDIR)/libelf.a
	$(call msg,LINK,$@)
	$(Q)$(CC) -static $(ALL_LDFLAGS) $(filter %.o,$^) $(STATIC_LIBS) -o $@ \
		2>$(STATIC_DIR)/link.log || { cat $(STATIC_DIR)/link.log >&2; exit 1; }
	$(Q)grep -v -e "statically linked applications requires at runtime" \
		-e "in function .__libdwfl_debuginfod_init" $(STATIC_DIR)/link.log >&2 || true

-include $(STATIC_OWN:.o=.d)

# The empty-root suite (tests/integration/static/run.py) and the hostile-container suite
# run against the static binary (its libdw opens confined by the renamed open).
.PHONY: integration-static integration-hostile-static
integration-static: static hostile-victims
	$(Q)RSAMPLE_STATIC=$(CURDIR)/$(STATIC_DIR)/rsample RS_HOSTILE_VICTIMS=$(CURDIR)/$(HOSTILE_DIR) \
		$(PYTHON) tests/integration/static/run.py $(ARGS)

integration-hostile-static: static hostile-victims
	$(Q)RSAMPLE=$(CURDIR)/$(STATIC_DIR)/rsample RS_HOSTILE_VICTIMS=$(CURDIR)/$(HOSTILE_DIR) \
		$(PYTHON) tests/integration/hostile/run.py $(ARGS)

# make image: an OCI image of the static binary, written offline (scripts/oci-image.py: no
# base image, nothing pulled): the layout in $(IMAGE_DIR)/rsample-oci/ and the same as an
# oci-archive, for `podman load -i $(IMAGE_DIR)/rsample-oci.tar` (localhost/rsample:latest).
IMAGE_DIR	:= $(OUT)/image

.PHONY: image
image: $(IMAGE_DIR)/rsample-oci.tar

$(IMAGE_DIR)/rsample-oci.tar: $(STATIC_DIR)/rsample scripts/oci-image.py
	$(call msg,OCI,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(PYTHON) scripts/oci-image.py --layout $(IMAGE_DIR)/rsample-oci --archive $@ \
		--name rsample:latest $<=/usr/bin/rsample >/dev/null

# The image against a victim container with podman (tests/integration/podman/run.py).
.PHONY: integration-podman
integration-podman: image hostile-victims
	$(Q)RS_IMAGE=$(CURDIR)/$(IMAGE_DIR)/rsample-oci.tar RS_HOSTILE_VICTIMS=$(CURDIR)/$(HOSTILE_DIR) \
		$(PYTHON) tests/integration/podman/run.py $(ARGS)

# make test builds these before its suites run as root.
test-build: static image
