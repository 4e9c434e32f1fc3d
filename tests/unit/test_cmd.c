/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Unit tests of the control plane: the tokenizer, the command registry and
 * its dispatch, every command's argument checking, the config script
 * loader and the reply writers.
 *
 * Every command runs as a dry run with a shadow: handlers then check their
 * arguments and return before touching a port or the dataplane, so the
 * test needs no EAL, no hugepages and no workers. The port registry stays
 * empty; ports exist only in the shadow of the current test.
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vs_cunit.h"

#include <rte_common.h>

#include "vs_cmd.h"
#include "vs_config.h"
#include "vs_port.h"
#include "vs_val.h"

/* A private directory for socket paths, made once for the whole run. */
static char tmpdir[] = "/tmp/vs-test-cmd.XXXXXX";

/* The shadow of the current test; every test starts with a fresh one. */
static struct vs_cmd_shadow *shadow;

/* What the last dry run left behind. */
static char last_err[VS_CMD_ERR_MAX];
static bool last_quit;
static bool last_out_empty;

/*
 * Formats into one of a ring of buffers, so a test can build a command
 * line and its expected message in one expression.
 */
static const char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static const char *
fmt(const char *f, ...)
{
	static char bufs[8][4096];
	static unsigned int next;
	char *b = bufs[next++ % RTE_DIM(bufs)];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

/* A string of n copies of c, from a ring of buffers like fmt(). */
static const char *
rep(char c, size_t n)
{
	static char bufs[4][2048];
	static unsigned int next;
	char *b = bufs[next++ % RTE_DIM(bufs)];

	if (n >= sizeof(bufs[0]))
		n = sizeof(bufs[0]) - 1;
	memset(b, c, n);
	b[n] = '\0';
	return b;
}

/*
 * Puts tmpdir/name into buf. Paths a test uses across several commands
 * live in the test's own buffers, since fmt() recycles its ring.
 */
static const char *
tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
	return buf;
}

/* Runs one line as a dry run against the current shadow. */
static int
dry(const char *line)
{
	struct vs_cmd_ctx ctx = { .dry_run = true, .shadow = shadow };
	int ret;

	/* A stale message must not survive into the next command's result. */
	snprintf(ctx.err, sizeof(ctx.err), "stale");
	ctx.out = vs_val_new_obj();
	ret = vs_cmd_run(&ctx, line);
	snprintf(last_err, sizeof(last_err), "%s", ctx.err);
	last_quit = ctx.quit;
	last_out_empty = ctx.out->first == NULL;
	vs_val_free(ctx.out);
	return ret;
}

/*
 * The assertion behind EXPECT_OK and EXPECT_ERR. CUnit copies the
 * condition text of a failure, so the message can say what came back:
 * a bare CU_ASSERT would only say that something differed.
 */
static void
check_run_at(const char *line, int want_ret, const char *want_err,
	     const char *file, unsigned int lineno)
{
	char msg[1024];
	int ret = dry(line);
	bool ok = ret == want_ret && strcmp(last_err, want_err) == 0 &&
		  last_out_empty && !last_quit;

	snprintf(msg, sizeof(msg),
		 "dry run of \"%.200s\": got %d \"%s\"%s%s, want %d \"%s\"",
		 line, ret, last_err, last_out_empty ? "" : " with a reply",
		 last_quit ? " with quit" : "", want_ret, want_err);
	CU_assertImplementation(ok, lineno, msg, file, "", CU_FALSE);
}

#define EXPECT_OK(line) check_run_at((line), 0, "", __FILE__, __LINE__)
#define EXPECT_ERR(line, err) check_run_at((line), -1, (err), __FILE__, __LINE__)

static void
check_int_at(long long got, long long want, const char *what, const char *file,
	     unsigned int lineno)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: got %lld, want %lld", what, got, want);
	CU_assertImplementation(got == want, lineno, msg, file, "", CU_FALSE);
}

static void
check_str_at(const char *got, const char *want, const char *what,
	     const char *file, unsigned int lineno)
{
	char msg[1024];
	bool ok = got != NULL && strcmp(got, want) == 0;

	snprintf(msg, sizeof(msg), "%s: got \"%.400s\", want \"%.400s\"", what,
		 got ? got : "(null)", want);
	CU_assertImplementation(ok, lineno, msg, file, "", CU_FALSE);
}

