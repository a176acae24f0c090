// SPDX-License-Identifier: GPL-2.0
/*
 * symbench: rsample's symbolizer (user/proc.h) over a fixed address set, for
 * the symbolization throughput benchmark (tests/bench/bench.py). It is the
 * rs_proc_open() + rs_symbolize() path rsample itself runs, driven directly,
 * so the figures have no BPF or report cost in them.
 *
 *   symbench --pid PID --module PATH --addrs FILE [--out FILE] [--cache-limit N]
 *            [--cache-bytes N]
 *            [--deadline SECONDS]
 *
 * FILE holds ELF addresses of PATH (hex, one per line, as addr2line -e PATH
 * takes them); PATH is the module as PID maps it. Each address is looked up
 * as an exact PC (activation frame) and printed as addr2line -f -i prints
 * it: "function\nfile:line\n" per frame, inline frames first, to --out
 * (default /dev/null). Three passes, each timed:
 *
 *   cold    a fresh symbol cache and rs_proc: opens the module, reads its DWARF
 *   warm    the same rs_proc and cache again (what a second snapshot or a
 *           profile's later samples see)
 *   shared  a new rs_proc for the same process sharing the cache (another
 *           process of a pod running the same binary)
 *
 * One JSON object on stdout: per pass seconds, addresses done and resolved
 * to a function, frames printed; and peak RSS. --deadline stops the cold pass
 * after SECONDS; the other passes then take the addresses it did.
 * --cache-limit bounds the symbol cache's entries (default: none) and
 * --cache-bytes its memory (default RS_SYMCACHE_BYTES_DEFAULT), to measure
 * what a bound costs; the JSON says what the cache held and evicted.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "stack/stack.h"
#include "stack/stack_priv.h"

struct pass {
	const char *name;
	double seconds;
	size_t done, resolved, frames;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_addrs(const char *path, uint64_t **out, size_t *n)
{
	FILE *f = fopen(path, "r");
	uint64_t *v = NULL, a;
	size_t cap = 0;

	if (!f)
		return -errno;
	*n = 0;
	while (fscanf(f, "%" SCNx64, &a) == 1) {
		if (*n == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = a;
	}
	fclose(f);
	*out = v;
	return 0;
}

/*
 * The load bias of module in the target: runtime address = ELF address + bias.
 * From the mapping of the executable PT_LOAD segment (file offset rounded
 * down to the page) and that segment's program header.
 */
static int module_bias(uint32_t pid, const struct rs_maps *maps, const char *module, uint64_t *bias)
{
	long page = sysconf(_SC_PAGESIZE);
	char path[256];
	size_t nph;
	Elf *elf = NULL;
	int fd = -1, err = -ENOENT;

	for (size_t i = 0; i < maps->n && fd < 0; i++) {
		const struct rs_map *m = &maps->v[i];

		if (!m->path || strcmp(m->path, module))
			continue;
		snprintf(path, sizeof(path), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, pid,
			 m->start, m->end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -ENOENT;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &nph))
		goto cleanup;
	for (size_t i = 0; i < nph && err; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		for (size_t j = 0; j < maps->n; j++) {
			const struct rs_map *m = &maps->v[j];
			uint64_t off = ph.p_offset & ~(uint64_t)(page - 1);

			if (!m->path || strcmp(m->path, module) || m->offset != off)
				continue;
			*bias = m->start - (ph.p_vaddr - (ph.p_offset - off));
			err = 0;
			break;
		}
	}
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}

