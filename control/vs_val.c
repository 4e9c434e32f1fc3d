/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_val.h"

/*
 * Like OVS's xmalloc(): the control plane allocates a few bytes per reply,
 * and a process that cannot is beyond saving, so it stops loudly rather
 * than carrying half-built replies around.
 */
static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, "vhostswitch: out of memory\n");
		abort();
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL) {
		fprintf(stderr, "vhostswitch: out of memory\n");
		abort();
	}
	return p;
}

static struct vs_val *
val_new(struct vs_val *parent, enum vs_val_type type, const char *key)
{
	struct vs_val *v = xcalloc(1, sizeof(*v));

	v->type = type;
	if (key != NULL && parent != NULL && parent->type == VS_VAL_OBJ)
		v->key = xstrdup(key);
	if (parent != NULL) {
		if (parent->last)
			parent->last->next = v;
		else
			parent->first = v;
		parent->last = v;
	}
	return v;
}

struct vs_val *
vs_val_new_obj(void)
{
	return val_new(NULL, VS_VAL_OBJ, NULL);
}

void
vs_val_free(struct vs_val *v)
{
	while (v != NULL) {
		struct vs_val *next = v->next;

		vs_val_free(v->first);
		if (v->type == VS_VAL_STR)
			free(v->s);
		free(v->key);
		free(v);
		v = next;
	}
}

struct vs_val *
vs_val_add_obj(struct vs_val *parent, const char *key)
{
	return val_new(parent, VS_VAL_OBJ, key);
}

struct vs_val *
vs_val_add_arr(struct vs_val *parent, const char *key)
{
	return val_new(parent, VS_VAL_ARR, key);
}

void
vs_val_add_str(struct vs_val *parent, const char *key, const char *s)
{
	struct vs_val *v = val_new(parent, VS_VAL_STR, key);

	v->s = xstrdup(s != NULL ? s : "");
}

void
vs_val_add_strf(struct vs_val *parent, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vs_val_add_str(parent, key, buf);
}

void
vs_val_add_u64(struct vs_val *parent, const char *key, uint64_t u)
{
	struct vs_val *v = val_new(parent, VS_VAL_U64, key);

	v->u = u;
}

void
vs_val_add_i64(struct vs_val *parent, const char *key, int64_t i)
{
	struct vs_val *v = val_new(parent, VS_VAL_I64, key);

	v->i = i;
}

void
vs_val_add_dbl(struct vs_val *parent, const char *key, double d)
{
	struct vs_val *v = val_new(parent, VS_VAL_DBL, key);

	v->d = d;
}

void
vs_val_add_bool(struct vs_val *parent, const char *key, bool b)
{
	struct vs_val *v = val_new(parent, VS_VAL_BOOL, key);

	v->b = b;
}

