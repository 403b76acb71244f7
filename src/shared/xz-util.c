/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "xz-util.h"

bool xz_has_magic(const void *p, size_t n) {
	static const uint8_t magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

	return n >= sizeof magic && memcmp(p, magic, sizeof magic) == 0;
}

static uint32_t xz_threads(void) {
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (uint32_t) MIN(n, 16L) : 1;
}

static int lzma_to_errno(lzma_ret r) {
	switch (r) {
	case LZMA_OK:
	case LZMA_STREAM_END:
		return 0;
	case LZMA_MEM_ERROR:
	case LZMA_MEMLIMIT_ERROR:
		return -ENOMEM;
	case LZMA_OPTIONS_ERROR:
	case LZMA_UNSUPPORTED_CHECK:
		return -EOPNOTSUPP;
	default:
		return -EBADMSG;
	}
}

int xz_reader_init(XzReader *x, int fd) {
	lzma_mt mt = {
		.threads = xz_threads(),
		/* Past this much memory the decoder falls back to one thread instead of failing. */
		.memlimit_threading = 512u * 1024 * 1024,
		.memlimit_stop = UINT64_MAX,
	};

	*x = (XzReader) { .s = LZMA_STREAM_INIT, .fd = fd };
	return lzma_to_errno(lzma_stream_decoder_mt(&x->s, &mt));
}

int xz_reader_init_input(XzReader *x, XzInputFn input, void *userdata) {
	int r = xz_reader_init(x, -EBADF);

	x->input = input;
	x->input_userdata = userdata;
	return r;
}

void xz_reader_done(XzReader *x) {
	lzma_end(&x->s);
}

static int fill(XzReader *x) {
	ssize_t k;

	if (x->input)
		k = x->input(x->input_userdata, x->in, sizeof x->in);
	else {
		do
			k = read(x->fd, x->in, sizeof x->in);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			k = -errno;
	}
	if (k < 0)
		return (int) k;
	x->s.next_in = x->in;
	x->s.avail_in = (size_t) k;
	x->eof = k == 0;
	return 0;
}

ssize_t xz_reader_read(void *userdata, void *buf, size_t n) {
	XzReader *x = userdata;

	if (x->done || n == 0)
		return 0;
	x->s.next_out = buf;
	x->s.avail_out = n;
	while (x->s.avail_out == n) {
		lzma_ret lr;
		int r;

		if (x->s.avail_in == 0 && !x->eof) {
			r = fill(x);
			if (r < 0)
				return r;
		}
		lr = lzma_code(&x->s, x->eof ? LZMA_FINISH : LZMA_RUN);
		if (lr == LZMA_STREAM_END) {
			x->done = true;
			break;
		}
		if (lr != LZMA_OK)
			return lzma_to_errno(lr);
		if (x->eof && x->s.avail_out == n)
			return -EBADMSG; /* the input ended inside the stream */
	}
	return (ssize_t) (n - x->s.avail_out);
}

int xz_writer_init(XzWriter *x, int fd) {
	lzma_mt mt = { .threads = xz_threads(), .preset = 3, .check = LZMA_CHECK_CRC64 };

	*x = (XzWriter) { .s = LZMA_STREAM_INIT, .fd = fd };
	return lzma_to_errno(lzma_stream_encoder_mt(&x->s, &mt));
}

void xz_writer_done(XzWriter *x) {
	lzma_end(&x->s);
}

static int xz_writer_code(XzWriter *x, const void *buf, size_t n, lzma_action action) {
	x->s.next_in = buf;
	x->s.avail_in = n;
	for (;;) {
		lzma_ret lr;
		int r;

		x->s.next_out = x->out;
		x->s.avail_out = sizeof x->out;
		lr = lzma_code(&x->s, action);
		if (lr != LZMA_OK && lr != LZMA_STREAM_END)
			return lzma_to_errno(lr);
		r = loop_write(x->fd, x->out, sizeof x->out - x->s.avail_out);
		if (r < 0)
			return r;
		if (lr == LZMA_STREAM_END || (action == LZMA_RUN && x->s.avail_in == 0))
			return 0;
	}
}

int xz_writer_write(void *userdata, const void *buf, size_t n) {
	return xz_writer_code(userdata, buf, n, LZMA_RUN);
}

int xz_writer_finish(XzWriter *x) {
	return xz_writer_code(x, NULL, 0, LZMA_FINISH);
}

int xz_compress_fd(int in_fd, int out_fd) {
	XzWriter x;
	uint8_t in[65536];
	int r;

	r = xz_writer_init(&x, out_fd);
	for (ssize_t k; r >= 0;) {
		k = read(in_fd, in, sizeof in);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : xz_writer_finish(&x);
			break;
		}
		r = xz_writer_write(&x, in, (size_t) k);
	}
	xz_writer_done(&x);
	return r;
}
