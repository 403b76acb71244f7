/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "dlopen-util.h"

/* libsystemd, opened by the launcher only for a run that talks to systemd (libraries.h): the bus on a
 * host that runs systemd, sd_notify() to a service manager that listens. Mapped by the dynamic
 * loader before main() instead, it and the libraries it needs (libgcrypt, libgpg-error, liblzma,
 * libzstd, liblz4) would cost every start about 2 ms. berthctl links it. */

#define LIBSYSTEMD_SYMBOLS(X)                   \
	X(sd_bus_call)                          \
	X(sd_bus_call_method)                   \
	X(sd_bus_error_free)                    \
	X(sd_bus_error_has_name)                \
	X(sd_bus_flush_close_unref)             \
	X(sd_bus_match_signal)                  \
	X(sd_bus_message_append)                \
	X(sd_bus_message_append_array)          \
	X(sd_bus_message_close_container)       \
	X(sd_bus_message_new_method_call)       \
	X(sd_bus_message_open_container)        \
	X(sd_bus_message_read)                  \
	X(sd_bus_message_unref)                 \
	X(sd_bus_open_system)                   \
	X(sd_bus_process)                       \
	X(sd_bus_slot_unref)                    \
	X(sd_bus_wait)                          \
	X(sd_notify)                            \
	X(sd_watchdog_enabled)

DL_DECLARE_SYMBOLS(LIBSYSTEMD_SYMBOLS)

extern DlLibrary dl_libsystemd;

/* For _cleanup_(): sd-bus.h defines its own on the linked functions. */
static inline void sym_sd_bus_message_unrefp(sd_bus_message **m) {
	if (*m)
		sym_sd_bus_message_unref(*m);
}

static inline void sym_sd_bus_slot_unrefp(sd_bus_slot **s) {
	if (*s)
		sym_sd_bus_slot_unref(*s);
}
