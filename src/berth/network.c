/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "id128-util.h"
#include "log.h"
#include "netlink-util.h"
#include "network.h"
#include "nft-util.h"
#include "sha256.h"
#include "strv.h"

/* Zones are shared between machines: joining one (making its bridge if needed) and removing its
 * bridge when empty happen under this lock, so no machine joins a bridge that is being removed. */
#define ZONE_LOCK_PATH "/run/berth/network-zone.lock"

int loopback_setup(void) {
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {};

	if (fd < 0)
		return log_error_errno(errno, "Failed to open a socket: %m");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return log_error_errno(errno, "Failed to read the flags of 'lo': %m");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return log_error_errno(errno, "Failed to bring up 'lo': %m");
	return 0;
}

bool netif_wanted(const Settings *s) {
	return s->network_veth || s->network_bridge || s->network_zone || s->network_veth_extra ||
	       s->network_interfaces || s->network_macvlan || s->network_ipvlan;
}

/* A name that fits: past 15 characters, the first 11 and 4 characters of a hash of the whole name
 * (nspawn's rule, so both shorten the same names, though not to the same hash). */
static void shorten_ifname(const char *name, char ret[IFNAMSIZ]) {
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t digest[SHA256_DIGEST_SIZE];
	size_t n = strlen(name);

	if (n < IFNAMSIZ) {
		memcpy(ret, name, n + 1);
		return;
	}
	sha256(name, n, digest);
	memcpy(ret, name, IFNAMSIZ - 5);
	for (size_t i = 0; i < 4; i++)
		ret[IFNAMSIZ - 5 + i] = chars[digest[i] & 63];
	ret[IFNAMSIZ - 1] = 0;
}

/* "ve-NAME", or "vb-NAME" for a port of a bridge or zone: the names systemd-networkd's
 * 80-container-* files match, as for systemd-nspawn's machines. */
static void host_veth_name(const Settings *s, char full[3 + 64 + 1], char ret[IFNAMSIZ]) {
	snprintf(full, 3 + 64 + 1, "%s%s", s->network_bridge || s->network_zone ? "vb-" : "ve-", s->machine);
	shorten_ifname(full, ret);
}

/* The MAC address of one of the machine's links: the same on every start of the machine on this
 * host, different for another machine, another host or another role (host side, container side,
 * the n-th extra link, ...). The guest's DHCP lease and networkd's configuration stay valid. */
static void link_mac(const char *machine, const char *role, size_t index, uint8_t ret[ETHER_ADDR_LEN]) {
	_cleanup_free_ char *seed = NULL;
	sd_id128_t host = {};
	char host_id[SD_ID128_STRING_MAX] = "";
	int n;

	if (id128_get_machine(&host) >= 0)
		id128_to_string(host, host_id);
	n = asprintf(&seed, "berth-link\n%s\n%s\n%zu\n%s", host_id, role, index, machine);
	if (n < 0) {
		/* Out of memory: the name alone still makes a stable address. */
		mac_address_from_seed(machine, strlen(machine), ret);
		return;
	}
	mac_address_from_seed(seed, (size_t) n, ret);
}

/* The container-side name of a macvlan/ipvlan link or moved interface, fitted to the kernel. */
static void container_name(const char *name, char ret[IFNAMSIZ]) {
	shorten_ifname(name, ret);
}

/* ---- checks before the container starts ---- */

static int check_link_exists(Netlink *nl, const char *name, const char *option, NetlinkLink *ret) {
	int r = netlink_link_get(nl, 0, name, ret);

	if (r == -ENODEV)
		return log_error_errno(r, "Interface '%s' (%s) does not exist", name, option);
	if (r < 0)
		return log_error_errno(r, "Failed to look up interface '%s' (%s): %m", name, option);
	return 0;
}

static int check_name_free(Netlink *nl, const char *name, const char *option) {
	NetlinkLink link;
	int r = netlink_link_get(nl, 0, name, &link);

	if (r >= 0)
		return log_error_errno(EEXIST, "Interface '%s' (%s) exists already on the host", name, option);
	if (r != -ENODEV)
		return log_error_errno(r, "Failed to look up interface '%s' (%s): %m", name, option);
	return 0;
}

