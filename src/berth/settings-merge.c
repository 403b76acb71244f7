/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A machine's .nspawn file on top of the command line. The precedence is systemd-nspawn's (252),
 * quirks included, so that a machine configured for it runs the same under berth. */
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>

#include "image-find.h"
#include "log.h"
#include "name-util.h"
#include "settings-merge.h"
#include "strv.h"

/* What a file may ask for that berth cannot do yet. It is refused rather than ignored, so that a
 * machine never runs with less than its file says (no bound user, no sync suppressed). */
#define UNSUPPORTED \
	(NSPAWN_FILE_SUPPRESS_SYNC | NSPAWN_FILE_RESTRICT_ADDRESS_FAMILIES | NSPAWN_FILE_BIND_USER)

/* The command line's network options (all of them set this bit): with any of them, the file's
 * network settings are not used. */
#define SETTING_NETWORK_OPTIONS SETTING_PRIVATE_NETWORK

static int compare_origins(const void *a, const void *b) {
	unsigned x = (*(const NspawnFileOrigin *const *) a)->line, y = (*(const NspawnFileOrigin *const *) b)->line;
	return x < y ? -1 : x > y;
}

int settings_check_file(const NspawnFile *f, const char *path) {
	const NspawnFileOrigin *bad[64];
	size_t n = 0;

	for (int bit = 0; bit < 64; bit++) {
		uint64_t setting = UINT64_C(1) << bit;
		if (f->mask & setting & UNSUPPORTED)
			bad[n++] = nspawn_file_origin(f, setting);
	}
	if (n == 0)
		return 0;
	/* In the file's order, all of them at once. */
	qsort(bad, n, sizeof bad[0], compare_origins);
	for (size_t i = 0; i < n; i++)
		log_error("%s:%u: %s= is not supported by berth yet, refusing to run the machine without it",
			  path, bad[i]->line, bad[i]->key ?: "?");
	return -EOPNOTSUPP;
}

/* Boot=, ProcessTwo= and Parameters=: Parameters= counts only with one of the others, and then
 * replaces the command even when the file has none. A command on the command line is a choice of
 * start mode too. */
static void merge_start_mode(Settings *s, NspawnFile *f, const char *path, uint64_t cmdline) {
	if (!(f->mask & NSPAWN_FILE_START_MODE)) {
		const NspawnFileOrigin *o = nspawn_file_origin(f, NSPAWN_FILE_PARAMETERS);
		if (f->mask & NSPAWN_FILE_PARAMETERS)
			log_warning("%s:%u: Ignoring Parameters=: it is used only together with Boot= or ProcessTwo=",
				    path, o->line);
		return;
	}
	if (cmdline & (SETTING_START_MODE | SETTING_COMMAND))
		return;
	s->start_mode = f->start_mode;
	strv_free(s->command);
	s->command = TAKE_PTR(f->parameters);
}

/* The capability lists add to and take from the bounding set the command line made; the file's
 * network settings, when they are used, give or take CAP_NET_ADMIN with them. None of it when the
 * command line named capabilities. */
static void merge_capabilities(Settings *s, const NspawnFile *f, uint64_t cmdline) {
	uint64_t plus = 0, minus = 0, net_minus = 0;

	if (cmdline & SETTING_CAPABILITY)
		return;
	if (f->mask & NSPAWN_FILE_CAPABILITY)
		plus = f->capability;
	if (f->mask & NSPAWN_FILE_DROP_CAPABILITY)
		minus = f->drop_capability;
	if (!(cmdline & SETTING_NETWORK_OPTIONS) && (f->mask & NSPAWN_FILE_NETWORK)) {
		if (nspawn_file_private_network(f))
			plus |= UINT64_C(1) << CAP_NET_ADMIN;
		else
			net_minus = UINT64_C(1) << CAP_NET_ADMIN;
	}
	s->capabilities = ((s->capabilities & ~net_minus) | plus) & ~minus;
	if (f->mask & NSPAWN_FILE_AMBIENT_CAPABILITY)
		s->ambient_capabilities |= f->ambient_capability;
}

