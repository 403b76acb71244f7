/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "dlopen-util.h"

/* libsystemd, opened by the launcher when a run needs it (src/berth/libraries.h) rather than
 * mapped by the dynamic loader before main(): mapping it and the libraries it needs (libgcrypt,
 * liblzma, libzstd, liblz4) takes more than a millisecond, which a boot's init no longer waits
 * for. berthctl links it, and opens it here too for the shared code that calls it through these
 * pointers (console.c). */

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
	X(sd_event_add_child_pidfd)             \
	X(sd_event_add_defer)                   \
	X(sd_event_add_io)                      \
	X(sd_event_add_signal)                  \
	X(sd_event_add_time)                    \
	X(sd_event_exit)                        \
	X(sd_event_loop)                        \
	X(sd_event_new)                         \
	X(sd_event_now)                         \
	X(sd_event_ref)                         \
	X(sd_event_set_watchdog)                \
	X(sd_event_source_disable_unref)        \
	X(sd_event_source_set_enabled)          \
	X(sd_event_source_set_io_events)        \
	X(sd_event_source_set_time)             \
	X(sd_event_unref)                       \
	X(sd_notify)                            \
	X(sd_notifyf)

DL_DECLARE_SYMBOLS(LIBSYSTEMD_SYMBOLS)

extern DlLibrary dl_libsystemd;

/* For _cleanup_(): sd-bus.h and sd-event.h define theirs on the linked functions. */
static inline void sym_sd_event_unrefp(sd_event **e) {
	if (*e)
		sym_sd_event_unref(*e);
}

static inline void sym_sd_bus_message_unrefp(sd_bus_message **m) {
	if (*m)
		sym_sd_bus_message_unref(*m);
}

static inline void sym_sd_bus_slot_unrefp(sd_bus_slot **s) {
	if (*s)
		sym_sd_bus_slot_unref(*s);
}
