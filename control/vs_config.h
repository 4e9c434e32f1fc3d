/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Start-up configuration: a script of command lines, from a config file
 * (one command per line, '#' comments) and from the command line's port
 * options. The whole script is checked in a dry run first, so a bad line
 * stops start-up with "FILE:LINE: message" before any port is opened.
 */
#ifndef VS_CONFIG_H
#define VS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define VS_SCRIPT_LINES_MAX 4096

struct vs_script_line {
	char *text;
	const char *source; /* file name, or "command line" */
	unsigned int lineno;
};

struct vs_script {
	struct vs_script_line *lines;
	unsigned int n;
	unsigned int cap;
	char *sources[8]; /* owned copies of file names */
	unsigned int n_sources;
};

/* Appends one line; returns 0 or -errno. */
int vs_script_add(struct vs_script *s, const char *source, unsigned int lineno,
		  const char *text);

/*
 * Splits a buffer into lines (named source in messages). Lines too long,
 * NUL bytes, or too many lines fail with "SOURCE:LINE: message" in err.
 */
int vs_script_load_buf(struct vs_script *s, const char *source,
		       const char *data, size_t len, char *err, size_t errlen);

/* Reads a config file; errors as above, or the file's open error. */
int vs_script_load_file(struct vs_script *s, const char *path, char *err,
			size_t errlen);

/* Dry-runs every line; the first failure goes to err as SOURCE:LINE: msg. */
int vs_script_check(const struct vs_script *s, char *err, size_t errlen);

/*
 * Runs every line for real, printing what each reports. Stops at the
 * first failure (SOURCE:LINE: msg in err). Sets *quit if a line asked for
 * shutdown. The caller holds the control lock (vs_ctl_lock), for the
 * whole script: no request sees its lines half-applied.
 */
int vs_script_run(const struct vs_script *s, bool *quit, char *err,
		  size_t errlen);

void vs_script_free(struct vs_script *s);

#endif /* VS_CONFIG_H */
