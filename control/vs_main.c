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

#include "vs_cmd.h"
#include "vs_config.h"
#include "vs_ctl.h"
#include "vs_dp.h"
#include "vs_eth.h"
#include "vs_log.h"
#include "vs_vhost.h"

#define VS_DEFAULT_RUN_DIR "/run/vhostswitch"
#define VS_DEFAULT_CTL VS_DEFAULT_RUN_DIR "/ctl.sock"

struct options {
	struct vs_script script; /* config file, then port options */
	const char *config;
	const char *ctl_socket;
	bool check_only;
	unsigned int n_port_opts;
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
"  --no-offload                ports offer guests no checksum or TSO offload and\n"
"                              use none of a NIC's, unless added with\n"
"                              'offload on' (default: offloads on)\n"
"  With neither a port option nor --config, two server ports are created:\n"
"  vhost0 and vhost1 on " VS_DEFAULT_RUN_DIR "/vhost0.sock and vhost1.sock.\n"
"\n"
"Configuration and control:\n"
"  --config FILE               run the commands in FILE at start-up, one per\n"
"                              line, '#' comments (the commands of\n"
"                              vhostswitch-ctl); a bad line stops start-up with\n"
"                              FILE:LINE: message before any port is opened\n"
"  --check                     check the options and the config file, then exit\n"
"  --ctl-socket PATH           control socket for vhostswitch-ctl (default\n"
"                              " VS_DEFAULT_CTL ", mode 0660)\n"
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
"EAL: the first lcore of -l (or --main-lcore) is the control thread, every\n"
"other lcore is a worker; each port queue is polled by exactly one worker\n"
"(vhostswitch-ctl lcore show, port set, rebalance). Give each DPDK process on\n"
"a host its own --file-prefix. Counters are also served as DPDK telemetry under\n"
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

/* Appends word to buf, quoted when it holds blanks, quotes or '#'. */
static void
append_word(char *buf, size_t len, const char *word)
{
	size_t off = strlen(buf);
	bool quote = word[0] == '\0' || strpbrk(word, " \t\"\\#") != NULL;

	off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "",
				quote ? "\"" : "");
	for (const char *c = word; *c && off + 3 < len; c++) {
		if (quote && (*c == '"' || *c == '\\'))
			buf[off++] = '\\';
		buf[off++] = *c;
	}
	buf[off] = '\0';
	if (quote)
		snprintf(buf + off, len - off, "\"");
}

/*
 * Turns --vhost [NAME=]PATH into the equivalent "port add vhost" command;
 * the command registry then checks it like any config line.
 */
static int
parse_port(struct options *o, const char *arg, bool client)
{
	const char *eq = strchr(arg, '=');
	const char *path = eq ? eq + 1 : arg;
	char name[VS_PORT_NAME_MAX + 8];
	char line[VS_CMD_LINE_MAX + 1] = "port add vhost";
	size_t len;

	if (eq != NULL) {
		len = (size_t)(eq - arg);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, arg, len);
	} else {
		const char *base = strrchr(path, '/');

		base = base ? base + 1 : path;
		len = strlen(base);
		if (len > 5 && strcmp(base + len - 5, ".sock") == 0)
			len -= 5;
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, base, len);
	}
	name[len] = '\0';
	if (strlen(path) >= VS_CMD_LINE_MAX / 2) {
		fprintf(stderr, "vhostswitch: --vhost%s: path too long\n",
			client ? "-client" : "");
		return -EINVAL;
	}
	append_word(line, sizeof(line), name);
	append_word(line, sizeof(line), "socket");
	append_word(line, sizeof(line), path);
	if (client)
		append_word(line, sizeof(line), "client");
	o->n_port_opts++;
	if (vs_script_add(&o->script, "command line", o->n_port_opts, line) < 0)
		return -ENOMEM;
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
	OPT_CONFIG,
	OPT_CHECK,
	OPT_CTL_SOCKET,
	OPT_HELP,
	OPT_VERSION,
	OPT_NO_OFFLOAD,
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
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "ctl-socket", required_argument, NULL, OPT_CTL_SOCKET },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->ctl_socket = VS_DEFAULT_CTL;
	o->stats_interval = 10;
	o->dp.n_mbufs = VS_DEFAULT_MBUFS;
	o->dp.fdb_entries = VS_FDB_DEFAULT_ENTRIES;
	o->dp.aging = VS_FDB_DEFAULT_AGING;

	optind = 1;
	opterr = 0;
	/* The leading ':' makes a missing value ':' rather than '?'. */
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
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
		case OPT_CONFIG:
			if (o->config != NULL) {
				fprintf(stderr, "vhostswitch: --config given twice\n");
				return -EINVAL;
			}
			o->config = optarg;
			break;
		case OPT_CHECK:
			o->check_only = true;
			break;
		case OPT_NO_OFFLOAD:
			/* Before the script runs: its port commands see it. */
			vs_cmds_set_offload_default(false);
			break;
		case OPT_CTL_SOCKET:
			o->ctl_socket = optarg;
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

