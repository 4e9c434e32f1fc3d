/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The control socket: a Unix stream socket served by one control thread
 * (never a worker lcore). The protocol is line based so that socat or nc
 * can speak it too:
 *
 *   request:  [text|json] COMMAND ARGS...\n      (at most VS_CMD_LINE_MAX bytes)
 *   reply:    ok LEN\n<LEN bytes>   or   error LEN\n<LEN bytes>
 *
 * A text reply is what a person reads; a json reply is one JSON object
 * ({"error": "..."} on failure). Several clients are served at once, each
 * request runs under the control lock, and a client that sends nothing,
 * too much, or bytes that are not text is answered (where possible) and
 * disconnected without disturbing the others or the dataplane.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "vs_cmd.h"
#include "vs_ctl.h"
#include "vs_log.h"

#define VS_CTL_CLIENTS_MAX 32
#define VS_CTL_IDLE_SEC 30
/* A request line: at most VS_CMD_LINE_MAX bytes, CR, LF, and a NUL. */
#define VS_CTL_BUF (VS_CMD_LINE_MAX + 3)

struct client {
	int fd;
	size_t len;
	time_t last;
	char buf[VS_CTL_BUF];
};

static struct {
	int listen_fd;
	int wake[2]; /* a pipe: the main thread writes to stop the server */
	pthread_t tid;
	bool running;
	bool quit;   /* a client asked for shutdown. server: wo; main: ro */
	gid_t gid;   /* group allowed besides root and our own user */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client clients[VS_CTL_CLIENTS_MAX];
} srv = { .listen_fd = -1, .wake = { -1, -1 } };

static void
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the peer went away or stalled past SO_SNDTIMEO */
		p += n;
		len -= (size_t)n;
	}
}

static void
send_reply(int fd, bool ok, const char *body, size_t len)
{
	char head[48];
	int n = snprintf(head, sizeof(head), "%s %zu\n", ok ? "ok" : "error", len);

	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

static void
send_error(int fd, bool json, const char *msg)
{
	struct vs_buf b = { 0 };

	if (json) {
		struct vs_val *v = vs_val_new_obj();

		vs_val_add_str(v, "error", msg);
		vs_val_to_json(v, &b);
		vs_buf_printf(&b, "\n");
		vs_val_free(v);
	} else {
		vs_buf_printf(&b, "%s\n", msg);
	}
	send_reply(fd, false, b.p, b.len);
	vs_buf_free(&b);
}

/* Runs one request line and answers it. */
static void
serve_line(int fd, char *line)
{
	struct vs_cmd_ctx ctx = { 0 };
	struct vs_buf b = { 0 };
	bool json = false;
	int ret;

	if (strncmp(line, "json ", 5) == 0 || strcmp(line, "json") == 0) {
		json = true;
		line += 4;
	} else if (strncmp(line, "text ", 5) == 0 || strcmp(line, "text") == 0) {
		line += 4;
	}
	ctx.out = vs_val_new_obj();
	vs_ctl_lock();
	ret = vs_cmd_run(&ctx, line);
	vs_ctl_unlock();
	if (ret < 0) {
		send_error(fd, json, ctx.err);
	} else {
		if (json) {
			vs_val_to_json(ctx.out, &b);
			vs_buf_printf(&b, "\n");
		} else {
			vs_val_to_text(ctx.out, &b);
		}
		send_reply(fd, true, b.p ? b.p : "", b.len);
	}
	if (ctx.quit)
		__atomic_store_n(&srv.quit, true, __ATOMIC_RELEASE);
	vs_buf_free(&b);
	vs_val_free(ctx.out);
}

static void
client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Reads what a client sent and serves every complete line. */
static void
client_input(struct client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	char *nl;

	if (n <= 0) {
		client_close(c);
		return;
	}
	if (memchr(c->buf + c->len, '\0', (size_t)n) != NULL) {
		send_error(c->fd, false, "request contains a NUL byte");
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	c->last = time(NULL);
	while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t used = (size_t)(nl - c->buf) + 1;

		*nl = '\0';
		if (nl > c->buf && nl[-1] == '\r')
			*--nl = '\0';
		if ((size_t)(nl - c->buf) > VS_CMD_LINE_MAX)
			goto too_long;
		serve_line(c->fd, c->buf);
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		c->buf[c->len] = '\0';
	}
	/* No newline yet, and no room left for a line of the maximum length. */
	if (c->len >= sizeof(c->buf) - 1)
		goto too_long;
	return;
too_long:
	{
		char msg[64];

		snprintf(msg, sizeof(msg), "request longer than %d bytes", VS_CMD_LINE_MAX);
		send_error(c->fd, false, msg);
		client_close(c);
	}
}

/* Root, our own user, or a member of the socket's group may connect. */
static bool
peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid() || cred.gid == srv.gid;
}