static int check_host_side(Netlink *nl, const Settings *s) {
	NetlinkLink link;
	int r;

	if (s->network_veth || s->network_bridge || s->network_zone) {
		char full[3 + 64 + 1], name[IFNAMSIZ];
		host_veth_name(s, full, name);
		r = check_name_free(nl, name, "the host side of --network-veth");
		if (r < 0)
			return r;
	}
	for (char **p = s->network_veth_extra; p && p[0] && p[1]; p += 2)
		if ((r = check_name_free(nl, p[0], "--network-veth-extra=")) < 0)
			return r;
	if (s->network_bridge) {
		r = netlink_link_get(nl, 0, s->network_bridge, &link);
		if (r == -ENODEV)
			return log_error_errno(r, "Bridge '%s' (--network-bridge=) does not exist", s->network_bridge);
		if (r < 0)
			return log_error_errno(r, "Failed to look up bridge '%s': %m", s->network_bridge);
		if (!streq(link.kind, "bridge"))
			return log_error_errno(ENOTTY, "Interface '%s' (--network-bridge=) is not a bridge",
					       s->network_bridge);
	}
	if (s->network_zone) {
		char bridge[IFNAMSIZ];
		snprintf(bridge, sizeof bridge, "vz-%s", s->network_zone);
		r = netlink_link_get(nl, 0, bridge, &link);
		if (r >= 0 && !streq(link.kind, "bridge"))
			return log_error_errno(ENOTTY, "Interface '%s' of --network-zone=%s exists and is not a bridge",
					       bridge, s->network_zone);
	}
	for (char **p = s->network_interfaces; p && p[0] && p[1]; p += 2)
		if ((r = check_link_exists(nl, p[0], "--network-interface=", &link)) < 0)
			return r;
	for (char **p = s->network_macvlan; p && p[0] && p[1]; p += 2)
		if ((r = check_link_exists(nl, p[0], "--network-macvlan=", &link)) < 0)
			return r;
	for (char **p = s->network_ipvlan; p && p[0] && p[1]; p += 2)
		if ((r = check_link_exists(nl, p[0], "--network-ipvlan=", &link)) < 0)
			return r;
	return 0;
}

