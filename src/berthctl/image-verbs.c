/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image verbs, which need no daemon: list-images, remove, and import and export of tar archives
 * and raw disk images, plain or .xz. */
#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berthctl.h"
#include "fd-util.h"
#include "image-find.h"
#include "image-lookup.h"
#include "image-os.h"
#include "image-import.h"
#include "locked-entry.h"
#include "log.h"
#include "machine-record.h"
#include "name-util.h"
#include "progress.h"
#include "strv.h"
#include "tar-write.h"
#include "xz-util.h"

/* Where imports land, as machinectl's do. */
#define IMPORT_DIR "/var/lib/machines"

typedef struct ImageInfo {
	char *name;
	ImageType type;
	const char *kind; /* image_kind() */
	char *path;
	char *os;
	bool read_only;
	uint64_t size; /* raw images: the file's; directories: not counted (0) */
	struct timespec mtime;
} ImageInfo;

static void image_info_done(ImageInfo *i) {
	free(i->name);
	free(i->path);
	free(i->os);
}

/* An image directory's entry as an image, or 0 when it is none (hidden, settings file, ...). */
static int image_info_read(const char *dir, const char *entry, ImageInfo *ret) {
	ImageInfo i = { .type = _IMAGE_TYPE_INVALID };
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int r;

	if (asprintf(&path, "%s/%s", dir, entry) < 0)
		return -ENOMEM;
	if (lstat(path, &st) < 0)
		return 0;
	r = image_from_entry(entry, &st, &i.type, &i.name);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (i.type == IMAGE_RAW)
		i.size = (uint64_t) st.st_size;
	i.read_only = image_is_read_only(path, i.type);
	i.kind = image_kind(path, i.type);
	i.mtime = st.st_mtim;
	if (i.type == IMAGE_DIRECTORY)
		(void) image_os_pretty_name(path, IMAGE_DIRECTORY, &i.os);
	i.path = TAKE_PTR(path);
	*ret = i;
	return 1;
}

static int compare_images(const void *a, const void *b) {
	return strcmp(((const ImageInfo *) a)->name, ((const ImageInfo *) b)->name);
}

/* The images of all image directories; a name found earlier in the search path hides later ones. */
static int images_list(ImageInfo **ret, size_t *ret_n) {
	ImageInfo *all = NULL;
	size_t n = 0;

	for (const char *const *dir = image_search_path; *dir; dir++) {
		DIR *d = opendir(*dir);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			ImageInfo i;
			bool seen = false;
			int r = image_info_read(*dir, de->d_name, &i);
			if (r < 0) {
				closedir(d);
				return log_error_errno(r, "Out of memory");
			}
			if (r == 0)
				continue;
			for (size_t k = 0; k < n; k++)
				seen |= streq(all[k].name, i.name);
			if (seen) {
				image_info_done(&i);
				continue;
			}
			ImageInfo *a = reallocarray(all, n + 1, sizeof *a);
			if (!a) {
				closedir(d);
				return log_error_errno(ENOMEM, "Out of memory");
			}
			all = a;
			all[n++] = i;
		}
		closedir(d);
	}
	if (n > 0)
		qsort(all, n, sizeof *all, compare_images);
	*ret = all;
	*ret_n = n;
	return 0;
}

