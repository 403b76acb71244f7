/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "mnl-dl.h"

DEFINE_DL_LIBRARY(dl_mnl, "libmnl.so.0", MNL_SYMBOLS)
