/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Structured command output. A handler builds a small tree of objects,
 * arrays and scalars once; it is then written either as JSON (for
 * machines: vhostswitch-ctl --json) or as text (for people: key/value
 * lines, and arrays of objects as aligned tables).
 *
 * Control plane only. Allocation failure aborts, as OVS's xmalloc() does.
 */
#ifndef VS_VAL_H
#define VS_VAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vs_val_type {
	VS_VAL_OBJ,
	VS_VAL_ARR,
	VS_VAL_STR,
	VS_VAL_U64,
	VS_VAL_I64,
	VS_VAL_DBL,
	VS_VAL_BOOL,
};

struct vs_val {
	enum vs_val_type type;
	char *key; /* member name inside an object, else NULL */
	union {
		char *s;
		uint64_t u;
		int64_t i;
		double d;
		bool b;
	};
	struct vs_val *first, *last; /* children of objects and arrays */
	struct vs_val *next;
};

/* A growable string; all writers keep it NUL-terminated. */
struct vs_buf {
	char *p;
	size_t len;
	size_t cap;
};

struct vs_val *vs_val_new_obj(void);
void vs_val_free(struct vs_val *v);

/* Members of an object (key != NULL) or elements of an array (key NULL). */
struct vs_val *vs_val_add_obj(struct vs_val *parent, const char *key);
struct vs_val *vs_val_add_arr(struct vs_val *parent, const char *key);
void vs_val_add_str(struct vs_val *parent, const char *key, const char *s);
void vs_val_add_strf(struct vs_val *parent, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vs_val_add_u64(struct vs_val *parent, const char *key, uint64_t v);
void vs_val_add_i64(struct vs_val *parent, const char *key, int64_t v);
void vs_val_add_dbl(struct vs_val *parent, const char *key, double v);
void vs_val_add_bool(struct vs_val *parent, const char *key, bool v);

void vs_buf_printf(struct vs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vs_buf_vprintf(struct vs_buf *b, const char *fmt, va_list ap);
void vs_buf_free(struct vs_buf *b);

/*
 * Length of the valid UTF-8 sequence that starts at s (1 to 4), or 0 when
 * s does not start one (a stray continuation byte, an overlong form, a
 * surrogate, a value above U+10FFFF, or a cut sequence).
 */
size_t vs_utf8_len(const unsigned char *s);

/*
 * Appends v as compact JSON: strings escaped, bytes that are not valid
 * UTF-8 written as U+FFFD, non-finite numbers as null.
 */
void vs_val_to_json(const struct vs_val *v, struct vs_buf *out);

/*
 * Appends v as text: scalars as "key: value" lines, arrays of objects as
 * tables with one column per key of their first element, arrays of
 * scalars as one line.
 */
void vs_val_to_text(const struct vs_val *v, struct vs_buf *out);

#endif /* VS_VAL_H */