static void
accept_client(void)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd = accept4(srv.listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!peer_allowed(fd)) {
		send_error(fd, false, "permission denied");
		close(fd);
		VS_LOG_RL(vs_logtype_config, WARNING, "control socket: refused a client without permission");
		return;
	}
	/* A client that stops reading must not hold the server for long. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < VS_CTL_CLIENTS_MAX; i++) {
		if (srv.clients[i].fd < 0) {
			srv.clients[i].fd = fd;
			srv.clients[i].len = 0;
			srv.clients[i].last = time(NULL);
			return;
		}
	}
	send_error(fd, false, "too many control clients");
	close(fd);
}

static void *
server_main(void *arg __rte_unused)
{
	struct pollfd pfd[VS_CTL_CLIENTS_MAX + 2];

	for (;;) {
		int idx[VS_CTL_CLIENTS_MAX];
		nfds_t n = 2;
		time_t now;

		pfd[0] = (struct pollfd){ .fd = srv.wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = srv.listen_fd, .events = POLLIN };
		for (int i = 0; i < VS_CTL_CLIENTS_MAX; i++) {
			if (srv.clients[i].fd < 0)
				continue;
			idx[n - 2] = i;
			pfd[n++] = (struct pollfd){ .fd = srv.clients[i].fd,
						    .events = POLLIN };
		}
		if (poll(pfd, n, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (nfds_t k = 2; k < n; k++)
			if (pfd[k].revents)
				client_input(&srv.clients[idx[k - 2]]);
		if (pfd[1].revents & POLLIN)
			accept_client();
		now = time(NULL);
		for (int i = 0; i < VS_CTL_CLIENTS_MAX; i++) {
			struct client *c = &srv.clients[i];

			if (c->fd >= 0 && now - c->last > VS_CTL_IDLE_SEC) {
				send_error(c->fd, false, "idle for too long");
				client_close(c);
			}
		}
	}
	for (int i = 0; i < VS_CTL_CLIENTS_MAX; i++)
		if (srv.clients[i].fd >= 0)
			client_close(&srv.clients[i]);
	return NULL;
}

int
vs_ctl_server_start(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -EINVAL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -errno;
	}
	/* Same rule as vhost sockets: replace a stale file, never a live one. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "control socket %s is in use (another vhostswitch?)",
			 path);
		return -EADDRINUSE;
	}
	close(fd);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0660) != 0 || listen(fd, 16) != 0) {
		int e = errno;

		snprintf(err, errlen, "cannot serve control socket %s: %s", path,
			 strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	srv.listen_fd = fd;
	srv.gid = stat(path, &st) == 0 ? st.st_gid : getegid();
	snprintf(srv.path, sizeof(srv.path), "%s", path);
	for (int i = 0; i < VS_CTL_CLIENTS_MAX; i++)
		srv.clients[i].fd = -1;
	if (pipe2(srv.wake, O_CLOEXEC) != 0 ||
	    rte_ctrl_thread_create(&srv.tid, "vs-ctl", NULL, server_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the control thread");
		vs_ctl_server_stop();
		return -EAGAIN;
	}
	srv.running = true;
	return 0;
}

void
vs_ctl_server_stop(void)
{
	if (srv.running) {
		if (write(srv.wake[1], "x", 1) != 1)
			VS_LOG(WARNING, "cannot wake the control thread");
		pthread_join(srv.tid, NULL);
		srv.running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (srv.wake[i] >= 0)
			close(srv.wake[i]);
		srv.wake[i] = -1;
	}
	if (srv.listen_fd >= 0) {
		close(srv.listen_fd);
		srv.listen_fd = -1;
		unlink(srv.path);
	}
}

bool
vs_ctl_server_quit_requested(void)
{
	return __atomic_load_n(&srv.quit, __ATOMIC_ACQUIRE);
}
