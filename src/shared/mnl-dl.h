/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libmnl/libmnl.h>

#include "dlopen-util.h"

/* libmnl, opened when netlink is spoken: rtnetlink (netlink-util.c) and nftables (nft-util.c). */

#define MNL_SYMBOLS(X)                          \
	X(mnl_attr_get_payload)                 \
	X(mnl_attr_get_payload_len)             \
	X(mnl_attr_get_str)                     \
	X(mnl_attr_get_type)                    \
	X(mnl_attr_get_u32)                     \
	X(mnl_attr_nest_end)                    \
	X(mnl_attr_nest_start)                  \
	X(mnl_attr_parse)                       \
	X(mnl_attr_parse_nested)                \
	X(mnl_attr_put)                         \
	X(mnl_attr_put_strz)                    \
	X(mnl_attr_put_u16)                     \
	X(mnl_attr_put_u32)                     \
	X(mnl_attr_validate)                    \
	X(mnl_cb_run)                           \
	X(mnl_nlmsg_batch_current)              \
	X(mnl_nlmsg_batch_head)                 \
	X(mnl_nlmsg_batch_next)                 \
	X(mnl_nlmsg_batch_size)                 \
	X(mnl_nlmsg_batch_start)                \
	X(mnl_nlmsg_batch_stop)                 \
	X(mnl_nlmsg_get_payload)                \
	X(mnl_nlmsg_next)                       \
	X(mnl_nlmsg_ok)                         \
	X(mnl_nlmsg_put_extra_header)           \
	X(mnl_nlmsg_put_header)                 \
	X(mnl_socket_bind)                      \
	X(mnl_socket_close)                     \
	X(mnl_socket_get_fd)                    \
	X(mnl_socket_get_portid)                \
	X(mnl_socket_open2)                     \
	X(mnl_socket_recvfrom)                  \
	X(mnl_socket_sendto)

DL_DECLARE_SYMBOLS(MNL_SYMBOLS)

extern DlLibrary dl_mnl;