static int add_container_name(char ***names, const char *name) {
	char fitted[IFNAMSIZ];

	container_name(name, fitted);
	if (strv_contains(*names, fitted))
		return log_error_errno(EEXIST, "Interface name '%s' is given to two links in the container", fitted);
	if (strv_extend(names, fitted) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	return 0;
}

/* Two links of one name would fail halfway through the setup. */
static int check_container_side(const Settings *s) {
	_cleanup_strv_free_ char **names = NULL;
	char **lists[] = { s->network_veth_extra, s->network_interfaces, s->network_macvlan, s->network_ipvlan };
	int r;

	if ((s->network_veth || s->network_bridge || s->network_zone) && (r = add_container_name(&names, "host0")) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		for (char **p = lists[i]; p && p[0] && p[1]; p += 2)
			if ((r = add_container_name(&names, p[1])) < 0)
				return r;
	return 0;
}

int netif_check(const Settings *s) {
	_cleanup_netlink_ Netlink *nl = NULL;
	int r;

	if (!netif_wanted(s))
		return 0;
	r = netlink_open(&nl);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the kernel's routing netlink: %m");
	r = check_host_side(nl, s);
	if (r < 0)
		return r;
	return check_container_side(s);
}

int netif_open_namespace_path(const char *path, int *ret_fd) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct statfs sfs;

	if (fd < 0)
		return log_error_errno(errno, "Failed to open '%s' (--network-namespace-path=): %m", path);
	if (fstatfs(fd, &sfs) < 0)
		return log_error_errno(errno, "Failed to check '%s' (--network-namespace-path=): %m", path);
	if (sfs.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return log_error_errno(EINVAL, "'%s' (--network-namespace-path=) is not a network namespace", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* ---- setup ---- */

int netif_undo_add(NetifState *st, NetifUndoType type, int ifindex, const char *name) {
	NetifUndo *a = reallocarray(st->undo, st->n_undo + 1, sizeof *a);

	if (!a)
		return log_error_errno(ENOMEM, "Out of memory");
	st->undo = a;
	a[st->n_undo] = (NetifUndo) { .type = type, .ifindex = ifindex };
	snprintf(a[st->n_undo].name, sizeof a->name, "%s", name);
	st->n_undo++;
	return 0;
}

/* A veth pair berth made: deleted at the end, and its host side told to machined. */
static int add_host_link(NetifState *st, int ifindex, const char *name) {
	int *a = reallocarray(st->ifindices, st->n_ifindices + 1, sizeof *a);

	if (!a)
		return log_error_errno(ENOMEM, "Out of memory");
	st->ifindices = a;
	a[st->n_ifindices++] = ifindex;
	return netif_undo_add(st, NETIF_UNDO_DELETE, ifindex, name);
}

static int zone_lock(void) {
	int fd = open(ZONE_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The zone's bridge, made (and brought up, as no network manager may run) when it is the zone's
 * first machine; then port joins it. */
static int join_zone(Netlink *nl, const char *zone, int port, NetifState *st) {
	_cleanup_close_ int lock = zone_lock();
	char bridge[IFNAMSIZ];
	NetlinkLink link;
	int ifindex, r;

	if (lock < 0)
		return log_error_errno(lock, "Failed to lock %s: %m", ZONE_LOCK_PATH);
	snprintf(bridge, sizeof bridge, "vz-%s", zone);
	ifindex = netlink_bridge_create(nl, bridge);
	if (ifindex == -EEXIST) {
		r = netlink_link_get(nl, 0, bridge, &link);
		if (r < 0)
			return log_error_errno(r, "Failed to look up bridge '%s': %m", bridge);
		if (!streq(link.kind, "bridge"))
			return log_error_errno(ENOTTY, "Interface '%s' of zone '%s' is not a bridge", bridge, zone);
		ifindex = link.ifindex;
	} else if (ifindex < 0)
		return log_error_errno(ifindex, "Failed to create bridge '%s' for zone '%s': %m", bridge, zone);
	/* Recorded before it is used: whoever leaves the zone last removes it, this machine included
	 * when it fails right here. */
	r = netif_undo_add(st, NETIF_UNDO_ZONE, 0, bridge);
	if (r < 0)
		return r;
	r = netlink_link_set_up(nl, ifindex);
	if (r < 0)
		return log_error_errno(r, "Failed to bring up bridge '%s': %m", bridge);
	r = netlink_link_set_master(nl, port, ifindex);
	if (r < 0)
		return log_error_errno(r, "Failed to add the machine's veth to bridge '%s': %m", bridge);
	return 0;
}

static int join_bridge(Netlink *nl, const char *bridge, int port) {
	NetlinkLink link;
	int r = netlink_link_get(nl, 0, bridge, &link);

	if (r < 0)
		return log_error_errno(r, "Failed to look up bridge '%s' (--network-bridge=): %m", bridge);
	r = netlink_link_set_master(nl, port, link.ifindex);
	if (r < 0)
		return log_error_errno(r, "Failed to add the machine's veth to bridge '%s': %m", bridge);
	return 0;
}

/* -n, --network-bridge=, --network-zone=: host0 in the container, ve-NAME or vb-NAME on the host. */
static int setup_main_veth(Netlink *nl, const Settings *s, NetifState *st) {
	char full[3 + 64 + 1], name[IFNAMSIZ];
	uint8_t host_mac[ETHER_ADDR_LEN], container_mac[ETHER_ADDR_LEN];
	int ifindex, r;

	if (!s->network_veth && !s->network_bridge && !s->network_zone)
		return 0;
	host_veth_name(s, full, name);
	link_mac(s->machine, "host", 0, host_mac);
	link_mac(s->machine, "container", 0, container_mac);
	ifindex = netlink_veth_create(nl, &(NetlinkVeth) { .name = name, .mac = host_mac, .peer_name = "host0",
							   .peer_mac = container_mac, .peer_netns_fd = st->netns_fd });
	if (ifindex < 0)
		return log_error_errno(ifindex, "Failed to create the veth pair '%s' (host) and 'host0' (container): %m",
				       name);
	r = add_host_link(st, ifindex, name);
	if (r < 0)
		return r;
	/* The whole name stays findable as an alternative name when it had to be shortened. */
	if (!streq(full, name) && (r = netlink_link_add_altname(nl, ifindex, full)) < 0)
		log_debug_errno(r, "Failed to give '%s' the alternative name '%s', ignoring: %m", name, full);
	if (s->network_bridge)
		return join_bridge(nl, s->network_bridge, ifindex);
	if (s->network_zone)
		return join_zone(nl, s->network_zone, ifindex, st);
	return 0;
}

static int setup_veth_extra(Netlink *nl, const Settings *s, NetifState *st) {
	size_t i = 0;

	for (char **p = s->network_veth_extra; p && p[0] && p[1]; p += 2, i++) {
		uint8_t host_mac[ETHER_ADDR_LEN], container_mac[ETHER_ADDR_LEN];
		int ifindex, r;

		link_mac(s->machine, "extra-host", i, host_mac);
		link_mac(s->machine, "extra-container", i, container_mac);
		ifindex = netlink_veth_create(nl, &(NetlinkVeth) { .name = p[0], .mac = host_mac, .peer_name = p[1],
								   .peer_mac = container_mac, .peer_netns_fd = st->netns_fd });
		if (ifindex < 0)
			return log_error_errno(ifindex, "Failed to create the veth pair '%s' (host) and '%s' (container): %m",
					       p[0], p[1]);
		r = add_host_link(st, ifindex, p[0]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --network-macvlan=, --network-ipvlan=: made on the host's parent, right inside the container.
 * They need no undoing: they go with the container's network namespace. */
static int setup_stacked(Netlink *nl, const Settings *s, const char *kind, char **pairs, NetifState *st) {
	size_t i = 0;

	for (char **p = pairs; p && p[0] && p[1]; p += 2, i++) {
		char name[IFNAMSIZ];
		uint8_t mac[ETHER_ADDR_LEN];
		NetlinkLink parent;
		int r;

		r = netlink_link_get(nl, 0, p[0], &parent);
		if (r < 0)
			return log_error_errno(r, "Failed to look up interface '%s' (--network-%s=): %m", p[0], kind);
		container_name(p[1], name);
		link_mac(s->machine, kind, i, mac);
		r = netlink_stacked_create(nl, &(NetlinkStacked) { .kind = kind, .parent = parent.ifindex, .name = name,
								    .mac = mac, .netns_fd = st->netns_fd });
		if (r == -EOPNOTSUPP || r == -EAFNOSUPPORT)
			return log_error_errno(r, "Failed to create %s link '%s' on '%s': the kernel has no %s support",
					       kind, name, p[0], kind);
		if (r < 0)
			return log_error_errno(r, "Failed to create %s link '%s' on '%s': %m", kind, name, p[0]);
	}
	return 0;
}

/* --network-interface=: moved in (renamed on the way), recorded by its index in the container to be
 * moved back under its host name. */
static int setup_interfaces(Netlink *nl, const Settings *s, NetifState *st) {
	_cleanup_netlink_ Netlink *inside = NULL;
	int r;

	for (char **p = s->network_interfaces; p && p[0] && p[1]; p += 2) {
		NetlinkLink link;

		r = netlink_link_get(nl, 0, p[0], &link);
		if (r < 0)
			return log_error_errno(r, "Failed to look up interface '%s' (--network-interface=): %m", p[0]);
		r = netlink_link_move(nl, link.ifindex, st->netns_fd, streq(p[0], p[1]) ? NULL : p[1]);
		if (r < 0)
			return log_error_errno(r, "Failed to move interface '%s' into the container: %m", p[0]);
		/* The kernel keeps the index where it can, but not always: ask the container's side. */
		if (!inside && (r = netlink_open_in_netns(st->netns_fd, &inside)) < 0)
			return log_error_errno(r, "Failed to connect to the container's routing netlink: %m");
		r = netlink_link_get(inside, 0, p[1], &link);
		if (r < 0)
			return log_error_errno(r, "Failed to find interface '%s' in the container: %m", p[1]);
		r = netif_undo_add(st, NETIF_UNDO_MOVE_BACK, link.ifindex, p[0]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int open_netns_of(pid_t pid) {
	char path[64];
	int fd;

	snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netif_setup(const Settings *s, pid_t pid, NetifState *st) {
	_cleanup_netlink_ Netlink *nl = NULL;
	int r;

	/* Port forwarding watches the container's namespace too. */
	if (!netif_wanted(s) && s->n_ports == 0)
		return 0;
	r = open_netns_of(pid);
	if (r < 0)
		return log_error_errno(r, "Failed to open the container's network namespace: %m");
	st->netns_fd = r;
	r = netlink_open(&nl);
	if (r < 0)
		log_error_errno(r, "Failed to connect to the kernel's routing netlink: %m");
	if (r >= 0)
		r = setup_main_veth(nl, s, st);
	if (r >= 0)
		r = setup_veth_extra(nl, s, st);
	if (r >= 0)
		r = setup_stacked(nl, s, "macvlan", s->network_macvlan, st);
	if (r >= 0)
		r = setup_stacked(nl, s, "ipvlan", s->network_ipvlan, st);
	if (r >= 0)
		r = setup_interfaces(nl, s, st);
	if (r < 0)
		netif_teardown(st);
	return r;
}

/* ---- teardown ---- */

static void move_back(NetifState *st, const NetifUndo *u) {
	_cleanup_netlink_ Netlink *inside = NULL;
	_cleanup_close_ int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (host < 0 || st->netns_fd < 0) {
		log_warning_errno(host < 0 ? errno : EBADF, "Cannot move interface '%s' back to the host: %m", u->name);
		return;
	}
	r = netlink_open_in_netns(st->netns_fd, &inside);
	if (r >= 0)
		r = netlink_link_move(inside, u->ifindex, host, u->name);
	/* Its name was taken on the host meanwhile: back it comes, under the container's name. */
	if (r == -EEXIST)
		r = netlink_link_move(inside, u->ifindex, host, NULL);
	if (r == -ENODEV)
		log_warning("Interface '%s' is gone from the container, it cannot be moved back to the host", u->name);
	else if (r < 0)
		log_warning_errno(r, "Failed to move interface '%s' back to the host: %m", u->name);
}

static void delete_link(Netlink *nl, const NetifUndo *u) {
	NetlinkLink link;
	int r = netlink_link_get(nl, u->ifindex, NULL, &link);

	/* Gone with the container's namespace, or a link of the same index that is not ours. */
	if (r == -ENODEV || (r >= 0 && !streq(link.name, u->name)))
		return;
	if (r >= 0)
		r = netlink_link_delete(nl, u->ifindex);
	if (r < 0 && r != -ENODEV)
		log_warning_errno(r, "Failed to remove interface '%s': %m", u->name);
}

static void delete_table(const NetifUndo *u) {
	int r = nft_table_delete(u->name);
	if (r < 0 && r != -ENOENT)
		log_warning_errno(r, "Failed to delete the nftables table '%s': %m", u->name);
}

static int count_ports(Netlink *nl, int bridge) {
	_cleanup_free_ NetlinkLink *links = NULL;
	size_t n, ports = 0;
	int r = netlink_link_list(nl, &links, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (links[i].master == bridge)
			ports++;
	return (int) ports;
}

static void remove_zone(Netlink *nl, const NetifUndo *u) {
	_cleanup_close_ int lock = zone_lock();
	NetlinkLink link;
	int r;

	if (lock < 0) {
		log_warning_errno(lock, "Failed to lock %s, leaving bridge '%s': %m", ZONE_LOCK_PATH, u->name);
		return;
	}
	r = netlink_link_get(nl, 0, u->name, &link);
	if (r == -ENODEV)
		return;
	if (r >= 0 && !streq(link.kind, "bridge"))
		return;
	if (r >= 0)
		r = count_ports(nl, link.ifindex);
	if (r > 0) /* another machine of the zone still runs */
		return;
	if (r >= 0)
		r = netlink_link_delete(nl, link.ifindex);
	if (r < 0 && r != -ENODEV)
		log_warning_errno(r, "Failed to remove bridge '%s': %m", u->name);
}

void netif_teardown(NetifState *st) {
	_cleanup_netlink_ Netlink *nl = NULL;
	int r;

	if (st->n_undo > 0) {
		r = netlink_open(&nl);
		if (r < 0)
			log_warning_errno(r, "Failed to connect to the kernel's routing netlink, leaving the machine's "
					     "interfaces: %m");
	}
	/* Moved interfaces first, while the container's namespace is held and before their names could be
	 * taken; the forwarding to the container; then the links, so that the bridges of zones are
	 * empty. */
	for (size_t i = 0; nl && i < st->n_undo; i++)
		if (st->undo[i].type == NETIF_UNDO_MOVE_BACK)
			move_back(st, &st->undo[i]);
	for (size_t i = 0; i < st->n_undo; i++)
		if (st->undo[i].type == NETIF_UNDO_NFT_TABLE)
			delete_table(&st->undo[i]);
	for (size_t i = 0; nl && i < st->n_undo; i++)
		if (st->undo[i].type == NETIF_UNDO_DELETE)
			delete_link(nl, &st->undo[i]);
	for (size_t i = 0; nl && i < st->n_undo; i++)
		if (st->undo[i].type == NETIF_UNDO_ZONE)
			remove_zone(nl, &st->undo[i]);
	netif_state_done(st);
}

void netif_state_done(NetifState *st) {
	closep(&st->netns_fd);
	free(st->undo);
	free(st->ifindices);
	*st = (NetifState) NETIF_STATE_INIT;
}
