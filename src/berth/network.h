/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "settings.h"

/* The container's network: the links berth makes between the host and the container's network
 * namespace (veth pairs, bridge and zone ports, macvlan and ipvlan links, host interfaces moved
 * in), named as systemd-networkd's 80-container-* files expect them, and their removal. */

/* Room for "berth-" and a machine name. */
#define NETIF_UNDO_NAME_MAX 80

/* One thing to undo on the host when the machine ends. Plain data: it is sent to the guardian. */
typedef enum NetifUndoType {
	NETIF_UNDO_DELETE,    /* a link berth made on the host: deleted (a veth's peer goes with it) */
	NETIF_UNDO_MOVE_BACK, /* a host interface moved into the container: moved back, renamed back */
	NETIF_UNDO_ZONE,      /* a zone's bridge: removed once no port is left on it */
	NETIF_UNDO_NFT_TABLE, /* the nftables table of the machine's port forwarding: deleted */
	_NETIF_UNDO_TYPE_MAX,
	_NETIF_UNDO_TYPE_INVALID = -EINVAL,
} NetifUndoType;

typedef struct NetifUndo {
	int32_t type;        /* NetifUndoType */
	int32_t ifindex; /* DELETE: on the host; MOVE_BACK: in the container; else unused */
	char name[NETIF_UNDO_NAME_MAX]; /* DELETE: the link's (checked first); MOVE_BACK: its name on
					 * the host; ZONE: the bridge's; NFT_TABLE: the table's */
} NetifUndo;

typedef struct NetifState {
	int netns_fd;      /* the container's network namespace, held so that what was moved into it
			    * can be moved back after its processes are gone; -EBADF when unused */
	NetifUndo *undo;
	size_t n_undo;
	int *ifindices;    /* the host side of the container's links, for systemd-machined */
	size_t n_ifindices;
} NetifState;

#define NETIF_STATE_INIT { .netns_fd = -EBADF }

/* In a new network namespace: brings the loopback interface up. */
int loopback_setup(void);

/* Whether berth makes links for the container: any network option but --private-network and
 * --network-namespace-path. */
bool netif_wanted(const Settings *s);

/* Checks what can be checked before the container starts: the interfaces to move in or to stack
 * macvlan/ipvlan links on exist, the bridge exists and is one, the host-side names are free and the
 * container-side names unique. Logs. */
int netif_check(const Settings *s);

/* Opens --network-namespace-path= and checks that it is a network namespace. Logs. */
int netif_open_namespace_path(const char *path, int *ret_fd);

/* Makes the container's links, once the container (pid) exists in its network namespace and waits
 * for berth. On failure, what was made is removed again. Logs. */
int netif_setup(const Settings *s, pid_t pid, NetifState *state);

/* Records one more thing to undo. Logs. */
int netif_undo_add(NetifState *state, NetifUndoType type, int ifindex, const char *name);

/* Undoes what state records, as well as it can (failures are logged as warnings), and empties
 * state. Any number of times: what is gone already is skipped. */
void netif_teardown(NetifState *state);

/* Frees state without undoing anything. */
void netif_state_done(NetifState *state);
