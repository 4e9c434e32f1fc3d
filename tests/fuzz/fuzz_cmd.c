/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * libFuzzer target for one command line, as a control socket client would
 * send it: any bytes, run through vs_cmd_run() in a dry run with a fresh
 * shadow that holds two ports (vm1, vm2), then the reply built the way the
 * server builds it and written as JSON and as text.
 *
 * A dry run touches no port and no dataplane, so no EAL is needed. Besides
 * the sanitizers, the target checks what the interfaces promise: 0 or -1,
 * a message exactly when -1, a one-line printable message, no reply and no
 * quit in a dry run, the tokenizer's verdict where it decides, and JSON
 * that parses back to the strings that went in.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_cmd.h"
#include "vs_val.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

/*
 * A strict JSON reader (RFC 8259 grammar, no extensions), just enough to
 * prove the writer's output well-formed and to read strings back.
 */
struct json {
	const char *p;
	const char *end;
	int depth;
};

static void
json_ws(struct json *j)
{
	while (j->p < j->end &&
	       (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads a string; if out is not NULL, decodes it there (at most cap - 1
 * bytes, NUL-terminated). Escapes of code points above 0xff decode to '?':
 * the writer only escapes ASCII control characters.
 */
static bool
json_string(struct json *j, char *out, size_t cap)
{
	size_t n = 0;

	if (j->p == j->end || *j->p != '"')
		return false;
	j->p++;
	for (;;) {
		unsigned char c;
		unsigned int u = 0;

		if (j->p == j->end)
			return false;
		c = (unsigned char)*j->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (j->p == j->end)
				return false;
			c = (unsigned char)*j->p++;
			switch (c) {
			case '"': case '\\': case '/':
				break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (j->end - j->p < 4)
					return false;
				for (int i = 0; i < 4; i++) {
					int h = hex_value(j->p[i]);

					if (h < 0)
						return false;
					u = u * 16 + (unsigned int)h;
				}
				j->p += 4;
				c = u <= 0xff ? (unsigned char)u : '?';
				break;
			default:
				return false;
			}
		}
		if (out != NULL && n + 1 < cap)
			out[n++] = (char)c;
	}
	if (out != NULL && cap > 0)
		out[n] = '\0';
	return true;
}

static bool
json_number(struct json *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p == j->end)
		return false;
	if (*j->p == '0') {
		j->p++;
	} else if (*j->p >= '1' && *j->p <= '9') {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	} else {
		return false;
	}
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p == j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p == j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s;
}

static bool
json_literal(struct json *j, const char *lit)
{
	size_t len = strlen(lit);

	if ((size_t)(j->end - j->p) < len || memcmp(j->p, lit, len) != 0)
		return false;
	j->p += len;
	return true;
}

static bool json_value(struct json *j);

static bool
json_members(struct json *j, char close, bool keys)
{
	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		if (keys) {
			if (!json_string(j, NULL, 0))
				return false;
			json_ws(j);
			if (j->p == j->end || *j->p != ':')
				return false;
			j->p++;
		}
		if (!json_value(j))
			return false;
		json_ws(j);
		if (j->p == j->end)
			return false;
		if (*j->p == close) {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return false;
		j->p++;
		json_ws(j);
	}
}

static bool
json_value(struct json *j)
{
	bool ok;

	json_ws(j);
	if (j->p == j->end)
		return false;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > 64)
			return false;
		ok = json_members(j, *j->p == '{' ? '}' : ']', *j->p == '{');
		j->depth--;
		return ok;
	case '"':
		return json_string(j, NULL, 0);
	case 't':
		return json_literal(j, "true");
	case 'f':
		return json_literal(j, "false");
	case 'n':
		return json_literal(j, "null");
	default:
		return json_number(j);
	}
}

