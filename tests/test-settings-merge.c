/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A .nspawn file on top of the command line: what the file sets is taken unless the command line set
 * it (or always with --settings=override), with nspawn's quirks; keys berth cannot honour yet are
 * refused naming file, line and key; where the file is found and whether it is trusted. */
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/resource.h>

#include "caps.h"
#include "options.h"
#include "settings-merge.h"
#include "strv.h"
#include "tests.h"

#define PATH "/etc/systemd/nspawn/test.nspawn"
#define CAP(c) (UINT64_C(1) << (c))
#define DEFAULT_CAPS caps_default_bounding_set(false)

/* Settings from a command line, as berth's main() has them before the file is read. */
static int cmdline(Settings *s, ...) {
	char *argv[32] = { (char *) "berth" };
	int argc = 1, r;
	va_list ap;

	va_start(ap, s);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	settings_done(s);
	r = options_parse(argc, argv, s);
	if (r != 0)
		TEST_FAIL("options_parse() failed: %d", r);
	return 0;
}

/* Parses text as a trusted file and merges it into s; stderr (the warnings) into *ret_err. */
static int merge(Settings *s, const char *text, bool override, char **ret_err) {
	FILE *f = fmemopen((void *) text, strlen(text), "r");
	NspawnFile file;
	Capture err;
	int r;

	ASSERT_NOT_NULL(f);
	ASSERT_OK(capture_start(&err, STDERR_FILENO));
	r = nspawn_file_parse(f, &(NspawnFileParseOptions) { .path = PATH, .trusted = true }, &file);
	fclose(f);
	if (r >= 0) {
		r = settings_check_file(&file, PATH);
		if (r >= 0)
			r = settings_merge_file(s, &file, PATH, override);
		nspawn_file_done(&file);
	}
	*ret_err = capture_end(&err);
	ASSERT_NOT_NULL(*ret_err);
	return r;
}

#define MERGE(s, text, override)                                                  \
	do {                                                                      \
		_cleanup_free_ char *_err = NULL;                                 \
		int _r = merge((s), (text), (override), &_err);                   \
		if (_r < 0)                                                       \
			TEST_FAIL("merge failed with %d: %s", _r, _err ?: "");    \
		ASSERT_STREQ(_err, "");                                           \
	} while (0)

/* options_verify() refuses s with a message containing needle. */
static int verify_fails(Settings *s, const char *needle) {
	_cleanup_free_ char *err = NULL;
	Capture c;
	int r;

	ASSERT_OK(capture_start(&c, STDERR_FILENO));
	r = options_verify(s);
	err = capture_end(&c);
	ASSERT_ERR(r, -EINVAL);
	ASSERT_CONTAINS(err, needle);
	return 0;
}

static void settings_donep(Settings *s) {
	settings_done(s);
}
#define _cleanup_settings_ _cleanup_(settings_donep)

static const char exec_file[] =
	"[Exec]\n"
	"Hostname=from-file\n"
	"Environment=A=file B=file\n"
	"User=alice\n"
	"WorkingDirectory=/srv\n"
	"KillSignal=SIGUSR1\n"
	"MachineID=0123456789abcdef0123456789abcdef\n"
	"NotifyReady=yes\n"
	"NoNewPrivileges=yes\n"
	"Timezone=off\n"
	"ResolvConf=off\n"
	"LinkJournal=no\n"
	"Personality=x86\n"
	"OOMScoreAdjust=-100\n"
	"CPUAffinity=1\n"
	"[Files]\n"
	"ReadOnly=yes\n"
	"Volatile=state\n";