/*
 * Builds the start-up script: the config file first, then the port
 * options; with neither, the embedded default of two server ports. The
 * default run directory is created when a default path needs it.
 */
static int
build_script(struct options *o, char *err, size_t errlen)
{
	struct vs_script ports = o->script;
	int ret;

	memset(&o->script, 0, sizeof(o->script));
	if (o->config != NULL) {
		ret = vs_script_load_file(&o->script, o->config, err, errlen);
		if (ret < 0) {
			vs_script_free(&ports);
			return ret;
		}
	}
	for (unsigned int i = 0; i < ports.n; i++)
		vs_script_add(&o->script, ports.lines[i].source,
			      ports.lines[i].lineno, ports.lines[i].text);
	vs_script_free(&ports);
	if (o->config == NULL && o->n_port_opts == 0) {
		vs_script_add(&o->script, "default", 1,
			      "port add vhost vhost0 socket " VS_DEFAULT_RUN_DIR "/vhost0.sock");
		vs_script_add(&o->script, "default", 2,
			      "port add vhost vhost1 socket " VS_DEFAULT_RUN_DIR "/vhost1.sock");
	}
	if ((o->config == NULL && o->n_port_opts == 0) ||
	    strcmp(o->ctl_socket, VS_DEFAULT_CTL) == 0) {
		if (mkdir(VS_DEFAULT_RUN_DIR, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", VS_DEFAULT_RUN_DIR,
				 strerror(errno));
			return -errno;
		}
	}
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
			vs_eth_poll_links();
			vs_ctl_unlock();
			next_tick += 1;
		}
		if (next_stats && t >= next_stats) {
			vs_stats_print(stdout);
			next_stats += o->stats_interval;
		}
		if (o->duration && t - start >= o->duration)
			break;
		if (vs_ctl_server_quit_requested())
			break;
		nanosleep(&nap, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct options opts;
	char err[512] = "";
	bool quit = false;
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
	vs_cmds_register();
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
	/* The whole configuration is checked before any port is opened. */
	if (build_script(&opts, err, sizeof(err)) < 0 ||
	    vs_script_check(&opts.script, err, sizeof(err)) < 0) {
		fprintf(stderr, "vhostswitch: %s\n", err);
		vs_script_free(&opts.script);
		return 2;
	}
	if (opts.check_only) {
		printf("vhostswitch: configuration OK (%u lines)\n", opts.script.n);
		vs_script_free(&opts.script);
		return 0;
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
		vs_script_free(&opts.script);
		return 1;
	}
	vs_ctl_uptime();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	ret = vs_dp_init(&opts.dp, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vhostswitch: %s\n", err);
		goto out_eal;
	}
	vs_vhost_init(vs_dp_pool_for_node, vs_dp_quiesce);
	vs_eth_init(vs_dp_pool_for_node, vs_dp_quiesce, vs_dp_worker_count());
	/*
	 * Nobody sees the switch half-configured: telemetry and control
	 * requests wait on the control lock, held from before either can be
	 * asked until the configuration has run whole.
	 */
	vs_ctl_lock();
	if (vs_telemetry_register() < 0)
		VS_LOG(WARNING, "telemetry commands not registered");
	ret = vs_dp_start();
	if (ret < 0) {
		vs_ctl_unlock();
		fprintf(stderr, "vhostswitch: cannot start workers: %s\n", strerror(-ret));
		goto out_dp;
	}
	ret = vs_ctl_server_start(opts.ctl_socket, err, sizeof(err));
	if (ret < 0) {
		vs_ctl_unlock();
		fprintf(stderr, "vhostswitch: %s\n", err);
		goto out_workers;
	}
	ret = vs_script_run(&opts.script, &quit, err, sizeof(err));
	vs_ctl_unlock();
	if (ret < 0) {
		fprintf(stderr, "vhostswitch: %s\n", err);
		goto out_ctl;
	}
	printf("vhostswitch: %u ports, %u worker(s), control socket %s; waiting for guests\n",
	       vs_port_count(), vs_dp_worker_count(), opts.ctl_socket);
	fflush(stdout);
	if (!quit)
		run_loop(&opts);
	if (quit_signal)
		printf("vhostswitch: caught signal %d, shutting down\n", (int)quit_signal);
	else if (vs_ctl_server_quit_requested() || quit)
		printf("vhostswitch: shutdown requested, shutting down\n");

out_ctl:
	vs_ctl_server_stop();
out_workers:
	/*
	 * Workers stop first and go offline, so destroy_device callbacks from
	 * the unregistering below do not wait on them.
	 */
	vs_ctl_lock();
	vs_dp_stop();
	vs_ctl_unlock();
	vs_stats_print_final(stdout);
	vs_ctl_lock();
	destroy_all_ports();
	vs_ctl_unlock();
out_dp:
	/* DPDK's telemetry thread may still ask: it takes the same lock. */
	vs_ctl_lock();
	vs_dp_fini();
	vs_ctl_unlock();
out_eal:
	rte_eal_cleanup();
	vs_script_free(&opts.script);
	return ret == 0 ? 0 : 1;
}