/* True if s holds no control character: a message is one printable line. */
static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc __attribute__((unused)),
		     char ***argv __attribute__((unused)))
{
	vs_cmds_register();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_cmd_ctx ctx = { .dry_run = true };
	char *argv[VS_CMD_ARGS_MAX + 8];
	const char *tok_err = NULL;
	struct vs_buf b = { 0 };
	struct vs_val *words;
	char *line, *copy, *back, *want;
	struct json j;
	int ret, argc;

	/* A line is a C string: it ends at the first NUL, as on the socket. */
	line = malloc(size + 1);
	CHECK(line != NULL);
	memcpy(line, data, size);
	line[size] = '\0';

	ctx.shadow = vs_cmd_shadow_new();
	ctx.out = vs_val_new_obj();
	CHECK(ctx.shadow != NULL);
	/*
	 * Two ports the line may name, as if earlier lines had added them:
	 * without them every handler would stop at "no port named".
	 */
	vs_cmd_shadow_add(&ctx, "vm1", "/tmp/vs-fuzz-vm1.sock");
	vs_cmd_shadow_add(&ctx, "vm2", "/tmp/vs-fuzz-vm2.sock");
	ret = vs_cmd_run(&ctx, line);

	CHECK(ret == 0 || ret == -1);
	CHECK((ret == -1) == (ctx.err[0] != '\0'));
	CHECK(strlen(ctx.err) < sizeof(ctx.err));
	CHECK(printable(ctx.err));
	/* A dry run answers nothing and stops nothing. */
	CHECK(ctx.out->first == NULL);
	CHECK(!ctx.quit);

	/*
	 * Where the tokenizer rejects a line of legal length, the run fails
	 * with its message: no command sees a line it could not split.
	 */
	copy = strdup(line);
	CHECK(copy != NULL);
	argc = vs_cmd_tokenize(copy, argv, VS_CMD_ARGS_MAX + 4, &tok_err);
	if (strlen(line) > VS_CMD_LINE_MAX) {
		CHECK(ret == -1);
		CHECK(strcmp(ctx.err, "command longer than 1024 bytes") == 0);
	} else if (argc < 0) {
		CHECK(ret == -1);
		CHECK(tok_err != NULL && strcmp(ctx.err, tok_err) == 0);
	} else if (argc == 0) {
		CHECK(ret == 0);
	}

	/* The reply as the server sends it, plus the raw input to escape. */
	vs_val_add_str(ctx.out, "input", line);
	if (ret < 0)
		vs_val_add_str(ctx.out, "error", ctx.err);
	words = vs_val_add_arr(ctx.out, "words");
	for (int i = 0; i < argc; i++) {
		struct vs_val *row = vs_val_add_obj(words, NULL);

		vs_val_add_str(row, "word", argv[i]);
		vs_val_add_u64(row, "len", strlen(argv[i]));
	}

	vs_val_to_json(ctx.out, &b);
	CHECK(b.p != NULL && b.len == strlen(b.p));
	j = (struct json){ .p = b.p, .end = b.p + b.len };
	CHECK(json_value(&j));
	json_ws(&j);
	CHECK(j.p == j.end);
	/* Strict clients decode replies as UTF-8: every byte must be valid. */
	for (const unsigned char *c = (const unsigned char *)b.p; *c;) {
		size_t n = vs_utf8_len(c);

		CHECK(n > 0);
		c += n;
	}
	/*
	 * The first member reads back as the input, with each byte that is not
	 * valid UTF-8 written as U+FFFD (which json_string() reads as '?').
	 */
	back = malloc(size + 1);
	want = malloc(size + 1);
	CHECK(back != NULL && want != NULL);
	{
		const unsigned char *c = (const unsigned char *)line;
		size_t o = 0;

		while (*c) {
			size_t n = vs_utf8_len(c);

			if (n == 0) {
				want[o++] = '?';
				c++;
			} else {
				memcpy(want + o, c, n);
				o += n;
				c += n;
			}
		}
		want[o] = '\0';
	}
	j = (struct json){ .p = b.p, .end = b.p + b.len };
	CHECK(json_literal(&j, "{\"input\":"));
	CHECK(json_string(&j, back, size + 1));
	CHECK(strcmp(back, want) == 0);
	free(want);
	free(back);
	vs_buf_free(&b);

	vs_val_to_text(ctx.out, &b);
	CHECK(b.p != NULL && b.len == strlen(b.p));
	vs_buf_free(&b);

	free(copy);
	vs_val_free(ctx.out);
	vs_cmd_shadow_free(ctx.shadow);
	free(line);
	return 0;
}
