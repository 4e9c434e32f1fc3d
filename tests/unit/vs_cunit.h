/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The one main() of every unit test: a named table of tests run as one
 * CUnit suite in verbose mode. Exit status: 0 all passed, 1 a test failed,
 * 2 CUnit itself failed (registry, allocation).
 */

#ifndef VS_CUNIT_H
#define VS_CUNIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <CUnit/Basic.h>

struct vs_cunit_test {
	const char *name;
	CU_TestFunc fn;
};

#define VS_CUNIT_DIM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A fixed-seed PRNG (splitmix64) for the tests' random inputs: every run
 * draws the same ones, so a failure reproduces. vs_rng_seed() starts a
 * sequence.
 */
static inline uint64_t *
vs_rng_state(void)
{
	static uint64_t state;

	return &state;
}

static inline void
vs_rng_seed(uint64_t seed)
{
	*vs_rng_state() = seed;
}

static inline uint64_t
vs_rng_next(void)
{
	uint64_t z = (*vs_rng_state() += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A suite's set-up and clean-up, and each test's; any may be NULL. */
struct vs_cunit_hooks {
	CU_InitializeFunc init;
	CU_CleanupFunc clean;
	CU_SetUpFunc setup;
	CU_TearDownFunc teardown;
};

static inline int
vs_cunit_run(const char *suite_name, const struct vs_cunit_hooks *hooks,
	     const struct vs_cunit_test *tests, size_t n)
{
	static const struct vs_cunit_hooks none;
	unsigned int failures;
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (hooks == NULL)
		hooks = &none;
	suite = CU_add_suite_with_setup_and_teardown(suite_name, hooks->init,
						     hooks->clean, hooks->setup,
						     hooks->teardown);
	if (suite == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	/* A suite whose set-up failed ran nothing: that is no pass. */
	failures = CU_get_number_of_failures() +
		   CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
fail:
	fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}

/* Runs a static table: return VS_CUNIT_MAIN("fdb", NULL, tests); */
#define VS_CUNIT_MAIN(name, hooks, table) \
	vs_cunit_run((name), (hooks), (table), VS_CUNIT_DIM(table))

#endif /* VS_CUNIT_H */
