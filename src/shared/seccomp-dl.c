/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "seccomp-dl.h"

DEFINE_DL_LIBRARY(dl_seccomp, "libseccomp.so.2", SECCOMP_SYMBOLS)