#define EXPECT_INT(got, want) \
	check_int_at((long long)(got), (long long)(want), #got, __FILE__, __LINE__)
#define EXPECT_STR(got, want) check_str_at((got), (want), #got, __FILE__, __LINE__)

/* Tokenizes a copy of line and compares the words or the error. */
static void
check_words_at(const char *line, int max, int want_argc,
	       const char *const *want, const char *want_err, const char *file,
	       unsigned int lineno)
{
	char copy[2048];
	char *argv[32] = { NULL };
	const char *err = NULL;
	char msg[1024];
	int argc;
	bool ok;

	snprintf(copy, sizeof(copy), "%s", line);
	argc = vs_cmd_tokenize(copy, argv, max, &err);
	ok = argc == want_argc;
	if (ok && argc < 0)
		ok = err != NULL && strcmp(err, want_err) == 0;
	for (int i = 0; ok && i < argc; i++)
		ok = strcmp(argv[i], want[i]) == 0;
	snprintf(msg, sizeof(msg), "tokenize \"%.200s\": got %d (%s%s%s%s%s), want %d (%s)",
		 line, argc, argc < 0 ? (err ? err : "(null)") : "",
		 argc > 0 ? argv[0] : "", argc > 1 ? "|" : "",
		 argc > 1 ? argv[1] : "", argc > 2 ? "|..." : "", want_argc,
		 want_argc < 0 ? want_err : (want_argc > 0 ? want[0] : ""));
	CU_assertImplementation(ok, lineno, msg, file, "", CU_FALSE);
}

#define EXPECT_WORDS(line, ...) \
	check_words_at((line), 16, \
		       (int)RTE_DIM(((const char *[]){ __VA_ARGS__ })), \
		       (const char *const[]){ __VA_ARGS__ }, NULL, __FILE__, __LINE__)
#define EXPECT_NO_WORDS(line) \
	check_words_at((line), 16, 0, NULL, NULL, __FILE__, __LINE__)
#define EXPECT_TOKEN_ERR(line, max, err) \
	check_words_at((line), (max), -1, NULL, (err), __FILE__, __LINE__)

/* The message every bad port name gets. */
static const char *
bad_name(const char *shown)
{
	return fmt("bad port name '%s' (1-31 characters of A-Z a-z 0-9 _ - .)",
		   shown);
}

/* Adds a port to the shadow under a socket in tmpdir named after it. */
static void
add_port_at(const char *name, const char *file, unsigned int lineno)
{
	check_run_at(fmt("port add vhost %s socket %s/%s.sock", name, tmpdir, name),
		     0, "", file, lineno);
}

#define ADD_PORT(name) add_port_at((name), __FILE__, __LINE__)

static const char usage_vhost[] =
	"usage: port add vhost NAME socket PATH [client] [queues N] [offload on|off]";
static const char usage_eth[] = "usage: port add eth NAME dev DEVARGS [queues N] [offload on|off]";

/*
 * Tokenizer.
 */

static void
test_tokenize_plain(void)
{
	EXPECT_WORDS("port list", "port", "list");
	EXPECT_WORDS("a", "a");
	EXPECT_WORDS("port add vhost vm1 socket /tmp/vm1.sock", "port", "add",
		     "vhost", "vm1", "socket", "/tmp/vm1.sock");
	/* Bytes above ASCII are ordinary word characters. */
	EXPECT_WORDS("caf\xc3\xa9 \xff", "caf\xc3\xa9", "\xff");
	/* A backslash outside quotes is an ordinary character. */
	EXPECT_WORDS("a\\b", "a\\b");
}

static void
test_tokenize_blanks(void)
{
	EXPECT_WORDS("  a   b  ", "a", "b");
	EXPECT_WORDS("\ta\t\tb\t", "a", "b");
	EXPECT_WORDS(" \t a \t b \t ", "a", "b");
	/* Line ends from a file or a socket are blanks too. */
	EXPECT_WORDS("a b\r\n", "a", "b");
	EXPECT_WORDS("a\nb", "a", "b");
}

static void
test_tokenize_quotes(void)
{
	EXPECT_WORDS("say \"hello world\"", "say", "hello world");
	EXPECT_WORDS("\"  spaced  \" x", "  spaced  ", "x");
	EXPECT_WORDS("\"\"", "");
	EXPECT_WORDS("a \"\" b", "a", "", "b");
	/* Quotes group part of a word; the parts join. */
	EXPECT_WORDS("a\"b c\"d", "ab cd");
	EXPECT_WORDS("\"a\"\"b\"", "ab");
	EXPECT_WORDS("\"#not a comment\"", "#not a comment");
	EXPECT_WORDS("\"a # b\" c", "a # b", "c");
}

static void
test_tokenize_escapes(void)
{
	EXPECT_WORDS("\"a\\\"b\"", "a\"b");
	EXPECT_WORDS("\"c\\\\d\"", "c\\d");
	EXPECT_WORDS("\"\\\\\" \"\\\"\"", "\\", "\"");
	/* Only \" and \\ are escapes: other backslashes stay. */
	EXPECT_WORDS("\"a\\nb\"", "a\\nb");
	EXPECT_WORDS("\"\\\\\\\"\"", "\\\"");
}

static void
test_tokenize_comments(void)
{
	EXPECT_NO_WORDS("# a comment");
	EXPECT_NO_WORDS("   # indented comment");
	EXPECT_NO_WORDS("#");
	EXPECT_WORDS("port list # list them", "port", "list");
	EXPECT_WORDS("port list #", "port", "list");
	EXPECT_WORDS("a \"b # c\" # d \"e", "a", "b # c");
	/* A comment may hold what would be errors in a command. */
	EXPECT_WORDS("a # \"unterminated \x01", "a");
}

static void
test_tokenize_errors(void)
{
	EXPECT_TOKEN_ERR("\"abc", 16, "unterminated quote");
	EXPECT_TOKEN_ERR("a \"b c", 16, "unterminated quote");
	EXPECT_TOKEN_ERR("\"a\\\"", 16, "unterminated quote");
	EXPECT_TOKEN_ERR("a\x01b", 16, "control character in command");
	EXPECT_TOKEN_ERR("a\x1b[0m", 16, "control character in command");
	EXPECT_TOKEN_ERR("a\x7f", 16, "control character in command");
	EXPECT_TOKEN_ERR("\"a\x01\"", 16, "control character in command");
	/* Inside quotes a tab is not a separator but a control character. */
	EXPECT_TOKEN_ERR("\"a\tb\"", 16, "control character in command");
	EXPECT_TOKEN_ERR("\"a\nb\"", 16, "control character in command");
	check_words_at("a b c d", 4, 4, (const char *const[]){ "a", "b", "c", "d" },
		       NULL, __FILE__, __LINE__);
	EXPECT_TOKEN_ERR("a b c d e", 4, "too many words");
	EXPECT_TOKEN_ERR("a", 0, "too many words");
	/* A comment after the last allowed word is no extra word. */
	check_words_at("a b # c", 2, 2, (const char *const[]){ "a", "b" }, NULL,
		       __FILE__, __LINE__);
}

static void
test_tokenize_empty(void)
{
	EXPECT_NO_WORDS("");
	EXPECT_NO_WORDS(" ");
	EXPECT_NO_WORDS("\t \r\n");
}

/*
 * Registry and dispatch, with a few commands of the test's own that record
 * how they were called.
 */

static int called_argc = -1;
static char called_argv[VS_CMD_ARGS_MAX + 1][64];
static const char *called_name;

static void
record(const char *name, int argc, char **argv)
{
	called_name = name;
	called_argc = argc;
	for (int i = 0; i < argc && i < (int)RTE_DIM(called_argv); i++)
		snprintf(called_argv[i], sizeof(called_argv[i]), "%s", argv[i]);
}

static void
reset_record(void)
{
	called_name = NULL;
	called_argc = -1;
	memset(called_argv, 0, sizeof(called_argv));
}

static int
zz_fn(struct vs_cmd_ctx *ctx __rte_unused, int argc, char **argv)
{
	record("zz", argc, argv);
	return 0;
}

static int
zz_echo_fn(struct vs_cmd_ctx *ctx __rte_unused, int argc, char **argv)
{
	record("zz echo", argc, argv);
	return 0;
}

static int
zz_fail_fn(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	record("zz fail", argc, argv);
	/* Only the first message of a command is the one that explains it. */
	vs_cmd_error(ctx, "first %d", argc);
	return vs_cmd_error(ctx, "second");
}

static int
zz_positive_fn(struct vs_cmd_ctx *ctx __rte_unused, int argc, char **argv)
{
	record("zz positive", argc, argv);
	return 7;
}

static const struct vs_cmd zz_cmds[] = {
	{ "zz", "[A] [B] [C]", "Test: the short command.", 0, 3, zz_fn },
	{ "zz echo", "[WORD]...", "Test: records its words.", 0, VS_CMD_ARGS_MAX,
	  zz_echo_fn },
	{ "zz fail", "", "Test: fails twice.", 0, 1, zz_fail_fn },
	{ "zz positive", "", "Test: returns a positive value.", 0, 0,
	  zz_positive_fn },
};

static int
noop_fn(struct vs_cmd_ctx *ctx __rte_unused, int argc __rte_unused,
	char **argv __rte_unused)
{
	return 0;
}

static void
count_cmd(const struct vs_cmd *cmd __rte_unused, void *arg)
{
	(*(unsigned int *)arg)++;
}

static void
test_register(void)
{
	static const struct vs_cmd bad[] = {
		{ "zz bad", "", "No handler.", 0, 0, NULL },
		{ NULL, "", "No name.", 0, 0, noop_fn },
		{ "", "", "Empty name.", 0, 0, noop_fn },
		{ "zz  bad", "", "Two blanks.", 0, 0, noop_fn },
		{ " zz", "", "Leading blank.", 0, 0, noop_fn },
		{ "zz a b c d", "", "Five words.", 0, 0, noop_fn },
		{ "zz bad", "", "Negative minimum.", -1, 0, noop_fn },
		{ "zz bad", "", "Maximum under minimum.", 2, 1, noop_fn },
		{ "zz bad", "", "Too many arguments.", 0, VS_CMD_ARGS_MAX + 1,
		  noop_fn },
	};
	static const struct vs_cmd dup_help = { "help", "", "Again.", 0, 0, noop_fn };
	static const struct vs_cmd help_blank = { "help ", "", "Again.", 0, 0, noop_fn };
	unsigned int before = 0, after = 0;

	vs_cmd_foreach(count_cmd, &before);
	EXPECT_INT(vs_cmd_register(NULL), -EINVAL);
	for (size_t i = 0; i < RTE_DIM(bad); i++)
		EXPECT_INT(vs_cmd_register(&bad[i]), -EINVAL);
	EXPECT_INT(vs_cmd_register(&dup_help), -EEXIST);
	EXPECT_INT(vs_cmd_register(&zz_cmds[0]), -EEXIST);
	/*
	 * "help " would be a second "help" that no line can reach: a name
	 * is its words, so a trailing blank is either malformed or a
	 * duplicate, and must not register.
	 */
	CU_ASSERT(vs_cmd_register(&help_blank) < 0);
	vs_cmd_foreach(count_cmd, &after);
	EXPECT_INT(after, before);
}

static void
test_dispatch_argv(void)
{
	reset_record();
	EXPECT_OK("zz echo \"a b\" c \"d\\\"e\" # comment");
	EXPECT_STR(called_name, "zz echo");
	EXPECT_INT(called_argc, 3);
	EXPECT_STR(called_argv[0], "a b");
	EXPECT_STR(called_argv[1], "c");
	EXPECT_STR(called_argv[2], "d\"e");

	reset_record();
	EXPECT_OK("zz echo");
	EXPECT_STR(called_name, "zz echo");
	EXPECT_INT(called_argc, 0);

	/* The command words must be whole words, and the longest wins. */
	reset_record();
	EXPECT_OK("zz echox y");
	EXPECT_STR(called_name, "zz");
	EXPECT_INT(called_argc, 2);
	EXPECT_STR(called_argv[0], "echox");
	EXPECT_STR(called_argv[1], "y");

	reset_record();
	EXPECT_OK("zz");
	EXPECT_STR(called_name, "zz");
	EXPECT_INT(called_argc, 0);

	/* Quoted command words match like plain ones. */
	reset_record();
	EXPECT_OK("\"zz\" \"echo\" x");
	EXPECT_STR(called_name, "zz echo");
	EXPECT_INT(called_argc, 1);

	/* A word that only contains a command word is an argument. */
	reset_record();
	EXPECT_OK("zz \"echo x\"");
	EXPECT_STR(called_name, "zz");
	EXPECT_INT(called_argc, 1);
	EXPECT_STR(called_argv[0], "echo x");

	/* Command words are case-sensitive. */
	EXPECT_ERR("ZZ", "unknown command 'ZZ' (try 'help')");

	/* Too many arguments for "zz", which no longer command matches. */
	reset_record();
	EXPECT_ERR("zz a b c d", "usage: zz [A] [B] [C]");
	EXPECT_INT(called_argc, -1);

	/* Handlers report the first error; a positive return is success. */
	reset_record();
	EXPECT_ERR("zz fail x", "first 1");
	EXPECT_STR(called_name, "zz fail");
	EXPECT_ERR("zz fail", "first 0");
	reset_record();
	EXPECT_OK("zz positive");
	EXPECT_STR(called_name, "zz positive");
}

static void
test_dispatch_word_limit(void)
{
	const char *sixteen = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";

	reset_record();
	EXPECT_OK(fmt("zz echo %s", sixteen));
	EXPECT_INT(called_argc, 16);
	EXPECT_STR(called_argv[15], "16");
	/* 19 and 20 words fit the tokenizer but not the command's bounds. */
	reset_record();
	EXPECT_ERR(fmt("zz echo %s 17", sixteen), "usage: zz echo [WORD]...");
	EXPECT_ERR(fmt("zz echo %s 17 18", sixteen), "usage: zz echo [WORD]...");
	EXPECT_INT(called_argc, -1);
	/* 20 words is the most a line may hold: 16 arguments and 4 command words. */
	EXPECT_ERR(fmt("help %s 17 18 19", sixteen), "usage: help");
	EXPECT_ERR(fmt("help %s 17 18 19 20", sixteen), "too many words");
	EXPECT_ERR(fmt("zz echo %s 17 18 19", sixteen), "too many words");
}

static void
test_dispatch_unknown(void)
{
	EXPECT_ERR("bogus", "unknown command 'bogus' (try 'help')");
	EXPECT_ERR("bogus with args", "unknown command 'bogus' (try 'help')");
	/* A prefix of a command is no command. */
	EXPECT_ERR("port", "unknown command 'port' (try 'help')");
	EXPECT_ERR("port add", "unknown command 'port' (try 'help')");
	EXPECT_ERR("port add tap x", "unknown command 'port' (try 'help')");
	EXPECT_ERR("fdb", "unknown command 'fdb' (try 'help')");
	EXPECT_ERR("log", "unknown command 'log' (try 'help')");
	EXPECT_ERR("\"\"", "unknown command '' (try 'help')");
	EXPECT_ERR("\"port list\"", "unknown command 'port list' (try 'help')");
	/* Long words are cut in messages: 39 bytes are shown whole, 40 not. */
	EXPECT_ERR(rep('x', 39), fmt("unknown command '%s' (try 'help')", rep('x', 39)));
	EXPECT_ERR(rep('x', 40),
		   fmt("unknown command '%s...' (try 'help')", rep('x', 36)));
	EXPECT_ERR(rep('y', 1000),
		   fmt("unknown command '%s...' (try 'help')", rep('y', 36)));
}

static void
test_dispatch_usage(void)
{
	EXPECT_ERR("port add vhost", usage_vhost);
	EXPECT_ERR("port add vhost a", usage_vhost);
	EXPECT_ERR("port add vhost a socket", usage_vhost);
	EXPECT_ERR("port add vhost a socket p client queues 1 offload on x", usage_vhost);
	EXPECT_ERR("port add eth", usage_eth);
	EXPECT_ERR("port add eth e0 dev", usage_eth);
	EXPECT_ERR("port add eth e0 dev x queues 1 offload on x", usage_eth);
	EXPECT_ERR("port del", "usage: port del NAME");
	EXPECT_ERR("port del a b", "usage: port del NAME");
	EXPECT_ERR("port list all", "usage: port list");
	EXPECT_ERR("port show", "usage: port show NAME");
	EXPECT_ERR("port show a b", "usage: port show NAME");
	EXPECT_ERR("stats a b", "usage: stats [NAME]");
	EXPECT_ERR("stats clear now", "usage: stats clear");
	EXPECT_ERR("fdb show all", "usage: fdb show");
	EXPECT_ERR("fdb flush a b", "usage: fdb flush [NAME]");
	EXPECT_ERR("fdb add", "usage: fdb add NAME MAC");
	EXPECT_ERR("fdb add a", "usage: fdb add NAME MAC");
	EXPECT_ERR("fdb add a 02:00:00:00:00:01 x", "usage: fdb add NAME MAC");
	EXPECT_ERR("fdb del", "usage: fdb del MAC");
	EXPECT_ERR("fdb del 02:00:00:00:00:01 x", "usage: fdb del MAC");
	EXPECT_ERR("bridge aging", "usage: bridge aging SECONDS");
	EXPECT_ERR("bridge aging 1 2", "usage: bridge aging SECONDS");
	EXPECT_ERR("xconnect", "usage: xconnect NAME NAME");
	EXPECT_ERR("xconnect a", "usage: xconnect NAME NAME");
	EXPECT_ERR("xconnect a b c", "usage: xconnect NAME NAME");
	EXPECT_ERR("xconnect del", "usage: xconnect del NAME");
	EXPECT_ERR("xconnect del a b", "usage: xconnect del NAME");
	EXPECT_ERR("lcore show 1", "usage: lcore show");
	EXPECT_ERR("log level", "usage: log level [COMPONENT] LEVEL");
	EXPECT_ERR("log level all debug x", "usage: log level [COMPONENT] LEVEL");
	EXPECT_ERR("version 2", "usage: version");
	EXPECT_ERR("shutdown now", "usage: shutdown");
	EXPECT_ERR("help port", "usage: help");
}

static void
test_dispatch_longest_match(void)
{
	/* "stats clear" is its own command, not the stats of a port "clear". */
	EXPECT_OK("stats clear");
	EXPECT_ERR("stats clearx", "no port named 'clearx'");
	EXPECT_ERR("stats nosuch", "no port named 'nosuch'");
	EXPECT_OK("stats");
	ADD_PORT("a");
	EXPECT_OK("stats a");

	/* "xconnect del a" removes a's cross-connect, not "del" with "a". */
	EXPECT_OK("xconnect del a");
	EXPECT_ERR("xconnect del b", "no port named 'b'");
	EXPECT_ERR("xconnect delx a", "no port named 'delx'");
	EXPECT_ERR("xconnect a b", "no port named 'b'");
	ADD_PORT("b");
	EXPECT_OK("xconnect a b");
	EXPECT_OK("xconnect b a");

	/* "port add vhost" and "port add eth" share two words. */
	EXPECT_OK("port add eth e0 dev 0000:00:04.0");
	EXPECT_ERR("port add eth e0 dev 0000:00:04.0", "a port named 'e0' exists");
	EXPECT_ERR("port add vhost e0 dev 0000:00:04.0",
		   "expected 'socket PATH' after the port name");
}

static void
test_dispatch_line_length(void)
{
	char line[VS_CMD_LINE_MAX + 2];

	/* Exactly VS_CMD_LINE_MAX bytes is a line; one more is not. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "version", 7);
	line[VS_CMD_LINE_MAX] = '\0';
	EXPECT_OK(line);
	line[VS_CMD_LINE_MAX] = ' ';
	line[VS_CMD_LINE_MAX + 1] = '\0';
	EXPECT_ERR(line, "command longer than 1024 bytes");
	/* The limit holds for comments too: it is checked before parsing. */
	line[0] = '#';
	EXPECT_ERR(line, "command longer than 1024 bytes");
	/* The longest word a line can hold still goes through. */
	EXPECT_ERR(fmt("port del %s", rep('n', VS_CMD_LINE_MAX - 9)),
		   bad_name(fmt("%s...", rep('n', 36))));
}

static void
test_dispatch_empty(void)
{
	EXPECT_OK("");
	EXPECT_OK("   ");
	EXPECT_OK("\t\r\n");
	EXPECT_OK("# only a comment");
	EXPECT_OK("   # indented comment");
	EXPECT_OK("#port del nosuch");
}

/* True if s is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates). */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int n, cp;

		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
		} else {
			return false;
		}
		for (unsigned int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/*
 * Replies go out as JSON, which must be UTF-8 (RFC 8259 section 8.1). A
 * message that shortens a long word must not cut a character in two:
 * strict clients (Python's json over bytes.decode()) reject the reply.
 */
static void
test_dispatch_messages_utf8(void)
{
	/* "x" and 20 two-byte characters: byte 36 falls inside one. */
	const char *word = "x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	char msg[512];

	CU_ASSERT_FATAL(utf8_valid(word) && strlen(word) == 41);
	EXPECT_INT(dry(fmt("port del %s", word)), -1);
	snprintf(msg, sizeof(msg), "message of port del is UTF-8: \"%s\"", last_err);
	CU_assertImplementation(utf8_valid(last_err), __LINE__, msg, __FILE__, "",
				CU_FALSE);
	EXPECT_INT(dry(word), -1);
	snprintf(msg, sizeof(msg), "message of an unknown command is UTF-8: \"%s\"",
		 last_err);
	CU_assertImplementation(utf8_valid(last_err), __LINE__, msg, __FILE__, "",
				CU_FALSE);
	/* Words short enough to show whole keep their characters. */
	EXPECT_ERR("port del caf\xc3\xa9", bad_name("caf\xc3\xa9"));
	CU_ASSERT(utf8_valid(last_err));
}

static void
test_dispatch_lexical_errors(void)
{
	EXPECT_ERR("port del \"a", "unterminated quote");
	EXPECT_ERR("port del a\x01", "control character in command");
	EXPECT_ERR("port\x7f list", "control character in command");
}

/*
 * The commands without arguments to check: in a dry run they succeed and
 * do nothing, "shutdown" included.
 */
static void
test_cmd_no_args(void)
{
	EXPECT_OK("port list");
	EXPECT_OK("stats");
	EXPECT_OK("stats clear");
	EXPECT_OK("fdb show");
	EXPECT_OK("fdb flush");
	EXPECT_OK("lcore show");
	EXPECT_OK("version");
	EXPECT_OK("help");
	/* check_run_at fails if the dry run asked to quit. */
	EXPECT_OK("shutdown");
}

static void
test_cmd_port_names(void)
{
	static const char *const cmds[] = {
		"port add vhost %s socket /tmp/x.sock",
		"port add eth %s dev 0000:00:04.0",
		"port del %s",
		"port show %s",
		"stats %s",
		"fdb flush %s",
		"fdb add %s 02:00:00:00:00:01",
		"xconnect %s b",
		"xconnect b %s",
		"xconnect del %s",
	};

	ADD_PORT("b");
	for (size_t i = 0; i < RTE_DIM(cmds); i++) {
		EXPECT_ERR(fmt(cmds[i], "\"\""), bad_name(""));
		EXPECT_ERR(fmt(cmds[i], rep('n', 32)), bad_name(rep('n', 32)));
		EXPECT_ERR(fmt(cmds[i], rep('n', 50)),
			   bad_name(fmt("%s...", rep('n', 36))));
		EXPECT_ERR(fmt(cmds[i], "a/b"), bad_name("a/b"));
		EXPECT_ERR(fmt(cmds[i], "\"a b\""), bad_name("a b"));
		EXPECT_ERR(fmt(cmds[i], "a:b"), bad_name("a:b"));
		EXPECT_ERR(fmt(cmds[i], "caf\xc3\xa9"), bad_name("caf\xc3\xa9"));
	}
	/* The boundaries of a good name: 31 characters of the allowed set. */
	ADD_PORT(rep('n', 31));
	ADD_PORT("A-z_0.9");
	EXPECT_OK(fmt("port show %s", rep('n', 31)));
	EXPECT_OK("port show A-z_0.9");
	/* Names are case-sensitive. */
	EXPECT_ERR("port show a-z_0.9", "no port named 'a-z_0.9'");
}

static void
test_cmd_port_add_vhost_options(void)
{
	char p[PATH_MAX];

	tmp_path(p, sizeof(p), "opt.sock");

	EXPECT_ERR("port add vhost a sock /tmp/x.sock",
		   "expected 'socket PATH' after the port name");
	EXPECT_ERR("port add vhost a /tmp/x.sock client",
		   "expected 'socket PATH' after the port name");
	EXPECT_ERR("port add vhost a SOCKET /tmp/x.sock",
		   "expected 'socket PATH' after the port name");
	EXPECT_ERR(fmt("port add vhost a socket %s server", p),
		   "unexpected 'server' (expected client, queues N or offload on|off)");
	EXPECT_ERR(fmt("port add vhost a socket %s client nonsense", p),
		   "unexpected 'nonsense' (expected client, queues N or offload on|off)");
	EXPECT_ERR(fmt("port add vhost a socket %s offload", p),
		   "offload needs on or off");
	EXPECT_ERR(fmt("port add vhost a socket %s offload yes", p),
		   "offload must be on or off, not 'yes'");
	EXPECT_ERR(fmt("port add vhost a socket %s offload ON", p),
		   "offload must be on or off, not 'ON'");
	EXPECT_ERR(fmt("port add vhost a socket %s queues 1 offload", p),
		   "offload needs on or off");
	EXPECT_ERR(fmt("port add vhost a socket %s queues", p),
		   "queues needs a number");
	EXPECT_ERR(fmt("port add vhost a socket %s queues 0", p),
		   "queues must be a number from 1 to 16, not '0'");
	EXPECT_ERR(fmt("port add vhost a socket %s queues 17", p),
		   "queues must be a number from 1 to 16, not '17'");
	EXPECT_ERR(fmt("port add vhost a socket %s queues -1", p),
		   "queues must be a number from 1 to 16, not '-1'");
	EXPECT_ERR(fmt("port add vhost a socket %s queues two", p),
		   "queues must be a number from 1 to 16, not 'two'");
	/* Nothing of the failures above went into the shadow. */
	EXPECT_OK(fmt("port add vhost a socket %s queues 1", p));
	/* Up to 16 queue pairs, in any order with client. */
	EXPECT_OK(fmt("port add vhost m2 socket %s/m2.sock queues 2", tmpdir));
	EXPECT_OK(fmt("port add vhost m16 socket %s/m16.sock client queues 16", tmpdir));
	EXPECT_OK(fmt("port add vhost m4 socket %s/m4.sock queues 4 client", tmpdir));
	EXPECT_OK(fmt("port add vhost b socket %s/b.sock client queues 1", tmpdir));
	EXPECT_OK(fmt("port add vhost c socket %s/c.sock queues 1 client", tmpdir));
	EXPECT_OK(fmt("port add vhost d socket %s/d.sock client client", tmpdir));
	/* Offloads on (the default) or off, anywhere among the options. */
	EXPECT_OK(fmt("port add vhost o1 socket %s/o1.sock offload off", tmpdir));
	EXPECT_OK(fmt("port add vhost o2 socket %s/o2.sock client offload on queues 2", tmpdir));
	EXPECT_OK(fmt("port add vhost o3 socket %s/o3.sock queues 2 client offload off", tmpdir));
}

static void
test_cmd_port_add_vhost_paths(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t room = sizeof(sa.sun_path) - 1 - strlen(tmpdir) - 1;
	char busy[PATH_MAX], stale[PATH_MAX], file[PATH_MAX];
	FILE *f;
	int lfd, sfd;

	tmp_path(busy, sizeof(busy), "busy.sock");
	tmp_path(stale, sizeof(stale), "stale.sock");
	tmp_path(file, sizeof(file), "regular");

	f = fopen(file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);

	/* Server sockets go into an existing directory; clients anywhere. */
	EXPECT_ERR(fmt("port add vhost a socket %s/missing/a.sock", tmpdir),
		   fmt("directory %s/missing does not exist", tmpdir));
	EXPECT_ERR(fmt("port add vhost a socket %s/regular/a.sock", tmpdir),
		   fmt("directory %s/regular does not exist", tmpdir));
	EXPECT_OK(fmt("port add vhost a socket %s/missing/a.sock client", tmpdir));

	/* sun_path holds 107 bytes and a NUL. */
	EXPECT_OK(fmt("port add vhost b socket %s/%s", tmpdir, rep('p', room)));
	EXPECT_ERR(fmt("port add vhost c socket %s/%s", tmpdir, rep('p', room + 1)),
		   "socket path must be 1 to 107 characters");
	EXPECT_ERR(fmt("port add vhost c socket %s/%s client", tmpdir,
		       rep('p', room + 1)),
		   "socket path must be 1 to 107 characters");
	EXPECT_ERR(fmt("port add vhost c socket /%s", rep('p', 900)),
		   "socket path must be 1 to 107 characters");
	EXPECT_ERR("port add vhost c socket \"\"",
		   "socket path must be 1 to 107 characters");

	/* Something else already at the path. */
	EXPECT_ERR(fmt("port add vhost c socket %s", file),
		   fmt("%s exists and is not a socket", file));
	EXPECT_ERR(fmt("port add vhost c socket %s", tmpdir),
		   fmt("%s exists and is not a socket", tmpdir));

	/* A socket somebody listens on belongs to another process. */
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_FATAL(strlen(busy) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, busy, strlen(busy) + 1);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(lfd, 1) == 0);
	EXPECT_ERR(fmt("port add vhost c socket %s", busy),
		   fmt("socket %s is in use by another process", busy));
	/* A client connects to the VMM's server: that is what it is for. */
	EXPECT_OK(fmt("port add vhost c socket %s client", busy));
	close(lfd);

	/* A socket nobody answers on is stale and may be replaced. */
	sfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(sfd >= 0);
	CU_ASSERT_FATAL(strlen(stale) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, stale, strlen(stale) + 1);
	CU_ASSERT_FATAL(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(sfd);
	EXPECT_OK(fmt("port add vhost d socket %s", stale));

	unlink(busy);
	unlink(stale);
	unlink(file);
}

static void
test_cmd_port_add_vhost_duplicates(void)
{
	char pa[PATH_MAX];

	tmp_path(pa, sizeof(pa), "a.sock");
	EXPECT_OK(fmt("port add vhost a socket %s", pa));
	EXPECT_ERR(fmt("port add vhost a socket %s", pa), "a port named 'a' exists");
	EXPECT_ERR(fmt("port add vhost a socket %s/other.sock", tmpdir),
		   "a port named 'a' exists");
	EXPECT_ERR(fmt("port add vhost b socket %s", pa),
		   fmt("socket %s is used by another port", pa));
	EXPECT_ERR(fmt("port add vhost b socket %s client", pa),
		   fmt("socket %s is used by another port", pa));
	/* A client's path is taken as well as a server's. */
	EXPECT_OK(fmt("port add vhost c socket %s/c.sock client", tmpdir));
	EXPECT_ERR(fmt("port add vhost d socket %s/c.sock", tmpdir),
		   fmt("socket %s/c.sock is used by another port", tmpdir));
	/* The name is checked before the path. */
	EXPECT_ERR(fmt("port add vhost c socket %s", pa), "a port named 'c' exists");
}

static void
test_cmd_port_add_del_sequence(void)
{
	char pa[PATH_MAX];

	tmp_path(pa, sizeof(pa), "a.sock");
	/* Removing a port frees its name and its socket path. */
	EXPECT_OK(fmt("port add vhost a socket %s", pa));
	EXPECT_OK("port del a");
	EXPECT_OK(fmt("port add vhost a socket %s", pa));
	EXPECT_OK("port del a");
	EXPECT_OK(fmt("port add vhost b socket %s", pa));
	EXPECT_ERR(fmt("port add vhost a socket %s", pa),
		   fmt("socket %s is used by another port", pa));
	EXPECT_OK(fmt("port add vhost a socket %s/a2.sock", tmpdir));
	EXPECT_ERR("port del c", "no port named 'c'");
	EXPECT_OK("port del a");
	EXPECT_ERR("port del a", "no port named 'a'");
	EXPECT_ERR("port show a", "no port named 'a'");
	EXPECT_ERR("fdb add a 02:00:00:00:00:01", "no port named 'a'");
	EXPECT_OK("port show b");
	EXPECT_OK("port del b");
	EXPECT_OK(fmt("port add vhost a socket %s", pa));
}

static void
test_cmd_shadow_is_per_run(void)
{
	/* The ports of an earlier dry run are gone with its shadow. */
	EXPECT_ERR("port del a", "no port named 'a'");
	ADD_PORT("a");
	vs_cmd_shadow_free(shadow);
	shadow = vs_cmd_shadow_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(shadow);
	EXPECT_ERR("port del a", "no port named 'a'");
	ADD_PORT("a");

	/* Without a shadow a dry run checks each line on its own. */
	vs_cmd_shadow_free(shadow);
	shadow = NULL;
	EXPECT_ERR("port del a", "no port named 'a'");
	ADD_PORT("a");
	ADD_PORT("a");
	EXPECT_ERR("port del a", "no port named 'a'");
}

/*
 * The shadow has room for 2 * VS_MAX_PORTS changes. A long config file
 * that adds and removes ports goes beyond that, and the dry run must
 * still judge later lines as the real run will.
 */
static void
test_cmd_shadow_many_changes(void)
{
	char pp[PATH_MAX], pq[PATH_MAX];

	tmp_path(pp, sizeof(pp), "p.sock");
	tmp_path(pq, sizeof(pq), "q.sock");

	for (int i = 0; i < VS_MAX_PORTS; i++) {
		EXPECT_OK(fmt("port add vhost p socket %s", pp));
		EXPECT_OK("port del p");
	}
	EXPECT_OK(fmt("port add vhost p socket %s", pp));
	/* The real run would say this; the dry run must too. */
	EXPECT_ERR(fmt("port add vhost p socket %s", pp), "a port named 'p' exists");
	EXPECT_ERR(fmt("port add vhost x socket %s", pp),
		   fmt("socket %s is used by another port", pp));
	/* And what the real run accepts, the dry run must accept. */
	EXPECT_OK(fmt("port add vhost q socket %s", pq));
	EXPECT_OK("port show q");
	EXPECT_OK("port del q");
}

/*
 * The dry run must reject what the real run will: the registry holds
 * VS_MAX_PORTS ports, and the real run answers "too many ports (at most
 * 256)" for the next one after opening all the others.
 */
static void
test_cmd_shadow_port_limit(void)
{
	for (int i = 0; i < VS_MAX_PORTS; i++)
		EXPECT_OK(fmt("port add vhost p%d socket %s/p%d.sock client", i,
			      tmpdir, i));
	EXPECT_ERR(fmt("port add vhost extra socket %s/extra.sock client", tmpdir),
		   "too many ports (at most 256)");
	EXPECT_OK("port del p0");
	EXPECT_OK(fmt("port add vhost extra socket %s/extra.sock client", tmpdir));
}

static void
test_cmd_port_add_eth(void)
{
	/* The dry run checks the words; the device is probed for real only. */
	EXPECT_OK("port add eth e0 dev 0000:00:04.0");
	EXPECT_OK("port add eth e1 dev net_null0 queues 1");
	EXPECT_OK("port add eth e2 dev net_null1 queues 16");
	EXPECT_ERR("port add eth e2 dev net_null2", "a port named 'e2' exists");
	EXPECT_ERR("port add eth e3 dev \"\"", "DEVARGS must be 1 to 255 characters");
	EXPECT_ERR("port add eth e/0 dev 0000:00:04.0", bad_name("e/0"));
	EXPECT_ERR("port add eth e0 devargs 0000:00:04.0",
		   "expected 'dev DEVARGS' after the port name");
	EXPECT_ERR("port add eth e0 dev 0000:00:04.0 client",
		   "unexpected 'client' (expected queues N or offload on|off)");
	EXPECT_ERR("port add eth e0 dev net_null0 offload", "offload needs on or off");
	EXPECT_ERR("port add eth e0 dev net_null0 offload 1",
		   "offload must be on or off, not '1'");
	EXPECT_OK("port add eth e5 dev net_null5 offload off");
	EXPECT_OK("port add eth e6 dev net_null6 queues 2 offload on");
	EXPECT_ERR("port add eth e0 dev net_null0 queues",
		   "queues needs a number");
	EXPECT_ERR("port add eth e0 dev net_null0 queues 0",
		   "queues must be a number from 1 to 16, not '0'");
	EXPECT_ERR("port add eth e0 dev net_null0 queues 17",
		   "queues must be a number from 1 to 16, not '17'");
	/* The refused lines left nothing behind: e3 was never added. */
	EXPECT_ERR("port del e3", "no port named 'e3'");
	EXPECT_OK("port del e0");
}

static void
test_cmd_port_del_show(void)
{
	EXPECT_ERR("port del nosuch", "no port named 'nosuch'");
	EXPECT_ERR("port show nosuch", "no port named 'nosuch'");
	EXPECT_ERR("stats nosuch", "no port named 'nosuch'");
	EXPECT_ERR("fdb flush nosuch", "no port named 'nosuch'");
	ADD_PORT("a");
	EXPECT_OK("port show a");
	EXPECT_OK("stats a");
	EXPECT_OK("fdb flush a");
	EXPECT_OK("port del a");
	EXPECT_ERR("fdb flush a", "no port named 'a'");
}

static void
test_cmd_fdb_add(void)
{
	/* The word on the command line, and the MAC the handler sees. */
	static const struct {
		const char *word;
		const char *mac;
	} bad_macs[] = {
		{ "02:00:00:00:00:1", "02:00:00:00:00:1" },         /* too short */
		{ "02:00:00:00:00:100", "02:00:00:00:00:100" },     /* too long */
		{ "02:00:00:00:00", "02:00:00:00:00" },             /* five bytes */
		{ "02:00:00:00:00:01:02", "02:00:00:00:00:01:02" }, /* seven */
		{ "020000000001", "020000000001" },                 /* no colons */
		{ "02-00-00-00-00-01", "02-00-00-00-00-01" },
		{ "02.00.00.00.00.01", "02.00.00.00.00.01" },
		{ "02:00:00:00:00:0g", "02:00:00:00:00:0g" },       /* not hex */
		{ "0x:00:00:00:00:01", "0x:00:00:00:00:01" },
		{ "g2:00:00:00:00:01", "g2:00:00:00:00:01" },
		{ "\" 2:00:00:00:00:01\"", " 2:00:00:00:00:01" },
		{ "\"02:00:00:00:00: 1\"", "02:00:00:00:00: 1" },
		{ "2:00:00:00:00:001", "2:00:00:00:00:001" },       /* colons moved */
		{ "02:000:00:00:00:1", "02:000:00:00:00:1" },
		{ "02::00:00:00:00:1", "02::00:00:00:00:1" },
		{ ":02:00:00:00:00:1", ":02:00:00:00:00:1" },
		{ "\"\"", "" },
	};

	ADD_PORT("a");
	for (size_t i = 0; i < RTE_DIM(bad_macs); i++) {
		const char *want = fmt("'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)",
				       bad_macs[i].mac);

		EXPECT_ERR(fmt("fdb add a %s", bad_macs[i].word), want);
		EXPECT_ERR(fmt("fdb del %s", bad_macs[i].word), want);
	}
	EXPECT_ERR(fmt("fdb add a %s", rep('0', 60)),
		   fmt("'%s...' is not a MAC address (xx:xx:xx:xx:xx:xx)",
		       rep('0', 36)));

	/* Well-formed but no station: group (multicast, broadcast) or zero. */
	EXPECT_ERR("fdb add a 01:00:00:00:00:01",
		   "01:00:00:00:00:01 is not a station address (zero or group)");
	EXPECT_ERR("fdb add a 01:00:5e:00:00:fb",
		   "01:00:5e:00:00:fb is not a station address (zero or group)");
	EXPECT_ERR("fdb add a 33:33:00:00:00:01",
		   "33:33:00:00:00:01 is not a station address (zero or group)");
	EXPECT_ERR("fdb add a ff:ff:ff:ff:ff:ff",
		   "ff:ff:ff:ff:ff:ff is not a station address (zero or group)");
	EXPECT_ERR("fdb add a 00:00:00:00:00:00",
		   "00:00:00:00:00:00 is not a station address (zero or group)");

	/* Stations, in either case, locally administered or not. */
	EXPECT_OK("fdb add a 02:00:00:00:00:01");
	EXPECT_OK("fdb add a 00:00:00:00:00:01");
	EXPECT_OK("fdb add a 52:54:00:AB:cd:Ef");
	EXPECT_OK("fdb add a fe:ff:ff:ff:ff:ff");

	/* The port is checked first. */
	EXPECT_ERR("fdb add b 02:00:00:00:00:01", "no port named 'b'");
	EXPECT_ERR("fdb add b zz", "no port named 'b'");
	EXPECT_ERR("fdb add b/ zz", bad_name("b/"));

	/* "fdb del" takes any well-formed MAC: it only names an entry. */
	EXPECT_OK("fdb del 02:00:00:00:00:01");
	EXPECT_OK("fdb del ff:ff:ff:ff:ff:ff");
}

static void
test_arg_mac(void)
{
	struct vs_cmd_ctx ctx = { .dry_run = true };
	uint64_t mac = 0;

	/*
	 * The first byte on the wire is the key's low byte, which puts the
	 * group bit at bit 0 where vs_mac_is_multicast() looks.
	 */
	EXPECT_INT(vs_arg_mac(&ctx, "01:02:03:04:05:06", &mac), 0);
	EXPECT_INT(mac, 0x060504030201ULL);
	EXPECT_INT(vs_arg_mac(&ctx, "fF:00:00:00:00:Aa", &mac), 0);
	EXPECT_INT(mac, 0xaa00000000ffULL);
	EXPECT_STR(ctx.err, "");
	mac = 42;
	EXPECT_INT(vs_arg_mac(&ctx, "01:02:03:04:05", &mac), -1);
	EXPECT_INT(mac, 42);
	EXPECT_STR(ctx.err, "'01:02:03:04:05' is not a MAC address (xx:xx:xx:xx:xx:xx)");
}

static void
test_arg_uint(void)
{
	struct vs_cmd_ctx ctx = { .dry_run = true };
	uint64_t v = 0;

	EXPECT_INT(vs_arg_uint(&ctx, "n", "18446744073709551615", 0, UINT64_MAX, &v), 0);
	CU_ASSERT(v == UINT64_MAX);
	EXPECT_INT(vs_arg_uint(&ctx, "n", "0", 0, 5, &v), 0);
	EXPECT_INT(v, 0);
	EXPECT_INT(vs_arg_uint(&ctx, "n", "007", 0, 10, &v), 0);
	EXPECT_INT(v, 7);
	EXPECT_STR(ctx.err, "");
	v = 99;
	EXPECT_INT(vs_arg_uint(&ctx, "n", "18446744073709551616", 0, UINT64_MAX, &v), -1);
	EXPECT_INT(v, 99);
	EXPECT_STR(ctx.err, "n must be a number from 0 to 18446744073709551615, "
		   "not '18446744073709551616'");
	ctx.err[0] = '\0';
	EXPECT_INT(vs_arg_uint(&ctx, "n", "", 0, 5, &v), -1);
	EXPECT_STR(ctx.err, "n must be a number from 0 to 5, not ''");
	ctx.err[0] = '\0';
	EXPECT_INT(vs_arg_uint(&ctx, "n", rep('9', 45), 0, 5, &v), -1);
	EXPECT_STR(ctx.err, fmt("n must be a number from 0 to 5, not '%s...'",
				rep('9', 36)));
}

static void
test_cmd_bridge_aging(void)
{
	static const char *const bad[] = {
		"0", "1000001", "-1", "12abc", "abc", "0x10", "+5", "1.5", "1e3",
		"\" 5\"", "\"5 \"", "\"\"", "99999999999999999999999",
		"18446744073709551616",
	};

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		const char *shown = bad[i];

		if (bad[i][0] == '"')
			shown = fmt("%.*s", (int)strlen(bad[i]) - 2, bad[i] + 1);
		EXPECT_ERR(fmt("bridge aging %s", bad[i]),
			   fmt("aging must be a number from 1 to 1000000, not '%s'",
			       shown));
	}
	EXPECT_OK("bridge aging 1");
	EXPECT_OK("bridge aging 300");
	EXPECT_OK("bridge aging 1000000");
	EXPECT_OK("bridge aging 0300");
}

