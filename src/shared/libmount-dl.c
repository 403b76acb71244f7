/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "libmount-dl.h"
#include "macro.h"

DEFINE_DL_LIBRARY(dl_libmount, "libmount.so.1", LIBMOUNT_SYMBOLS)
