/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "dlopen-util.h"

/* libnftnl, opened when nftables rules are written (nft-util.c), together with libmnl (mnl-dl.h),
 * which carries them to the kernel. */

#define NFTNL_SYMBOLS(X)                        \
	X(nftnl_batch_begin)                    \
	X(nftnl_batch_end)                      \
	X(nftnl_chain_alloc)                    \
	X(nftnl_chain_free)                     \
	X(nftnl_chain_nlmsg_build_payload)      \
	X(nftnl_chain_set_s32)                  \
	X(nftnl_chain_set_str)                  \
	X(nftnl_chain_set_u32)                  \
	X(nftnl_expr_alloc)                     \
	X(nftnl_expr_set)                       \
	X(nftnl_expr_set_u32)                   \
	X(nftnl_nlmsg_build_hdr)                \
	X(nftnl_rule_add_expr)                  \
	X(nftnl_rule_alloc)                     \
	X(nftnl_rule_free)                      \
	X(nftnl_rule_nlmsg_build_payload)       \
	X(nftnl_rule_set_str)                   \
	X(nftnl_rule_set_u32)                   \
	X(nftnl_table_alloc)                    \
	X(nftnl_table_free)                     \
	X(nftnl_table_nlmsg_build_payload)      \
	X(nftnl_table_set_str)

DL_DECLARE_SYMBOLS(NFTNL_SYMBOLS)

extern DlLibrary dl_nftnl;
