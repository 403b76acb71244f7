/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* The values of the network options (--network-bridge=, --network-interface=, ...): each function
 * checks one, reports what is wrong with it naming option, and stores it. */

/* An interface name as the kernel takes it. */
int netif_parse_name(const char *option, const char *value, char **target);
/* A zone name: "vz-" followed by it must be an interface name. */
int netif_parse_zone(const char *value, char **target);
/* HOST[:CONTAINER], appended to pairs as the two names. */
int netif_parse_veth_extra(const char *value, char ***pairs);
/* IF[:NAME] words, appended to pairs as IF and NAME (prefix + IF when NAME is not given). */
int netif_parse_pairs(const char *option, const char *value, const char *prefix, char ***pairs);

/* [tcp:|udp:]HOST[:CONTAINER], appended to ports; a host port may be given once per protocol. */
int netif_parse_port(const char *value, PortForward **ports, size_t *n_ports);

/* The network options that may not be combined. */
int netif_verify_settings(const Settings *s);