static void
test_cmd_log_level(void)
{
	static const char *const levels[] = {
		"emerg", "alert", "crit", "err", "error", "warning", "notice",
		"info", "debug",
	};
	static const char *const components[] = {
		"all", "config", "data", "vhost", "eal",
	};
	const char *bad_level = "unknown log level '%s' "
				"(emerg alert crit err warning notice info debug)";
	const char *bad_comp = "unknown component '%s' (all config data vhost eal)";

	for (size_t i = 0; i < RTE_DIM(levels); i++) {
		EXPECT_OK(fmt("log level %s", levels[i]));
		for (size_t j = 0; j < RTE_DIM(components); j++)
			EXPECT_OK(fmt("log level %s %s", components[j], levels[i]));
	}
	EXPECT_ERR("log level loud", fmt(bad_level, "loud"));
	EXPECT_ERR("log level DEBUG", fmt(bad_level, "DEBUG"));
	EXPECT_ERR("log level 7", fmt(bad_level, "7"));
	EXPECT_ERR("log level \"\"", fmt(bad_level, ""));
	EXPECT_ERR("log level kernel debug", fmt(bad_comp, "kernel"));
	EXPECT_ERR("log level ALL debug", fmt(bad_comp, "ALL"));
	EXPECT_ERR("log level \"\" debug", fmt(bad_comp, ""));
	/* The level is checked first, so swapped words blame the level. */
	EXPECT_ERR("log level debug vhost", fmt(bad_level, "vhost"));
	EXPECT_ERR("log level kernel loud", fmt(bad_level, "loud"));
}