static void merge_limits(Settings *s, NspawnFile *f, uint64_t cmdline, bool override) {
	uint32_t cmdline_rlimits = override ? 0 : s->rlimits_set;

	for (int i = 0; (f->mask & NSPAWN_FILE_RLIMIT) && i < RLIMIT_NLIMITS; i++)
		if (f->rlimit[i].set && !(cmdline_rlimits & (UINT32_C(1) << i))) {
			s->rlimits[i] = f->rlimit[i].limit;
			s->rlimits_set |= UINT32_C(1) << i;
		}
	if ((f->mask & NSPAWN_FILE_OOM_SCORE_ADJUST) && !(cmdline & SETTING_OOM_SCORE_ADJUST)) {
		s->oom_score_adjust = f->oom_score_adjust;
		s->oom_score_adjust_set = true;
	}
	if ((f->mask & NSPAWN_FILE_CPU_AFFINITY) && !(cmdline & SETTING_CPU_AFFINITY)) {
		if (s->cpu_affinity)
			CPU_FREE(s->cpu_affinity);
		s->cpu_affinity = TAKE_PTR(f->cpu_affinity);
		s->cpu_affinity_size = f->cpu_affinity_size;
	}
	if ((f->mask & NSPAWN_FILE_PERSONALITY) && !(cmdline & SETTING_PERSONALITY))
		s->personality = f->personality;
}

/* Interface=, MACVLAN=, IPVLAN= name host interfaces; Settings has pairs of the host's name and the
 * name in the container, which the file does not choose: the same, or with prefix. */
static int ifname_pairs(char **names, const char *prefix, char ***ret) {
	char **pairs = NULL;

	STRV_FOREACH(n, names) {
		char *inside = NULL;
		if (strv_extend(&pairs, *n) < 0 || asprintf(&inside, "%s%s", prefix, *n) < 0 ||
		    strv_consume(&pairs, inside) < 0) {
			strv_free(pairs);
			return -ENOMEM;
		}
	}
	strv_free(*ret);
	*ret = pairs;
	return 0;
}

static int veth_extra_pairs(const NspawnFile *f, char ***ret) {
	char **pairs = NULL;

	for (size_t i = 0; i < f->n_veth_extra; i++) {
		const NspawnVethExtra *v = &f->veth_extra[i];
		if (strv_extend(&pairs, v->host) < 0 || strv_extend(&pairs, v->container ?: v->host) < 0) {
			strv_free(pairs);
			return -ENOMEM;
		}
	}
	strv_free(*ret);
	*ret = pairs;
	return 0;
}

/* Moves a string or list from the file into s. */
#define TAKE_STRING(target, source) \
	do {                        \
		free(target);       \
		(target) = TAKE_PTR(source); \
	} while (0)
#define TAKE_STRV(target, source)   \
	do {                        \
		strv_free(target);  \
		(target) = TAKE_PTR(source); \
	} while (0)

/* The whole block replaces the command line's network, as in nspawn, what the file does not name
 * included. */
