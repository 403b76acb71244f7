/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .nspawn parser: every key's value, every kind of bad value, unknown names, untrusted files,
 * empty assignments, line syntax, and where the file is looked for. */
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <syslog.h>

#include "nspawn-file-internal.h"
#include "strv.h"
#include "tests.h"

#define PATH "/etc/systemd/nspawn/test.nspawn"
#define CAP(c) (UINT64_C(1) << (c))

/* What the parser said, as the user would read it. */
typedef struct Log {
	char text[16384];
	unsigned errors, warnings;
} Log;

static void collect(int level, const char *message, void *userdata) {
	Log *log = userdata;
	size_t n = strlen(log->text);

	snprintf(log->text + n, sizeof log->text - n, "%s\n", message);
	if (level == LOG_ERR)
		log->errors++;
	else
		log->warnings++;
}

static int parse(const char *text, bool trusted, NspawnFile *ret, Log *log) {
	NspawnFileParseOptions opts = { .path = PATH, .trusted = trusted, .log = collect, .log_userdata = log };
	FILE *f = fmemopen((void *) text, strlen(text), "r");
	int r;

	*log = (Log) {};
	if (!f)
		return -errno;
	r = nspawn_file_parse(f, &opts, ret);
	fclose(f);
	return r;
}

/* Whether l holds exactly the strings given, in order. */
static bool strv_is(char **l, ...) {
	va_list ap;
	const char *s;
	size_t i = 0;
	bool eq = true;

	va_start(ap, l);
	while ((s = va_arg(ap, const char *)))
		if (!l || !l[i] || !streq(l[i++], s))
			eq = false;
	va_end(ap);
	return eq && (!l || !l[i]);
}

static const char every_key[] =
	"# A sample with every key\n"
	"; and both kinds of comment\n"
	"[Exec]\n"
	"Boot=yes\n"
	"Ephemeral=yes\n"
	"Parameters=--log-level=debug \"two words\" 'it''s'\n"
	"Environment=FOO=bar \"GREETING=hello world\"\n"
	"User=alice\n"
	"WorkingDirectory=/srv//app/./data/\n"
	"PivotRoot=/sysroot:/oldroot\n"
	"Capability=CAP_NET_ADMIN cap_sys_time\n"
	"DropCapability=CAP_SYS_MODULE\n"
	"AmbientCapability=CAP_NET_RAW\n"
	"NoNewPrivileges=yes\n"
	"KillSignal=SIGRTMIN+4\n"
	"Personality=x86-64\n"
	"MachineID=0123456789abcdef0123456789abcdef\n"
	"PrivateUsers=100000:4096\n"
	"NotifyReady=yes\n"
	"SystemCallFilter=@clock add_key\n"
	"SystemCallFilter=~reboot\n"
	"LimitCPU=1min 30s\n"
	"LimitFSIZE=1G\n"
	"LimitDATA=2M:4M\n"
	"LimitSTACK=8M\n"
	"LimitCORE=0\n"
	"LimitRSS=infinity\n"
	"LimitNOFILE=1024:4096\n"
	"LimitAS=1.5G\n"
	"LimitNPROC=512\n"
	"LimitMEMLOCK=64K\n"
	"LimitLOCKS=100\n"
	"LimitSIGPENDING=200\n"
	"LimitMSGQUEUE=1M\n"
	"LimitNICE=-5\n"
	"LimitRTPRIO=10\n"
	"LimitRTTIME=2ms\n"
	"Hostname=box.example\n"
	"OOMScoreAdjust=-500\n"
	"CPUAffinity=0-2,5\n"
	"CPUAffinity=7\n"
	"ResolvConf=copy-host\n"
	"Timezone=symlink\n"
	"LinkJournal=try-guest\n"
	"SuppressSync=yes\n"
	"RestrictAddressFamilies=AF_INET AF_UNIX\n"
	"[Files]\n"
	"ReadOnly=yes\n"
	"Volatile=state\n"
	"Bind=/srv/data\n"
	"BindReadOnly=+/usr/share:/opt/share:norbind,idmap\n"
	"Bind=:/scratch\n"
	"TemporaryFileSystem=/tmp:mode=1777,size=10M\n"
	"TemporaryFileSystem=/run/a\\:b\n"
	"Inaccessible=/etc/shadow\n"
	"Overlay=/lower1:/lower2::/var\n"
	"OverlayReadOnly=+/a:/b\n"
	"PrivateUsersOwnership=map\n"
	"BindUser=alice bob\n"
	"[Network]\n"
	"Private=yes\n"
	"VirtualEthernet=yes\n"
	"VirtualEthernetExtra=vhost:vcont\n"
	"VirtualEthernetExtra=same\n"
	"Interface=eth1 eth2\n"
	"MACVLAN=mv0\n"
	"IPVLAN=iv0\n"
	"Bridge=br0\n"
	"Zone=lab\n"
	"Port=tcp:8080:80\n"
	"Port=udp:53\n"
	"Port=443\n"
	"NamespacePath=/run/netns/foo\n";

