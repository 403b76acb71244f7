/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdlib.h>

#include "guardian.h"
#include "launch.h"
#include "log.h"
#include "options.h"
#include "settings-merge.h"
#include "settings.h"

int main(int argc, char *argv[]) {
	Settings s;
	int r;

	if (argc > 1 && streq(argv[1], GUARDIAN_EXEC_ARG))
		return guardian_exec_main(argc, argv);
	log_set_program_name("berth");
	/* A closed stdout must show up as EPIPE where we write, not kill berth mid-teardown. */
	signal(SIGPIPE, SIG_IGN);
	settings_init(&s);

	r = options_parse(argc, argv, &s);
	/* The machine's .nspawn file, under the command line; the checks see both. */
	if (r == 0)
		r = settings_load_file(&s, NULL, NULL);
	if (r == 0)
		r = options_verify(&s);
	if (r != 0) {
		settings_done(&s);
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	if (geteuid() != 0) {
		log_error("berth needs to run as root");
		settings_done(&s);
		return EXIT_FAILURE;
	}

	r = launch_container(&s);
	settings_done(&s);
	return r;
}
