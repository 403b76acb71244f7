/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "blkid-dl.h"
#include "macro.h"

DEFINE_DL_LIBRARY(dl_blkid, "libblkid.so.1", BLKID_SYMBOLS)
