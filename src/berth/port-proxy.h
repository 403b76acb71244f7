/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "event-loop.h"
#include "macro.h"
#include "nft-util.h"
#include "settings.h"

/* The host ports of -p/--port= belong to the machine for as long as it runs: berth keeps them
 * bound, so that neither a server of the host nor another machine takes one while the rules send
 * its traffic to the container. nftables forwards every local address but ::1 (port-forward.h),
 * which the kernel cannot route to another link; connections to [::1]:PORT are accepted by berth
 * itself and relayed to the container, TCP streams and UDP datagrams alike. */

typedef struct PortProxy PortProxy;

/* Takes the ports, or says which one is in use on the host. Logs. */
int port_proxy_new(const PortForward *ports, size_t n_ports, PortProxy **ret);

/* Relays in e what arrives for [::1]: to the address of *target of the same family if there is
 * one, else the other, as *target holds it when the connection (or the UDP client) is new. */
int port_proxy_attach(PortProxy *p, EventLoop *e, const NftAddresses *target);

/* Ends the relays and leaves the event loop (the ports stay taken). */
void port_proxy_detach(PortProxy *p);

PortProxy *port_proxy_free(PortProxy *p);
DEFINE_POINTER_CLEANUP(PortProxy *, port_proxy_free)
