/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "mnl-dl.h"
#include "netlink-util.h"
#include "sha256.h"

/* Big enough for any one datagram of a link dump: the kernel sizes its dump messages by the
 * largest buffer a reader offered, up to 32 KiB. */
#define NETLINK_BUFFER_SIZE (64 * 1024)
#define NETLINK_REQUEST_SIZE 4096

struct Netlink {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char *buf;
};

int netlink_open(Netlink **ret) {
	Netlink *nl;
	int r = dl_library_open(&dl_mnl, NULL, 0);

	if (r < 0)
		return r;
	nl = calloc(1, sizeof *nl);
	if (!nl)
		return -ENOMEM;
	nl->buf = malloc(NETLINK_BUFFER_SIZE);
	nl->sock = sym_mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->buf || !nl->sock || sym_mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = nl->buf ? negative_errno() : -ENOMEM;
		netlink_close(nl);
		return r;
	}
	nl->portid = sym_mnl_socket_get_portid(nl->sock);
	/* Replies are matched by sequence number; start where an earlier socket with a reused port
	 * id would not be. */
	nl->seq = (unsigned) time(NULL);
	*ret = nl;
	return 0;
}

int netlink_open_in_netns(int netns_fd, Netlink **ret) {
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return -errno;
	/* A socket belongs to the namespace it was created in, wherever its owner goes afterwards. */
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	r = netlink_open(ret);
	if (setns(self, CLONE_NEWNET) < 0) {
		int k = -errno;
		if (r >= 0)
			netlink_close(*ret);
		return k;
	}
	return r;
}

