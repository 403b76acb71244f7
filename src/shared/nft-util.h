/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Port forwarding with nftables (libnftnl over libmnl): a table of the caller's own, in the inet
 * family, that sends connections to ports of the host's local addresses on to another address,
 * and that is replaced as a whole (in one transaction) whenever that address changes. */

typedef struct NftForward {
	int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	uint16_t target_port;
} NftForward;

/* Where connections go: without an address of a family, that family is not forwarded. */
typedef struct NftAddresses {
	bool have_ipv4;
	uint8_t ipv4[4];
	bool have_ipv6;
	uint8_t ipv6[16];
} NftAddresses;

typedef struct NftForwardTable {
	const char *name; /* the table's, in the inet family */
	const NftForward *forwards;
	size_t n_forwards;
	NftAddresses target;
	/* Forward from the host's own 127.0.0.0/8 too: the connections leave with a masqueraded
	 * source, and their replies come back in through these links, which need route_localnet
	 * (the caller sets it). Packets for 127.0.0.0/8 that arrive through them any other way are
	 * dropped, as they would be without route_localnet. ::1 is never forwarded: the kernel
	 * routes no reply for ::1 that comes in through another link than lo. */
	const int *loopback_links;
	size_t n_loopback_links;
} NftForwardTable;

/* Both fail with -ELIBACC or -ELIBBAD when libmnl or libnftnl cannot be loaded (mnl-dl.h,
 * nftnl-dl.h). */

/* Creates the table, or replaces what it holds. */
int nft_forward_table_apply(const NftForwardTable *t);
/* -ENOENT when there is no such table. */
int nft_table_delete(const char *name);
