/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * vhostswitch: EAL arguments, then "--", then the switch's own options.
 * The main thread parses, sets the switch up, then ticks the FDB clock,
 * prints counters and waits for SIGINT/SIGTERM.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_vhost.h>

#include "vs_ctl.h"
#include "vs_dp.h"
#include "vs_log.h"
#include "vs_vhost.h"

#define VS_DEFAULT_RUN_DIR "/run/vhostswitch"
#define VS_MAX_CLI_PORTS VS_MAX_PORTS

struct port_arg {
	char name[VS_PORT_NAME_MAX];
	char path[PATH_MAX];
	bool client;
};

struct options {
	struct port_arg ports[VS_MAX_CLI_PORTS];
	unsigned int n_ports;
	unsigned int stats_interval;
	unsigned int duration;
	struct vs_dp_params dp;
};

static volatile sig_atomic_t quit_signal;

static void
on_signal(int sig)
{
	quit_signal = sig;
}

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
"Usage: %s [EAL options] -- [options]\n"
"\n"
"A poll-mode L2 learning switch for vhost-user guests.\n"
"\n"
"Ports:\n"
"  --vhost [NAME=]PATH         vhost-user port, server mode: listen on PATH for\n"
"                              a VMM or a virtio-user frontend (repeatable)\n"
"  --vhost-client [NAME=]PATH  vhost-user port, client mode: connect to the\n"
"                              VMM's socket at PATH and reconnect whenever it\n"
"                              goes away (repeatable)\n"
"                              NAME defaults to PATH's file name without\n"
"                              \".sock\"; 1-31 characters of A-Z a-z 0-9 _ - .\n"
"  With no port option, two server ports are created: vhost0 and vhost1 on\n"
"  " VS_DEFAULT_RUN_DIR "/vhost0.sock and vhost1.sock.\n"
"\n"
"Bridge and resources:\n"
"  --fdb-size N                FDB capacity in MAC addresses (1-%u, default %u)\n"
"  --aging SECONDS             FDB ageing time (1-1000000, default %u)\n"
"  --mbufs N                   packet buffer pool size (1023-4194303, default %u)\n"
"\n"
"Run:\n"
"  --stats-interval SECONDS    print counters every SECONDS (0 = only at exit,\n"
"                              default 10)\n"
"  --duration SECONDS          stop by itself after SECONDS (default: run until\n"
"                              SIGINT or SIGTERM)\n"
"  --help                      this text\n"
"  --version                   print the version\n"
"\n"
"EAL: the first lcore of -l is the control thread, the others are workers\n"
"(exactly one worker in this version). Give each DPDK process on a host its\n"
"own --file-prefix. Counters are also served as DPDK telemetry under\n"
"/vhostswitch/ (dpdk-telemetry.py -f PREFIX).\n"
"\n"
"Drop counters:\n",
		prog, VS_FDB_MAX_ENTRIES, VS_FDB_DEFAULT_ENTRIES,
		VS_FDB_DEFAULT_AGING, VS_DEFAULT_MBUFS);
	for (int d = 0; d < VS_DROP_MAX; d++)
		fprintf(out, "  %-16s %s\n", vs_drop_names[d], vs_drop_help[d]);
}

static int
parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
	   unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		goto bad;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "vhostswitch: --%s: '%s' is not a number from %lu to %lu\n",
		opt, s, min, max);
	return -EINVAL;
}

static int
parse_port(struct options *o, const char *arg, bool client)
{
	struct port_arg *p;
	const char *eq = strchr(arg, '=');
	const char *path = eq ? eq + 1 : arg;
	const char *base;
	size_t len;

	if (o->n_ports >= VS_MAX_CLI_PORTS) {
		fprintf(stderr, "vhostswitch: too many ports (at most %d)\n",
			VS_MAX_CLI_PORTS);
		return -EINVAL;
	}
	p = &o->ports[o->n_ports];
	if (path[0] == '\0' || strlen(path) >= sizeof(p->path)) {
		fprintf(stderr, "vhostswitch: --vhost%s: empty or too long path '%s'\n",
			client ? "-client" : "", arg);
		return -EINVAL;
	}
	strcpy(p->path, path);
	if (eq != NULL) {
		len = (size_t)(eq - arg);
	} else {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		arg = base;
		len = strlen(base);
		if (len > 5 && strcmp(base + len - 5, ".sock") == 0)
			len -= 5;
	}
	if (len == 0 || len >= sizeof(p->name)) {
		fprintf(stderr, "vhostswitch: port name for '%s' must be 1-31 characters\n",
			path);
		return -EINVAL;
	}
	memcpy(p->name, arg, len);
	p->name[len] = '\0';
	if (!vs_port_name_valid(p->name)) {
		fprintf(stderr, "vhostswitch: bad port name '%s' (use A-Z a-z 0-9 _ - .)\n",
			p->name);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < o->n_ports; i++) {
		if (strcmp(o->ports[i].name, p->name) == 0) {
			fprintf(stderr, "vhostswitch: two ports named '%s'\n", p->name);
			return -EINVAL;
		}
		if (strcmp(o->ports[i].path, p->path) == 0) {
			fprintf(stderr, "vhostswitch: two ports on socket %s\n", p->path);
			return -EINVAL;
		}
	}
	p->client = client;
	o->n_ports++;
	return 0;
}

