/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "network-options.h"
#include "nspawn-file-internal.h"
#include "parse-util.h"
#include "strv.h"

/* With the reason when it is not one. */
static int check_name(const char *option, const char *name) {
	if (isempty(name))
		return log_invalid("Empty interface name for %s", option);
	if (strlen(name) >= 16)
		return log_invalid("Interface name '%s' for %s is too long: at most 15 characters", name, option);
	if (!ifname_is_valid(name))
		return log_invalid("Invalid interface name '%s' for %s: no spaces, '/', ':' or '%%', not only "
				   "digits", name, option);
	return 0;
}

static int set_string(char **target, const char *value) {
	char *c = strdup(value);

	if (!c)
		return log_error_errno(ENOMEM, "Out of memory");
	free(*target);
	*target = c;
	return 0;
}

int netif_parse_name(const char *option, const char *value, char **target) {
	int r = check_name(option, value);
	return r < 0 ? r : set_string(target, value);
}

int netif_parse_zone(const char *value, char **target) {
	if (!isempty(value) && strlen(value) > 12)
		return log_invalid("Zone name '%s' for --network-zone= is too long: at most 12 characters, as the "
				   "zone's bridge is 'vz-' followed by it", value);
	return netif_parse_name("--network-zone=", value, target);
}

/* One NAME[:OTHER]: appends NAME, and OTHER (or fallback_prefix + NAME) to pairs. */
static int parse_pair(const char *option, const char *word, const char *prefix, char ***pairs) {
	_cleanup_free_ char *host = NULL, *container = NULL;
	const char *colon = strchr(word, ':');
	int r;

	host = colon ? strndup(word, colon - word) : strdup(word);
	if (!host)
		return log_error_errno(ENOMEM, "Out of memory");
	if ((r = check_name(option, host)) < 0 || (colon && (r = check_name(option, colon + 1)) < 0))
		return r;
	if (colon)
		container = strdup(colon + 1);
	else if (asprintf(&container, "%s%s", prefix, host) < 0)
		container = NULL;
	if (!container || strv_extend(pairs, host) < 0 || strv_extend(pairs, container) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	return 0;
}

int netif_parse_veth_extra(const char *value, char ***pairs) {
	return parse_pair("--network-veth-extra=", value, "", pairs);
}

/* Several words, as nspawn takes them. The container's name may be longer than an interface name
 * when it is made of the prefix: it is shortened when the link is made. */
int netif_parse_pairs(const char *option, const char *value, const char *prefix, char ***pairs) {
	_cleanup_strv_free_ char **words = NULL;
	int r = split_words(value, " \t\n", 0, &words);

	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory");
	if (r < 0 || !words)
		return log_invalid("Invalid value '%s' for %s, expected IF[:NAME]", value, option);
	STRV_FOREACH(w, words)
		if ((r = parse_pair(option, *w, prefix, pairs)) < 0)
			return r;
	return 0;
}

static const char *protocol_name(int protocol) {
	return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

int netif_parse_port(const char *value, PortForward **ports, size_t *n_ports) {
	NspawnPort port;
	PortForward *a;
	int r = parse_port_spec(value, &port);

	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory");
	if (r < 0)
		return log_invalid("Invalid port '%s' for --port=, expected [tcp:|udp:]HOST[:CONTAINER] with ports "
				   "from 1 to 65535", value);
	for (size_t i = 0; i < *n_ports; i++)
		if ((*ports)[i].protocol == port.protocol && (*ports)[i].host_port == port.host_port)
			return log_invalid("Port %s:%u is given to --port= twice", protocol_name(port.protocol),
					   port.host_port);
	a = reallocarray(*ports, *n_ports + 1, sizeof *a);
	if (!a)
		return log_error_errno(ENOMEM, "Out of memory");
	a[(*n_ports)++] = (PortForward) { .protocol = port.protocol, .host_port = port.host_port,
					  .container_port = port.container_port };
	*ports = a;
	return 0;
}

int netif_verify_settings(const Settings *s) {
	bool links = s->network_veth || s->network_veth_extra || s->network_bridge || s->network_zone ||
		     s->network_interfaces || s->network_macvlan || s->network_ipvlan;

	if (s->network_bridge && s->network_zone)
		return log_invalid("--network-bridge= and --network-zone= may not be combined: the veth's host "
				   "side joins one bridge");
	if (s->network_namespace_path && links)
		return log_invalid("--network-namespace-path= may not be combined with the options that make "
				   "network links (--network-veth, --network-bridge=, ...): the namespace is not "
				   "berth's own");
	/* The container's addresses are only its own in a namespace of its own. */
	if (s->n_ports > 0 && !s->private_network)
		return log_invalid("--port= needs a network namespace of the container's own: use it with "
				   "--network-veth, --network-zone= or another network option");
	return 0;
}