static int check_exec(const NspawnFile *f) {
	ASSERT_EQ_INT(f->start_mode, START_BOOT);
	ASSERT_TRUE(f->ephemeral);
	ASSERT_TRUE(strv_is(f->parameters, "--log-level=debug", "two words", "its", NULL));
	ASSERT_TRUE(strv_is(f->environment, "FOO=bar", "GREETING=hello world", NULL));
	ASSERT_STREQ(f->user, "alice");
	ASSERT_STREQ(f->working_directory, "/srv/app/data");
	ASSERT_STREQ(f->pivot_root_new, "/sysroot");
	ASSERT_STREQ(f->pivot_root_old, "/oldroot");
	ASSERT_EQ_U64(f->capability, CAP(CAP_NET_ADMIN) | CAP(CAP_SYS_TIME));
	ASSERT_EQ_U64(f->drop_capability, CAP(CAP_SYS_MODULE));
	ASSERT_EQ_U64(f->ambient_capability, CAP(CAP_NET_RAW));
	ASSERT_TRUE(f->no_new_privileges);
	ASSERT_EQ_INT(f->kill_signal, SIGRTMIN + 4);
#if defined(__x86_64__)
	ASSERT_EQ_INT(f->personality, PER_LINUX);
#endif
	ASSERT_TRUE(sd_id128_equal(f->machine_id, SD_ID128_MAKE(01, 23, 45, 67, 89, ab, cd, ef, 01, 23, 45, 67,
								89, ab, cd, ef)));
	ASSERT_EQ_INT(f->private_users, PRIVATE_USERS_YES);
	ASSERT_EQ_INT(f->uid_shift, 100000);
	ASSERT_EQ_INT(f->uid_range, 4096);
	ASSERT_TRUE(f->notify_ready);
	ASSERT_TRUE(strv_is(f->syscall_allow, "@clock", "add_key", NULL));
	ASSERT_TRUE(strv_is(f->syscall_deny, "reboot", NULL));
	return 0;
}

static int check_rlimits(const NspawnFile *f) {
	static const struct {
		int resource;
		rlim_t soft, hard;
	} want[] = {
		{ RLIMIT_CPU, 90, 90 },
		{ RLIMIT_FSIZE, UINT64_C(1) << 30, UINT64_C(1) << 30 },
		{ RLIMIT_DATA, 2 << 20, 4 << 20 },
		{ RLIMIT_STACK, 8 << 20, 8 << 20 },
		{ RLIMIT_CORE, 0, 0 },
		{ RLIMIT_RSS, RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_NOFILE, 1024, 4096 },
		{ RLIMIT_AS, UINT64_C(3) << 29, UINT64_C(3) << 29 },
		{ RLIMIT_NPROC, 512, 512 },
		{ RLIMIT_MEMLOCK, 64 << 10, 64 << 10 },
		{ RLIMIT_LOCKS, 100, 100 },
		{ RLIMIT_SIGPENDING, 200, 200 },
		{ RLIMIT_MSGQUEUE, 1 << 20, 1 << 20 },
		{ RLIMIT_NICE, 25, 25 }, /* nice -5 */
		{ RLIMIT_RTPRIO, 10, 10 },
		{ RLIMIT_RTTIME, 2000, 2000 },
	};

	ASSERT_EQ_INT(ELEMENTSOF(want), RLIMIT_NLIMITS);
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		const NspawnRlimit *rl = &f->rlimit[want[i].resource];
		if (!rl->set || rl->limit.rlim_cur != want[i].soft || rl->limit.rlim_max != want[i].hard)
			TEST_FAIL("Limit%s= is %s %llu:%llu", rlimit_name_to_string(want[i].resource),
				  rl->set ? "set to" : "not set", (unsigned long long) rl->limit.rlim_cur,
				  (unsigned long long) rl->limit.rlim_max);
	}
	return 0;
}

static int check_exec_rest(const NspawnFile *f) {
	ASSERT_STREQ(f->hostname, "box.example");
	ASSERT_EQ_INT(f->oom_score_adjust, -500);
	ASSERT_NOT_NULL(f->cpu_affinity);
	ASSERT_EQ_INT(CPU_COUNT_S(f->cpu_affinity_size, f->cpu_affinity), 5);
	for (int cpu = 0; cpu < 8; cpu++)
		ASSERT_EQ_INT(!!CPU_ISSET_S(cpu, f->cpu_affinity_size, f->cpu_affinity),
			      cpu <= 2 || cpu == 5 || cpu == 7);
	ASSERT_EQ_INT(f->resolv_conf, RESOLV_CONF_COPY_HOST);
	ASSERT_EQ_INT(f->timezone, TIMEZONE_SYMLINK);
	ASSERT_EQ_INT(f->link_journal, LINK_JOURNAL_TRY_GUEST);
	ASSERT_TRUE(f->suppress_sync);
	ASSERT_FALSE(f->address_families_deny);
	ASSERT_EQ_U64(f->address_families, CAP(AF_INET) | CAP(AF_UNIX));
	return 0;
}

