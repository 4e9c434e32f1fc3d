/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_cmd.h"
#include "vs_port.h"
#include "vs_vhost.h"

#define VS_CMDS_MAX 64
#define VS_CMD_WORDS_MAX 4

static const struct vs_cmd *cmds[VS_CMDS_MAX];
static unsigned int n_cmds;

/* Counts the words of a command name. */
static int
name_words(const char *name, const char *words[VS_CMD_WORDS_MAX], size_t lens[])
{
	int n = 0;

	while (*name) {
		size_t len = strcspn(name, " ");

		if (len == 0 || n == VS_CMD_WORDS_MAX)
			return -1;
		words[n] = name;
		lens[n++] = len;
		name += len;
		/* One blank between words, none at the end. */
		if (*name == ' ' && *++name == '\0')
			return -1;
	}
	return n;
}

int
vs_cmd_register(const struct vs_cmd *cmd)
{
	const char *words[VS_CMD_WORDS_MAX];
	size_t lens[VS_CMD_WORDS_MAX];

	if (cmd == NULL || cmd->name == NULL || cmd->fn == NULL ||
	    name_words(cmd->name, words, lens) <= 0 || cmd->min_args < 0 ||
	    cmd->max_args < cmd->min_args || cmd->max_args > VS_CMD_ARGS_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < n_cmds; i++)
		if (strcmp(cmds[i]->name, cmd->name) == 0)
			return -EEXIST;
	if (n_cmds == VS_CMDS_MAX)
		return -ENOSPC;
	cmds[n_cmds++] = cmd;
	return 0;
}

void
vs_cmd_foreach(void (*fn)(const struct vs_cmd *cmd, void *arg), void *arg)
{
	for (unsigned int i = 0; i < n_cmds; i++)
		fn(cmds[i], arg);
}

int
vs_cmd_tokenize(char *line, char **argv, int max, const char **err)
{
	char *r = line, *w = line;
	int argc = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (*r == '\0' || *r == '#')
			break;
		if (argc == max) {
			*err = "too many words";
			return -1;
		}
		argv[argc++] = w;
		while (*r != '\0' && *r != ' ' && *r != '\t' && *r != '\r' &&
		       *r != '\n') {
			if ((unsigned char)*r < 0x20 || *r == 0x7f) {
				*err = "control character in command";
				return -1;
			}
			if (*r != '"') {
				*w++ = *r++;
				continue;
			}
			r++;
			while (*r != '"') {
				if (*r == '\0') {
					*err = "unterminated quote";
					return -1;
				}
				if ((unsigned char)*r < 0x20 || *r == 0x7f) {
					*err = "control character in command";
					return -1;
				}
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			r++;
		}
		/* Writing never overtakes reading: w <= r, so this is safe. */
		if (*r != '\0')
			r++;
		*w++ = '\0';
	}
	return argc;
}