enum {
	OPT_VHOST = 256,
	OPT_VHOST_CLIENT,
	OPT_FDB_SIZE,
	OPT_AGING,
	OPT_MBUFS,
	OPT_STATS_INTERVAL,
	OPT_DURATION,
	OPT_HELP,
	OPT_VERSION,
};

/* Returns 0 to run, 1 to exit successfully (help, version), <0 on error. */
static int
parse_args(int argc, char **argv, const char *prog, struct options *o)
{
	static const struct option longopts[] = {
		{ "vhost", required_argument, NULL, OPT_VHOST },
		{ "vhost-client", required_argument, NULL, OPT_VHOST_CLIENT },
		{ "fdb-size", required_argument, NULL, OPT_FDB_SIZE },
		{ "aging", required_argument, NULL, OPT_AGING },
		{ "mbufs", required_argument, NULL, OPT_MBUFS },
		{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->stats_interval = 10;
	o->dp.n_mbufs = VS_DEFAULT_MBUFS;
	o->dp.fdb_entries = VS_FDB_DEFAULT_ENTRIES;
	o->dp.aging = VS_FDB_DEFAULT_AGING;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_VHOST:
		case OPT_VHOST_CLIENT:
			if (parse_port(o, optarg, opt == OPT_VHOST_CLIENT) < 0)
				return -EINVAL;
			break;
		case OPT_FDB_SIZE:
			if (parse_uint("fdb-size", optarg, 1, VS_FDB_MAX_ENTRIES, &v) < 0)
				return -EINVAL;
			o->dp.fdb_entries = (uint32_t)v;
			break;
		case OPT_AGING:
			if (parse_uint("aging", optarg, 1, 1000000, &v) < 0)
				return -EINVAL;
			o->dp.aging = (uint32_t)v;
			break;
		case OPT_MBUFS:
			if (parse_uint("mbufs", optarg, 1023, 4194303, &v) < 0)
				return -EINVAL;
			o->dp.n_mbufs = (uint32_t)v;
			break;
		case OPT_STATS_INTERVAL:
			if (parse_uint("stats-interval", optarg, 0, 86400, &v) < 0)
				return -EINVAL;
			o->stats_interval = (unsigned int)v;
			break;
		case OPT_DURATION:
			if (parse_uint("duration", optarg, 1, 31536000, &v) < 0)
				return -EINVAL;
			o->duration = (unsigned int)v;
			break;
		case OPT_HELP:
			usage(stdout, prog);
			return 1;
		case OPT_VERSION:
			printf("vhostswitch %s\n", VS_VERSION);
			return 1;
		case ':':
			fprintf(stderr, "vhostswitch: option %s needs a value\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "vhostswitch: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vhostswitch: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* The embedded default: two server ports under the run directory. */
static int
default_ports(struct options *o)
{
	if (mkdir(VS_DEFAULT_RUN_DIR, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "vhostswitch: cannot create %s: %s\n",
			VS_DEFAULT_RUN_DIR, strerror(errno));
		return -errno;
	}
	if (parse_port(o, "vhost0=" VS_DEFAULT_RUN_DIR "/vhost0.sock", false) < 0 ||
	    parse_port(o, "vhost1=" VS_DEFAULT_RUN_DIR "/vhost1.sock", false) < 0)
		return -EINVAL;
	return 0;
}

static void
destroy_all_ports(void)
{
	struct vs_port *port;

	/* destroy() frees the registry slot, so walk by index, not foreach. */
	for (uint16_t i = 0; i < VS_MAX_PORTS; i++) {
		port = vs_port_by_index(i);
		if (port != NULL) {
			vs_dp_port_detach(port);
			port->ops->destroy(port);
		}
	}
}

static int
create_ports(const struct options *o)
{
	char err[256];

	for (unsigned int i = 0; i < o->n_ports; i++) {
		const struct port_arg *pa = &o->ports[i];
		struct vs_vhost_params vp = {
			.name = pa->name,
			.path = pa->path,
			.client = pa->client,
			.queues = 1,
		};
		struct vs_port *port;
		int ret;

		err[0] = '\0';
		port = vs_vhost_port_create(&vp, err, sizeof(err));
		if (port == NULL) {
			fprintf(stderr, "vhostswitch: port %s: %s\n", pa->name, err);
			return -1;
		}
		ret = vs_dp_port_attach(port);
		if (ret < 0) {
			fprintf(stderr, "vhostswitch: port %s: cannot attach: %s\n",
				pa->name, strerror(-ret));
			port->ops->destroy(port);
			return -1;
		}
	}
	return 0;
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
run_loop(const struct options *o)
{
	double start = now_sec(), next_stats, next_tick;
	const struct timespec nap = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };

	next_tick = start + 1;
	next_stats = o->stats_interval ? start + o->stats_interval : 0;
	while (!quit_signal) {
		double t = now_sec();

		if (t >= next_tick) {
			vs_ctl_lock();
			vs_dp_tick((uint32_t)(t - start) + 1);
			vs_ctl_unlock();
			next_tick += 1;
		}
		if (next_stats && t >= next_stats) {
			vs_stats_print(stdout);
			next_stats += o->stats_interval;
		}
		if (o->duration && t - start >= o->duration)
			break;
		nanosleep(&nap, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct options opts;
	char err[256] = "";
	int sep = -1, ret, eal_argc;

	/* Our options come after "--"; check them before touching EAL. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	}
	if (sep < 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				usage(stdout, argv[0]);
				return 0;
			}
			if (strcmp(argv[i], "--version") == 0) {
				printf("vhostswitch %s\n", VS_VERSION);
				return 0;
			}
		}
	}
	eal_argc = sep < 0 ? argc : sep;
	{
		char *own_argv[argc + 1];
		int own_argc = 1;

		own_argv[0] = argv[0];
		for (int i = sep < 0 ? argc : sep + 1; i < argc; i++)
			own_argv[own_argc++] = argv[i];
		own_argv[own_argc] = NULL;
		ret = parse_args(own_argc, own_argv, argv[0], &opts);
		if (ret != 0)
			return ret > 0 ? 0 : 2;
	}

	/*
	 * rte_vhost narrates every protocol message at INFO; keep that for
	 * those who ask (--log-level=lib.vhost.*:info, applied after this).
	 */
	rte_log_set_level_pattern("lib.vhost.*", RTE_LOG_NOTICE);
	ret = rte_eal_init(eal_argc, argv);
	if (ret < 0) {
		fprintf(stderr, "vhostswitch: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	vs_ctl_uptime();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (opts.n_ports == 0 && default_ports(&opts) < 0) {
		rte_eal_cleanup();
		return 1;
	}
	ret = vs_dp_init(&opts.dp, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vhostswitch: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	vs_vhost_init(vs_dp_mempool(), vs_dp_quiesce);
	if (vs_telemetry_register() < 0)
		VS_LOG(WARNING, "telemetry commands not registered");

	ret = vs_dp_start();
	if (ret < 0) {
		fprintf(stderr, "vhostswitch: cannot start workers: %s\n", strerror(-ret));
		vs_dp_fini();
		rte_eal_cleanup();
		return 1;
	}
	vs_ctl_lock();
	ret = create_ports(&opts);
	vs_ctl_unlock();
	if (ret == 0) {
		printf("vhostswitch: %u ports, %u worker(s); waiting for guests\n",
		       vs_port_count(), vs_dp_worker_count());
		fflush(stdout);
		run_loop(&opts);
		if (quit_signal)
			printf("vhostswitch: caught signal %d, shutting down\n",
			       (int)quit_signal);
	}

	/*
	 * Workers stop first and go offline, so destroy_device callbacks from
	 * the unregistering below do not wait on them.
	 */
	vs_dp_stop();
	vs_stats_print_final(stdout);
	vs_ctl_lock();
	destroy_all_ports();
	vs_ctl_unlock();
	vs_dp_fini();
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
