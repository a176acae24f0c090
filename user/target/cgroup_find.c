// SPDX-License-Identifier: GPL-2.0
/*
 * Finding pod and container cgroups (target_priv.h): one pass over the cgroup
 * tree with openat()/readdir() and d_type, so only directories are visited and
 * nothing is stat'ed unless the filesystem leaves d_type unknown; symlinks are
 * never followed. Pod names go through kubelet's log directories.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "target/target_priv.h"

/* Directory names of one pod: systemd driver ("…pod<uid_>.slice") and cgroupfs ("pod<uid>"). */
struct pod_names {
	char slice[sizeof("pod.slice") + RS_POD_UID_LEN];
	char plain[sizeof("pod") + RS_POD_UID_LEN];
};

struct walk {
	bool (*match)(const struct walk *w, const char *name, size_t *key);
	const struct pod_names *pods; /* pod search */
	size_t n_pods;
	const char *prefix; /* container search */
	size_t prefix_len;
	const char *root;
	char rel[PATH_MAX];
	struct rs_cgfound found;
	size_t cap;
};

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
	return true;
}

bool rs_is_pod_uid(const char *s, char uid[RS_POD_UID_LEN + 1])
{
	char buf[RS_POD_UID_LEN + 1];

	if (strlen(s) != RS_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < RS_POD_UID_LEN; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep && s[i] != '-' && s[i] != '_')
			return false;
		if (!sep && !isxdigit((unsigned char)s[i]))
			return false;
		buf[i] = sep ? '-' : tolower((unsigned char)s[i]);
	}
	buf[RS_POD_UID_LEN] = '\0';
	if (uid)
		memcpy(uid, buf, sizeof(buf));
	return true;
}

/* A DNS-1123 label (dots = false) or subdomain (dots = true) of n characters. */
static bool is_dns_name(const char *s, size_t n, size_t max, bool dots)
{
	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool alnum = isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'z');
		bool edge = i == 0 || i == n - 1 || (dots && (s[i - 1] == '.' || s[i + 1] == '.'));

		if (alnum)
			continue;
		if (edge || (s[i] != '-' && !(dots && s[i] == '.')))
			return false;
	}
	return true;
}

bool rs_is_pod_name(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash)
		return is_dns_name(s, strlen(s), 253, true);
	return is_dns_name(s, slash - s, 63, false) &&
	       is_dns_name(slash + 1, strlen(slash + 1), 253, true);
}

bool rs_is_container_id(const char *s, char id[RS_CID_LEN + 1])
{
	const char *scheme = strstr(s, "://");
	size_t n;

	if (scheme) {
		/* a runtime's name: "containerd", "cri-o", "docker"; "://id" or "a b://id" is no ID
		 */
		if (scheme == s)
			return false;
		for (const char *c = s; c < scheme; c++)
			if (!isdigit((unsigned char)*c) && (*c < 'a' || *c > 'z') && *c != '-' &&
			    *c != '.')
				return false;
		s = scheme + 3;
	}
	n = strlen(s);
	if (n < RS_CID_MIN || n > RS_CID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		id[i] = tolower((unsigned char)s[i]);
	}
	id[n] = '\0';
	return true;
}

void rs_cgfound_clear(struct rs_cgfound *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].rel);
	free(f->v);
	free(f->denied_path);
	f->v = NULL;
	f->n = 0;
	f->denied = 0;
	f->denied_path = NULL;
}

static int found_add(struct walk *w, size_t key)
{
	struct rs_cgfound *f = &w->found;
	char *rel;

	if (f->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct rs_cgitem *v = reallocarray(f->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		w->cap = cap;
	}
	rel = strdup(w->rel);
	if (!rel)
		return -ENOMEM;
	f->v[f->n].rel = rel;
	f->v[f->n].key = key;
	f->n++;
	return 0;
}

/* A subtree that cannot be read is skipped; the first such error is kept for the message. */
static int note_unreadable(struct walk *w, int err)
{
	if (err == -ENOENT) /* removed while we walked */
		return 0;
	if (err == -ENOMEM || err == -EMFILE || err == -ENFILE)
		return err;
	if (w->found.denied)
		return 0;
	w->found.denied = err;
	if (asprintf(&w->found.denied_path, "%s%s", w->root, w->rel) < 0) {
		w->found.denied_path = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool is_dir(int dfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return !fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
}

/* Visits the directories below fd (owned, closed here); w->rel holds its path, len long. */
static int walk_dir(struct walk *w, int fd, size_t len)
{
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return note_unreadable(w, err);
	}
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		size_t nlen = strlen(name), key = 0;
		int cfd;

		if (!strcmp(name, ".") || !strcmp(name, "..") || !is_dir(dirfd(d), de))
			continue;
		if (len + 1 + nlen >= sizeof(w->rel))
			continue;
		w->rel[len] = '/';
		memcpy(w->rel + len + 1, name, nlen + 1);
		if (w->match(w, name, &key)) {
			err = found_add(w, key);
			if (err)
				break;
		}
		cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = cfd < 0 ? note_unreadable(w, -errno) : walk_dir(w, cfd, len + 1 + nlen);
		if (err)
			break;
	}
	w->rel[len] = '\0';
	if (!de && errno && !err)
		err = note_unreadable(w, -errno);
	closedir(d);
	return err;
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct rs_cgitem *)a)->rel, ((const struct rs_cgitem *)b)->rel);
}