static int check_mounts(const NspawnFile *f) {
	const NspawnMount *m = f->mounts;

	ASSERT_EQ_INT(f->n_mounts, 8);
	ASSERT_EQ_INT(m[0].type, NSPAWN_MOUNT_BIND);
	ASSERT_STREQ(m[0].source, "/srv/data");
	ASSERT_STREQ(m[0].destination, "/srv/data");
	ASSERT_TRUE(!m[0].read_only && m[0].recursive && m[0].idmap == BIND_IDMAP_NONE);
	ASSERT_STREQ(m[1].source, "+/usr/share");
	ASSERT_STREQ(m[1].destination, "/opt/share");
	ASSERT_TRUE(m[1].read_only && !m[1].recursive && m[1].idmap == BIND_IDMAP_HOST_ROOT);
	ASSERT_NULL(m[2].source);
	ASSERT_STREQ(m[2].destination, "/scratch");
	ASSERT_EQ_INT(m[3].type, NSPAWN_MOUNT_TMPFS);
	ASSERT_STREQ(m[3].destination, "/tmp");
	ASSERT_STREQ(m[3].options, "mode=1777,size=10M");
	ASSERT_STREQ(m[4].destination, "/run/a:b");
	ASSERT_STREQ(m[4].options, "mode=0755");
	ASSERT_EQ_INT(m[5].type, NSPAWN_MOUNT_INACCESSIBLE);
	ASSERT_STREQ(m[5].destination, "/etc/shadow");
	ASSERT_EQ_INT(m[6].type, NSPAWN_MOUNT_OVERLAY);
	ASSERT_TRUE(strv_is(m[6].lower, "/lower1", "/lower2", NULL));
	ASSERT_NULL(m[6].source);
	ASSERT_STREQ(m[6].destination, "/var");
	ASSERT_FALSE(m[6].read_only);
	ASSERT_TRUE(strv_is(m[7].lower, "+/a", NULL));
	ASSERT_STREQ(m[7].source, "/b");
	ASSERT_STREQ(m[7].destination, "/b");
	ASSERT_TRUE(m[7].read_only);
	return 0;
}

static int check_files_network(const NspawnFile *f) {
	ASSERT_TRUE(f->read_only);
	ASSERT_EQ_INT(f->volatile_mode, VOLATILE_STATE);
	ASSERT_EQ_INT(f->private_users_ownership, PRIVATE_USERS_OWNERSHIP_MAP);
	ASSERT_TRUE(strv_is(f->bind_user, "alice", "bob", NULL));

	ASSERT_TRUE(f->private_network && f->virtual_ethernet);
	ASSERT_EQ_INT(f->n_veth_extra, 2);
	ASSERT_STREQ(f->veth_extra[0].host, "vhost");
	ASSERT_STREQ(f->veth_extra[0].container, "vcont");
	ASSERT_STREQ(f->veth_extra[1].host, "same");
	ASSERT_STREQ(f->veth_extra[1].container, "same");
	ASSERT_TRUE(strv_is(f->interfaces, "eth1", "eth2", NULL));
	ASSERT_TRUE(strv_is(f->macvlan, "mv0", NULL));
	ASSERT_TRUE(strv_is(f->ipvlan, "iv0", NULL));
	ASSERT_STREQ(f->bridge, "br0");
	ASSERT_STREQ(f->zone, "lab");
	ASSERT_EQ_INT(f->n_ports, 3);
	ASSERT_TRUE(f->ports[0].protocol == IPPROTO_TCP && f->ports[0].host_port == 8080 &&
		    f->ports[0].container_port == 80);
	ASSERT_TRUE(f->ports[1].protocol == IPPROTO_UDP && f->ports[1].host_port == 53 &&
		    f->ports[1].container_port == 53);
	ASSERT_TRUE(f->ports[2].protocol == IPPROTO_TCP && f->ports[2].host_port == 443);
	ASSERT_STREQ(f->network_namespace_path, "/run/netns/foo");
	ASSERT_TRUE(nspawn_file_private_network(f) && nspawn_file_network_veth(f));
	return 0;
}

static int test_every_key(void) {
	NspawnFile f;
	Log log;

	ASSERT_OK(parse(every_key, true, &f, &log));
	ASSERT_STREQ(log.text, "");
	/* Every setting's bit is set: the sample misses none. */
	ASSERT_EQ_U64(f.mask, (UINT64_C(1) << 41) - 1);
	ASSERT_PASS(check_exec(&f));
	ASSERT_PASS(check_rlimits(&f));
	ASSERT_PASS(check_exec_rest(&f));
	ASSERT_PASS(check_mounts(&f));
	ASSERT_PASS(check_files_network(&f));
	nspawn_file_done(&f);
	ASSERT_TRUE(f.mask == 0 && !f.mounts && !f.parameters);
	return 0;
}

/* The sample's first line for a key, for the tests that need a good value of each. */
static const char *sample_line(const char *key) {
	static char buf[256];
	size_t n = strlen(key);

	for (const char *p = every_key; (p = strstr(p, key)); p++)
		if ((p == every_key || p[-1] == '\n') && p[n] == '=') {
			snprintf(buf, sizeof buf, "%.*s", (int) strcspn(p, "\n"), p);
			return buf;
		}
	return NULL;
}

