/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_cmd.h"
#include "vs_config.h"
#include "vs_ctl.h"

int
vs_script_add(struct vs_script *s, const char *source, unsigned int lineno,
	      const char *text)
{
	struct vs_script_line *l;

	if (s->n == VS_SCRIPT_LINES_MAX)
		return -ENOSPC;
	if (s->n == s->cap) {
		unsigned int cap = s->cap ? 2 * s->cap : 16;

		l = realloc(s->lines, cap * sizeof(*l));
		if (l == NULL)
			return -ENOMEM;
		s->lines = l;
		s->cap = cap;
	}
	l = &s->lines[s->n];
	l->text = strdup(text);
	if (l->text == NULL)
		return -ENOMEM;
	l->source = source;
	l->lineno = lineno;
	s->n++;
	return 0;
}

static const char *
keep_source(struct vs_script *s, const char *source)
{
	char *copy;

	if (s->n_sources == RTE_DIM(s->sources))
		return "config";
	copy = strdup(source);
	if (copy == NULL)
		return "config";
	s->sources[s->n_sources++] = copy;
	return copy;
}

int
vs_script_load_buf(struct vs_script *s, const char *source, const char *data,
		   size_t len, char *err, size_t errlen)
{
	const char *src = keep_source(s, source);
	unsigned int lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		size_t llen = end - pos;
		char line[VS_CMD_LINE_MAX + 1];

		lineno++;
		/* A file written on Windows ends its lines in CR LF. */
		if (llen > 0 && data[pos + llen - 1] == '\r')
			llen--;
		if (memchr(data + pos, '\0', llen) != NULL) {
			snprintf(err, errlen, "%s:%u: NUL byte in line", src, lineno);
			return -EINVAL;
		}
		if (llen > VS_CMD_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", src,
				 lineno, VS_CMD_LINE_MAX);
			return -EINVAL;
		}
		memcpy(line, data + pos, llen);
		line[llen] = '\0';
		if (vs_script_add(s, src, lineno, line) < 0) {
			snprintf(err, errlen, "%s:%u: too many lines (at most %d)", src,
				 lineno, VS_SCRIPT_LINES_MAX);
			return -ENOSPC;
		}
		pos = end + 1;
	}
	return 0;
}

int
vs_script_load_file(struct vs_script *s, const char *path, char *err,
		    size_t errlen)
{
	size_t cap = 4096, len = 0;
	char *data = malloc(cap);
	FILE *f = fopen(path, "r");
	int ret;

	if (f == NULL || data == NULL) {
		int e = f ? ENOMEM : errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		if (f)
			fclose(f);
		free(data);
		return -e;
	}
	for (;;) {
		size_t n = fread(data + len, 1, cap - len, f);

		len += n;
		if (len < cap)
			break;
		/* Bounded: a config file is a few kilobytes, never megabytes. */
		if (cap >= (size_t)VS_SCRIPT_LINES_MAX * (VS_CMD_LINE_MAX + 1)) {
			snprintf(err, errlen, "%s: file too large", path);
			fclose(f);
			free(data);
			return -EFBIG;
		}
		cap *= 2;
		{
			char *p = realloc(data, cap);

			if (p == NULL) {
				fclose(f);
				free(data);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			data = p;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(data);
		return -EIO;
	}
	fclose(f);
	ret = vs_script_load_buf(s, path, data, len, err, errlen);
	free(data);
	return ret;
}

static int
run_all(const struct vs_script *s, bool dry_run, bool *quit, char *err,
	size_t errlen)
{
	struct vs_cmd_shadow *sh = dry_run ? vs_cmd_shadow_new() : NULL;
	int ret = 0;

	if (dry_run && sh == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < s->n && ret == 0; i++) {
		const struct vs_script_line *l = &s->lines[i];
		struct vs_cmd_ctx ctx = { .dry_run = dry_run, .shadow = sh };

		ctx.out = vs_val_new_obj();
		if (vs_cmd_run(&ctx, l->text) < 0) {
			snprintf(err, errlen, "%s:%u: %s", l->source, l->lineno, ctx.err);
			ret = -EINVAL;
		} else if (!dry_run) {
			struct vs_buf b = { 0 };

			vs_val_to_text(ctx.out, &b);
			if (b.len)
				printf("%s", b.p);
			vs_buf_free(&b);
		}
		if (ctx.quit && quit != NULL)
			*quit = true;
		vs_val_free(ctx.out);
	}
	vs_cmd_shadow_free(sh);
	fflush(stdout);
	return ret;
}

int
vs_script_check(const struct vs_script *s, char *err, size_t errlen)
{
	return run_all(s, true, NULL, err, errlen);
}

int
vs_script_run(const struct vs_script *s, bool *quit, char *err, size_t errlen)
{
	return run_all(s, false, quit, err, errlen);
}

void
vs_script_free(struct vs_script *s)
{
	for (unsigned int i = 0; i < s->n; i++)
		free(s->lines[i].text);
	for (unsigned int i = 0; i < s->n_sources; i++)
		free(s->sources[i]);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}