static int walk(struct walk *w, struct rs_cgfound *out)
{
	int fd, err;

	fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = walk_dir(w, fd, 0);
	if (err) {
		rs_cgfound_clear(&w->found);
		return err;
	}
	if (w->found.n)
		qsort(w->found.v, w->found.n, sizeof(*w->found.v), cmp_item);
	*out = w->found;
	return 0;
}

static bool match_pod(const struct walk *w, const char *name, size_t *key)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < w->n_pods; i++) {
		const char *slice = w->pods[i].slice;
		size_t l = strlen(slice);

		if (!strcmp(name, w->pods[i].plain) || (n >= l && !strcmp(name + n - l, slice))) {
			*key = i;
			return true;
		}
	}
	return false;
}

int rs_find_pod_cgroups(const char *root, char *const *uids, size_t n_uids, struct rs_cgfound *out)
{
	struct walk *w;
	struct pod_names *pods;
	int err = -ENOMEM;

	/* The walk state holds a PATH_MAX buffer: keep it off the stack. */
	w = calloc(1, sizeof(*w));
	pods = calloc(n_uids ? n_uids : 1, sizeof(*pods));
	if (!w || !pods)
		goto cleanup;
	for (size_t i = 0; i < n_uids; i++) {
		char *p;

		snprintf(pods[i].plain, sizeof(pods[i].plain), "pod%s", uids[i]);
		snprintf(pods[i].slice, sizeof(pods[i].slice), "pod%s.slice", uids[i]);
		for (p = pods[i].slice; *p; p++)
			if (*p == '-')
				*p = '_';
	}
	w->match = match_pod;
	w->pods = pods;
	w->n_pods = n_uids;
	w->root = root;
	err = walk(w, out);
cleanup:
	free(pods);
	free(w);
	return err;
}

/*
 * The container ID inside a cgroup name, or NULL: "<runtime>-<id>.scope"
 * (systemd driver), "<runtime>-<id>" or "<id>" (cgroupfs driver).
 */
const char *rs_container_id_of(const char *name)
{
	size_t n = strlen(name);
	const char *id;

	if (n > 6 && !strcmp(name + n - 6, ".scope"))
		n -= 6;
	if (n < RS_CID_LEN)
		return NULL;
	id = name + n - RS_CID_LEN;
	if (!is_lower_hex(id, RS_CID_LEN))
		return NULL;
	if (id == name)
		return id;
	if (id - name < 2 || id[-1] != '-')
		return NULL;
	/* crio-conmon-<id>, libpod-conmon-<id>: the runtime's monitor, not the container. */
	if (id - name >= 7 && !strncmp(id - 7, "conmon-", 7))
		return NULL;
	return id;
}

static bool match_container(const struct walk *w, const char *name, size_t *key)
{
	const char *id = rs_container_id_of(name);

	*key = 0;
	return id && !strncmp(id, w->prefix, w->prefix_len);
}

int rs_find_container_cgroups(const char *root, const char *prefix, struct rs_cgfound *out)
{
	struct walk *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->match = match_container;
	w->prefix = prefix;
	w->prefix_len = strlen(prefix);
	w->root = root;
	err = walk(w, out);
	free(w);
	return err;
}

void rs_podrefs_free(struct rs_podref *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].ns);
		free(v[i].name);
	}
	free(v);
}

static int cmp_podref(const void *a, const void *b)
{
	const struct rs_podref *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->uid, y->uid);
}

/* Parses "<ns>_<name>_<uid>" (neither ns nor name may hold '_'). 0, -EINVAL or -ENOMEM. */
static int podref_parse(const char *s, struct rs_podref *out)
{
	const char *a = strchr(s, '_'), *b = strrchr(s, '_');
	struct rs_podref p = { 0 };

	if (!a || b - a < 2 || a == s || !rs_is_pod_uid(b + 1, p.uid) || strchr(b + 1, '_'))
		return -EINVAL;
	p.ns = strndup(s, a - s);
	p.name = strndup(a + 1, b - a - 1);
	if (!p.ns || !p.name) {
		free(p.ns);
		free(p.name);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

int rs_find_pods_by_name(const char *dir, const char *ns, const char *name, struct rs_podref **out,
			 size_t *n)
{
	struct rs_podref *v = NULL, p;
	struct dirent *de;
	size_t cnt = 0, cap = 0;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		*out = NULL;
		*n = 0;
		return 0;
	}
	while ((errno = 0, de = readdir(d))) {
		err = podref_parse(de->d_name, &p);
		if (err == -EINVAL) {
			err = 0; /* not a pod directory */
			continue;
		}
		if (err)
			break;
		if ((name && strcmp(p.name, name)) || (ns && strcmp(p.ns, ns))) {
			free(p.ns);
			free(p.name);
			continue;
		}
		if (cnt == cap) {
			struct rs_podref *nv = reallocarray(v, cap ? 2 * cap : 4, sizeof(*v));

			if (!nv) {
				free(p.ns);
				free(p.name);
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap = cap ? 2 * cap : 4;
		}
		v[cnt++] = p;
	}
	if (!de && errno && !err)
		err = -errno;
	closedir(d);
	if (err) {
		rs_podrefs_free(v, cnt);
		return err;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_podref);
	*out = v;
	*n = cnt;
	return 0;
}
