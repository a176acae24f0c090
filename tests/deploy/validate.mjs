// SPDX-License-Identifier: GPL-2.0
// Checks deploy/*.yaml offline (make integration-deploy): every document against the
// Kubernetes API schema of its kind (npm kubernetes-models, compiled from the Kubernetes
// OpenAPI; nothing is fetched at run time), then what the schema cannot say: the
// DaemonSet's privileges and mounts are the ones README "Kubernetes" documents.
//   RS_NODE_DIR=<dir with node_modules> node validate.mjs FILE...
// Prints one "ok:" line per check; exits 1 with "check failed:" on the first failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.RS_NODE_DIR;
const mod = (p) => import(pathToFileURL(join(dir, "node_modules", p)).href);
const { parseAllDocuments } = await mod("yaml/dist/index.js");

function fail(msg) {
	console.log("check failed: " + msg);
	process.exit(1);
}

function expect(cond, msg) {
	if (!cond)
		fail(msg);
}

const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

function checkDaemonSet(file, ds) {
	const pod = ds.spec.template.spec;
	const c = pod.containers[0];
	const sc = c.securityContext;
	expect(pod.hostPID === true, `${file}: hostPID is not true`);
	expect(!pod.hostNetwork, `${file}: hostNetwork is not needed`);
	expect(sc.privileged === false, `${file}: the container must not be privileged`);
	expect(same(sc.capabilities.drop, ["ALL"]), `${file}: capabilities.drop is not [ALL]`);
	const want = ["BPF", "PERFMON", "SYSLOG", "SYS_PTRACE", "DAC_READ_SEARCH", "CHECKPOINT_RESTORE"];
	expect(same(sc.capabilities.add, want),
	       `${file}: capabilities.add ${sc.capabilities.add}, want ${want}`);
	expect(sc.seccompProfile.type === "Unconfined" && sc.appArmorProfile.type === "Unconfined",
	       `${file}: seccomp and AppArmor must be Unconfined (README says why)`);
	const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m]));
	const vols = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
	for (const [path, host] of [["/sys/kernel/btf", "/sys/kernel/btf"],
				    ["/host/sys/fs/cgroup", "/sys/fs/cgroup"],
				    ["/host/var/log/pods", "/var/log/pods"],
				    ["/host/var/log/containers", "/var/log/containers"]]) {
		const m = mounts[path];
		expect(m && m.readOnly, `${file}: no read-only mount at ${path}`);
		expect(vols[m.name].hostPath.path === host, `${file}: ${path} is not the node's ${host}`);
	}
	const args = c.args.join(" ");
	expect(/^profile --host-root \/host --cgroup \S+ .*--interval \S+ --push \S+/.test(args),
	       `${file}: args '${args}'`);
	expect(c.env.some((e) => e.name === "NODE_NAME" &&
			  e.valueFrom.fieldRef.fieldPath === "spec.nodeName"),
	       `${file}: NODE_NAME from spec.nodeName`);
	expect(c.resources.limits.cpu && c.resources.limits.memory, `${file}: resource limits`);
	expect(pod.nodeSelector && pod.tolerations.length > 0, `${file}: nodeSelector/tolerations examples`);
	console.log(`ok: ${file}: DaemonSet privileges, mounts and args as documented`);
}

for (const file of process.argv.slice(2)) {
	const docs = parseAllDocuments(readFileSync(file, "utf8"));
	let n = 0;
	for (const doc of docs) {
		if (doc.errors.length)
			fail(`${file}: YAML: ${doc.errors[0].message}`);
		const obj = doc.toJS();
		if (!obj)
			continue;
		n++;
		let Model;
		try {
			Model = (await mod(`kubernetes-models/${obj.apiVersion}/${obj.kind}.js`))[obj.kind];
		} catch (e) {
			fail(`${file}: no schema for ${obj.apiVersion} ${obj.kind}: ${e.message}`);
		}
		try {
			new Model(obj).validate();
		} catch (e) {
			fail(`${file}: ${obj.kind} ${obj.metadata?.name}: ${e.message.split("\n")[0]}`);
		}
		console.log(`ok: ${file}: ${obj.apiVersion} ${obj.kind} ${obj.metadata.name} matches the Kubernetes schema`);
		if (obj.kind === "DaemonSet")
			checkDaemonSet(file, obj);
	}
	expect(n > 0, `${file}: no documents`);
}
