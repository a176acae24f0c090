# SPDX-License-Identifier: GPL-2.0
# rsample under the kernels production runs, each in a QEMU guest (tests/kernels/README.md).
# Included by the top Makefile.
#
#   make kernels-setup [KERNELS="6.1 6.12"]   download and prepare the kernels (cached)
#   make smoke-kernels [KERNELS=...]          tests/kernels/smoke under each kernel
#   make test-kernels  [KERNELS=...]          make integration and integration-profile
#                                             under each kernel; logs in build/kernels/
#
# KERNELS entries are what tests/kernels/run --kernel takes: a line (6.1, 6.12-rt), a
# release (6.1.0-57-amd64) or a linux-image .deb file. RSK_RUN_ARGS passes options to
# tests/kernels/run, e.g. RSK_RUN_ARGS="--env RSAMPLE_NO_TASK_WORK=1".

KERNELS		?= 6.1 6.12

.PHONY: kernels-setup smoke-kernels test-kernels
kernels-setup:
	$(Q)tests/kernels/setup $(KERNELS)

smoke-kernels: all victims
	$(Q)tests/kernels/setup $(KERNELS) >/dev/null
	$(Q)RSK_LOGS=$(OUT)/kernels tests/kernels/matrix smoke $(KERNELS)

test-kernels: all victims profile-victims
	$(Q)tests/kernels/setup $(KERNELS) >/dev/null
	$(Q)RSK_LOGS=$(OUT)/kernels tests/kernels/matrix test $(KERNELS)