/* What the command line leaves alone comes from the file. */
static int test_file_fills_in(void) {
	_cleanup_settings_ Settings s;
	sd_id128_t id = { { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
			    0xcd, 0xef } };

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, exec_file, false);
	ASSERT_STREQ(s.hostname, "from-file");
	ASSERT_STREQ(strv_env_get(s.environment, "A"), "file");
	ASSERT_STREQ(strv_env_get(s.environment, "B"), "file");
	ASSERT_STREQ(s.user, "alice");
	ASSERT_STREQ(s.chdir, "/srv");
	ASSERT_EQ_INT(s.kill_signal, SIGUSR1);
	ASSERT_TRUE(sd_id128_equal(s.uuid, id));
	ASSERT_TRUE(s.notify_ready);
	ASSERT_TRUE(s.no_new_privileges);
	ASSERT_EQ_INT(s.timezone, TIMEZONE_OFF);
	ASSERT_EQ_INT(s.resolv_conf, RESOLV_CONF_OFF);
	ASSERT_EQ_INT(s.link_journal, LINK_JOURNAL_NO);
	ASSERT_TRUE(s.read_only);
	ASSERT_EQ_INT(s.volatile_mode, VOLATILE_STATE);
	ASSERT_TRUE(s.oom_score_adjust_set);
	ASSERT_EQ_INT(s.oom_score_adjust, -100);
	ASSERT_NOT_NULL(s.cpu_affinity);
	ASSERT_TRUE(CPU_ISSET_S(1, s.cpu_affinity_size, s.cpu_affinity));
	ASSERT_FALSE(CPU_ISSET_S(0, s.cpu_affinity_size, s.cpu_affinity));
	ASSERT_NE_INT(s.personality, PERSONALITY_UNSET);
	return 0;
}

/* The command line wins over the file, setting by setting; --settings=override turns that round. */
static int test_command_line_wins(void) {
	_cleanup_settings_ Settings s;

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--hostname=from-cmdline", "-E", "A=cmdline", "-u", "bob",
			    "--kill-signal=TERM", "--read-only", "--timezone=copy", "--oom-score-adjust=7",
			    "--personality=x86-64", "--no-new-privileges=no", NULL));
	MERGE(&s, exec_file, false);
	ASSERT_STREQ(s.hostname, "from-cmdline");
	ASSERT_STREQ(strv_env_get(s.environment, "A"), "cmdline");
	ASSERT_NULL(strv_env_get(s.environment, "B")); /* the list goes as a whole */
	ASSERT_STREQ(s.user, "bob");
	ASSERT_EQ_INT(s.kill_signal, SIGTERM);
	ASSERT_EQ_INT(s.timezone, TIMEZONE_COPY);
	ASSERT_EQ_INT(s.oom_score_adjust, 7);
	ASSERT_FALSE(s.no_new_privileges);
	/* What the command line did not say still comes from the file. */
	ASSERT_STREQ(s.chdir, "/srv");
	ASSERT_EQ_INT(s.volatile_mode, VOLATILE_STATE);
	ASSERT_EQ_INT(s.resolv_conf, RESOLV_CONF_OFF);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "--hostname=from-cmdline", "-E",
			    "A=cmdline", "-u", "bob", "--kill-signal=TERM", "--oom-score-adjust=7", NULL));
	MERGE(&s, exec_file, true);
	ASSERT_STREQ(s.hostname, "from-file");
	ASSERT_STREQ(strv_env_get(s.environment, "A"), "file");
	ASSERT_STREQ(s.user, "alice");
	ASSERT_EQ_INT(s.kill_signal, SIGUSR1);
	ASSERT_EQ_INT(s.oom_score_adjust, -100);
	return 0;
}

