/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* rtnetlink over libmnl: links (create, move between network namespaces, enslave, bring up, delete)
 * and addresses. A Netlink handle talks to the network namespace it was opened in; functions return
 * -errno as the kernel reports it (-ENODEV: no such link, -EEXIST: the name is taken). */

#define ETHER_ADDR_LEN 6

typedef struct Netlink Netlink;

/* In the caller's network namespace. -ELIBACC or -ELIBBAD when libmnl cannot be loaded (mnl-dl.h). */
int netlink_open(Netlink **ret);
/* In the network namespace netns_fd refers to; the caller stays where it is. The caller must be
 * single-threaded: it enters the namespace for the moment it takes to open the socket. */
int netlink_open_in_netns(int netns_fd, Netlink **ret);
void netlink_close(Netlink *nl);
DEFINE_POINTER_CLEANUP(Netlink *, netlink_close)
#define _cleanup_netlink_ _cleanup_(netlink_closep)

typedef struct NetlinkLink {
	int ifindex;
	unsigned flags;              /* IFF_* */
	int master;                  /* the bridge it is a port of, or 0 */
	char name[IFNAMSIZ];
	char kind[32];               /* "veth", "bridge", "macvlan", ...; empty for hardware */
	uint8_t mac[ETHER_ADDR_LEN]; /* zero when the link has no MAC address */
} NetlinkLink;

/* The link with ifindex (> 0), else the one called name. */
int netlink_link_get(Netlink *nl, int ifindex, const char *name, NetlinkLink *ret);
/* Every link of the namespace. */
int netlink_link_list(Netlink *nl, NetlinkLink **ret, size_t *ret_n);

typedef struct NetlinkVeth {
	const char *name;        /* this end, in the handle's namespace */
	const uint8_t *mac;      /* NULL: the kernel picks one */
	const char *peer_name;
	const uint8_t *peer_mac; /* NULL: the kernel picks one */
	int peer_netns_fd;       /* the namespace the peer is created in; < 0: the handle's */
} NetlinkVeth;

/* Returns the ifindex of this end. */
int netlink_veth_create(Netlink *nl, const NetlinkVeth *v);
/* -EEXIST when the name is taken. Returns the ifindex. */
int netlink_bridge_create(Netlink *nl, const char *name);

typedef struct NetlinkStacked {
	const char *kind;   /* "macvlan" (bridge mode) or "ipvlan" (L2 mode) */
	int parent;         /* the ifindex of the link it sits on, in the handle's namespace */
	const char *name;
	const uint8_t *mac; /* macvlan only; NULL: the kernel picks one */
	int netns_fd;       /* created right in that namespace; < 0: the handle's */
} NetlinkStacked;

int netlink_stacked_create(Netlink *nl, const NetlinkStacked *s);

int netlink_link_set_up(Netlink *nl, int ifindex);
/* Makes ifindex a port of the bridge master, and brings it up. */
int netlink_link_set_master(Netlink *nl, int ifindex, int master);
/* Moves ifindex into the namespace netns_fd refers to, renamed to new_name there unless NULL. */
int netlink_link_move(Netlink *nl, int ifindex, int netns_fd, const char *new_name);
/* Adds altname as an alternative name, which may be longer than IFNAMSIZ (up to 127 characters). */
int netlink_link_add_altname(Netlink *nl, int ifindex, const char *altname);
int netlink_link_delete(Netlink *nl, int ifindex);

typedef struct NetlinkAddress {
	int family; /* AF_INET or AF_INET6 */
	int ifindex;
	unsigned prefixlen;
	unsigned scope; /* RT_SCOPE_* */
	unsigned flags; /* IFA_F_* */
	uint8_t address[16];
} NetlinkAddress;

/* The addresses of the namespace, of family (AF_UNSPEC: all). */
int netlink_address_list(Netlink *nl, int family, NetlinkAddress **ret, size_t *ret_n);

/* Watching: a handle that joined multicast groups (RTNLGRP_*) becomes readable when the kernel
 * reports a change; netlink_drain() discards what arrived. Such a handle is for watching only. */
int netlink_subscribe(Netlink *nl, unsigned group);
int netlink_get_fd(Netlink *nl);
void netlink_drain(Netlink *nl);

/* A MAC address derived from seed: the same seed gives the same address; it is a locally
 * administered unicast one, so it never collides with a vendor's. */
void mac_address_from_seed(const void *seed, size_t size, uint8_t ret[ETHER_ADDR_LEN]);
