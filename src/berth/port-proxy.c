/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "port-proxy.h"

#define RELAY_BUFFER 16384
#define UDP_IDLE_USEC (60 * UINT64_C(1000000))
#define UDP_SWEEP_USEC (15 * UINT64_C(1000000))

typedef union SocketAddress {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
} SocketAddress;

typedef struct Listener Listener;

/* One TCP connection to [::1]:PORT and its twin to the container. buf[i] holds what was read from
 * fd[i] and is still to be written to the other. */
typedef struct Relay {
	PortProxy *proxy;
	struct Relay *next, *prev;
	int fd[2]; /* the client's, the container's */
	EventSource *source[2];
	bool connected;
	bool eof[2];  /* nothing more comes from fd[i] */
	bool shut[2]; /* fd[i] was told that nothing more comes */
	bool gone[2]; /* fd[i]'s peer closed both ways: nothing can be written to it any more */
	size_t len[2], done[2];
	char buf[2][RELAY_BUFFER];
} Relay;

/* A UDP client of [::1]:PORT, with a socket connected to the container for its datagrams. */
typedef struct UdpSession {
	Listener *listener;
	struct UdpSession *next, *prev;
	struct sockaddr_in6 client;
	int fd;
	EventSource *source;
	uint64_t last_usec;
} UdpSession;

struct Listener {
	PortProxy *proxy;
	PortForward port;
	int reserve_fd; /* 0.0.0.0:PORT, bound only: it holds the IPv4 port */
	int fd;         /* [::1]:PORT, which also holds the IPv6 port */
	EventSource *source;
	UdpSession *sessions;
};

struct PortProxy {
	Listener *listeners;
	size_t n_listeners;
	EventLoop *event;
	const NftAddresses *target;
	Relay *relays;
	EventSource *sweep;
};

#define LIST_LINK(head, item)              \
	do {                               \
		(item)->prev = NULL;       \
		(item)->next = (head);     \
		if (head)                  \
			(head)->prev = (item); \
		(head) = (item);           \
	} while (0)

#define LIST_UNLINK(head, item)                        \
	do {                                           \
		if ((item)->prev)                      \
			(item)->prev->next = (item)->next; \
		else                                   \
			(head) = (item)->next;         \
		if ((item)->next)                      \
			(item)->next->prev = (item)->prev; \
	} while (0)

static const char *protocol_name(int protocol) {
	return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

static uint64_t now_usec(PortProxy *p) {
	return event_loop_now(p->event);
}

/* Without SO_REUSEADDR, no other socket can bind an address that overlaps: a bound socket keeps
 * the port as a listening one would, and accepts nothing. The listening [::1] socket needs it to
 * start again while connections of an earlier run linger in TIME_WAIT; listening, it is exclusive
 * anyway. */
static int bind_port(const PortForward *port, int family, int *ret) {
	int type = port->protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	bool listening = family == AF_INET6 && type == SOCK_STREAM;
	SocketAddress a = {};
	socklen_t len;
	int on = 1, r;
	_cleanup_close_ int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		a.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(port->host_port),
						.sin6_addr = in6addr_loopback };
		len = sizeof a.in6;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0)
			return -errno;
	} else {
		a.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(port->host_port) };
		len = sizeof a.in;
	}
	if (listening && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
		return -errno;
	if (bind(fd, &a.sa, len) < 0)
		return -errno;
	if (listening && listen(fd, SOMAXCONN) < 0)
		return -errno;
	r = fd;
	fd = -EBADF;
	*ret = r;
	return 0;
}

int port_proxy_new(const PortForward *ports, size_t n_ports, PortProxy **ret) {
	_cleanup_(port_proxy_freep) PortProxy *p = NULL;

	*ret = NULL;
	if (n_ports == 0)
		return 0;
	p = calloc(1, sizeof *p);
	if (p)
		p->listeners = calloc(n_ports, sizeof *p->listeners);
	if (!p || !p->listeners)
		return log_error_errno(ENOMEM, "Out of memory");
	for (size_t i = 0; i < n_ports; i++) {
		Listener *l = &p->listeners[p->n_listeners++];
		int r;

		*l = (Listener) { .proxy = p, .port = ports[i], .reserve_fd = -EBADF, .fd = -EBADF };
		r = bind_port(&l->port, AF_INET, &l->reserve_fd);
		if (r >= 0)
			r = bind_port(&l->port, AF_INET6, &l->fd);
		if (r == -EAFNOSUPPORT)
			r = 0; /* a host without IPv6 or IPv4 has no such port to hold */
		if (r == -EADDRINUSE)
			return log_error_errno(r, "Port %s:%u (--port=) is in use on the host, by a server or "
						  "another machine", protocol_name(l->port.protocol),
					       l->port.host_port);
		if (r < 0)
			return log_error_errno(r, "Failed to take port %s:%u (--port=) on the host: %m",
					       protocol_name(l->port.protocol), l->port.host_port);
	}
	*ret = TAKE_PTR(p);
	return 0;
}