void netlink_close(Netlink *nl) {
	if (!nl)
		return;
	if (nl->sock)
		sym_mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

static struct nlmsghdr *message_new(Netlink *nl, uint16_t type, uint16_t flags) {
	struct nlmsghdr *h;

	/* Requests are small; the rest of the buffer is for answers. */
	memset(nl->buf, 0, NETLINK_REQUEST_SIZE);
	h = sym_mnl_nlmsg_put_header(nl->buf);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++nl->seq;
	return h;
}

static struct ifinfomsg *link_message_new(Netlink *nl, uint16_t type, uint16_t flags, int ifindex) {
	struct nlmsghdr *h = message_new(nl, type, flags);
	struct ifinfomsg *ifi = sym_mnl_nlmsg_put_extra_header(h, sizeof *ifi);

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

static struct nlmsghdr *header(Netlink *nl) {
	return (struct nlmsghdr *) nl->buf;
}

/* Sends the message in nl->buf and reads the answer until the kernel's acknowledgement or the end
 * of a dump, passing each reply to cb. */
static int call(Netlink *nl, mnl_cb_t cb, void *userdata) {
	struct nlmsghdr *h = header(nl);
	unsigned seq = h->nlmsg_seq;
	int r;

	/* NLM_F_DUMP is two bits, one of which NLM_F_EXCL shares. */
	if ((h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		h->nlmsg_flags |= NLM_F_ACK;
	if (sym_mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = sym_mnl_socket_recvfrom(nl->sock, nl->buf, NETLINK_BUFFER_SIZE);
		if (n < 0)
			return -errno;
		r = sym_mnl_cb_run(nl->buf, (size_t) n, seq, nl->portid, cb, userdata);
	} while (r > 0);
	return r < 0 ? negative_errno() : 0;
}

static int parse_linkinfo_attr(const struct nlattr *a, void *userdata) {
	NetlinkLink *link = userdata;

	if (sym_mnl_attr_get_type(a) == IFLA_INFO_KIND && sym_mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(link->kind, sizeof link->kind, "%s", sym_mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int parse_link_attr(const struct nlattr *a, void *userdata) {
	NetlinkLink *link = userdata;

	switch (sym_mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (sym_mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(link->name, sizeof link->name, "%s", sym_mnl_attr_get_str(a));
		break;
	case IFLA_MASTER:
		if (sym_mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			link->master = (int) sym_mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (sym_mnl_attr_get_payload_len(a) == ETHER_ADDR_LEN)
			memcpy(link->mac, sym_mnl_attr_get_payload(a), ETHER_ADDR_LEN);
		break;
	case IFLA_LINKINFO:
		(void) sym_mnl_attr_parse_nested(a, parse_linkinfo_attr, link);
		break;
	}
	return MNL_CB_OK;
}

static int parse_link(const struct nlmsghdr *h, NetlinkLink *ret) {
	const struct ifinfomsg *ifi = sym_mnl_nlmsg_get_payload(h);

	*ret = (NetlinkLink) { .ifindex = ifi->ifi_index, .flags = ifi->ifi_flags };
	return sym_mnl_attr_parse(h, sizeof *ifi, parse_link_attr, ret) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int link_get_cb(const struct nlmsghdr *h, void *userdata) {
	return h->nlmsg_type == RTM_NEWLINK ? parse_link(h, userdata) : MNL_CB_OK;
}

int netlink_link_get(Netlink *nl, int ifindex, const char *name, NetlinkLink *ret) {
	NetlinkLink link = {};
	int r;

	(void) link_message_new(nl, RTM_GETLINK, 0, ifindex > 0 ? ifindex : 0);
	if (ifindex <= 0) {
		if (!name || strlen(name) >= IFNAMSIZ)
			return -ENODEV;
		sym_mnl_attr_put_strz(header(nl), IFLA_IFNAME, name);
	}
	r = call(nl, link_get_cb, &link);
	if (r < 0)
		return r;
	if (link.ifindex <= 0)
		return -ENODEV;
	*ret = link;
	return 0;
}

typedef struct LinkList {
	NetlinkLink *links;
	size_t n;
	bool oom;
} LinkList;

static int link_list_cb(const struct nlmsghdr *h, void *userdata) {
	LinkList *l = userdata;
	NetlinkLink *a;

	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	a = reallocarray(l->links, l->n + 1, sizeof *a);
	if (!a) {
		l->oom = true;
		return MNL_CB_OK; /* the rest of the dump must still be read */
	}
	l->links = a;
	return parse_link(h, &l->links[l->n++]);
}

int netlink_link_list(Netlink *nl, NetlinkLink **ret, size_t *ret_n) {
	LinkList l = {};
	int r;

	(void) link_message_new(nl, RTM_GETLINK, NLM_F_DUMP, 0);
	r = call(nl, link_list_cb, &l);
	if (r >= 0 && l.oom)
		r = -ENOMEM;
	if (r < 0) {
		free(l.links);
		return r;
	}
	*ret = l.links;
	*ret_n = l.n;
	return 0;
}

/* Creations are answered with an acknowledgement only: the new link is looked up by its name. */
static int created_ifindex(Netlink *nl, const char *name) {
	NetlinkLink link;
	int r = netlink_link_get(nl, 0, name, &link);
	return r < 0 ? r : link.ifindex;
}

static void put_mac(struct nlmsghdr *h, const uint8_t *mac) {
	if (mac)
		sym_mnl_attr_put(h, IFLA_ADDRESS, ETHER_ADDR_LEN, mac);
}

int netlink_veth_create(Netlink *nl, const NetlinkVeth *v) {
	struct nlattr *info, *data, *peer;
	struct nlmsghdr *h;
	struct ifinfomsg *peer_ifi;
	int r;

	(void) link_message_new(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	h = header(nl);
	sym_mnl_attr_put_strz(h, IFLA_IFNAME, v->name);
	put_mac(h, v->mac);
	info = sym_mnl_attr_nest_start(h, IFLA_LINKINFO);
	sym_mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = sym_mnl_attr_nest_start(h, IFLA_INFO_DATA);
	/* The peer is described by a link message of its own, nested. */
	peer = sym_mnl_attr_nest_start(h, VETH_INFO_PEER);
	peer_ifi = sym_mnl_nlmsg_put_extra_header(h, sizeof *peer_ifi);
	peer_ifi->ifi_family = AF_UNSPEC;
	sym_mnl_attr_put_strz(h, IFLA_IFNAME, v->peer_name);
	put_mac(h, v->peer_mac);
	if (v->peer_netns_fd >= 0)
		sym_mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t) v->peer_netns_fd);
	sym_mnl_attr_nest_end(h, peer);
	sym_mnl_attr_nest_end(h, data);
	sym_mnl_attr_nest_end(h, info);
	r = call(nl, NULL, NULL);
	return r < 0 ? r : created_ifindex(nl, v->name);
}

int netlink_bridge_create(Netlink *nl, const char *name) {
	struct nlattr *info;
	struct nlmsghdr *h;
	int r;

	(void) link_message_new(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	h = header(nl);
	sym_mnl_attr_put_strz(h, IFLA_IFNAME, name);
	info = sym_mnl_attr_nest_start(h, IFLA_LINKINFO);
	sym_mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	sym_mnl_attr_nest_end(h, info);
	r = call(nl, NULL, NULL);
	return r < 0 ? r : created_ifindex(nl, name);
}

int netlink_stacked_create(Netlink *nl, const NetlinkStacked *s) {
	bool macvlan = streq(s->kind, "macvlan");
	struct nlattr *info, *data;
	struct nlmsghdr *h;

	if (!macvlan && !streq(s->kind, "ipvlan"))
		return -EINVAL;
	(void) link_message_new(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	h = header(nl);
	sym_mnl_attr_put_strz(h, IFLA_IFNAME, s->name);
	/* The parent is looked up in the namespace of the socket, the new link made in netns_fd's. */
	sym_mnl_attr_put_u32(h, IFLA_LINK, (uint32_t) s->parent);
	if (macvlan)
		put_mac(h, s->mac);
	if (s->netns_fd >= 0)
		sym_mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t) s->netns_fd);
	info = sym_mnl_attr_nest_start(h, IFLA_LINKINFO);
	sym_mnl_attr_put_strz(h, IFLA_INFO_KIND, s->kind);
	data = sym_mnl_attr_nest_start(h, IFLA_INFO_DATA);
	/* Bridge mode lets macvlans on one parent reach each other; L2 mode makes an ipvlan behave
	 * like an Ethernet link that shares its parent's MAC address. */
	if (macvlan)
		sym_mnl_attr_put_u32(h, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
	else
		sym_mnl_attr_put_u16(h, IFLA_IPVLAN_MODE, IPVLAN_MODE_L2);
	sym_mnl_attr_nest_end(h, data);
	sym_mnl_attr_nest_end(h, info);
	return call(nl, NULL, NULL);
}

int netlink_link_set_up(Netlink *nl, int ifindex) {
	struct ifinfomsg *ifi = link_message_new(nl, RTM_NEWLINK, 0, ifindex);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return call(nl, NULL, NULL);
}

int netlink_link_set_master(Netlink *nl, int ifindex, int master) {
	struct ifinfomsg *ifi = link_message_new(nl, RTM_NEWLINK, 0, ifindex);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	sym_mnl_attr_put_u32(header(nl), IFLA_MASTER, (uint32_t) master);
	return call(nl, NULL, NULL);
}

int netlink_link_move(Netlink *nl, int ifindex, int netns_fd, const char *new_name) {
	(void) link_message_new(nl, RTM_NEWLINK, 0, ifindex);
	sym_mnl_attr_put_u32(header(nl), IFLA_NET_NS_FD, (uint32_t) netns_fd);
	/* The kernel renames it on the way, so the name may be taken where it came from. */
	if (new_name)
		sym_mnl_attr_put_strz(header(nl), IFLA_IFNAME, new_name);
	return call(nl, NULL, NULL);
}

int netlink_link_add_altname(Netlink *nl, int ifindex, const char *altname) {
	struct nlattr *list;

	(void) link_message_new(nl, RTM_NEWLINKPROP, NLM_F_EXCL, ifindex);
	list = sym_mnl_attr_nest_start(header(nl), IFLA_PROP_LIST);
	sym_mnl_attr_put_strz(header(nl), IFLA_ALT_IFNAME, altname);
	sym_mnl_attr_nest_end(header(nl), list);
	return call(nl, NULL, NULL);
}

int netlink_link_delete(Netlink *nl, int ifindex) {
	(void) link_message_new(nl, RTM_DELLINK, 0, ifindex);
	return call(nl, NULL, NULL);
}

typedef struct AddressList {
	int family;
	NetlinkAddress *addresses;
	size_t n;
	bool oom;
} AddressList;

static int parse_address_attr(const struct nlattr *a, void *userdata) {
	NetlinkAddress *addr = userdata;
	size_t size = addr->family == AF_INET ? 4 : 16;

	switch (sym_mnl_attr_get_type(a)) {
	case IFA_LOCAL: /* the local end of a point-to-point link: this host's */
	case IFA_ADDRESS:
		if (sym_mnl_attr_get_payload_len(a) == size &&
		    (sym_mnl_attr_get_type(a) == IFA_LOCAL || !memcmp(addr->address, (uint8_t[16]) {}, size)))
			memcpy(addr->address, sym_mnl_attr_get_payload(a), size);
		break;
	case IFA_FLAGS:
		if (sym_mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			addr->flags = sym_mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int address_list_cb(const struct nlmsghdr *h, void *userdata) {
	const struct ifaddrmsg *ifa = sym_mnl_nlmsg_get_payload(h);
	AddressList *l = userdata;
	NetlinkAddress *a;

	if (h->nlmsg_type != RTM_NEWADDR || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    (l->family != AF_UNSPEC && ifa->ifa_family != l->family))
		return MNL_CB_OK;
	a = reallocarray(l->addresses, l->n + 1, sizeof *a);
	if (!a) {
		l->oom = true;
		return MNL_CB_OK;
	}
	l->addresses = a;
	a = &l->addresses[l->n++];
	*a = (NetlinkAddress) { .family = ifa->ifa_family, .ifindex = (int) ifa->ifa_index,
				.prefixlen = ifa->ifa_prefixlen, .scope = ifa->ifa_scope, .flags = ifa->ifa_flags };
	return sym_mnl_attr_parse(h, sizeof *ifa, parse_address_attr, a) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int netlink_address_list(Netlink *nl, int family, NetlinkAddress **ret, size_t *ret_n) {
	struct nlmsghdr *h = message_new(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = sym_mnl_nlmsg_put_extra_header(h, sizeof *ifa);
	AddressList l = { .family = family };
	int r;

	ifa->ifa_family = (uint8_t) family;
	r = call(nl, address_list_cb, &l);
	if (r >= 0 && l.oom)
		r = -ENOMEM;
	if (r < 0) {
		free(l.addresses);
		return r;
	}
	*ret = l.addresses;
	*ret_n = l.n;
	return 0;
}

int netlink_subscribe(Netlink *nl, unsigned group) {
	int g = (int) group;

	if (setsockopt(sym_mnl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0)
		return -errno;
	return 0;
}

int netlink_get_fd(Netlink *nl) {
	return sym_mnl_socket_get_fd(nl->sock);
}

void netlink_drain(Netlink *nl) {
	/* An overrun (ENOBUFS) only means there were many changes: the caller looks afresh anyway. */
	while (recv(sym_mnl_socket_get_fd(nl->sock), nl->buf, NETLINK_BUFFER_SIZE, MSG_DONTWAIT) > 0 ||
	       errno == ENOBUFS || errno == EINTR)
		;
}

void mac_address_from_seed(const void *seed, size_t size, uint8_t ret[ETHER_ADDR_LEN]) {
	uint8_t digest[SHA256_DIGEST_SIZE];

	sha256(seed, size, digest);
	memcpy(ret, digest, ETHER_ADDR_LEN);
	ret[0] &= 0xfe; /* unicast: the group bit clear */
	ret[0] |= 0x02; /* locally administered */
}
