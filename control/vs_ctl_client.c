/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * vhostswitch-ctl: sends one command to a running switch and prints the
 * reply. Exit status 0 on success; 1 with the switch's one-line error on
 * stderr when the command failed; 2 when the switch could not be reached
 * or the usage was wrong.
 */

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_DEFAULT "/run/vhostswitch/ctl.sock"
#define CTL_LINE_MAX 1024
#define CTL_REPLY_MAX (64u << 20)

static void
usage(FILE *out)
{
	fprintf(out,
"Usage: vhostswitch-ctl [-s SOCKET] [--json] [-t SECONDS] COMMAND [ARGS...]\n"
"\n"
"Sends COMMAND to a running vhostswitch and prints its reply.\n"
"  -s, --socket SOCKET   the switch's control socket (default " CTL_DEFAULT ")\n"
"  -j, --json            print the reply as JSON\n"
"  -t, --timeout SECONDS give up after SECONDS (default 30)\n"
"  -h, --help            this text\n"
"\n"
"'vhostswitch-ctl help' lists the switch's commands. Examples:\n"
"  vhostswitch-ctl port add vhost vm1 socket /run/vhostswitch/vm1.sock\n"
"  vhostswitch-ctl stats\n"
"  vhostswitch-ctl --json port show vm1\n");
}

/* Appends an argument, quoted when the switch's tokenizer needs it. */
static int
append_arg(char *line, size_t len, const char *arg)
{
	size_t off = strlen(line);
	bool quote = arg[0] == '\0' || strpbrk(arg, " \t\"\\#") != NULL;

	if (off + 4 + 2 * strlen(arg) >= len)
		return -1;
	if (off)
		line[off++] = ' ';
	if (quote)
		line[off++] = '"';
	for (const char *c = arg; *c; c++) {
		if (quote && (*c == '"' || *c == '\\'))
			line[off++] = '\\';
		line[off++] = *c;
	}
	if (quote)
		line[off++] = '"';
	line[off] = '\0';
	return 0;
}

static int
read_full(int fd, char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = CTL_DEFAULT;
	char line[CTL_LINE_MAX + 8] = "";
	char head[64];
	struct timeval tv = { .tv_sec = 30 };
	bool json = false, ok;
	size_t hlen = 0, blen;
	char *body, *end;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "+s:jt:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			tv.tv_sec = strtol(optarg, &end, 10);
			if (*end != '\0' || tv.tv_sec <= 0) {
				fprintf(stderr, "vhostswitch-ctl: bad timeout '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	strcpy(line, json ? "json" : "text");
	for (int i = optind; i < argc; i++) {
		if (append_arg(line, CTL_LINE_MAX, argv[i]) < 0) {
			fprintf(stderr, "vhostswitch-ctl: command too long\n");
			return 2;
		}
	}
	strcat(line, "\n");

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vhostswitch-ctl: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "vhostswitch-ctl: cannot connect to %s: %s\n", path,
			strerror(errno));
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		fprintf(stderr, "vhostswitch-ctl: cannot send: %s\n", strerror(errno));
		return 2;
	}
	/* Header: "ok LEN\n" or "error LEN\n". */
	while (hlen < sizeof(head) - 1) {
		if (recv(fd, head + hlen, 1, 0) != 1) {
			fprintf(stderr, "vhostswitch-ctl: no reply from %s\n", path);
			return 2;
		}
		if (head[hlen++] == '\n')
			break;
	}
	head[hlen] = '\0';
	ok = strncmp(head, "ok ", 3) == 0;
	if (!ok && strncmp(head, "error ", 6) != 0) {
		fprintf(stderr, "vhostswitch-ctl: malformed reply from %s\n", path);
		return 2;
	}
	blen = strtoul(head + (ok ? 3 : 6), &end, 10);
	if (*end != '\n' || blen > CTL_REPLY_MAX) {
		fprintf(stderr, "vhostswitch-ctl: malformed reply from %s\n", path);
		return 2;
	}
	body = malloc(blen + 1);
	if (body == NULL || read_full(fd, body, blen) < 0) {
		fprintf(stderr, "vhostswitch-ctl: reply cut short\n");
		return 2;
	}
	body[blen] = '\0';
	close(fd);
	if (ok) {
		fputs(body, stdout);
	} else {
		/* Errors are one line, after our name, on stderr. */
		fprintf(stderr, "%s%s", json ? "" : "vhostswitch-ctl: ", body);
	}
	free(body);
	return ok ? 0 : 1;
}