/* Where a connection to [::1]:PORT goes: the container's IPv6 address, else its IPv4 one. */
static int pick_target(const PortProxy *p, uint16_t port, SocketAddress *ret, socklen_t *ret_len) {
	const NftAddresses *t = p->target;

	if (t->have_ipv6) {
		ret->in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(port) };
		memcpy(&ret->in6.sin6_addr, t->ipv6, 16);
		*ret_len = sizeof ret->in6;
	} else if (t->have_ipv4) {
		ret->in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(port) };
		memcpy(&ret->in.sin_addr, t->ipv4, 4);
		*ret_len = sizeof ret->in;
	} else
		return -ENETUNREACH;
	return 0;
}

static int connect_target(const PortProxy *p, const PortForward *port) {
	SocketAddress a;
	socklen_t len;
	int type = port->protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM, r;
	_cleanup_close_ int fd = -EBADF;

	r = pick_target(p, port->container_port, &a, &len);
	if (r < 0)
		return r;
	fd = socket(a.sa.sa_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, &a.sa, len) < 0 && errno != EINPROGRESS)
		return -errno;
	r = fd;
	fd = -EBADF;
	return r;
}

/* TCP */

static void relay_free(Relay *r) {
	for (int i = 0; i < 2; i++) {
		event_source_free(r->source[i]);
		safe_close(r->fd[i]);
	}
	LIST_UNLINK(r->proxy->relays, r);
	free(r);
}

/* Moves what can be moved without blocking; false when the relay is over. */
static bool relay_pump(Relay *r) {
	for (int i = 0; i < 2; i++) {
		int other = !i;
		ssize_t n;

		if (r->done[i] == r->len[i] && !r->eof[i]) {
			n = recv(r->fd[i], r->buf[i], sizeof r->buf[i], MSG_DONTWAIT);
			if (n == 0)
				r->eof[i] = true;
			else if (n > 0) {
				r->len[i] = (size_t) n;
				r->done[i] = 0;
			} else if (errno != EAGAIN && errno != EINTR)
				return false;
		}
		if (r->done[i] < r->len[i]) {
			n = send(r->fd[other], r->buf[i] + r->done[i], r->len[i] - r->done[i], MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				r->done[i] += (size_t) n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				return false;
		}
		if (r->eof[i] && r->done[i] == r->len[i] && !r->shut[other]) {
			(void) shutdown(r->fd[other], SHUT_WR);
			r->shut[other] = true;
		}
	}
	for (int i = 0; i < 2; i++)
		if (r->gone[i] && r->eof[i] && r->done[i] == r->len[i])
			return false; /* all it sent is delivered, and it takes nothing back */
	return !(r->shut[0] && r->shut[1]);
}

static void relay_listen(Relay *r) {
	for (int i = 0; i < 2; i++) {
		uint32_t events = 0;
		if (!r->eof[i] && r->done[i] == r->len[i])
			events |= EPOLLIN;
		if (r->done[!i] < r->len[!i])
			events |= EPOLLOUT;
		(void) event_source_set_io_events(r->source[i], events);
	}
}

static int on_relay_io(EventSource *s, int fd, uint32_t revents, void *userdata) {
	Relay *r = userdata;
	int side = fd == r->fd[1];

	if (revents & EPOLLERR) {
		relay_free(r);
		return 0;
	}
	if (!r->connected) {
		int error = 0;
		socklen_t len = sizeof error;

		/* The client gave up while the container's side was still connecting. */
		if (side == 0) {
			relay_free(r);
			return 0;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0) {
			relay_free(r);
			return 0;
		}
		r->connected = true;
	}
	/* A hangup stays reported: stop listening to that side once it is read to the end. */
	if (revents & EPOLLHUP)
		r->gone[side] = true;
	if (!relay_pump(r)) {
		relay_free(r);
		return 0;
	}
	relay_listen(r);
	for (int i = 0; i < 2; i++)
		if (r->gone[i] && r->eof[i])
			(void) event_source_set_enabled(r->source[i], EVENT_OFF);
	return 0;
}

static int relay_new(PortProxy *p, int client_fd, int container_fd) {
	Relay *r = malloc(sizeof *r);
	int k;

	if (!r) {
		safe_close(client_fd);
		safe_close(container_fd);
		return -ENOMEM;
	}
	*r = (Relay) { .proxy = p, .fd = { client_fd, container_fd } };
	LIST_LINK(p->relays, r);
	/* The client's side waits until the container's is connected. */
	k = event_add_io(p->event, &r->source[0], client_fd, 0, on_relay_io, r);
	if (k >= 0)
		k = event_add_io(p->event, &r->source[1], container_fd, EPOLLOUT, on_relay_io, r);
	if (k < 0)
		relay_free(r);
	return k;
}

static int on_tcp_accept(EventSource *s, int fd, uint32_t revents, void *userdata) {
	Listener *l = userdata;

	for (;;) {
		int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), target, r;

		if (client < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warning_errno(-errno, "Failed to accept a connection to [::1]:%u: %m", l->port.host_port);
			return 0;
		}
		target = connect_target(l->proxy, &l->port);
		if (target < 0) {
			/* A reset, as the client would see without the container's address. */
			struct linger reset = { .l_onoff = 1, .l_linger = 0 };
			(void) setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
			safe_close(client);
			continue;
		}
		r = relay_new(l->proxy, client, target);
		if (r < 0)
			log_warning_errno(r, "Failed to relay a connection to [::1]:%u: %m", l->port.host_port);
	}
}

