/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "process-util.h"
#include "tests.h"

#define BIT(sig) (UINT64_C(1) << ((sig) - 1))

static void on_signal(int sig) {
}

/* Ignored and caught signals are in the mask, defaults and blocked ones are not. */
static int test_signals_not_default(void) {
	struct sigaction ign = { .sa_handler = SIG_IGN }, catch = { .sa_handler = on_signal },
			 dfl = { .sa_handler = SIG_DFL };
	sigset_t block;
	uint64_t mask = 0;

	ASSERT_SYS(sigaction(SIGUSR1, &ign, NULL));
	ASSERT_SYS(sigaction(SIGRTMIN + 3, &catch, NULL));
	ASSERT_SYS(sigaction(SIGHUP, &dfl, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	ASSERT_SYS(sigprocmask(SIG_BLOCK, &block, NULL));
	ASSERT_OK(signals_not_default(&mask));
	ASSERT_TRUE(mask & BIT(SIGUSR1));
	ASSERT_TRUE(mask & BIT(SIGRTMIN + 3));
	ASSERT_FALSE(mask & BIT(SIGHUP));
	ASSERT_FALSE(mask & BIT(SIGUSR2));

	ASSERT_SYS(sigaction(SIGUSR1, &dfl, NULL));
	ASSERT_SYS(sigaction(SIGRTMIN + 3, &dfl, NULL));
	ASSERT_OK(signals_not_default(&mask));
	ASSERT_FALSE(mask & (BIT(SIGUSR1) | BIT(SIGRTMIN + 3)));
	return 0;
}

TESTS_MAIN(TEST_ENTRY(signals_not_default))