static void
test_cmd_xconnect(void)
{
	EXPECT_ERR("xconnect a a", "no port named 'a'");
	ADD_PORT("a");
	EXPECT_ERR("xconnect a a", "cannot cross-connect a port with itself");
	EXPECT_ERR("xconnect a b", "no port named 'b'");
	EXPECT_ERR("xconnect b a", "no port named 'b'");
	EXPECT_ERR("xconnect a b/", bad_name("b/"));
	ADD_PORT("b");
	EXPECT_OK("xconnect a b");
	EXPECT_OK("xconnect del a");
	EXPECT_OK("xconnect del b");
	EXPECT_ERR("xconnect del c", "no port named 'c'");
	EXPECT_ERR("xconnect del c/", bad_name("c/"));
}

/*
 * Config scripts.
 */

static void
check_line_at(const struct vs_script *s, unsigned int i, const char *source,
	      unsigned int lineno, const char *text, const char *file,
	      unsigned int at)
{
	char msg[512];
	bool ok = i < s->n && strcmp(s->lines[i].source, source) == 0 &&
		  s->lines[i].lineno == lineno && strcmp(s->lines[i].text, text) == 0;

	snprintf(msg, sizeof(msg), "script line %u: got %s:%u \"%.200s\", want %s:%u \"%s\"",
		 i, i < s->n ? s->lines[i].source : "-", i < s->n ? s->lines[i].lineno : 0,
		 i < s->n ? s->lines[i].text : "-", source, lineno, text);
	CU_assertImplementation(ok, at, msg, file, "", CU_FALSE);
}

