/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The addresses and journal sections of berthctl status. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include <systemd/sd-journal.h>

#include "fd-util.h"
#include "netlink-util.h"
#include "status-sections.h"

/* The leader's network namespace when it is not ours; -1 otherwise. */
static int open_private_netns(pid_t leader) {
	char path[64];
	struct stat theirs, ours;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/ns/net", (int) leader);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &theirs) < 0 || stat("/proc/self/ns/net", &ours) < 0 ||
	    (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)) {
		close(fd);
		return -1;
	}
	return fd;
}

void status_print_addresses(const MachineRecord *rec) {
	_cleanup_close_ int netns = -EBADF;
	NetlinkAddress *addrs = NULL;
	Netlink *nl = NULL;
	size_t n = 0;
	bool first = true;

	if (rec->leader <= 0)
		return;
	netns = open_private_netns(rec->leader);
	if (netns < 0 || netlink_open_in_netns(netns, &nl) < 0)
		return;
	if (netlink_address_list(nl, AF_UNSPEC, &addrs, &n) >= 0)
		for (size_t i = 0; i < n; i++) {
			char text[INET6_ADDRSTRLEN];
			/* Loopback addresses say nothing about how to reach the machine. */
			if (addrs[i].scope >= RT_SCOPE_HOST ||
			    !inet_ntop(addrs[i].family, addrs[i].address, text, sizeof text))
				continue;
			printf("%s%s\n", first ? "          Address: " : "                   ", text);
			first = false;
		}
	free(addrs);
	netlink_close(nl);
}

static const char *field(sd_journal *j, const char *name, char *buf, size_t size) {
	const void *data;
	size_t len, prefix = strlen(name) + 1;

	if (sd_journal_get_data(j, name, &data, &len) < 0 || len < prefix)
		return NULL;
	snprintf(buf, size, "%.*s", (int) (len - prefix), (const char *) data + prefix);
	return buf;
}

/* Log text comes from the machine: terminal escape sequences in it are dropped and other control
 * characters shown as spaces, so a machine cannot colour, move or retitle the reader's terminal. */
static void print_sanitized(const char *s) {
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		if (c == 0x1b && s[1] == '[') {
			for (s += 2; *s && !(*s >= 0x40 && *s <= 0x7e); s++)
				;
			if (!*s)
				break;
		} else
			putchar(c < 0x20 || c == 0x7f ? ' ' : c);
	}
}

void status_print_journal(const MachineRecord *rec, unsigned lines) {
	_cleanup_free_ char *own = NULL, *about = NULL;
	sd_journal *j = NULL;
	unsigned n = 0;

	/* What the unit's processes logged, and what the service manager logged about the unit. */
	if (!rec->unit || asprintf(&own, "_SYSTEMD_UNIT=%s", rec->unit) < 0 ||
	    asprintf(&about, "UNIT=%s", rec->unit) < 0)
		return;
	if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0)
		return;
	if (sd_journal_add_match(j, own, 0) < 0 || sd_journal_add_disjunction(j) < 0 ||
	    sd_journal_add_match(j, about, 0) < 0 || sd_journal_seek_tail(j) < 0)
		goto done;
	while (n < lines && sd_journal_previous(j) > 0)
		n++;
	if (n > 0)
		putchar('\n');
	for (unsigned i = 0; i < n && sd_journal_next(j) > 0; i++) {
		char ident[128], pid[32], host[128], message[2048], when[32] = "";
		uint64_t usec;
		struct tm tm;
		if (sd_journal_get_realtime_usec(j, &usec) >= 0 &&
		    localtime_r(&(time_t) { (time_t) (usec / 1000000) }, &tm))
			strftime(when, sizeof when, "%b %d %H:%M:%S", &tm);
		const char *who = field(j, "SYSLOG_IDENTIFIER", ident, sizeof ident) ?: field(j, "_COMM", ident, sizeof ident);
		const char *p = field(j, "_PID", pid, sizeof pid);
		printf("%s %s %s%s%s%s: ", when, field(j, "_HOSTNAME", host, sizeof host) ?: "-", who ?: "-",
		       p ? "[" : "", p ?: "", p ? "]" : "");
		print_sanitized(field(j, "MESSAGE", message, sizeof message) ?: "");
		putchar('\n');
	}
done:
	sd_journal_close(j);
}