/* One bad value per kind of value each key takes. */
static const struct {
	const char *section, *assignment, *shown; /* shown: the part the message quotes */
} bad_values[] = {
	{ "Exec", "Boot=maybe", NULL },
	{ "Exec", "Boot=", NULL },
	{ "Exec", "ProcessTwo=2", NULL },
	{ "Exec", "Ephemeral=sometimes", NULL },
	{ "Exec", "NoNewPrivileges=yess", NULL },
	{ "Exec", "NotifyReady=ready", NULL },
	{ "Exec", "SuppressSync=-", NULL },
	{ "Exec", "Parameters=/bin/sh \"unbalanced", NULL },
	{ "Exec", "Environment=NOEQUALS", NULL },
	{ "Exec", "Environment=GOOD=1 1BAD=2", "1BAD=2" },
	{ "Exec", "Environment='unbalanced", NULL },
	{ "Exec", "User=al\"ice", NULL },
	{ "Exec", "WorkingDirectory=relative/dir", NULL },
	{ "Exec", "WorkingDirectory=/a/../b", NULL },
	{ "Exec", "PivotRoot=relative", NULL },
	{ "Exec", "PivotRoot=/new:old", NULL },
	{ "Exec", "PivotRoot=", NULL },
	{ "Exec", "Capability=CAP_NET_ADMIN CAP_BOGUS", "CAP_BOGUS" },
	{ "Exec", "DropCapability=64", NULL },
	{ "Exec", "AmbientCapability=all", NULL },
	{ "Exec", "KillSignal=SIGNOPE", NULL },
	{ "Exec", "KillSignal=0", NULL },
	{ "Exec", "KillSignal=", NULL },
	{ "Exec", "Personality=vax", NULL },
	{ "Exec", "MachineID=not-an-id", NULL },
	{ "Exec", "MachineID=00000000000000000000000000000000", NULL },
	{ "Exec", "PrivateUsers=maybe", NULL },
	{ "Exec", "PrivateUsers=100000:0", NULL },
	{ "Exec", "PrivateUsers=4294967000:65536", NULL },
	{ "Exec", "PrivateUsers=-1", NULL },
	{ "Exec", "SystemCallFilter=read wr!te", "wr!te" },
	{ "Exec", "SystemCallFilter=~@no-such-group", NULL },
	{ "Exec", "LimitNOFILE=lots", NULL },
	{ "Exec", "LimitNOFILE=4096:1024", NULL },
	{ "Exec", "LimitNOFILE=1:2:3", NULL },
	{ "Exec", "LimitCPU=5 parsecs", NULL },
	{ "Exec", "LimitAS=1Q", NULL },
	{ "Exec", "LimitNICE=+20", NULL },
	{ "Exec", "LimitRTTIME=", NULL },
	{ "Exec", "Hostname=-bad-", NULL },
	{ "Exec", "Hostname=a..b", NULL },
	{ "Exec", "OOMScoreAdjust=1001", NULL },
	{ "Exec", "OOMScoreAdjust=low", NULL },
	{ "Exec", "CPUAffinity=3-1", NULL },
	{ "Exec", "CPUAffinity=8192", NULL },
	{ "Exec", "CPUAffinity=one", NULL },
	{ "Exec", "ResolvConf=copy", NULL },
	{ "Exec", "Timezone=utc", NULL },
	{ "Exec", "LinkJournal=maybe", NULL },
	{ "Exec", "RestrictAddressFamilies=AF_BOGUS", NULL },
	{ "Files", "ReadOnly=ro", NULL },
	{ "Files", "Volatile=overlayfs", NULL },
	{ "Files", "Bind=/src:relative", NULL },
	{ "Files", "Bind=/src:/dst:rbind,bogus", NULL },
	{ "Files", "Bind=+relative", NULL },
	{ "Files", "Bind=", NULL },
	{ "Files", "BindReadOnly=/src:", NULL },
	{ "Files", "TemporaryFileSystem=tmp", NULL },
	{ "Files", "Inaccessible=etc/shadow", NULL },
	{ "Files", "Overlay=/only", NULL },
	{ "Files", "Overlay=/a::/b:relative", NULL },
	{ "Files", "OverlayReadOnly=:/b", NULL },
	{ "Files", "PrivateUsersOwnership=yes", NULL },
	{ "Files", "PrivateUsersChown=map", NULL },
	{ "Files", "BindUser=root 0day", "0day" },
	{ "Network", "Private=private", NULL },
	{ "Network", "VirtualEthernet=veth", NULL },
	{ "Network", "VirtualEthernetExtra=a:b:c", NULL },
	{ "Network", "VirtualEthernetExtra=waytoolonginterfacename", NULL },
	{ "Network", "VirtualEthernetExtra=host:bad/name", NULL },
	{ "Network", "Interface=eth0 all", "all" },
	{ "Network", "MACVLAN=123", NULL },
	{ "Network", "IPVLAN=a:b", NULL },
	{ "Network", "Bridge=br/0", NULL },
	{ "Network", "Zone=muchtoolongzone", NULL },
	{ "Network", "Port=0", NULL },
	{ "Network", "Port=sctp:80", NULL },
	{ "Network", "Port=80:65536", NULL },
	{ "Network", "NamespacePath=netns/foo", NULL },
};