/* UDP */

static void udp_session_free(UdpSession *u) {
	event_source_free(u->source);
	safe_close(u->fd);
	LIST_UNLINK(u->listener->sessions, u);
	free(u);
}

static int on_udp_reply(EventSource *s, int fd, uint32_t revents, void *userdata) {
	UdpSession *u = userdata;
	char buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			/* ECONNREFUSED and the like: the container had nothing there, as a client would see. */
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			continue;
		}
		u->last_usec = now_usec(u->listener->proxy);
		(void) sendto(u->listener->fd, buf, (size_t) n, MSG_DONTWAIT, (struct sockaddr *) &u->client,
			      sizeof u->client);
	}
}

static UdpSession *udp_session_get(Listener *l, const struct sockaddr_in6 *client) {
	UdpSession *u;
	int fd, r;

	for (u = l->sessions; u; u = u->next)
		if (u->client.sin6_port == client->sin6_port &&
		    !memcmp(&u->client.sin6_addr, &client->sin6_addr, sizeof client->sin6_addr))
			return u;
	fd = connect_target(l->proxy, &l->port);
	if (fd < 0)
		return NULL;
	u = calloc(1, sizeof *u);
	if (!u) {
		safe_close(fd);
		return NULL;
	}
	*u = (UdpSession) { .listener = l, .client = *client, .fd = fd };
	LIST_LINK(l->sessions, u);
	r = event_add_io(l->proxy->event, &u->source, fd, EPOLLIN, on_udp_reply, u);
	if (r < 0) {
		udp_session_free(u);
		return NULL;
	}
	return u;
}

static int on_udp_datagram(EventSource *s, int fd, uint32_t revents, void *userdata) {
	Listener *l = userdata;
	char buf[65536];

	for (;;) {
		struct sockaddr_in6 client;
		socklen_t len = sizeof client;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &client, &len);
		UdpSession *u;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			continue;
		}
		u = udp_session_get(l, &client);
		if (!u)
			continue; /* dropped, as the network would */
		u->last_usec = now_usec(l->proxy);
		(void) send(u->fd, buf, (size_t) n, MSG_DONTWAIT);
	}
}

/* UDP has no end: a client quiet for a minute is forgotten. */
static int on_sweep(EventSource *s, uint64_t usec, void *userdata) {
	PortProxy *p = userdata;

	for (size_t i = 0; i < p->n_listeners; i++)
		for (UdpSession *u = p->listeners[i].sessions, *next; u; u = next) {
			next = u->next;
			if (usec >= u->last_usec + UDP_IDLE_USEC)
				udp_session_free(u);
		}
	(void) event_source_set_time(s, usec + UDP_SWEEP_USEC);
	return event_source_set_enabled(s, EVENT_ONESHOT);
}

int port_proxy_attach(PortProxy *p, EventLoop *e, const NftAddresses *target) {
	bool udp = false;
	int r;

	if (!p)
		return 0;
	p->event = event_loop_ref(e);
	p->target = target;
	for (size_t i = 0; i < p->n_listeners; i++) {
		Listener *l = &p->listeners[i];
		bool is_udp = l->port.protocol == IPPROTO_UDP;

		if (l->fd < 0)
			continue;
		udp |= is_udp;
		r = event_add_io(e, &l->source, l->fd, EPOLLIN, is_udp ? on_udp_datagram : on_tcp_accept, l);
		if (r < 0)
			return log_error_errno(r, "Failed to relay port %s:%u from ::1: %m",
					       protocol_name(l->port.protocol), l->port.host_port);
	}
	if (udp) {
		r = event_add_time(e, &p->sweep, now_usec(p) + UDP_SWEEP_USEC, on_sweep, p);
		if (r < 0)
			return log_error_errno(r, "Failed to set up the UDP relay's timer: %m");
	}
	return 0;
}

void port_proxy_detach(PortProxy *p) {
	/* Never attached: nothing is on a loop. */
	if (!p || !p->event)
		return;
	while (p->relays)
		relay_free(p->relays);
	for (size_t i = 0; i < p->n_listeners; i++) {
		Listener *l = &p->listeners[i];
		while (l->sessions)
			udp_session_free(l->sessions);
		l->source = event_source_free(l->source);
	}
	p->sweep = event_source_free(p->sweep);
	p->event = event_loop_unref(p->event);
	p->target = NULL;
}

PortProxy *port_proxy_free(PortProxy *p) {
	if (!p)
		return NULL;
	port_proxy_detach(p);
	for (size_t i = 0; i < p->n_listeners; i++) {
		safe_close(p->listeners[i].reserve_fd);
		safe_close(p->listeners[i].fd);
	}
	free(p->listeners);
	free(p);
	return NULL;
}