/* Parameters= counts only with Boot= or ProcessTwo=; a command on the command line is a start mode. */
static int test_start_mode(void) {
	_cleanup_settings_ Settings s;
	_cleanup_free_ char *err = NULL;

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Exec]\nBoot=yes\nParameters=systemd.unit=rescue.target\n", false);
	ASSERT_EQ_INT(s.start_mode, START_BOOT);
	ASSERT_TRUE(s.command && streq(s.command[0], "systemd.unit=rescue.target") && !s.command[1]);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	ASSERT_OK(merge(&s, "[Exec]\n\nParameters=/bin/echo hello\n", false, &err));
	ASSERT_CONTAINS(err, PATH ":3: Ignoring Parameters=: it is used only together with Boot= or ProcessTwo=");
	ASSERT_EQ_INT(s.start_mode, START_PID1);
	ASSERT_NULL(s.command);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "/bin/true", NULL));
	MERGE(&s, "[Exec]\nProcessTwo=yes\nParameters=/bin/false\n", false);
	ASSERT_EQ_INT(s.start_mode, START_PID1);
	ASSERT_STREQ(s.command[0], "/bin/true");

	/* The file wins: its start mode, and its parameters, none here, replace the command. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "/bin/true", NULL));
	MERGE(&s, "[Exec]\nBoot=yes\n", true);
	ASSERT_EQ_INT(s.start_mode, START_BOOT);
	ASSERT_NULL(s.command);

	/* Merged, the checks see both: Boot= from the file and --user= from the command line. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "-u", "bob", NULL));
	MERGE(&s, "[Exec]\nBoot=yes\n", false);
	ASSERT_PASS(verify_fails(&s, "--boot and --user= may not be combined"));
	return 0;
}

/* The file's capability lists change the command line's bounding set, unless the command line named
 * capabilities; its network settings give or take CAP_NET_ADMIN with them. */
static int test_capabilities(void) {
	_cleanup_settings_ Settings s;
	static const char file[] = "[Exec]\nCapability=CAP_SYS_TIME\nDropCapability=CAP_NET_RAW CAP_MKNOD\n"
				   "AmbientCapability=CAP_NET_BIND_SERVICE\n";

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS);
	MERGE(&s, file, false);
	ASSERT_EQ_U64(s.capabilities, (DEFAULT_CAPS | CAP(CAP_SYS_TIME)) & ~(CAP(CAP_NET_RAW) | CAP(CAP_MKNOD)));
	ASSERT_EQ_U64(s.ambient_capabilities, CAP(CAP_NET_BIND_SERVICE));
	ASSERT_OK(options_verify(&s));

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--drop-capability=CAP_SYS_ADMIN", NULL));
	MERGE(&s, file, false);
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS & ~CAP(CAP_SYS_ADMIN));
	ASSERT_EQ_U64(s.ambient_capabilities, 0);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--capability=all", NULL));
	ASSERT_EQ_U64(s.capabilities, UINT64_MAX);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "--capability=CAP_SYS_MODULE", NULL));
	MERGE(&s, file, true);
	ASSERT_EQ_U64(s.capabilities,
		      (DEFAULT_CAPS | CAP(CAP_SYS_MODULE) | CAP(CAP_SYS_TIME)) & ~(CAP(CAP_NET_RAW) | CAP(CAP_MKNOD)));

	/* Private networking brings CAP_NET_ADMIN, but not when the command line named capabilities. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Network]\nPrivate=yes\n", false);
	ASSERT_TRUE(s.private_network);
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS | CAP(CAP_NET_ADMIN));
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--capability=CAP_SYS_TIME", NULL));
	MERGE(&s, "[Network]\nPrivate=yes\n", false);
	ASSERT_TRUE(s.private_network);
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS | CAP(CAP_SYS_TIME));

	/* The command line's network wins, with its CAP_NET_ADMIN; overridden, Private=no takes both. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--private-network", NULL));
	MERGE(&s, "[Network]\nPrivate=no\n", false);
	ASSERT_TRUE(s.private_network);
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS | CAP(CAP_NET_ADMIN));
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "--private-network", NULL));
	MERGE(&s, "[Network]\nPrivate=no\n", true);
	ASSERT_FALSE(s.private_network);
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS);
	return 0;
}

/* Ambient capabilities must be in the bounding set, and mean nothing to a booted init. */
static int test_ambient_checks(void) {
	_cleanup_settings_ Settings s;

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Exec]\nAmbientCapability=CAP_SYS_TIME\n", false);
	ASSERT_PASS(verify_fails(&s, "not in the bounding set: CAP_SYS_TIME; add them with --capability="));
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Exec]\nAmbientCapability=CAP_SYS_TIME\nCapability=CAP_SYS_TIME\n", false);
	ASSERT_OK(options_verify(&s));
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "-b", NULL));
	MERGE(&s, "[Exec]\nAmbientCapability=CAP_NET_RAW\n", false);
	ASSERT_PASS(verify_fails(&s, "may not be combined with --boot"));
	return 0;
}