static int test_bad_values(void) {
	NspawnFile f;
	Log log;

	for (size_t i = 0; i < ELEMENTSOF(bad_values); i++) {
		const char *a = bad_values[i].assignment, *eq = strchr(a, '=');
		char text[512], key[64], shown[256];

		snprintf(text, sizeof text, "# line 1\n[%s]\n\n%s\n", bad_values[i].section, a);
		snprintf(key, sizeof key, " for %.*s=", (int) (eq - a), a);
		snprintf(shown, sizeof shown, "'%s'", bad_values[i].shown ?: eq + 1);
		ASSERT_ERR(parse(text, true, &f, &log), -EINVAL);
		ASSERT_EQ_INT(log.errors, 1);
		ASSERT_CONTAINS(log.text, PATH ":4: Invalid value ");
		ASSERT_CONTAINS(log.text, key);
		ASSERT_CONTAINS(log.text, shown);
		ASSERT_CONTAINS(log.text, ", expected ");
	}

	/* Parsing goes on after a bad value, so that all of them are reported at once. */
	ASSERT_ERR(parse("[Exec]\nBoot=maybe\nHostname=ok\nKillSignal=NOPE\n", true, &f, &log), -EINVAL);
	ASSERT_EQ_INT(log.errors, 2);
	ASSERT_CONTAINS(log.text, PATH ":2: ");
	ASSERT_CONTAINS(log.text, PATH ":4: ");
	return 0;
}

static int test_structure(void) {
	NspawnFile f;
	Log log;

	/* Unknown sections and keys are warnings; what follows is parsed. */
	ASSERT_OK(parse("Hostname=outside\n"
			"[Exec]\n"
			"Hostnme=typo\n"
			"Private=yes\n"
			"X-Mine=whatever\n"
			"no equals sign\n"
			"[Bogus]\n"
			"Hostname=ignored\n"
			"[X-Vendor]\n"
			"Key=value\n"
			"[Exec]\n"
			"Hostname=kept\n",
			true, &f, &log));
	ASSERT_EQ_INT(log.errors, 0);
	ASSERT_EQ_INT(log.warnings, 5);
	ASSERT_CONTAINS(log.text, PATH ":1: Assignment outside of a section");
	ASSERT_CONTAINS(log.text, PATH ":3: Unknown key Hostnme= in section [Exec]");
	ASSERT_CONTAINS(log.text, PATH ":4: Unknown key Private= in section [Exec], ignoring it: "
				  "it belongs in [Network]");
	ASSERT_CONTAINS(log.text, PATH ":6: Missing '='");
	ASSERT_CONTAINS(log.text, PATH ":7: Unknown section [Bogus]");
	ASSERT_NOT_CONTAINS(log.text, "X-");
	ASSERT_STREQ(f.hostname, "kept");
	ASSERT_EQ_U64(f.mask, NSPAWN_FILE_HOSTNAME);
	nspawn_file_done(&f);

	/* A broken section header is an error, as is text that is not UTF-8. */
	ASSERT_ERR(parse("[Exec\nBoot=yes\n", true, &f, &log), -EINVAL);
	ASSERT_CONTAINS(log.text, PATH ":1: Invalid section header '[Exec'");
	ASSERT_EQ_INT(log.errors, 1);
	ASSERT_ERR(parse("[Exec]\nHostname=caf\xe9\n", true, &f, &log), -EINVAL);
	ASSERT_CONTAINS(log.text, PATH ":2: Line is not valid UTF-8");

	/* Repeated sections add up; whitespace around '=' and the line, CRLF and a BOM are fine. */
	ASSERT_OK(parse("\xef\xbb\xbf[Exec]\r\n  Parameters = a b  \r\n"
			"[Files]\nReadOnly=1\n[Exec]\n\tParameters=\tc\n",
			true, &f, &log));
	ASSERT_STREQ(log.text, "");
	ASSERT_TRUE(strv_is(f.parameters, "a", "b", "c", NULL));
	ASSERT_TRUE(f.read_only);
	nspawn_file_done(&f);
	return 0;
}

static int test_continuation(void) {
	NspawnFile f;
	Log log;

	ASSERT_ERR(parse("[Exec]\n"
			 "Parameters=/bin/echo \\\n"
			 "# a comment inside is dropped\n"
			 "  one \\\n"
			 "  two\n"
			 "Environment=A=1\\\\\n"
			 "Hostname=h\n"
			 "KillSignal=\\\n"
			 "BOGUS\n",
			 true, &f, &log),
		   -EINVAL);
	/* The message names the line the statement starts on. */
	ASSERT_EQ_INT(log.errors, 1);
	ASSERT_CONTAINS(log.text, PATH ":8: Invalid value 'BOGUS' for KillSignal=");

	ASSERT_OK(parse("[Exec]\n"
			"Parameters=/bin/echo \\\n"
			"; comment\n"
			"  one \\\n"
			"  two\n"
			"Environment=A=1\\\\\n"
			"Hostname=h\\\n",
			true, &f, &log));
	ASSERT_TRUE(strv_is(f.parameters, "/bin/echo", "one", "two", NULL));
	/* An escaped backslash does not continue the line, and stays as it is in a word. */
	ASSERT_TRUE(strv_is(f.environment, "A=1\\\\", NULL));
	/* A continuation at the end of the file ends there. */
	ASSERT_STREQ(f.hostname, "h");
	nspawn_file_done(&f);
	return 0;
}

