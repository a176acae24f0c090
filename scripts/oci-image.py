#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes an OCI image from a few local files, offline: no base image, no registry.

  scripts/oci-image.py --layout DIR [--archive FILE] [--name NAME:TAG]
                       [--entrypoint PATH] [--user UID:GID] SRC=DEST[:MODE]...

One gzip layer holds each SRC at DEST (mode MODE, octal, default 0755), the directories
leading to them, /tmp (1777) and a two-line /etc/passwd and /etc/group (root, and "app"
1000:1000). DIR becomes an OCI image layout (oci-layout, index.json, blobs/sha256/: the
layer, the config, the manifest, each named by its sha256); the index names the image
NAME:TAG (org.opencontainers.image.ref.name TAG; podman and skopeo read that). --archive
writes the same layout as one tar, what `podman load -i FILE` takes (oci-archive).
Byte-for-byte reproducible: every time stamp is 0, owners are root, members are sorted.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

PASSWD = b"root:x:0:0:root:/:/nonexistent\napp:x:1000:1000:app:/:/nonexistent\n"
GROUP = b"root:x:0:\napp:x:1000:\n"


def member(name, data=None, mode=0o755, kind=tarfile.REGTYPE):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime, ti.uid, ti.gid = kind, mode, 0, 0, 0
    ti.uname = ti.gname = "root"
    if data is not None:
        ti.size = len(data)
    return ti


def layer_tar(files):
    """The uncompressed layer: FILES is [(dest, bytes, mode)]."""
    entries = {"etc/passwd": (PASSWD, 0o644), "etc/group": (GROUP, 0o644)}
    for dest, data, mode in files:
        entries[dest.lstrip("/")] = (data, mode)
    dirs = {"tmp": 0o1777}
    for path in entries:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.setdefault("/".join(parts[:i]), 0o755)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in sorted(dirs):
            tar.addfile(member(d + "/", mode=dirs[d], kind=tarfile.DIRTYPE))
        for path in sorted(entries):
            data, mode = entries[path]
            tar.addfile(member(path, data, mode), io.BytesIO(data))
    return buf.getvalue()


def blob(layout, data):
    """Stores DATA under blobs/sha256/; its descriptor's digest and size."""
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def write_layout(layout, files, name, entrypoint, user):
    if os.path.exists(layout):
        shutil.rmtree(layout)
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    tar = layer_tar(files)
    gz = gzip.compress(tar, compresslevel=9, mtime=0)
    layer_digest, layer_size = blob(layout, gz)
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": [entrypoint], "User": user, "Env": ["PATH=/usr/bin:/bin"],
                   "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
        "history": [{"created_by": "scripts/oci-image.py", "created": "1970-01-01T00:00:00Z"}],
        "created": "1970-01-01T00:00:00Z",
    }
    config_digest, config_size = blob(layout, canonical(config))
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": layer_size}],
    }
    manifest_digest, manifest_size = blob(layout, canonical(manifest))
    index = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": manifest_size,
                       "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"org.opencontainers.image.ref.name": name.split(":")[-1],
                                       "io.containerd.image.name": name}}],
    }
    with open(os.path.join(layout, "index.json"), "wb") as f:
        f.write(canonical(index))
    with open(os.path.join(layout, "oci-layout"), "wb") as f:
        f.write(canonical({"imageLayoutVersion": "1.0.0"}))
    return manifest_digest


def write_archive(layout, path):
    """The layout as one tar (oci-archive), members sorted, time stamps 0."""
    names = []
    for top, dirs, fnames in os.walk(layout):
        dirs.sort()
        rel = os.path.relpath(top, layout)
        if rel != ".":
            names.append((rel, None))
        names += [(os.path.normpath(os.path.join(rel, n)), os.path.join(top, n))
                  for n in sorted(fnames)]
    tmp = path + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for rel, full in sorted(names):
            if full is None:
                tar.addfile(member(rel + "/", kind=tarfile.DIRTYPE))
                continue
            with open(full, "rb") as f:
                data = f.read()
            tar.addfile(member(rel, data, 0o644), io.BytesIO(data))
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layout", required=True)
    ap.add_argument("--archive")
    ap.add_argument("--name", default="rsample:latest")
    ap.add_argument("--entrypoint", default="/usr/bin/rsample")
    ap.add_argument("--user", default="0:0")
    ap.add_argument("files", nargs="+", metavar="SRC=DEST[:MODE]")
    a = ap.parse_args(argv)
    files = []
    for spec in a.files:
        src, sep, dest = spec.partition("=")
        if not sep or not dest.startswith("/"):
            ap.error("%r: expected SRC=/DEST[:MODE]" % spec)
        dest, _, mode = dest.partition(":")
        try:
            with open(src, "rb") as f:
                files.append((dest, f.read(), int(mode or "755", 8)))
        except OSError as e:
            print("oci-image: cannot read '%s': %s" % (src, e.strerror), file=sys.stderr)
            return 2
    digest = write_layout(a.layout, files, a.name, a.entrypoint, a.user)
    if a.archive:
        write_archive(a.layout, a.archive)
    print("%s %s" % (a.name, digest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