/* The system call lists go as a pair; resource limits one by one. */
static int test_filter_and_limits(void) {
	_cleanup_settings_ Settings s;
	static const char file[] = "[Exec]\nSystemCallFilter=@clock\nSystemCallFilter=~@swap sethostname\n"
				   "LimitNOFILE=100:200\nLimitNPROC=50\n";

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--rlimit=NOFILE=10", "--rlimit=rlimit_core=0", NULL));
	MERGE(&s, file, false);
	ASSERT_TRUE(s.syscall_allow && streq(s.syscall_allow[0], "@clock") && !s.syscall_allow[1]);
	ASSERT_TRUE(strv_contains(s.syscall_deny, "@swap") && strv_contains(s.syscall_deny, "sethostname"));
	ASSERT_EQ_INT(s.rlimits_set, (1 << RLIMIT_NOFILE) | (1 << RLIMIT_CORE) | (1 << RLIMIT_NPROC));
	ASSERT_EQ_U64(s.rlimits[RLIMIT_NOFILE].rlim_cur, 10);
	ASSERT_EQ_U64(s.rlimits[RLIMIT_NOFILE].rlim_max, 10);
	ASSERT_EQ_U64(s.rlimits[RLIMIT_NPROC].rlim_max, 50);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--system-call-filter=~getpid", "--system-call-filter=bpf",
			    "--system-call-filter=~@keyring mlock", NULL));
	ASSERT_TRUE(strv_contains(s.syscall_deny, "getpid") && strv_contains(s.syscall_deny, "@keyring") &&
		    strv_contains(s.syscall_deny, "mlock") && strv_length(s.syscall_deny) == 3);
	MERGE(&s, file, false);
	ASSERT_TRUE(s.syscall_allow && streq(s.syscall_allow[0], "bpf") && !s.syscall_allow[1]);
	ASSERT_EQ_INT(strv_length(s.syscall_deny), 3);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "--rlimit=NOFILE=10", NULL));
	MERGE(&s, file, true);
	ASSERT_EQ_U64(s.rlimits[RLIMIT_NOFILE].rlim_max, 200);
	return 0;
}

/* The network settings are one block, taken only when the command line has no network option. */
static int test_network_block(void) {
	_cleanup_settings_ Settings s;

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Network]\nPrivate=yes\n", false);
	ASSERT_TRUE(s.private_network);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--private-network", NULL));
	MERGE(&s, "[Network]\nPrivate=no\n", false);
	ASSERT_TRUE(s.private_network);
	/* All of the block is taken, names as nspawn gives them in the container. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Network]\nVirtualEthernet=yes\nVirtualEthernetExtra=ve-a:inside\nVirtualEthernetExtra=ve-b\n"
		  "Interface=dummy0\nMACVLAN=eth0\nIPVLAN=eth1\nZone=web\n", false);
	ASSERT_TRUE(s.private_network && s.network_veth);
	ASSERT_STREQ(s.network_zone, "web");
	ASSERT_NULL(s.network_bridge);
	ASSERT_TRUE(strv_length(s.network_veth_extra) == 4 && streq(s.network_veth_extra[1], "inside") &&
		    streq(s.network_veth_extra[3], "ve-b"));
	ASSERT_TRUE(strv_length(s.network_interfaces) == 2 && streq(s.network_interfaces[1], "dummy0"));
	ASSERT_TRUE(strv_length(s.network_macvlan) == 2 && streq(s.network_macvlan[1], "mv-eth0"));
	ASSERT_TRUE(strv_length(s.network_ipvlan) == 2 && streq(s.network_ipvlan[1], "iv-eth1"));
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--network-zone=other", NULL));
	MERGE(&s, "[Network]\nBridge=br0\nMACVLAN=eth0\n", false);
	ASSERT_STREQ(s.network_zone, "other");
	ASSERT_NULL(s.network_bridge);
	ASSERT_NULL(s.network_macvlan);
	/* Overridden, the file's block replaces all of the command line's network. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "-n", "--network-zone=other", NULL));
	MERGE(&s, "[Network]\nPrivate=yes\n", true);
	ASSERT_TRUE(s.private_network);
	ASSERT_FALSE(s.network_veth);
	ASSERT_NULL(s.network_zone);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Network]\nNamespacePath=/run/netns/x\n", false);
	ASSERT_FALSE(s.private_network);
	ASSERT_STREQ(s.network_namespace_path, "/run/netns/x");

	/* No [Network] setting: the command line's stays, even with override. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "--private-network", NULL));
	MERGE(&s, "[Exec]\nHostname=x\n", true);
	ASSERT_TRUE(s.private_network);
	return 0;
}

/* Port= replaces the command line's ports as one list, unless the command line had --port=; it
 * needs a network of the machine's own, which the file or the command line may give. */