static int test_empty_assignments(void) {
	NspawnFile f;
	Log log;

	ASSERT_OK(parse("[Exec]\n"
			"Parameters=a b\nParameters=\nParameters=c\n"
			"Environment=A=1\nEnvironment=\n"
			"Environment=B=1 B=2\n"
			"User=u\nUser=\n"
			"Hostname=h\nHostname=\n"
			"WorkingDirectory=/w\nWorkingDirectory=\n"
			"NotifyReady=yes\nNotifyReady=\n"
			"CPUAffinity=1\nCPUAffinity=\nCPUAffinity=3\n"
			"OOMScoreAdjust=5\nOOMScoreAdjust=\n"
			"Personality=x86-64\nPersonality=\n"
			"Capability=CAP_CHOWN\nCapability=\nCapability=CAP_KILL\n"
			"SystemCallFilter=read\nSystemCallFilter=\nSystemCallFilter=write\n"
			"RestrictAddressFamilies=AF_INET\nRestrictAddressFamilies=\n"
			"[Files]\n"
			"BindUser=a\nBindUser=\n"
			"[Network]\n"
			"Interface=e1\nInterface=\nInterface=e2\n"
			"Bridge=b\nBridge=\nZone=z\nZone=\n",
			true, &f, &log));
	ASSERT_STREQ(log.text, "");
	/* Lists that nspawn resets start over; the others add up. */
	ASSERT_TRUE(strv_is(f.parameters, "c", NULL));
	ASSERT_TRUE(strv_is(f.environment, "B=2", NULL));
	ASSERT_TRUE(strv_is(f.interfaces, "e2", NULL));
	ASSERT_NULL(f.bind_user);
	ASSERT_EQ_INT(CPU_COUNT_S(f.cpu_affinity_size, f.cpu_affinity), 1);
	ASSERT_TRUE(CPU_ISSET_S(3, f.cpu_affinity_size, f.cpu_affinity));
	ASSERT_EQ_U64(f.capability, CAP(CAP_CHOWN) | CAP(CAP_KILL));
	ASSERT_TRUE(strv_is(f.syscall_allow, "read", "write", NULL));
	ASSERT_TRUE(!f.user && !f.hostname && !f.working_directory && !f.bridge && !f.zone);
	ASSERT_EQ_U64(f.mask, NSPAWN_FILE_PARAMETERS | NSPAWN_FILE_ENVIRONMENT | NSPAWN_FILE_CPU_AFFINITY |
				      NSPAWN_FILE_CAPABILITY | NSPAWN_FILE_SYSTEM_CALL_FILTER | NSPAWN_FILE_INTERFACE);
	nspawn_file_done(&f);

	/* RestrictAddressFamilies= of the other kind takes away. */
	ASSERT_OK(parse("[Exec]\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
			"RestrictAddressFamilies=~AF_INET6\nRestrictAddressFamilies=AF_NETLINK\n",
			true, &f, &log));
	ASSERT_EQ_U64(f.address_families, CAP(AF_INET) | CAP(AF_UNIX) | CAP(AF_NETLINK));
	ASSERT_FALSE(f.address_families_deny);
	nspawn_file_done(&f);
	return 0;
}

static int test_start_mode(void) {
	NspawnFile f;
	Log log;

	ASSERT_OK(parse("[Exec]\nProcessTwo=yes\nBoot=no\n", true, &f, &log));
	ASSERT_EQ_INT(f.start_mode, START_PID2);
	nspawn_file_done(&f);
	ASSERT_OK(parse("[Exec]\nBoot=no\n", true, &f, &log));
	ASSERT_EQ_INT(f.start_mode, START_PID1);
	ASSERT_EQ_U64(f.mask, NSPAWN_FILE_START_MODE);
	nspawn_file_done(&f);
	ASSERT_ERR(parse("[Exec]\nBoot=yes\nProcessTwo=yes\n", true, &f, &log), -EINVAL);
	ASSERT_CONTAINS(log.text, PATH ":3: ProcessTwo=yes conflicts with the earlier Boot=yes");
	ASSERT_ERR(parse("[Exec]\nProcessTwo=on\nBoot=true\n", true, &f, &log), -EINVAL);
	ASSERT_CONTAINS(log.text, PATH ":3: Boot=true conflicts with the earlier ProcessTwo=yes");
	return 0;
}

