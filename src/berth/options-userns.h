/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* -U, --private-users=no|yes|pick|identity|SHIFT[:RANGE] (value NULL: yes), with nspawn's meanings. */
int options_parse_private_users(const char *value, Settings *s);
/* -U: a picked range, its ownership chosen automatically, where the kernel has user namespaces. */
int options_parse_userns_flag(Settings *s);
/* --private-users-ownership=off|chown|map|auto; 1 after printing the values for "help". */
int options_parse_private_users_ownership(const char *value, Settings *s);

/* Once the command line and the .nspawn file are merged: the ownership mode's default (auto for a
 * picked range, off otherwise), and the combinations that cannot work. Logs. */
int options_verify_userns(Settings *s);