static int merge_network(Settings *s, NspawnFile *f) {
	s->private_network = nspawn_file_private_network(f);
	s->network_veth = nspawn_file_network_veth(f);
	if (veth_extra_pairs(f, &s->network_veth_extra) < 0 || ifname_pairs(f->interfaces, "", &s->network_interfaces) < 0 ||
	    ifname_pairs(f->macvlan, "mv-", &s->network_macvlan) < 0 ||
	    ifname_pairs(f->ipvlan, "iv-", &s->network_ipvlan) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	TAKE_STRING(s->network_bridge, f->bridge);
	TAKE_STRING(s->network_zone, f->zone);
	TAKE_STRING(s->network_namespace_path, f->network_namespace_path);
	return 0;
}

static void merge_mounts(Settings *s, NspawnFile *f, uint64_t cmdline) {
	/* The file's mounts replace the command line's, as a whole. */
	if ((f->mask & NSPAWN_FILE_MOUNTS) && !(cmdline & SETTING_MOUNTS)) {
		nspawn_mount_free_many(s->mounts, s->n_mounts);
		s->mounts = TAKE_PTR(f->mounts);
		s->n_mounts = f->n_mounts;
		f->n_mounts = 0;
	}
	if ((f->mask & NSPAWN_FILE_PIVOT_ROOT) && !(cmdline & SETTING_PIVOT_ROOT)) {
		TAKE_STRING(s->pivot_root_new, f->pivot_root_new);
		TAKE_STRING(s->pivot_root_old, f->pivot_root_old);
	}
}

/* Port= replaces the command line's ports, as one list. */
static int merge_ports(Settings *s, const NspawnFile *f) {
	PortForward *ports = calloc(f->n_ports, sizeof *ports);

	if (!ports && f->n_ports > 0)
		return log_error_errno(ENOMEM, "Out of memory");
	for (size_t i = 0; i < f->n_ports; i++)
		ports[i] = (PortForward) { .protocol = f->ports[i].protocol, .host_port = f->ports[i].host_port,
					   .container_port = f->ports[i].container_port };
	free(s->ports);
	s->ports = ports;
	s->n_ports = f->n_ports;
	return 0;
}

int settings_merge_file(Settings *s, NspawnFile *f, const char *path, bool override) {
	uint64_t cmdline = override ? 0 : s->mask;
#define FROM_FILE(file_bit, cmdline_bit) ((f->mask & (file_bit)) && !(cmdline & (cmdline_bit)))

	merge_start_mode(s, f, path, cmdline);
	merge_capabilities(s, f, cmdline);
	merge_limits(s, f, cmdline, override);
	merge_mounts(s, f, cmdline);
	if (FROM_FILE(NSPAWN_FILE_EPHEMERAL, SETTING_EPHEMERAL))
		s->ephemeral = f->ephemeral;
	if (FROM_FILE(NSPAWN_FILE_ENVIRONMENT, SETTING_ENVIRONMENT))
		TAKE_STRV(s->environment, f->environment);
	if (FROM_FILE(NSPAWN_FILE_USER, SETTING_USER))
		TAKE_STRING(s->user, f->user);
	if (FROM_FILE(NSPAWN_FILE_WORKING_DIRECTORY, SETTING_CHDIR))
		TAKE_STRING(s->chdir, f->working_directory);
	if (FROM_FILE(NSPAWN_FILE_NO_NEW_PRIVILEGES, SETTING_NO_NEW_PRIVILEGES))
		s->no_new_privileges = f->no_new_privileges;
	if (FROM_FILE(NSPAWN_FILE_KILL_SIGNAL, SETTING_KILL_SIGNAL))
		s->kill_signal = f->kill_signal;
	if (FROM_FILE(NSPAWN_FILE_MACHINE_ID, SETTING_MACHINE_ID))
		s->uuid = f->machine_id;
	if (FROM_FILE(NSPAWN_FILE_NOTIFY_READY, SETTING_NOTIFY_READY))
		s->notify_ready = f->notify_ready;
	if (FROM_FILE(NSPAWN_FILE_SYSTEM_CALL_FILTER, SETTING_SYSCALL_FILTER)) {
		TAKE_STRV(s->syscall_allow, f->syscall_allow);
		TAKE_STRV(s->syscall_deny, f->syscall_deny);
	}
	if (FROM_FILE(NSPAWN_FILE_HOSTNAME, SETTING_HOSTNAME))
		TAKE_STRING(s->hostname, f->hostname);
	if (FROM_FILE(NSPAWN_FILE_RESOLV_CONF, SETTING_RESOLV_CONF))
		s->resolv_conf = f->resolv_conf;
	if (FROM_FILE(NSPAWN_FILE_TIMEZONE, SETTING_TIMEZONE))
		s->timezone = f->timezone;
	if (FROM_FILE(NSPAWN_FILE_LINK_JOURNAL, SETTING_LINK_JOURNAL))
		s->link_journal = f->link_journal;
	if (FROM_FILE(NSPAWN_FILE_READ_ONLY, SETTING_READ_ONLY))
		s->read_only = f->read_only;
	if (FROM_FILE(NSPAWN_FILE_VOLATILE, SETTING_VOLATILE_MODE))
		s->volatile_mode = f->volatile_mode;
	/* PrivateUsers= and PrivateUsersOwnership= go together, as -U and its options do. */
	if (FROM_FILE(NSPAWN_FILE_PRIVATE_USERS | NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP,
		      SETTING_PRIVATE_USERS | SETTING_PRIVATE_USERS_OWNERSHIP)) {
		s->private_users = f->private_users;
		s->uid_shift = f->uid_shift;
		s->uid_range = f->uid_range;
		s->private_users_ownership = f->private_users_ownership;
	}
	if (FROM_FILE(NSPAWN_FILE_PORT, SETTING_PORT) && merge_ports(s, f) < 0)
		return -ENOMEM;
	/* The network settings go as one block: all of them, or none when the command line has any. */
	if (FROM_FILE(NSPAWN_FILE_NETWORK, SETTING_NETWORK_OPTIONS))
		return merge_network(s, f);
#undef FROM_FILE
	return 0;
}

/* The directory the file is looked for next to: the tree given, or the image found by name. */
static int image_path(const Settings *s, const char *machine, const char *const *image_dirs, char **ret) {
	ImageType type;

	if (s->directory) {
		*ret = strdup(s->directory);
		return *ret ? 0 : -ENOMEM;
	}
	/* Not found: there is no file next to it, and tree_resolve() says what is wrong. */
	if (image_find(machine, image_dirs, &type, ret) < 0)
		*ret = NULL;
	return 0;
}

int settings_load_file(Settings *s, const char *root, const char *const *image_dirs) {
	_cleanup_free_ char *machine = NULL, *image = NULL, *path = NULL;
	NspawnFile file;
	bool trusted;
	FILE *f;
	int r;

	if (s->settings_mode == SETTINGS_FILE_NO)
		return 0;
	/* The name options_verify() will settle on; without one, it reports the problem. */
	if (s->machine)
		machine = strdup(s->machine);
	else if (!s->directory || machine_name_from_path(s->directory, &machine) < 0)
		return 0;
	if (!machine || image_path(s, machine, image_dirs, &image) < 0)
		return log_error_errno(ENOMEM, "Out of memory");

	r = nspawn_file_find(root, machine, image, &path, &trusted);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "Failed to look for the settings file of machine '%s': %m", machine);
	trusted = trusted || s->settings_mode == SETTINGS_FILE_TRUSTED;
	f = fopen(path, "re");
	if (!f)
		return log_error_errno(errno, "Failed to open settings file '%s': %m", path);
	r = nspawn_file_parse(f, &(NspawnFileParseOptions) { .path = path, .trusted = trusted }, &file);
	fclose(f);
	if (r == -EINVAL)
		return log_error_errno(r, "Settings file '%s' is not valid, not running machine '%s'", path, machine);
	if (r < 0)
		return log_error_errno(r, "Failed to read settings file '%s': %m", path);
	log_debug("Using settings file '%s' (%s)", path, trusted ? "trusted" : "not trusted");

	r = settings_check_file(&file, path);
	if (r >= 0)
		r = settings_merge_file(s, &file, path, s->settings_mode == SETTINGS_FILE_OVERRIDE);
	nspawn_file_done(&file);
	return r;
}