static int test_ports(void) {
	_cleanup_settings_ Settings s;
	static const char file[] = "[Network]\nVirtualEthernet=yes\nPort=tcp:8080:80\nPort=udp:53\n";

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, file, false);
	ASSERT_EQ_INT(s.n_ports, 2);
	ASSERT_EQ_INT(s.ports[0].protocol, IPPROTO_TCP);
	ASSERT_EQ_INT(s.ports[0].host_port, 8080);
	ASSERT_EQ_INT(s.ports[0].container_port, 80);
	ASSERT_EQ_INT(s.ports[1].protocol, IPPROTO_UDP);
	ASSERT_EQ_INT(s.ports[1].container_port, 53);
	ASSERT_TRUE(s.network_veth);
	ASSERT_EQ_INT(options_verify(&s), 0);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "-n", "-p", "9000", NULL));
	MERGE(&s, file, false);
	ASSERT_EQ_INT(s.n_ports, 1);
	ASSERT_EQ_INT(s.ports[0].host_port, 9000);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "-n", "-p", "9000", NULL));
	MERGE(&s, file, true);
	ASSERT_EQ_INT(s.n_ports, 2);
	ASSERT_EQ_INT(s.ports[0].host_port, 8080);

	/* Ports, but no network of its own. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Network]\nPort=80\n", false);
	ASSERT_PASS(verify_fails(&s, "needs a network namespace of the container's own"));
	return 0;
}

/* The file's mounts replace the command line's as a whole; --pivot-root= is a setting of its own. */
static int test_mounts(void) {
	_cleanup_settings_ Settings s;
	static const char file[] = "[Exec]\nPivotRoot=/sysroot\n[Files]\nBind=/srv/data:/data\n"
				   "TemporaryFileSystem=/scratch\nInaccessible=/secret\n";

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, file, false);
	ASSERT_EQ_INT(s.n_mounts, 3);
	ASSERT_EQ_INT(s.mounts[0].type, NSPAWN_MOUNT_BIND);
	ASSERT_STREQ(s.mounts[0].source, "/srv/data");
	ASSERT_STREQ(s.mounts[0].destination, "/data");
	ASSERT_EQ_INT(s.mounts[2].type, NSPAWN_MOUNT_INACCESSIBLE);
	ASSERT_STREQ(s.pivot_root_new, "/sysroot");

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--tmpfs=/a", "--pivot-root=/other", NULL));
	MERGE(&s, file, false);
	ASSERT_EQ_INT(s.n_mounts, 1);
	ASSERT_STREQ(s.mounts[0].destination, "/a");
	ASSERT_STREQ(s.pivot_root_new, "/other");

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "--tmpfs=/a", NULL));
	MERGE(&s, file, true);
	ASSERT_EQ_INT(s.n_mounts, 3);
	ASSERT_STREQ(s.mounts[1].destination, "/scratch");
	return 0;
}