/* Symbolizes addrs[0..n) until done or past deadline (seconds from now; 0: none). */
static int run_pass(struct rs_proc *p, const uint64_t *addrs, size_t n, uint64_t bias, FILE *out,
		    double deadline, struct pass *ps)
{
	struct rs_frame *frames = NULL;
	size_t nf = 0;
	double t0 = now_s();
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		if (deadline > 0 && now_s() - t0 > deadline)
			break;
		ps->done++;
		bool named = false;

		err = rs_symbolize(p, addrs[i] + bias, true, &frames, &nf);
		for (size_t j = 0; j < nf; j++) {
			const struct rs_frame *f = &frames[j];

			fprintf(out, "%s\n%s:%u\n", f->function ? f->function : "??",
				f->file ? f->file : "??", f->line);
			named |= f->function != NULL;
			rs_frame_clear(&frames[j]);
		}
		ps->frames += nf;
		ps->resolved += named;
		nf = 0;
	}
	free(frames);
	fflush(out);
	ps->seconds += now_s() - t0;
	return err;
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: symbench --pid PID --module PATH --addrs FILE [--out FILE] [--cache-limit N] [--cache-bytes N] [--deadline SECONDS]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "addrs", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "cache-limit", required_argument, NULL, 'l' },
		{ "cache-bytes", required_argument, NULL, 'b' },
		{ "deadline", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct pass ps[3] = { { .name = "cold" }, { .name = "warm" }, { .name = "shared" } };
	const char *module = NULL, *addrs_path = NULL, *out_path = "/dev/null";
	struct rs_symcache *cache = NULL;
	struct rs_proc *p = NULL;
	uint64_t *addrs = NULL, bias = 0;
	unsigned long limit = 0, cache_bytes = 0;
	double deadline = 0;
	struct rusage ru;
	size_t n = 0;
	uint32_t pid = 0;
	FILE *out = NULL;
	double t0;
	int c, err, ret = 1;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			module = optarg;
			break;
		case 'a':
			addrs_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'l':
			limit = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			cache_bytes = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			deadline = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	if (!pid || !module || !addrs_path || optind != argc)
		usage();
	err = read_addrs(addrs_path, &addrs, &n);
	if (err) {
		fprintf(stderr, "symbench: cannot read '%s': %s\n", addrs_path, strerror(-err));
		goto cleanup;
	}
	out = fopen(out_path, "w");
	if (!out) {
		fprintf(stderr, "symbench: cannot open '%s': %s\n", out_path, strerror(errno));
		goto cleanup;
	}

	/* cold: everything from opening the process on */
	t0 = now_s();
	err = rs_symcache_new(&cache);
	if (!err && limit)
		rs_symcache_set_limit(cache, limit);
	if (!err && cache_bytes)
		rs_symcache_set_bytes(cache, cache_bytes);
	if (!err)
		err = rs_proc_open("/proc", pid, cache, &p);
	if (err) {
		fprintf(stderr, "symbench: cannot open pid %u: %s\n", pid, strerror(-err));
		goto cleanup;
	}
	err = module_bias(pid, rs_proc_maps(p), module, &bias);
	if (err) {
		fprintf(stderr, "symbench: '%s' is not mapped executable in pid %u\n", module, pid);
		goto cleanup;
	}
	ps[0].seconds = now_s() - t0;
	if (deadline > 0) /* counted from the start of the cold pass, rs_proc_open included */
		deadline = deadline > ps[0].seconds ? deadline - ps[0].seconds : 1e-9;
	if (run_pass(p, addrs, n, bias, out, deadline, &ps[0]))
		goto oom;
	if (run_pass(p, addrs, ps[0].done, bias, out, 0, &ps[1]))
		goto oom;
	rs_proc_free(p);
	p = NULL;
	t0 = now_s();
	err = rs_proc_open("/proc", pid, cache, &p);
	if (err) {
		fprintf(stderr, "symbench: cannot open pid %u again: %s\n", pid, strerror(-err));
		goto cleanup;
	}
	ps[2].seconds = now_s() - t0;
	if (run_pass(p, addrs, ps[0].done, bias, out, 0, &ps[2]))
		goto oom;

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"addresses\": %zu, \"bias\": \"0x%" PRIx64 "\", \"max_rss_kb\": %ld", n, bias,
	       ru.ru_maxrss);
	for (int i = 0; i < 3; i++)
		printf(
		    ", \"%s\": {\"seconds\": %.6f, \"done\": %zu, \"resolved\": %zu, \"frames\": %zu}",
		    ps[i].name, ps[i].seconds, ps[i].done, ps[i].resolved, ps[i].frames);
	printf(", \"cache_bytes\": %zu, \"cache_evicted\": %zu}\n", rs_symcache_bytes(cache),
	       rs_symcache_evicted(cache));
	ret = 0;
	goto cleanup;
oom:
	fprintf(stderr, "symbench: out of memory\n");
cleanup:
	if (out)
		fclose(out);
	rs_proc_free(p);
	rs_symcache_free(cache);
	free(addrs);
	return ret;
}