int
vs_cmd_error(struct vs_cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* How many leading words of argv match cmd's name (all or nothing). */
static int
match_words(const struct vs_cmd *cmd, int argc, char **argv)
{
	const char *words[VS_CMD_WORDS_MAX];
	size_t lens[VS_CMD_WORDS_MAX];
	int n = name_words(cmd->name, words, lens);

	if (n > argc)
		return 0;
	for (int i = 0; i < n; i++)
		if (strlen(argv[i]) != lens[i] ||
		    strncmp(argv[i], words[i], lens[i]) != 0)
			return 0;
	return n;
}

const char *
vs_cmd_word(const char *word, char *buf, size_t len)
{
	const unsigned char *c;
	size_t total = 0, off = 0, limit;

	if (len < 5) {
		if (len > 0)
			buf[0] = '\0';
		return buf;
	}
	/* Each invalid or unprintable byte becomes one '?'. */
	for (c = (const unsigned char *)word; *c;) {
		size_t n = vs_utf8_len(c);

		total += n ? n : 1;
		c += n ? n : 1;
	}
	limit = total < len ? total : len - 4;
	for (c = (const unsigned char *)word; *c;) {
		size_t n = vs_utf8_len(c);
		bool bad = n == 0 || *c < 0x20 || *c == 0x7f;

		if (off + (bad ? 1 : n) > limit)
			break;
		if (bad) {
			buf[off++] = '?';
			c += n ? n : 1;
		} else {
			memcpy(buf + off, c, n);
			off += n;
			c += n;
		}
	}
	strcpy(buf + off, total < len ? "" : "...");
	return buf;
}

int
vs_cmd_run(struct vs_cmd_ctx *ctx, const char *line)
{
	char copy[VS_CMD_LINE_MAX + 1];
	char *argv[VS_CMD_ARGS_MAX + VS_CMD_WORDS_MAX];
	const struct vs_cmd *best = NULL;
	const char *err = NULL;
	int argc, best_n = 0, nargs;
	char sbuf[40];

	ctx->err[0] = '\0';
	if (strlen(line) > VS_CMD_LINE_MAX)
		return vs_cmd_error(ctx, "command longer than %d bytes",
				    VS_CMD_LINE_MAX);
	strcpy(copy, line);
	argc = vs_cmd_tokenize(copy, argv, RTE_DIM(argv), &err);
	if (argc < 0)
		return vs_cmd_error(ctx, "%s", err);
	if (argc == 0)
		return 0;
	for (unsigned int i = 0; i < n_cmds; i++) {
		int n = match_words(cmds[i], argc, argv);

		if (n > best_n) {
			best_n = n;
			best = cmds[i];
		}
	}
	if (best == NULL)
		return vs_cmd_error(ctx, "unknown command '%s' (try 'help')",
				    vs_cmd_word(argv[0], sbuf, sizeof(sbuf)));
	nargs = argc - best_n;
	if (nargs < best->min_args || nargs > best->max_args)
		return vs_cmd_error(ctx, "usage: %s%s%s", best->name,
				    best->usage[0] ? " " : "", best->usage);
	return best->fn(ctx, nargs, argv + best_n) < 0 ? -1 : 0;
}

/*
 * Dry-run shadow: what earlier lines of the same dry run did to each port
 * name: added (present, with its socket path) or removed. One entry per
 * name, updated in place, so it grows with the number of distinct names,
 * not with the number of lines.
 */
struct shadow_entry {
	char name[VS_PORT_NAME_MAX];
	char path[108];
	bool present;
	bool in_registry; /* the name was a real port when first touched */
};

struct vs_cmd_shadow {
	unsigned int n;
	unsigned int cap;
	struct shadow_entry *e;
};

struct vs_cmd_shadow *
vs_cmd_shadow_new(void)
{
	return calloc(1, sizeof(struct vs_cmd_shadow));
}

void
vs_cmd_shadow_free(struct vs_cmd_shadow *sh)
{
	if (sh != NULL)
		free(sh->e);
	free(sh);
}

static struct shadow_entry *
shadow_by_name(const struct vs_cmd_shadow *sh, const char *name)
{
	for (unsigned int i = 0; i < sh->n; i++)
		if (strcmp(sh->e[i].name, name) == 0)
			return &sh->e[i];
	return NULL;
}

/* The entry of name, created from the registry's view when new. */
static struct shadow_entry *
shadow_get(struct vs_cmd_shadow *sh, const char *name)
{
	struct shadow_entry *e = shadow_by_name(sh, name);
	struct vs_port *port;

	if (e != NULL)
		return e;
	if (sh->n == sh->cap) {
		unsigned int cap = sh->cap ? 2 * sh->cap : 16;
		struct shadow_entry *ne = realloc(sh->e, cap * sizeof(*ne));

		if (ne == NULL)
			return NULL;
		sh->e = ne;
		sh->cap = cap;
	}
	e = &sh->e[sh->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	port = vs_port_by_name(name);
	e->present = e->in_registry = port != NULL;
	vs_vhost_port_path(port, e->path, sizeof(e->path));
	return e;
}

bool
vs_cmd_port_exists(const struct vs_cmd_ctx *ctx, const char *name)
{
	const struct shadow_entry *e;

	if (ctx->dry_run && ctx->shadow != NULL) {
		e = shadow_by_name(ctx->shadow, name);
		if (e != NULL)
			return e->present;
	}
	return vs_port_by_name(name) != NULL;
}

unsigned int
vs_cmd_port_count(const struct vs_cmd_ctx *ctx)
{
	unsigned int n = vs_port_count();

	if (!ctx->dry_run || ctx->shadow == NULL)
		return n;
	for (unsigned int i = 0; i < ctx->shadow->n; i++) {
		const struct shadow_entry *e = &ctx->shadow->e[i];

		if (e->present && !e->in_registry)
			n++;
		else if (!e->present && e->in_registry)
			n--;
	}
	return n;
}

bool
vs_cmd_path_used(const struct vs_cmd_ctx *ctx, const char *path)
{
	struct vs_port *port = vs_vhost_port_by_path(path);

	if (!ctx->dry_run || ctx->shadow == NULL)
		return port != NULL;
	for (unsigned int i = 0; i < ctx->shadow->n; i++) {
		const struct shadow_entry *e = &ctx->shadow->e[i];

		if (e->present && strcmp(e->path, path) == 0)
			return true;
	}
	/*
	 * A real port holds the path unless the dry run touched its name: it
	 * was removed then (and perhaps re-added elsewhere, seen above).
	 */
	return port != NULL && shadow_by_name(ctx->shadow, port->name) == NULL;
}

int
vs_cmd_shadow_add(struct vs_cmd_ctx *ctx, const char *name, const char *path)
{
	struct shadow_entry *e;

	if (!ctx->dry_run || ctx->shadow == NULL)
		return 0;
	e = shadow_get(ctx->shadow, name);
	if (e == NULL)
		return vs_cmd_error(ctx, "out of memory");
	snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
	e->present = true;
	return 0;
}

int
vs_cmd_shadow_del(struct vs_cmd_ctx *ctx, const char *name)
{
	struct shadow_entry *e;

	if (!ctx->dry_run || ctx->shadow == NULL)
		return 0;
	e = shadow_get(ctx->shadow, name);
	if (e == NULL)
		return vs_cmd_error(ctx, "out of memory");
	/* The path stays recorded as released: another port may take it. */
	e->present = false;
	return 0;
}

int
vs_arg_uint(struct vs_cmd_ctx *ctx, const char *what, const char *s,
	    uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char sbuf[40];
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return vs_cmd_error(ctx, "%s must be a number from %llu to %llu, not '%s'",
			    what, (unsigned long long)min, (unsigned long long)max,
			    vs_cmd_word(s, sbuf, sizeof(sbuf)));
}

int
vs_arg_mac(struct vs_cmd_ctx *ctx, const char *s, uint64_t *mac)
{
	uint64_t v = 0;
	char sbuf[40];

	/* Exactly xx:xx:xx:xx:xx:xx, hex digits, either case. */
	if (strlen(s) != 17)
		goto bad;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		unsigned int byte = 0;

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && p[2] != ':'))
			goto bad;
		sscanf(p, "%2x", &byte);
		v |= (uint64_t)byte << (8 * i);
	}
	*mac = v;
	return 0;
bad:
	return vs_cmd_error(ctx, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)",
			    vs_cmd_word(s, sbuf, sizeof(sbuf)));
}

int
vs_arg_port_name(struct vs_cmd_ctx *ctx, const char *s)
{
	char sbuf[40];

	if (!vs_port_name_valid(s))
		return vs_cmd_error(ctx,
			"bad port name '%s' (1-31 characters of A-Z a-z 0-9 _ - .)",
			vs_cmd_word(s, sbuf, sizeof(sbuf)));
	return 0;
}
