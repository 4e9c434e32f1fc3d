/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * libFuzzer target for the start-up config: any bytes as a config file,
 * split by vs_script_load_buf() and checked by vs_script_check(), the dry
 * run that stands between a config file and the first opened port.
 *
 * Besides the sanitizers, the target checks the loader's promises: the
 * lines are the input's lines, numbered from 1, none too long and none
 * with a NUL; and every failure is "fuzz.conf:LINE: message" with LINE a
 * line of the input.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_cmd.h"
#include "vs_config.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

#define SOURCE "fuzz.conf"

/* How many lines the loader must see: newlines, plus an unterminated last. */
static unsigned int
count_lines(const uint8_t *data, size_t size)
{
	unsigned int n = 0;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size > 0 && data[size - 1] != '\n');
}

/*
 * Checks "fuzz.conf:LINE: message" and returns LINE, which must lie
 * within [1, max].
 */
static unsigned int
check_message(const char *err, unsigned int max)
{
	const char *p = err + strlen(SOURCE ":");
	unsigned long lineno;
	char *end;

	CHECK(strncmp(err, SOURCE ":", strlen(SOURCE ":")) == 0);
	CHECK(*p >= '1' && *p <= '9');
	lineno = strtoul(p, &end, 10);
	CHECK(end[0] == ':' && end[1] == ' ' && end[2] != '\0');
	CHECK(lineno >= 1 && lineno <= max);
	CHECK(strchr(err, '\n') == NULL);
	return (unsigned int)lineno;
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
	unsigned int lines = count_lines(data, size);
	struct vs_script s = { 0 };
	char err[512] = "";
	size_t pos = 0;
	int ret;

	ret = vs_script_load_buf(&s, SOURCE, (const char *)data, size, err,
				 sizeof(err));
	if (ret < 0) {
		unsigned int bad;

		CHECK(ret == -EINVAL || ret == -ENOSPC);
		bad = check_message(err, lines);
		/* Every line before the bad one was taken. */
		CHECK(s.n == bad - 1);
		vs_script_free(&s);
		return 0;
	}

	CHECK(s.n == lines);
	CHECK(s.n <= VS_SCRIPT_LINES_MAX);
	for (unsigned int i = 0; i < s.n; i++) {
		const struct vs_script_line *l = &s.lines[i];
		size_t len = strlen(l->text);

		CHECK(l->lineno == i + 1);
		CHECK(strcmp(l->source, SOURCE) == 0);
		CHECK(len <= VS_CMD_LINE_MAX);
		/*
		 * The line is the input's bytes up to its newline, no more,
		 * less the CR of a CR LF line end.
		 */
		CHECK(pos + len <= size && memcmp(l->text, data + pos, len) == 0);
		if (pos + len < size && data[pos + len] == '\r')
			len++;
		CHECK(pos + len == size || data[pos + len] == '\n');
		pos += len + 1;
	}

	err[0] = '\0';
	ret = vs_script_check(&s, err, sizeof(err));
	if (ret < 0) {
		CHECK(ret == -EINVAL);
		check_message(err, s.n);
	} else {
		CHECK(ret == 0);
	}
	vs_script_free(&s);
	return 0;
}
