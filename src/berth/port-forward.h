/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netlink-util.h"
#include "network.h"
#include "nft-util.h"
#include "settings.h"

/* -p/--port=: connections to the host's addresses (from outside, and from the host itself, its
 * 127.0.0.1 included when the machine has a plain veth link) on a port are sent on to the
 * container's address, with nftables rules in a table of the machine's own, "berth-NAME". berth
 * runs no DHCP and assigns no address: the container's address is whatever the guest (or the
 * host's network manager) configures, so berth watches the container's addresses and points the
 * rules at the first global one of each family, preferring host0's, whenever it changes. The
 * host ports themselves, and ::1, are port-proxy.h's. */

typedef struct PortForwarding {
	char *table;                 /* "berth-NAME", or NULL when there is nothing to forward */
	const PortForward *ports;
	size_t n_ports;
	Netlink *watch;              /* the container's address changes */
	Netlink *query;              /* ... and its addresses */
	int loopback_link;           /* the veth's host side, forwarding from 127.0.0.1; 0: none */
	NftAddresses current;        /* what the table forwards to now */
} PortForwarding;

#define PORT_FORWARDING_INIT {}

/* Once the container's links are made: creates the machine's table (recorded in net, to be
 * deleted with the machine) and starts watching the container's addresses. Logs. */
int port_forward_start(const Settings *s, NetifState *net, PortForwarding *p);

/* The fd that is readable when the container's addresses changed, or -1. */
int port_forward_fd(const PortForwarding *p);

/* Reads the container's addresses and points the rules at them if they changed. Logs. */
void port_forward_update(PortForwarding *p);

/* Stops watching; the table goes with the rest of the machine's network (netif_teardown). */
void port_forward_done(PortForwarding *p);