static int test_private_users(void) {
	static const struct {
		const char *value;
		PrivateUsersMode mode;
		uid_t shift, range;
	} cases[] = {
		{ "no", PRIVATE_USERS_NO, UID_INVALID, 0x10000 },
		{ "0", PRIVATE_USERS_NO, UID_INVALID, 0x10000 },
		{ "yes", PRIVATE_USERS_YES, UID_INVALID, 0x10000 },
		{ "pick", PRIVATE_USERS_PICK, UID_INVALID, 0x10000 },
		{ "identity", PRIVATE_USERS_IDENTITY, 0, 0x10000 },
		{ "524288", PRIVATE_USERS_YES, 524288, 0x10000 },
		{ "65536:1000", PRIVATE_USERS_YES, 65536, 1000 },
	};
	NspawnFile f;
	Log log;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char text[64];
		snprintf(text, sizeof text, "[Exec]\nPrivateUsers=%s\n", cases[i].value);
		ASSERT_OK(parse(text, true, &f, &log));
		ASSERT_EQ_INT(f.private_users, cases[i].mode);
		ASSERT_EQ_U64(f.uid_shift, cases[i].shift);
		ASSERT_EQ_U64(f.uid_range, cases[i].range);
		/* Without PrivateUsersOwnership=, nspawn's default for the mode. */
		ASSERT_TRUE(f.mask & NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP);
		ASSERT_EQ_INT(f.private_users_ownership, cases[i].mode == PRIVATE_USERS_PICK
								 ? PRIVATE_USERS_OWNERSHIP_CHOWN
								 : PRIVATE_USERS_OWNERSHIP_OFF);
		nspawn_file_done(&f);
	}
	ASSERT_OK(parse("[Files]\nPrivateUsersChown=yes\n", true, &f, &log));
	ASSERT_EQ_INT(f.private_users_ownership, PRIVATE_USERS_OWNERSHIP_CHOWN);
	ASSERT_EQ_INT(f.private_users, PRIVATE_USERS_NO);
	ASSERT_EQ_U64(f.mask, NSPAWN_FILE_PRIVATE_USERS | NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP);
	nspawn_file_done(&f);
	return 0;
}

/* What systemd-nspawn 252 ignores in a file next to the image (and BindUser=, which its manual
 * calls privileged), plus NamespacePath=, a network setting like the others. */
static const char *const privileged[] = {
	"Capability", "AmbientCapability", "MachineID", "PrivateUsers", "LimitCPU", "LimitFSIZE", "LimitDATA",
	"LimitSTACK", "LimitCORE", "LimitRSS", "LimitNOFILE", "LimitAS", "LimitNPROC", "LimitMEMLOCK",
	"LimitLOCKS", "LimitSIGPENDING", "LimitMSGQUEUE", "LimitNICE", "LimitRTPRIO", "LimitRTTIME",
	"OOMScoreAdjust", "CPUAffinity", "LinkJournal", "Bind", "BindReadOnly", "TemporaryFileSystem",
	"Inaccessible", "Overlay", "OverlayReadOnly", "PrivateUsersChown", "PrivateUsersOwnership", "BindUser",
	"Private", "VirtualEthernet", "VirtualEthernetExtra", "Interface", "MACVLAN", "IPVLAN", "Bridge", "Zone",
	"Port", "NamespacePath", NULL,
};

static int test_untrusted(void) {
	for (size_t i = 0; i < nspawn_keys_count; i++) {
		const NspawnKey *k = &nspawn_keys[i];
		bool priv = strv_contains((char **) privileged, k->name);
		/* The two keys the sample cannot hold next to their alternatives. */
		const char *line = streq(k->name, "PrivateUsersChown") ? "PrivateUsersChown=yes"
				   : streq(k->name, "ProcessTwo")      ? "ProcessTwo=yes"
								       : sample_line(k->name);
		char text[512], warning[256];
		NspawnFile f;
		Log log;

		/* Every key has a sample value (the table and the test cannot drift apart), and is privileged
		 * exactly when nspawn ignores it. */
		if (!line)
			TEST_FAIL("No sample value for %s=", k->name);
		if (!!(k->flags & NSPAWN_KEY_PRIVILEGED) != priv)
			TEST_FAIL("%s= is %sprivileged", k->name, priv ? "not " : "");
		snprintf(text, sizeof text, "[%s]\n# comment\n%s\n", k->section, line);
		ASSERT_OK(parse(text, false, &f, &log));
		snprintf(warning, sizeof warning, PATH ":3: Ignoring %s= in untrusted file", k->name);
		if (priv) {
			ASSERT_CONTAINS(log.text, warning);
			ASSERT_EQ_INT(log.warnings, 1);
			ASSERT_EQ_U64(f.mask, 0);
		} else if (!streq(k->name, "SystemCallFilter")) {
			ASSERT_STREQ(log.text, "");
			ASSERT_EQ_U64(f.mask, k->setting);
		}
		nspawn_file_done(&f);
		/* Trusted, the same line is taken. */
		ASSERT_OK(parse(text, true, &f, &log));
		ASSERT_STREQ(log.text, "");
		ASSERT_TRUE(f.mask & k->setting);
		nspawn_file_done(&f);
	}
	return 0;
}