#define EXPECT_LINE(s, i, source, lineno, text) \
	check_line_at((s), (i), (source), (lineno), (text), __FILE__, __LINE__)

static int
load(struct vs_script *s, const char *source, const char *data, size_t len,
     char *err, size_t errlen)
{
	snprintf(err, errlen, "untouched");
	return vs_script_load_buf(s, source, data, len, err, errlen);
}

static void
test_script_load_lines(void)
{
	const char *text = fmt("# vhostswitch.conf\n"
			       "\n"
			       "port add vhost a socket %s/a.sock   # first\n"
			       "   \t\n"
			       "bridge aging 30\r\n"
			       "version", tmpdir);
	struct vs_script s = { 0 };
	char err[256];

	EXPECT_INT(load(&s, "t.conf", text, strlen(text), err, sizeof(err)), 0);
	EXPECT_INT(s.n, 6);
	EXPECT_LINE(&s, 0, "t.conf", 1, "# vhostswitch.conf");
	EXPECT_LINE(&s, 1, "t.conf", 2, "");
	EXPECT_LINE(&s, 2, "t.conf", 3,
		    fmt("port add vhost a socket %s/a.sock   # first", tmpdir));
	EXPECT_LINE(&s, 3, "t.conf", 4, "   \t");
	/* The CR of a CR LF line end is not part of the line. */
	EXPECT_LINE(&s, 4, "t.conf", 5, "bridge aging 30");
	EXPECT_LINE(&s, 5, "t.conf", 6, "version");
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), 0);
	vs_script_free(&s);
	EXPECT_INT(s.n, 0);
	CU_ASSERT_PTR_NULL(s.lines);

	/* A final newline ends the last line; it starts no new one. */
	EXPECT_INT(load(&s, "t.conf", "a\nb\n", 4, err, sizeof(err)), 0);
	EXPECT_INT(s.n, 2);
	EXPECT_LINE(&s, 1, "t.conf", 2, "b");
	vs_script_free(&s);
	EXPECT_INT(load(&s, "t.conf", "\n", 1, err, sizeof(err)), 0);
	EXPECT_INT(s.n, 1);
	EXPECT_LINE(&s, 0, "t.conf", 1, "");
	vs_script_free(&s);
	EXPECT_INT(load(&s, "t.conf", "", 0, err, sizeof(err)), 0);
	EXPECT_INT(s.n, 0);
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), 0);
	vs_script_free(&s);

	/* Two sources in one script keep their own names and numbers. */
	EXPECT_INT(load(&s, "command line", "help", 4, err, sizeof(err)), 0);
	EXPECT_INT(load(&s, "b.conf", "version\nhelp", strlen("version\nhelp"), err,
			sizeof(err)), 0);
	EXPECT_INT(s.n, 3);
	EXPECT_LINE(&s, 0, "command line", 1, "help");
	EXPECT_LINE(&s, 1, "b.conf", 1, "version");
	EXPECT_LINE(&s, 2, "b.conf", 2, "help");
	vs_script_free(&s);
}

