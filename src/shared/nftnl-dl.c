/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "nftnl-dl.h"

DEFINE_DL_LIBRARY(dl_nftnl, "libnftnl.so.11", NFTNL_SYMBOLS)