/* A key berth cannot honour yet is an error that names file, line and key: all of them, in the
 * file's order. */
static int test_unsupported(void) {
	_cleanup_settings_ Settings s;
	_cleanup_free_ char *err = NULL;

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	ASSERT_ERR(merge(&s, "[Exec]\nSuppressSync=yes\nHostname=x\nPrivateUsers=pick\n[Files]\nBindUser=alice\n",
			 false, &err),
		   -EOPNOTSUPP);
	ASSERT_CONTAINS(err, PATH ":2: SuppressSync= is not supported by berth yet");
	ASSERT_CONTAINS(err, PATH ":6: BindUser= is not supported by berth yet");
	ASSERT_NOT_CONTAINS(err, "PrivateUsers=");
	ASSERT_TRUE(strstr(err, ":2:") < strstr(err, ":6:"));
	ASSERT_NULL(s.hostname); /* nothing merged */
	return 0;
}

/* PrivateUsers= and PrivateUsersOwnership= go as one setting, unless the command line has -U or
 * one of the --private-users options; a picked range chowns by default in a file, as in nspawn. */
static int test_private_users(void) {
	_cleanup_settings_ Settings s;

	settings_init(&s);
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Exec]\nPrivateUsers=pick\n", false);
	ASSERT_EQ_INT(s.private_users, PRIVATE_USERS_PICK);
	ASSERT_EQ_INT(s.private_users_ownership, PRIVATE_USERS_OWNERSHIP_CHOWN);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", NULL));
	MERGE(&s, "[Exec]\nPrivateUsers=1048576:4096\n[Files]\nPrivateUsersOwnership=map\n", false);
	ASSERT_EQ_INT(s.private_users, PRIVATE_USERS_YES);
	ASSERT_EQ_INT(s.uid_shift, 1048576);
	ASSERT_EQ_INT(s.uid_range, 4096);
	ASSERT_EQ_INT(s.private_users_ownership, PRIVATE_USERS_OWNERSHIP_MAP);

	/* The command line's ownership alone keeps the file's PrivateUsers= out too. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--private-users-ownership=map", NULL));
	MERGE(&s, "[Exec]\nPrivateUsers=pick\n", false);
	ASSERT_EQ_INT(s.private_users, PRIVATE_USERS_NO);
	ASSERT_EQ_INT(s.private_users_ownership, PRIVATE_USERS_OWNERSHIP_MAP);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--settings=override", "-U", NULL));
	MERGE(&s, "[Exec]\nPrivateUsers=identity\n", true);
	ASSERT_EQ_INT(s.private_users, PRIVATE_USERS_IDENTITY);
	ASSERT_EQ_INT(s.uid_shift, 0);

	/* -U alone: a picked range, whose ownership is chosen at start. */
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "-U", NULL));
	ASSERT_EQ_INT(options_verify(&s), 0);
	ASSERT_EQ_INT(s.private_users, PRIVATE_USERS_PICK);
	ASSERT_EQ_INT(s.private_users_ownership, PRIVATE_USERS_OWNERSHIP_AUTO);

	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "--private-users=pick", "--private-users-ownership=chown",
			    "--read-only", NULL));
	ASSERT_PASS(verify_fails(&s, "--read-only and --private-users-ownership=chown may not be combined"));
	ASSERT_PASS(cmdline(&s, "-D", "/srv/test", "-U", "--private-users-chown", "-x", NULL));
	ASSERT_PASS(verify_fails(&s, "--private-users-ownership=chown may not be"));
	return 0;
}