int verb_list_images(int argc, char *argv[]) {
	ImageInfo *images = NULL;
	size_t n = 0;
	int r = images_list(&images, &n);

	if (r < 0)
		return r;
	if (arg.json)
		putchar('[');
	else if (!arg.no_legend && n > 0)
		printf("%-24s %-9s %-3s %-12s %-20s %s\n", "NAME", "TYPE", "RO", "SIZE", "MODIFIED", "OS");
	for (size_t k = 0; k < n; k++) {
		const ImageInfo *i = &images[k];
		char when[32] = "-", size[32] = "-";
		struct tm tm;

		if (localtime_r(&i->mtime.tv_sec, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		if (i->type == IMAGE_RAW)
			snprintf(size, sizeof size, "%" PRIu64, i->size);
		if (arg.json) {
			printf("%s{\"name\":", k ? "," : "");
			json_string(i->name);
			printf(",\"type\":");
			json_string(i->kind);
			printf(",\"path\":");
			json_string(i->path);
			printf(",\"read_only\":%s,\"usage\":", i->read_only ? "true" : "false");
			if (i->type == IMAGE_RAW)
				printf("%" PRIu64, i->size);
			else
				printf("null");
			printf(",\"mtime\":%lld,\"os\":", (long long) i->mtime.tv_sec);
			if (i->os)
				json_string(i->os);
			else
				printf("null");
			putchar('}');
		} else
			printf("%-24s %-9s %-3s %-12s %-20s %s\n", i->name, i->kind,
			       i->read_only ? "yes" : "no", size, when, i->os ?: "-");
	}
	if (arg.json)
		printf("]\n");
	else if (!arg.no_legend)
		printf("\n%zu images listed.\n", n);
	for (size_t k = 0; k < n; k++)
		image_info_done(&images[k]);
	free(images);
	return 0;
}

int verb_remove(int argc, char *argv[]) {
	for (int k = 1; k < argc; k++) {
		_cleanup_free_ char *path = NULL, *dir = NULL;
		MachineRecord running = {};
		ImageType type;
		const char *base;
		int r = image_lookup(argv[k], &type, &path);

		if (r != 0)
			return r;
		if (machine_record_find_by_root(MACHINE_RECORD_DIR, path, &running) >= 0) {
			log_error("Image '%s' is in use by the running machine '%s'", argv[k], running.name);
			machine_record_done(&running);
			return 1;
		}
		if (image_is_read_only(path, type)) {
			log_error("Image '%s' is read-only; make it writable first: read-only %s no", argv[k], argv[k]);
			return 1;
		}
		base = strrchr(path, '/') + 1;
		dir = strndup(path, (size_t) (base - path));
		if (!dir)
			return log_error_errno(ENOMEM, "Out of memory");
		_cleanup_close_ int dir_fd = open(dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
		/* A machine running from it holds its lock, also one that has no record (a raw image's
		 * record names where berth mounted it). */
		r = dir_fd < 0 ? -errno : locked_entry_remove(dir_fd, base);
		if (r == -EBUSY) {
			log_error("Image '%s' is in use by a running machine", argv[k]);
			return 1;
		}
		if (r < 0)
			return log_error_errno(r, "Failed to remove image '%s': %m", argv[k]);
		image_remove_settings(dir_fd, dir, argv[k]);
	}
	return 0;
}

/* NAME from the archive's file name: its base name without .tar, .raw and .xz (.txz). */
static int name_from_file(const char *file, bool raw, char **ret) {
	static const char *const suffixes[] = { ".xz", ".txz", ".tar", ".raw" };
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char *name = strdup(base);

	if (!name)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		size_t n = strlen(name), s = strlen(suffixes[i]);
		if (n > s && streq(name + n - s, suffixes[i]))
			name[n - s] = 0;
	}
	(void) raw;
	*ret = name;
	return 0;
}

/* The hidden entries an import of NAME makes (".#NAME" and 16 hex digits). */
static bool is_import_leftover(const char *entry, const char *name) {
	size_t n = strlen(name);
	return strncmp(entry, ".#", 2) == 0 && strncmp(entry + 2, name, n) == 0 && strlen(entry + 2 + n) == 16 &&
	       strspn(entry + 2 + n, "0123456789abcdef") == 16;
}

static char **import_leftovers(int dir_fd, const char *name) {
	char **found = NULL;
	/* Opened anew: a dup would share the position of an earlier listing. */
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		safe_close(fd);
		return NULL;
	}
	while ((de = readdir(d)))
		if (is_import_leftover(de->d_name, name))
			(void) strv_extend(&found, de->d_name);
	closedir(d);
	return found;
}

typedef struct ImportJob {
	const char *file, *name;
	bool raw;
	int in_fd, dir_fd;
	Progress progress;
} ImportJob;

static void import_progress(uint64_t bytes_read, void *userdata) {
	progress_update(userdata, bytes_read);
}

static _noreturn_ void import_child(ImportJob *j) {
	ImageImport imp = {
		.in_fd = j->in_fd,
		.flags = arg.force ? IMAGE_IMPORT_FORCE : 0,
		.progress = import_progress,
		.progress_userdata = &j->progress,
	};
	int r;

	(void) prctl(PR_SET_PDEATHSIG, SIGKILL);
	r = j->raw ? image_import_raw(j->dir_fd, j->name, &imp) : image_import_tar(j->dir_fd, j->name, &imp);
	if (r >= 0)
		progress_finish(&j->progress);
	else
		progress_clear(&j->progress);
	if (r == -EEXIST)
		log_error("Image '%s' exists already; use --force to replace it", j->name);
	else if (r == -EBUSY)
		log_error("Image '%s' is in use by a running machine, not replacing it", j->name);
	else if (r == -EXDEV || r == -EBADMSG)
		log_error("Refusing '%s': %s%s%s%s", j->file,
			  r == -EXDEV ? "an entry would land outside the image" : "the archive is malformed",
			  imp.bad_entry ? " ('" : "", imp.bad_entry ?: "", imp.bad_entry ? "')" : "");
	else if (r < 0)
		log_error_errno(r, "Failed to import '%s' as '%s': %m", j->file, j->name);
	_exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* Runs the import in a child and waits for it: true when it succeeded. An interrupt (SIGINT,
 * SIGTERM, SIGHUP) kills it; *ret_signal says which. */
static bool run_import(ImportJob *j, int *ret_signal) {
	sigset_t stop, old;
	int status = 0;
	pid_t pid;

	*ret_signal = 0;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stop, &old);
	pid = fork();
	if (pid < 0) {
		log_error_errno(errno, "Failed to fork: %m");
		sigprocmask(SIG_SETMASK, &old, NULL);
		return false;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		import_child(j);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&stop, &si);
		if (sig == SIGCHLD && waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (sig > 0 && sig != SIGCHLD) {
			(void) kill(pid, SIGKILL);
			(void) waitpid(pid, &status, 0);
			*ret_signal = sig;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return *ret_signal == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The import runs in a child, so that an interrupt or a crash never leaves its hidden entry
 * behind: berthctl waits, and removes what the child left when it did not finish. */
static int import_image(const char *file, const char *name, bool raw) {
	_cleanup_close_ int dir_fd = -EBADF, in_fd = -EBADF;
	_cleanup_strv_free_ char **before = NULL, **after = NULL;
	struct stat st;
	int sig;

	if (!machine_name_is_valid(name)) {
		log_error("Invalid image name '%s'", name);
		return 1;
	}
	in_fd = streq(file, "-") ? dup(STDIN_FILENO) : open(file, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", file);
	if (mkdir(IMPORT_DIR, 0700) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create %s: %m", IMPORT_DIR);
	dir_fd = open(IMPORT_DIR, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir_fd < 0)
		return log_error_errno(errno, "Failed to open %s: %m", IMPORT_DIR);
	before = import_leftovers(dir_fd, name);

	ImportJob j = { .file = file, .name = name, .raw = raw, .in_fd = in_fd, .dir_fd = dir_fd };
	/* A file's size is the total; a pipe's is unknown. */
	progress_begin(&j.progress, fstat(in_fd, &st) >= 0 && S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0,
		       "Importing '%s'", name);
	if (run_import(&j, &sig)) {
		if (!arg.quiet)
			log_info("Imported '%s' as image '%s'", file, name);
		return 0;
	}
	progress_clear(&j.progress);
	/* What the child made and left, interrupted: nothing of it stays. Another import of the name
	 * may run beside: its entry is locked, and left alone. */
	after = import_leftovers(dir_fd, name);
	STRV_FOREACH(p, after)
		if (!strv_contains(before, *p))
			(void) locked_entry_remove(dir_fd, *p);
	if (sig > 0)
		log_error("Import of '%s' interrupted, nothing was left in %s", file, IMPORT_DIR);
	return 1;
}

static int verb_import(int argc, char *argv[], bool raw) {
	_cleanup_free_ char *name = NULL;

	if (argc > 2)
		name = strdup(argv[2]);
	else if (!streq(argv[1], "-"))
		(void) name_from_file(argv[1], raw, &name);
	if (!name) {
		log_error("No image name given for '%s': use %s FILE NAME", argv[1], argv[0]);
		return 1;
	}
	return import_image(argv[1], name, raw);
}

int verb_import_tar(int argc, char *argv[]) {
	return verb_import(argc, argv, false);
}

int verb_import_raw(int argc, char *argv[]) {
	return verb_import(argc, argv, true);
}

static bool wants_xz(const char *file) {
	size_t n = strlen(file);
	return (n > 3 && streq(file + n - 3, ".xz")) || (n > 4 && streq(file + n - 4, ".txz"));
}

/* Where an export writes: the output, through xz or not; what went in is counted for the
 * progress. */
typedef struct ExportSink {
	int fd;
	bool xz;
	XzWriter x;
	uint64_t bytes;
	Progress *progress;
} ExportSink;

/* A TarWriteFn, with an ExportSink. */
static int sink_write(void *userdata, const void *buf, size_t n) {
	ExportSink *s = userdata;
	int r = s->xz ? xz_writer_write(&s->x, buf, n) : loop_write(s->fd, buf, n);

	if (r >= 0)
		progress_update(s->progress, s->bytes += n);
	return r;
}

/* The raw image's bytes as they are. */
static int copy_raw(int src_fd, ExportSink *sink) {
	char buf[65536];

	for (;;) {
		ssize_t n = read(src_fd, buf, sizeof buf);
		int r;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		r = sink_write(sink, buf, (size_t) n);
		if (r < 0)
			return r;
	}
}

static int export_image(int src_fd, ExportSink *sink, bool raw) {
	int r = 0;

	if (sink->xz)
		r = xz_writer_init(&sink->x, sink->fd);
	if (r >= 0)
		r = raw ? copy_raw(src_fd, sink) : tar_write_tree(src_fd, sink_write, sink);
	if (r >= 0 && sink->xz)
		r = xz_writer_finish(&sink->x);
	if (sink->xz)
		xz_writer_done(&sink->x);
	return r;
}

/* export-tar NAME [FILE] and export-raw NAME [FILE]: to FILE (".xz" compresses) or stdout. */
static int verb_export(int argc, char *argv[], bool raw) {
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int out_fd = -EBADF, src_fd = -EBADF;
	const char *file = argc > 2 ? argv[2] : "-";
	Progress progress;
	ImageType type;
	struct stat st;
	int r = image_lookup(argv[1], &type, &path);

	if (r != 0)
		return r;
	if (raw != (type == IMAGE_RAW)) {
		log_error("Image '%s' is a %s: use %s", argv[1], image_type_to_string(type),
			  type == IMAGE_RAW ? "export-raw" : "export-tar");
		return 1;
	}
	src_fd = open(path, (raw ? O_RDONLY : O_RDONLY | O_DIRECTORY) | O_CLOEXEC);
	if (src_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", path);
	out_fd = streq(file, "-") ? dup(STDOUT_FILENO)
				  : open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out_fd < 0)
		return log_error_errno(errno, "Failed to create '%s': %m", file);
	/* A raw image's size is the total; a tar stream's is known only at its end. */
	progress_begin(&progress, raw && fstat(src_fd, &st) >= 0 ? (uint64_t) st.st_size : 0, "Exporting '%s'",
		       argv[1]);
	ExportSink sink = { .fd = out_fd, .xz = wants_xz(file), .progress = &progress };
	r = export_image(src_fd, &sink, raw);
	if (r < 0) {
		progress_clear(&progress);
		if (!streq(file, "-"))
			(void) unlink(file);
		return log_error_errno(r, "Failed to export image '%s': %m", argv[1]);
	}
	progress_finish(&progress);
	return 0;
}

int verb_export_tar(int argc, char *argv[]) {
	return verb_export(argc, argv, false);
}

int verb_export_raw(int argc, char *argv[]) {
	return verb_export(argc, argv, true);
}
