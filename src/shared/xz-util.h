/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <lzma.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* .xz streams from and to file descriptors, for image import and export. */

/* True when the bytes start like an .xz stream (needs at least 6). */
bool xz_has_magic(const void *p, size_t n);

/* Reads up to n bytes of compressed input: the count, 0 at the end, or -errno. */
typedef ssize_t (*XzInputFn)(void *userdata, void *buf, size_t n);

/* A decoder reading compressed bytes from fd, or through an XzInputFn. The decoder is liblzma's
 * multi-threaded one (one thread per CPU): multi-block streams, as "xz -T0" writes, decode in
 * parallel. */
typedef struct XzReader {
	lzma_stream s;
	int fd;
	XzInputFn input; /* NULL: read(2) of fd */
	void *input_userdata;
	bool eof, done;
	uint8_t in[65536];
} XzReader;

int xz_reader_init(XzReader *x, int fd);
int xz_reader_init_input(XzReader *x, XzInputFn input, void *userdata);
void xz_reader_done(XzReader *x);
/* Reads up to n decoded bytes; 0 at the end of the stream, -EBADMSG for corrupt input, -errno.
 * Its signature is a TarReadFn's, with an XzReader as userdata. */
ssize_t xz_reader_read(void *userdata, void *buf, size_t n);

/* An encoder writing compressed bytes to fd (multi-threaded, preset 3). */
typedef struct XzWriter {
	lzma_stream s;
	int fd;
	uint8_t out[65536];
} XzWriter;

int xz_writer_init(XzWriter *x, int fd);
/* Compresses n bytes; its signature is a TarWriteFn's, with an XzWriter as userdata. */
int xz_writer_write(void *userdata, const void *buf, size_t n);
/* Flushes the end of the stream; then, or on failure, call xz_writer_done(). */
int xz_writer_finish(XzWriter *x);
void xz_writer_done(XzWriter *x);

/* Compresses everything readable from in_fd into out_fd (multi-threaded encoder, preset 3). */
int xz_compress_fd(int in_fd, int out_fd);
