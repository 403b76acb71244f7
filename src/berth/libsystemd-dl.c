/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "libsystemd-dl.h"
#include "macro.h"

DEFINE_DL_LIBRARY(dl_libsystemd, "libsystemd.so.0", LIBSYSTEMD_SYMBOLS)