/* Where the file is looked for, whether it is trusted, and --settings=. */
static int test_load(void) {
	_cleanup_tmpdir_ char *root = tests_mkdtemp();
	_cleanup_settings_ Settings s;
	_cleanup_free_ char *images = NULL, *tree = NULL, *etc = NULL, *err = NULL;
	const char *dirs[2] = {};
	Capture c;
	int dir_fd, r;

	ASSERT_NOT_NULL(root);
	ASSERT_TRUE(asprintf(&images, "%s/machines", root) > 0 && asprintf(&tree, "%s/web", images) > 0 &&
		    asprintf(&etc, "%s/etc/systemd/nspawn", root) > 0);
	dirs[0] = images;
	dir_fd = open(root, O_DIRECTORY | O_CLOEXEC);
	ASSERT_SYS(dir_fd);
	ASSERT_SYS(mkdirat(dir_fd, "machines", 0755));
	ASSERT_SYS(mkdirat(dir_fd, "machines/web", 0755));
	ASSERT_OK(tests_write_file(dir_fd, "machines/web.nspawn",
				   "[Exec]\nHostname=beside\nCapability=CAP_SYS_TIME\n", 0644));
	settings_init(&s);

	/* Next to the image found by name: not trusted, so Capability= is ignored, with a warning. */
	ASSERT_PASS(cmdline(&s, "-M", "web", NULL));
	ASSERT_OK(capture_start(&c, STDERR_FILENO));
	r = settings_load_file(&s, root, dirs);
	err = capture_end(&c);
	ASSERT_OK(r);
	ASSERT_STREQ(s.hostname, "beside");
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS);
	ASSERT_CONTAINS(err, "machines/web.nspawn:3: Ignoring Capability= in untrusted file");
	err = mfree(err);

	/* --settings=trusted trusts it; --settings=no reads nothing. */
	ASSERT_PASS(cmdline(&s, "-D", tree, "--settings=trusted", NULL));
	ASSERT_OK(settings_load_file(&s, root, dirs));
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS | CAP(CAP_SYS_TIME));
	ASSERT_PASS(cmdline(&s, "-D", tree, "--settings=no", NULL));
	ASSERT_OK(settings_load_file(&s, root, dirs));
	ASSERT_NULL(s.hostname);

	/* A file in /etc wins, and is trusted. */
	ASSERT_SYS(mkdirat(dir_fd, "etc", 0755));
	ASSERT_SYS(mkdirat(dir_fd, "etc/systemd", 0755));
	ASSERT_SYS(mkdirat(dir_fd, "etc/systemd/nspawn", 0755));
	ASSERT_OK(tests_write_file(dir_fd, "etc/systemd/nspawn/web.nspawn", "[Exec]\nCapability=CAP_SYS_TIME\n", 0644));
	ASSERT_PASS(cmdline(&s, "-M", "web", NULL));
	ASSERT_OK(settings_load_file(&s, root, dirs));
	ASSERT_NULL(s.hostname);
	ASSERT_EQ_U64(s.capabilities, DEFAULT_CAPS | CAP(CAP_SYS_TIME));

	/* A bad value fails the start, naming file and line. */
	ASSERT_OK(tests_write_file(dir_fd, "etc/systemd/nspawn/web.nspawn", "[Exec]\n\nKillSignal=SIGNOPE\n", 0644));
	ASSERT_PASS(cmdline(&s, "-M", "web", NULL));
	ASSERT_OK(capture_start(&c, STDERR_FILENO));
	r = settings_load_file(&s, root, dirs);
	err = capture_end(&c);
	ASSERT_ERR(r, -EINVAL);
	ASSERT_CONTAINS(err, "etc/systemd/nspawn/web.nspawn:3: Invalid value 'SIGNOPE' for KillSignal=");
	ASSERT_CONTAINS(err, "is not valid, not running machine 'web'");

	/* No file for another machine. */
	ASSERT_PASS(cmdline(&s, "-M", "other", NULL));
	ASSERT_OK(settings_load_file(&s, root, dirs));
	close(dir_fd);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(file_fills_in), TEST_ENTRY(command_line_wins), TEST_ENTRY(start_mode),
	   TEST_ENTRY(capabilities), TEST_ENTRY(ambient_checks), TEST_ENTRY(filter_and_limits),
	   TEST_ENTRY(network_block), TEST_ENTRY(ports), TEST_ENTRY(mounts), TEST_ENTRY(unsupported), TEST_ENTRY(private_users), TEST_ENTRY(load))