void
vs_buf_vprintf(struct vs_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0,
		      fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (b->p == NULL || b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			fprintf(stderr, "vhostswitch: out of memory\n");
			abort();
		}
		b->p = p;
		b->cap = cap;
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
vs_buf_printf(struct vs_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vs_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
vs_buf_free(struct vs_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

size_t
vs_utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range rules out overlongs, surrogates, > U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void
json_str(struct vs_buf *out, const char *s)
{
	vs_buf_printf(out, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = vs_utf8_len(c);

		if (*c == '"' || *c == '\\')
			vs_buf_printf(out, "\\%c", *c);
		else if (*c == '\n')
			vs_buf_printf(out, "\\n");
		else if (*c < 0x20 || *c == 0x7f)
			vs_buf_printf(out, "\\u%04x", *c);
		else if (n == 0)
			vs_buf_printf(out, "\\ufffd");
		else
			vs_buf_printf(out, "%.*s", (int)n, (const char *)c);
		c += n ? n : 1;
	}
	vs_buf_printf(out, "\"");
}

static void
scalar_to_text(const struct vs_val *v, struct vs_buf *out)
{
	switch (v->type) {
	case VS_VAL_STR:
		vs_buf_printf(out, "%s", v->s);
		break;
	case VS_VAL_U64:
		vs_buf_printf(out, "%" PRIu64, v->u);
		break;
	case VS_VAL_I64:
		vs_buf_printf(out, "%" PRId64, v->i);
		break;
	case VS_VAL_DBL:
		if (isfinite(v->d))
			vs_buf_printf(out, "%.3f", v->d);
		else
			vs_buf_printf(out, "-");
		break;
	case VS_VAL_BOOL:
		vs_buf_printf(out, "%s", v->b ? "yes" : "no");
		break;
	default:
		break;
	}
}

void
vs_val_to_json(const struct vs_val *v, struct vs_buf *out)
{
	switch (v->type) {
	case VS_VAL_OBJ:
	case VS_VAL_ARR: {
		bool first = true;

		vs_buf_printf(out, v->type == VS_VAL_OBJ ? "{" : "[");
		for (const struct vs_val *c = v->first; c != NULL; c = c->next) {
			if (!first)
				vs_buf_printf(out, ",");
			first = false;
			if (v->type == VS_VAL_OBJ) {
				json_str(out, c->key ? c->key : "");
				vs_buf_printf(out, ":");
			}
			vs_val_to_json(c, out);
		}
		vs_buf_printf(out, v->type == VS_VAL_OBJ ? "}" : "]");
		break;
	}
	case VS_VAL_STR:
		json_str(out, v->s);
		break;
	case VS_VAL_DBL:
		if (isfinite(v->d))
			vs_buf_printf(out, "%.6g", v->d);
		else
			vs_buf_printf(out, "null");
		break;
	case VS_VAL_BOOL:
		vs_buf_printf(out, "%s", v->b ? "true" : "false");
		break;
	default:
		scalar_to_text(v, out);
		break;
	}
}

static bool
is_table(const struct vs_val *v)
{
	if (v->type != VS_VAL_ARR || v->first == NULL)
		return false;
	for (const struct vs_val *c = v->first; c != NULL; c = c->next)
		if (c->type != VS_VAL_OBJ)
			return false;
	return true;
}

/* Renders one cell of a table into a fixed buffer. */
static void
cell_text(const struct vs_val *row, const char *key, char *buf, size_t len)
{
	struct vs_buf b = { 0 };

	buf[0] = '\0';
	for (const struct vs_val *c = row->first; c != NULL; c = c->next) {
		if (c->key == NULL || strcmp(c->key, key) != 0)
			continue;
		if (c->type == VS_VAL_OBJ || c->type == VS_VAL_ARR) {
			snprintf(buf, len, "...");
			return;
		}
		scalar_to_text(c, &b);
		snprintf(buf, len, "%s", b.p ? b.p : "");
		vs_buf_free(&b);
		return;
	}
}

static void
table_to_text(const struct vs_val *arr, struct vs_buf *out, int indent)
{
	const struct vs_val *head = arr->first;
	size_t ncols = 0, col = 0;
	char cell[128];

	for (const struct vs_val *c = head->first; c != NULL; c = c->next)
		ncols++;
	{
		size_t widths[ncols ? ncols : 1];

		col = 0;
		for (const struct vs_val *c = head->first; c != NULL; c = c->next) {
			widths[col] = strlen(c->key);
			for (const struct vs_val *r = arr->first; r != NULL; r = r->next) {
				cell_text(r, c->key, cell, sizeof(cell));
				if (strlen(cell) > widths[col])
					widths[col] = strlen(cell);
			}
			col++;
		}
		vs_buf_printf(out, "%*s", indent, "");
		col = 0;
		for (const struct vs_val *c = head->first; c != NULL; c = c->next) {
			vs_buf_printf(out, "%s%-*s", col ? "  " : "",
				      (int)(col + 1 < ncols ? widths[col] : 0), c->key);
			col++;
		}
		vs_buf_printf(out, "\n");
		for (const struct vs_val *r = arr->first; r != NULL; r = r->next) {
			vs_buf_printf(out, "%*s", indent, "");
			col = 0;
			for (const struct vs_val *c = head->first; c != NULL; c = c->next) {
				cell_text(r, c->key, cell, sizeof(cell));
				vs_buf_printf(out, "%s%-*s", col ? "  " : "",
					      (int)(col + 1 < ncols ? widths[col] : 0), cell);
				col++;
			}
			vs_buf_printf(out, "\n");
		}
	}
}

static void
obj_to_text(const struct vs_val *v, struct vs_buf *out, int indent)
{
	size_t width = 0;

	for (const struct vs_val *c = v->first; c != NULL; c = c->next)
		if (c->key && c->type != VS_VAL_OBJ &&
		    c->type != VS_VAL_ARR && strlen(c->key) > width)
			width = strlen(c->key);

	for (const struct vs_val *c = v->first; c != NULL; c = c->next) {
		if (c->type == VS_VAL_OBJ) {
			vs_buf_printf(out, "%*s%s:\n", indent, "", c->key ? c->key : "");
			obj_to_text(c, out, indent + 2);
		} else if (c->type == VS_VAL_ARR) {
			if (c->first == NULL)
				continue;
			if (is_table(c)) {
				if (indent > 0 || v->first != c || c->next != NULL)
					vs_buf_printf(out, "%*s%s:\n", indent, "",
						      c->key ? c->key : "");
				table_to_text(c, out, indent + (indent > 0 ||
					v->first != c || c->next != NULL ? 2 : 0));
			} else {
				bool first = true;

				vs_buf_printf(out, "%*s%-*s  ", indent, "", (int)width,
					      c->key ? c->key : "");
				for (const struct vs_val *e = c->first; e; e = e->next) {
					vs_buf_printf(out, first ? "" : " ");
					scalar_to_text(e, out);
					first = false;
				}
				vs_buf_printf(out, "\n");
			}
		} else if (c->key != NULL && strcmp(c->key, "message") == 0 &&
			   c->type == VS_VAL_STR) {
			vs_buf_printf(out, "%*s%s\n", indent, "", c->s);
		} else {
			vs_buf_printf(out, "%*s%-*s  ", indent, "", (int)width,
				      c->key ? c->key : "");
			scalar_to_text(c, out);
			vs_buf_printf(out, "\n");
		}
	}
}

void
vs_val_to_text(const struct vs_val *v, struct vs_buf *out)
{
	if (v->type == VS_VAL_OBJ)
		obj_to_text(v, out, 0);
	else if (is_table(v))
		table_to_text(v, out, 0);
	else {
		scalar_to_text(v, out);
		vs_buf_printf(out, "\n");
	}
}
