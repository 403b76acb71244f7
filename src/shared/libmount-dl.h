/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libmount.h>

#include "dlopen-util.h"

/* libmount, opened when a tmpfs with options is mounted (the launcher's --tmpfs=). */

#define LIBMOUNT_SYMBOLS(X) \
	X(mnt_optstr_next_option)

DL_DECLARE_SYMBOLS(LIBMOUNT_SYMBOLS)

extern DlLibrary dl_libmount;
