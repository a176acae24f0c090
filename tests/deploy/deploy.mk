# SPDX-License-Identifier: GPL-2.0
# make integration-deploy: deploy/'s manifests against the Kubernetes API schemas (npm
# kubernetes-models, installed once into $(OUT)/deploy by npm ci, then offline), the
# kubectl-rsample plugin against a fake kubectl, and --host-root from a cgroup namespace of
# its own (root, real BPF) (tests/deploy/run.py).

.PHONY: integration-deploy
integration-deploy: all profile-victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_PROFILE_VICTIMS=$(CURDIR)/$(PROF_VICTIM_DIR) \
		RS_OUT=$(CURDIR)/$(OUT) $(PYTHON) tests/deploy/run.py $(ARGS)