static int test_untrusted_syscall_filter(void) {
	NspawnFile f;
	Log log;

	/* Deny lists alone are taken from an untrusted file ... */
	ASSERT_OK(parse("[Exec]\nSystemCallFilter=~reboot kexec_load\nDropCapability=CAP_SYS_ADMIN\n", false, &f,
			&log));
	ASSERT_STREQ(log.text, "");
	ASSERT_TRUE(strv_is(f.syscall_deny, "reboot", "kexec_load", NULL));
	ASSERT_NULL(f.syscall_allow);
	ASSERT_EQ_U64(f.drop_capability, CAP(CAP_SYS_ADMIN));
	nspawn_file_done(&f);
	/* ... but an allow list makes nspawn drop all of the setting. */
	ASSERT_OK(parse("[Exec]\nSystemCallFilter=~reboot\nSystemCallFilter=add_key\nSystemCallFilter=~swapon\n",
			false, &f, &log));
	ASSERT_CONTAINS(log.text, PATH ":3: Ignoring SystemCallFilter= in untrusted file");
	ASSERT_CONTAINS(log.text, PATH ":3: Ignoring the SystemCallFilter=~ deny lists too");
	ASSERT_TRUE(!f.syscall_allow && !f.syscall_deny && f.mask == 0);
	nspawn_file_done(&f);
	/* A bad value in an ignored privileged key does not matter. */
	ASSERT_OK(parse("[Files]\nBind=relative:also-relative\n", false, &f, &log));
	ASSERT_EQ_INT(log.errors, 0);
	nspawn_file_done(&f);
	return 0;
}

static int make_file(const char *root, const char *path) {
	char p[4096];

	snprintf(p, sizeof p, "%s%s", root, path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		(void) mkdir(p, 0755);
		*s = '/';
	}
	return tests_write_file(AT_FDCWD, p, "", 0644);
}

static int expect_find(const char *root, const char *image, const char *want, bool want_trusted) {
	char image_path[4096], want_path[4096];
	_cleanup_free_ char *path = NULL;
	bool trusted;

	snprintf(image_path, sizeof image_path, "%s%s", root, image);
	if (!want) {
		ASSERT_ERR(nspawn_file_find(root, "test", image_path, &path, &trusted), -ENOENT);
		return 0;
	}
	snprintf(want_path, sizeof want_path, "%s%s", root, want);
	ASSERT_OK(nspawn_file_find(root, "test", image_path, &path, &trusted));
	ASSERT_STREQ(path, want_path);
	ASSERT_EQ_INT(trusted, want_trusted);
	return 0;
}

static int test_find(void) {
	_cleanup_tmpdir_ char *root = tests_mkdtemp();
	char *path;
	bool trusted;

	ASSERT_NOT_NULL(root);
	ASSERT_OK(make_file(root, "/var/lib/machines/test/etc/os-release"));
	ASSERT_OK(make_file(root, "/var/lib/machines/test.raw"));
	ASSERT_OK(make_file(root, "/srv/elsewhere/test/x"));

	ASSERT_PASS(expect_find(root, "/var/lib/machines/test", NULL, false));
	ASSERT_OK(make_file(root, "/var/lib/machines/test.nspawn"));
	/* Beside the tree, or the raw image, with or without a final slash: not trusted. */
	ASSERT_PASS(expect_find(root, "/var/lib/machines/test", "/var/lib/machines/test.nspawn", false));
	ASSERT_PASS(expect_find(root, "/var/lib/machines/test/", "/var/lib/machines/test.nspawn", false));
	ASSERT_PASS(expect_find(root, "/var/lib/machines/test.raw", "/var/lib/machines/test.nspawn", false));
	/* Only beside the image used, wherever it is. */
	ASSERT_PASS(expect_find(root, "/srv/elsewhere/test", NULL, false));
	/* /run is trusted and wins over the image's directory; /etc wins over /run. */
	ASSERT_OK(make_file(root, "/run/systemd/nspawn/test.nspawn"));
	ASSERT_PASS(expect_find(root, "/var/lib/machines/test", "/run/systemd/nspawn/test.nspawn", true));
	ASSERT_OK(make_file(root, "/etc/systemd/nspawn/test.nspawn"));
	ASSERT_PASS(expect_find(root, "/var/lib/machines/test", "/etc/systemd/nspawn/test.nspawn", true));
	ASSERT_PASS(expect_find(root, "/srv/elsewhere/test", "/etc/systemd/nspawn/test.nspawn", true));

	/* No image, or the host's root as the tree: only /etc and /run are looked at. */
	ASSERT_ERR(nspawn_file_find(root, "other", NULL, &path, &trusted), -ENOENT);
	ASSERT_ERR(nspawn_file_find("/nonexistent-root", "test", "/", &path, &trusted), -ENOENT);
	ASSERT_ERR(nspawn_file_find(root, "../test", NULL, &path, &trusted), -EINVAL);
	return 0;
}

/* Every limit has its key (the tables themselves are checked in test-string-tables). */
static int test_limit_keys(void) {
	for (int i = 0; i < RLIMIT_NLIMITS; i++) {
		char key[32];
		snprintf(key, sizeof key, "Limit%s", rlimit_name_to_string(i));
		if (!sample_line(key))
			TEST_FAIL("No %s= in the sample", key);
	}
	return 0;
}

TESTS_MAIN(TEST_ENTRY(every_key), TEST_ENTRY(bad_values), TEST_ENTRY(structure), TEST_ENTRY(continuation),
	   TEST_ENTRY(empty_assignments), TEST_ENTRY(start_mode), TEST_ENTRY(private_users),
	   TEST_ENTRY(untrusted), TEST_ENTRY(untrusted_syscall_filter), TEST_ENTRY(find),
	   TEST_ENTRY(limit_keys))
