/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The one command registry. The command line (--vhost ...), the start-up
 * config file and the control socket all turn their input into command
 * lines and run them through vs_cmd_run(), so a command behaves the same
 * wherever it comes from.
 *
 * A command is a fixed sequence of words ("port add vhost") followed by
 * arguments. The longest registered word sequence that prefixes the line
 * wins; the argument count is checked against the command's bounds before
 * its handler runs.
 *
 * Every handler checks all of its arguments before it changes anything.
 * In a dry run (ctx->dry_run) it stops right after the checks; a dry run
 * also keeps a shadow list of the ports that earlier lines of the same run
 * added or removed, so a config file is fully validated, duplicates and
 * unknown names included, before any port is opened.
 *
 * Treat the input as hostile: lines are bounded, tokens are bounded, and
 * nothing a client sends reaches a format string.
 */
#ifndef VS_CMD_H
#define VS_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "vs_val.h"

#define VS_CMD_LINE_MAX 1024 /* bytes, without the newline */
#define VS_CMD_ARGS_MAX 16   /* words per line */
#define VS_CMD_ERR_MAX 256

struct vs_cmd_shadow;

struct vs_cmd_ctx {
	bool dry_run;
	struct vs_cmd_shadow *shadow; /* dry runs only */
	struct vs_val *out;           /* the reply object handlers fill */
	char err[VS_CMD_ERR_MAX];     /* set by vs_cmd_error() */
	bool quit;                    /* set by "shutdown" */
};

typedef int (*vs_cmd_fn)(struct vs_cmd_ctx *ctx, int argc, char **argv);

struct vs_cmd {
	const char *name;  /* command words, space-separated */
	const char *usage; /* the arguments, e.g. "NAME socket PATH [client]" */
	const char *help;  /* one sentence */
	int min_args;
	int max_args;
	vs_cmd_fn fn;      /* argv holds the arguments only */
};

/* Adds a command; returns 0, -EEXIST, -EINVAL or -ENOSPC. */
int vs_cmd_register(const struct vs_cmd *cmd);

/* Registers the switch's own commands (vs_cmds.c). */
void vs_cmds_register(void);

/*
 * Whether "port add" without an offload word uses offloads (default on):
 * the --no-offload option. Set before any command runs.
 */
void vs_cmds_set_offload_default(bool on);

/* Calls fn for every registered command, in registration order. */
void vs_cmd_foreach(void (*fn)(const struct vs_cmd *cmd, void *arg), void *arg);

/*
 * Splits line in place into at most max words. Words are separated by
 * blanks; double quotes group a word that contains blanks, with \" and \\
 * inside quotes. A '#' that begins a word (outside quotes) starts a
 * comment; inside a word it is an ordinary character. Returns the word
 * count, or -1 with *err set (unterminated quote, too many words, control
 * characters).
 */
int vs_cmd_tokenize(char *line, char **argv, int max, const char **err);

/*
 * Runs one command line. Returns 0 on success (including an empty or
 * comment-only line), or -1 with ctx->err holding a one-line message.
 * ctx->out must be an object; handlers add their output to it.
 */
int vs_cmd_run(struct vs_cmd_ctx *ctx, const char *line);

/*
 * Copies a user's word into buf for a message: bytes that are not
 * printable or not valid UTF-8 become '?', and a word too long for buf is
 * cut on a character boundary and ends in "...". Returns buf.
 */
const char *vs_cmd_word(const char *word, char *buf, size_t len);

/* Records an error message for the reply; returns -1 for convenience. */
int vs_cmd_error(struct vs_cmd_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Starts and ends a dry run's shadow state. */
struct vs_cmd_shadow *vs_cmd_shadow_new(void);
void vs_cmd_shadow_free(struct vs_cmd_shadow *sh);

/*
 * Port existence as a command sees it: in a dry run, the registry adjusted
 * by the shadow; otherwise the registry itself.
 */
bool vs_cmd_port_exists(const struct vs_cmd_ctx *ctx, const char *name);
unsigned int vs_cmd_port_count(const struct vs_cmd_ctx *ctx);
bool vs_cmd_path_used(const struct vs_cmd_ctx *ctx, const char *path);
/* Record a dry run's add or removal; 0, or -1 with an error (no memory). */
int vs_cmd_shadow_add(struct vs_cmd_ctx *ctx, const char *name, const char *path);
int vs_cmd_shadow_del(struct vs_cmd_ctx *ctx, const char *name);

/* Argument parsers: 0 on success, else -1 with a message in ctx. */
int vs_arg_uint(struct vs_cmd_ctx *ctx, const char *what, const char *s,
		uint64_t min, uint64_t max, uint64_t *out);
int vs_arg_mac(struct vs_cmd_ctx *ctx, const char *s, uint64_t *mac);
int vs_arg_port_name(struct vs_cmd_ctx *ctx, const char *s);

#endif /* VS_CMD_H */
