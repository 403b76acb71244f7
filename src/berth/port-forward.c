/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "port-forward.h"

static int apply(PortForwarding *p, const NftAddresses *target) {
	_cleanup_free_ NftForward *forwards = calloc(p->n_ports, sizeof *forwards);
	NftForwardTable t = {
		.name = p->table,
		.forwards = forwards,
		.n_forwards = p->n_ports,
		.target = *target,
		.loopback_links = &p->loopback_link,
		.n_loopback_links = p->loopback_link > 0,
	};

	if (!forwards)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_ports; i++)
		forwards[i] = (NftForward) { .protocol = p->ports[i].protocol, .host_port = p->ports[i].host_port,
					     .target_port = p->ports[i].container_port };
	return nft_forward_table_apply(&t);
}

static bool usable(const NetlinkAddress *a) {
	return a->scope == RT_SCOPE_UNIVERSE && !(a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED));
}

/* The first global address of each family, host0's if it has one: the host reaches the container
 * through its veth link, and other links (macvlan, ipvlan, moved ones) may lead elsewhere. */
static int read_addresses(PortForwarding *p, NftAddresses *ret) {
	_cleanup_free_ NetlinkAddress *addresses = NULL;
	NftAddresses found = {};
	NetlinkLink host0 = {};
	size_t n;
	int r;

	r = netlink_address_list(p->query, AF_UNSPEC, &addresses, &n);
	if (r < 0)
		return r;
	(void) netlink_link_get(p->query, 0, "host0", &host0);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const NetlinkAddress *a = &addresses[i];
			if (!usable(a) || (pass == 0 && a->ifindex != host0.ifindex))
				continue;
			if (a->family == AF_INET && !found.have_ipv4) {
				found.have_ipv4 = true;
				memcpy(found.ipv4, a->address, 4);
			} else if (a->family == AF_INET6 && !found.have_ipv6) {
				found.have_ipv6 = true;
				memcpy(found.ipv6, a->address, 16);
			}
		}
	*ret = found;
	return 0;
}

static bool same_addresses(const NftAddresses *a, const NftAddresses *b) {
	return a->have_ipv4 == b->have_ipv4 && a->have_ipv6 == b->have_ipv6 &&
	       (!a->have_ipv4 || !memcmp(a->ipv4, b->ipv4, 4)) && (!a->have_ipv6 || !memcmp(a->ipv6, b->ipv6, 16));
}

/* The veth's host side may route 127.0.0.0/8: the replies to connections from the host's
 * 127.0.0.1 come back in through it. The table drops anything else for 127.0.0.0/8 on it. */
static int allow_loopback(const NetifState *net, int ifindex) {
	char path[128];

	for (size_t i = 0; i < net->n_undo; i++) {
		const NetifUndo *u = &net->undo[i];
		if (u->type != NETIF_UNDO_DELETE || u->ifindex != ifindex)
			continue;
		snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/route_localnet", u->name);
		return write_string_file(path, "1");
	}
	return -ENODEV;
}

static int open_watch(PortForwarding *p, int netns_fd) {
	int r = netlink_open_in_netns(netns_fd, &p->watch);

	if (r >= 0)
		r = netlink_subscribe(p->watch, RTNLGRP_IPV4_IFADDR);
	if (r >= 0)
		r = netlink_subscribe(p->watch, RTNLGRP_IPV6_IFADDR);
	if (r >= 0)
		r = fd_set_nonblock(netlink_get_fd(p->watch), true);
	if (r >= 0)
		r = netlink_open_in_netns(netns_fd, &p->query);
	return r;
}

int port_forward_start(const Settings *s, NetifState *net, PortForwarding *p) {
	int r;

	if (s->n_ports == 0)
		return 0;
	*p = (PortForwarding) { .ports = s->ports, .n_ports = s->n_ports };
	if (asprintf(&p->table, "berth-%s", s->machine) < 0) {
		p->table = NULL;
		return log_error_errno(ENOMEM, "Out of memory");
	}
	r = open_watch(p, net->netns_fd);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the addresses of the container: %m");
	/* The veth made first is -n's; a bridge or zone is where the container's traffic goes. */
	if (s->network_veth && !s->network_bridge && !s->network_zone && net->n_ifindices > 0)
		p->loopback_link = net->ifindices[0];
	/* Recorded first: the table goes with the machine even when it is only half made. */
	r = netif_undo_add(net, NETIF_UNDO_NFT_TABLE, 0, p->table);
	if (r < 0)
		return r;
	r = apply(p, &p->current);
	if (r < 0)
		return log_error_errno(r, "Failed to create the nftables table '%s' for --port=: %m", p->table);
	if (p->loopback_link > 0 && (r = allow_loopback(net, p->loopback_link)) < 0)
		log_warning_errno(r, "Failed to let the machine's veth route 127.0.0.0/8, ports will not be "
				     "forwarded from 127.0.0.1: %m");
	port_forward_update(p);
	return 0;
}

int port_forward_fd(const PortForwarding *p) {
	return p->watch ? netlink_get_fd(p->watch) : -EBADF;
}

void port_forward_update(PortForwarding *p) {
	NftAddresses now;
	int r;

	if (!p->table)
		return;
	netlink_drain(p->watch);
	r = read_addresses(p, &now);
	if (r < 0) {
		log_warning_errno(r, "Failed to read the addresses of the container, ports are forwarded as before: %m");
		return;
	}
	if (same_addresses(&now, &p->current))
		return;
	r = apply(p, &now);
	if (r < 0) {
		log_warning_errno(r, "Failed to update the nftables table '%s' for --port=: %m", p->table);
		return;
	}
	p->current = now;
}

void port_forward_done(PortForwarding *p) {
	netlink_close(p->watch);
	netlink_close(p->query);
	free(p->table);
	*p = (PortForwarding) PORT_FORWARDING_INIT;
}