static void
test_script_load_errors(void)
{
	static const char nul[] = "help\nver\0sion\nhelp";
	struct vs_script s = { 0 };
	char *big;
	char err[256];
	size_t len;

	EXPECT_INT(load(&s, "t.conf", nul, sizeof(nul) - 1, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:2: NUL byte in line");
	vs_script_free(&s);
	EXPECT_INT(load(&s, "t.conf", "\0", 1, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:1: NUL byte in line");
	vs_script_free(&s);

	/* VS_CMD_LINE_MAX bytes make a line, one more does not. */
	big = malloc(3 * VS_CMD_LINE_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	len = (size_t)snprintf(big, 3 * VS_CMD_LINE_MAX, "help\n#%s\nversion\n",
			       rep('x', VS_CMD_LINE_MAX - 1));
	EXPECT_INT(load(&s, "t.conf", big, len, err, sizeof(err)), 0);
	EXPECT_INT(s.n, 3);
	vs_script_free(&s);
	len = (size_t)snprintf(big, 3 * VS_CMD_LINE_MAX, "help\n\n#%s\nversion\n",
			       rep('x', VS_CMD_LINE_MAX));
	EXPECT_INT(load(&s, "t.conf", big, len, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:3: line longer than 1024 bytes");
	vs_script_free(&s);
	/* The last line needs no newline to be measured. */
	len = (size_t)snprintf(big, 3 * VS_CMD_LINE_MAX, "#%s", rep('x', VS_CMD_LINE_MAX));
	EXPECT_INT(load(&s, "t.conf", big, len, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:1: line longer than 1024 bytes");
	vs_script_free(&s);
	free(big);

	/* VS_SCRIPT_LINES_MAX lines, then one too many. */
	big = malloc(VS_SCRIPT_LINES_MAX + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, '\n', VS_SCRIPT_LINES_MAX + 1);
	EXPECT_INT(load(&s, "t.conf", big, VS_SCRIPT_LINES_MAX, err, sizeof(err)), 0);
	EXPECT_INT(s.n, VS_SCRIPT_LINES_MAX);
	vs_script_free(&s);
	EXPECT_INT(load(&s, "t.conf", big, VS_SCRIPT_LINES_MAX + 1, err, sizeof(err)),
		   -ENOSPC);
	EXPECT_STR(err, "t.conf:4097: too many lines (at most 4096)");
	vs_script_free(&s);
	free(big);
}

static void
test_script_load_file(void)
{
	char path[PATH_MAX], missing[PATH_MAX];
	struct vs_script s = { 0 };
	char err[512];
	FILE *f;

	tmp_path(path, sizeof(path), "t.conf");
	tmp_path(missing, sizeof(missing), "missing.conf");

	EXPECT_INT(vs_script_load_file(&s, missing, err, sizeof(err)), -ENOENT);
	EXPECT_STR(err, fmt("%s: No such file or directory", missing));
	vs_script_free(&s);

	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "# test\nport add vhost a socket %s/a.sock\nport del b\n", tmpdir);
	fclose(f);
	EXPECT_INT(vs_script_load_file(&s, path, err, sizeof(err)), 0);
	EXPECT_INT(s.n, 3);
	EXPECT_LINE(&s, 2, path, 3, "port del b");
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, fmt("%s:3: no port named 'b'", path));
	vs_script_free(&s);

	/* Larger than the first read buffer: the reader grows it. */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int i = 0; i < 300; i++)
		fprintf(f, "bridge aging %d\n", i + 1);
	fprintf(f, "bridge aging 0\n");
	fclose(f);
	EXPECT_INT(vs_script_load_file(&s, path, err, sizeof(err)), 0);
	EXPECT_INT(s.n, 301);
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, fmt("%s:301: aging must be a number from 1 to 1000000, not '0'",
			    path));
	vs_script_free(&s);
	unlink(path);
}

static void
test_script_check(void)
{
	struct vs_script s = { 0 };
	const char *text;
	char err[512];

	text = fmt("# ports\n"
		   "port add vhost a socket %s/a.sock\n"
		   "\n"
		   "port add vhost b socket %s/b.sock client\n"
		   "xconnect a b\n"
		   "bridge aging 0\n"
		   "bogus\n",
		   tmpdir, tmpdir);
	EXPECT_INT(load(&s, "t.conf", text, strlen(text), err, sizeof(err)), 0);
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:6: aging must be a number from 1 to 1000000, not '0'");
	vs_script_free(&s);

	/* The lines of one check share one shadow. */
	text = fmt("port add vhost a socket %s/a.sock\n"
		   "port del a\n"
		   "port add vhost a socket %s/a.sock\n"
		   "fdb add a 02:00:00:00:00:01\n"
		   "# a again\n"
		   "port add vhost a socket %s/a2.sock\n",
		   tmpdir, tmpdir, tmpdir);
	EXPECT_INT(load(&s, "t.conf", text, strlen(text), err, sizeof(err)), 0);
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:6: a port named 'a' exists");
	vs_script_free(&s);

	/* Lexical errors and usage errors carry their place too. */
	text = "help\nport del \"a\n";
	EXPECT_INT(load(&s, "t.conf", text, strlen(text), err, sizeof(err)), 0);
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:2: unterminated quote");
	vs_script_free(&s);
	text = "help\n\nstats a b\n";
	EXPECT_INT(load(&s, "t.conf", text, strlen(text), err, sizeof(err)), 0);
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "t.conf:3: usage: stats [NAME]");
	vs_script_free(&s);

	/* The message names the source of the failing line. */
	text = fmt("port add vhost a socket %s/a.sock", tmpdir);
	EXPECT_INT(load(&s, "command line", text, strlen(text), err, sizeof(err)), 0);
	text = fmt("version\nport add vhost b socket %s/a.sock\n", tmpdir);
	EXPECT_INT(load(&s, "b.conf", text, strlen(text), err, sizeof(err)), 0);
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, fmt("b.conf:2: socket %s/a.sock is used by another port", tmpdir));
	/* Checking twice gives the same answer: each check has its own shadow. */
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, fmt("b.conf:2: socket %s/a.sock is used by another port", tmpdir));
	vs_script_free(&s);

	/* A good script passes, every command in it. */
	text = fmt("port add vhost a socket %s/a.sock\n"
		   "port add vhost b socket %s/b.sock client queues 1\n"
		   "bridge aging 300\n"
		   "fdb add a 52:54:00:00:00:01\n"
		   "fdb del 52:54:00:00:00:01\n"
		   "fdb flush a\nfdb flush\nfdb show\n"
		   "xconnect a b\nxconnect del a\n"
		   "log level data debug\nlog level info\n"
		   "port list\nport show a\nstats\nstats a\nstats clear\n"
		   "lcore show\nversion\nhelp\n"
		   "port del a\nport del b\n"
		   "shutdown\n",
		   tmpdir, tmpdir);
	EXPECT_INT(load(&s, "good.conf", text, strlen(text), err, sizeof(err)), 0);
	snprintf(err, sizeof(err), "untouched");
	EXPECT_INT(vs_script_check(&s, err, sizeof(err)), 0);
	vs_script_free(&s);
}

/*
 * Reply writers.
 */

static void
check_json_at(const struct vs_val *v, const char *want, const char *file,
	      unsigned int lineno)
{
	struct vs_buf b = { 0 };

	vs_val_to_json(v, &b);
	check_str_at(b.p, want, "JSON", file, lineno);
	check_int_at((long long)b.len, (long long)strlen(want), "JSON length", file,
		     lineno);
	vs_buf_free(&b);
}

static void
check_text_at(const struct vs_val *v, const char *want, const char *file,
	      unsigned int lineno)
{
	struct vs_buf b = { 0 };

	vs_val_to_text(v, &b);
	check_str_at(b.p ? b.p : "", want, "text", file, lineno);
	vs_buf_free(&b);
}

#define EXPECT_JSON(v, want) check_json_at((v), (want), __FILE__, __LINE__)
#define EXPECT_TEXT(v, want) check_text_at((v), (want), __FILE__, __LINE__)

static void
test_val_json_escapes(void)
{
	struct vs_val *o = vs_val_new_obj();

	vs_val_add_str(o, "s", "q\"b\\s/\n\t\x01\x1f\x7f caf\xc3\xa9");
	vs_val_add_str(o, "k\"\\\n", "");
	vs_val_add_str(o, "null", NULL);
	EXPECT_JSON(o, "{\"s\":\"q\\\"b\\\\s/\\n\\u0009\\u0001\\u001f\\u007f caf\xc3\xa9\","
		       "\"k\\\"\\\\\\n\":\"\",\"null\":\"\"}");
	vs_val_free(o);

	/* Formatted strings are escaped like the others. */
	o = vs_val_new_obj();
	vs_val_add_strf(o, "error", "bad port name '%s'", "a\"b");
	EXPECT_JSON(o, "{\"error\":\"bad port name 'a\\\"b'\"}");
	vs_val_free(o);
}

static void
test_val_json_types(void)
{
	struct vs_val *o = vs_val_new_obj();
	struct vs_val *arr, *row;

	EXPECT_JSON(o, "{}");
	vs_val_add_u64(o, "u", UINT64_MAX);
	vs_val_add_i64(o, "i", INT64_MIN);
	vs_val_add_dbl(o, "d", 0.5);
	vs_val_add_dbl(o, "big", 1e20);
	vs_val_add_dbl(o, "nan", NAN);
	vs_val_add_dbl(o, "inf", -INFINITY);
	vs_val_add_bool(o, "t", true);
	vs_val_add_bool(o, "f", false);
	arr = vs_val_add_arr(o, "a");
	vs_val_add_u64(arr, NULL, 1);
	vs_val_add_str(arr, NULL, "x");
	row = vs_val_add_obj(arr, NULL);
	vs_val_add_arr(row, "empty");
	vs_val_add_obj(o, "o");
	EXPECT_JSON(o, "{\"u\":18446744073709551615,\"i\":-9223372036854775808,"
		       "\"d\":0.5,\"big\":1e+20,\"nan\":null,\"inf\":null,"
		       "\"t\":true,\"f\":false,\"a\":[1,\"x\",{\"empty\":[]}],\"o\":{}}");
	vs_val_free(o);
}

static void
test_val_text(void)
{
	struct vs_val *o = vs_val_new_obj();
	struct vs_val *sub, *arr;

	EXPECT_TEXT(o, "");
	vs_val_add_str(o, "name", "vm1");
	vs_val_add_u64(o, "rx_packets", 12);
	vs_val_add_i64(o, "vid", -1);
	vs_val_add_dbl(o, "busy", 2.0 / 3.0);
	vs_val_add_dbl(o, "nan", NAN);
	vs_val_add_bool(o, "up", true);
	vs_val_add_bool(o, "down", false);
	sub = vs_val_add_obj(o, "drops");
	vs_val_add_u64(sub, "a", 1);
	vs_val_add_u64(sub, "bb", 22);
	vs_val_add_arr(o, "nothing");
	vs_val_add_str(o, "message", "said as is");
	EXPECT_TEXT(o, "name        vm1\n"
		       "rx_packets  12\n"
		       "vid         -1\n"
		       "busy        0.667\n"
		       "nan         -\n"
		       "up          yes\n"
		       "down        no\n"
		       "drops:\n"
		       "  a   1\n"
		       "  bb  22\n"
		       "said as is\n");
	vs_val_free(o);

	/* Arrays of scalars go on one line. */
	o = vs_val_new_obj();
	arr = vs_val_add_arr(o, "ids");
	vs_val_add_u64(arr, NULL, 1);
	vs_val_add_str(arr, NULL, "two");
	vs_val_add_u64(arr, NULL, 3);
	EXPECT_TEXT(o, "ids  1 two 3\n");
	vs_val_free(o);
}

static void
test_val_text_tables(void)
{
	struct vs_val *o = vs_val_new_obj();
	struct vs_val *arr, *row;

	/* A reply that is just one table prints it without a title. */
	arr = vs_val_add_arr(o, "ports");
	row = vs_val_add_obj(arr, NULL);
	vs_val_add_str(row, "name", "a");
	vs_val_add_u64(row, "rx", 1);
	vs_val_add_str(row, "state", "up");
	row = vs_val_add_obj(arr, NULL);
	vs_val_add_str(row, "name", "long-name");
	vs_val_add_u64(row, "rx", 12345);
	vs_val_add_str(row, "state", "down");
	EXPECT_TEXT(o, "name       rx     state\n"
		       "a          1      up\n"
		       "long-name  12345  down\n");
	EXPECT_TEXT(arr, "name       rx     state\n"
			 "a          1      up\n"
			 "long-name  12345  down\n");

	/* Beside other members it gets a title and an indent. */
	vs_val_add_u64(o, "mbufs", 7);
	EXPECT_TEXT(o, "ports:\n"
		       "  name       rx     state\n"
		       "  a          1      up\n"
		       "  long-name  12345  down\n"
		       "mbufs  7\n");
	vs_val_free(o);

	/* Columns come from the first row; missing cells are blank. */
	o = vs_val_new_obj();
	vs_val_add_u64(o, "count", 2);
	arr = vs_val_add_arr(o, "entries");
	row = vs_val_add_obj(arr, NULL);
	vs_val_add_str(row, "mac", "02:00:00:00:00:01");
	vs_val_add_str(row, "port", "a");
	row = vs_val_add_obj(arr, NULL);
	vs_val_add_str(row, "port", "bb");
	vs_val_add_str(row, "extra", "ignored");
	vs_val_add_obj(row, "mac");
	EXPECT_TEXT(o, "count  2\n"
		       "entries:\n"
		       "  mac                port\n"
		       "  02:00:00:00:00:01  a\n"
		       "  ...                bb\n");
	vs_val_free(o);
}

static void
test_buf_printf(void)
{
	struct vs_buf b = { 0 };

	/* Growth across the first buffer keeps the text whole. */
	for (int i = 0; i < 100; i++)
		vs_buf_printf(&b, "%s", "0123456789");
	EXPECT_INT(b.len, 1000);
	EXPECT_INT(strlen(b.p), 1000);
	CU_ASSERT(b.cap > b.len);
	vs_buf_printf(&b, "%s", rep('z', 1500));
	EXPECT_INT(b.len, 2500);
	EXPECT_INT(strlen(b.p), 2500);
	CU_ASSERT(memcmp(b.p + 990, "0123456789zz", 12) == 0);
	vs_buf_free(&b);
	CU_ASSERT_PTR_NULL(b.p);
	EXPECT_INT(b.len, 0);
}

/* Runs last: it fills the registry. */
static void
test_register_full(void)
{
	/* More than the registry's 64 slots, whatever is registered already. */
	static char names[64][16];
	static struct vs_cmd fill[64];
	unsigned int n = 0;
	int ret = 0;
	unsigned int added = 0;

	vs_cmd_foreach(count_cmd, &n);
	for (unsigned int i = 0; i < RTE_DIM(fill) && ret == 0; i++) {
		snprintf(names[i], sizeof(names[i]), "fill %u", i);
		fill[i] = (struct vs_cmd){ names[i], "", "Fills.", 0, 0, noop_fn };
		ret = vs_cmd_register(&fill[i]);
		if (ret == 0)
			added++;
	}
	/* The registry holds 64 commands. */
	EXPECT_INT(ret, -ENOSPC);
	EXPECT_INT(n + added, 64);
	/* The commands registered before still dispatch. */
	EXPECT_OK("fill 0");
	EXPECT_ERR("fill 0 x", "usage: fill 0");
	EXPECT_OK("help");
}

static int
suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	vs_cmds_register();
	for (size_t i = 0; i < RTE_DIM(zz_cmds); i++)
		if (vs_cmd_register(&zz_cmds[i]) != 0)
			return -1;
	return 0;
}

static int
suite_clean(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	/* A failed test may leave files behind; they go with the directory. */
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	return rmdir(tmpdir);
}

static void
test_setup(void)
{
	shadow = vs_cmd_shadow_new();
}

static void
test_teardown(void)
{
	vs_cmd_shadow_free(shadow);
	shadow = NULL;
}

int
main(void)
{
	static const struct vs_cunit_hooks hooks = {
		.init = suite_init,
		.clean = suite_clean,
		.setup = test_setup,
		.teardown = test_teardown,
	};
	static const struct vs_cunit_test tests[] = {
		{ "tokenize: plain words", test_tokenize_plain },
		{ "tokenize: blanks", test_tokenize_blanks },
		{ "tokenize: quotes", test_tokenize_quotes },
		{ "tokenize: escapes", test_tokenize_escapes },
		{ "tokenize: comments", test_tokenize_comments },
		{ "tokenize: errors", test_tokenize_errors },
		{ "tokenize: empty", test_tokenize_empty },
		{ "register: bad commands", test_register },
		{ "dispatch: argv", test_dispatch_argv },
		{ "dispatch: word limit", test_dispatch_word_limit },
		{ "dispatch: unknown command", test_dispatch_unknown },
		{ "dispatch: usage", test_dispatch_usage },
		{ "dispatch: longest match", test_dispatch_longest_match },
		{ "dispatch: line length", test_dispatch_line_length },
		{ "dispatch: empty lines", test_dispatch_empty },
		{ "dispatch: lexical errors", test_dispatch_lexical_errors },
		{ "dispatch: messages stay UTF-8", test_dispatch_messages_utf8 },
		{ "cmd: no arguments", test_cmd_no_args },
		{ "cmd: port names", test_cmd_port_names },
		{ "cmd: port add vhost options", test_cmd_port_add_vhost_options },
		{ "cmd: port add vhost paths", test_cmd_port_add_vhost_paths },
		{ "cmd: port add vhost duplicates", test_cmd_port_add_vhost_duplicates },
		{ "cmd: port add/del sequence", test_cmd_port_add_del_sequence },
		{ "cmd: shadow per dry run", test_cmd_shadow_is_per_run },
		{ "cmd: shadow after many changes", test_cmd_shadow_many_changes },
		{ "cmd: shadow port limit", test_cmd_shadow_port_limit },
		{ "cmd: port add eth", test_cmd_port_add_eth },
		{ "cmd: port del/show", test_cmd_port_del_show },
		{ "cmd: fdb add/del", test_cmd_fdb_add },
		{ "arg: mac", test_arg_mac },
		{ "arg: uint", test_arg_uint },
		{ "cmd: bridge aging", test_cmd_bridge_aging },
		{ "cmd: log level", test_cmd_log_level },
		{ "cmd: xconnect", test_cmd_xconnect },
		{ "script: lines", test_script_load_lines },
		{ "script: load errors", test_script_load_errors },
		{ "script: load file", test_script_load_file },
		{ "script: check", test_script_check },
		{ "val: JSON escapes", test_val_json_escapes },
		{ "val: JSON types", test_val_json_types },
		{ "val: text", test_val_text },
		{ "val: text tables", test_val_text_tables },
		{ "val: buffer growth", test_buf_printf },
		{ "register: full registry", test_register_full },
	};

	return VS_CUNIT_MAIN("cmd", &hooks, tests);
}
