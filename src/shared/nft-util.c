/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "macro.h"
#include "mnl-dl.h"
#include "nft-util.h"
#include "nftnl-dl.h"

/* The chains of a forwarding table, at the priorities of nft's dstnat, srcnat and raw. */
#define CHAIN_PREROUTING "prerouting"
#define CHAIN_OUTPUT "output"
#define CHAIN_POSTROUTING "postrouting"
#define CHAIN_GUARD "guard"

/* A transaction: the batch of messages, and how many the kernel acknowledges. */
typedef struct Batch {
	char *buf;
	size_t size;
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	unsigned n_acks;
	bool failed; /* out of memory, or out of room */
} Batch;

static int batch_init(Batch *b, size_t size) {
	int r = dl_library_open(&dl_mnl, NULL, 0);

	if (r < 0 || (r = dl_library_open(&dl_nftnl, NULL, 0)) < 0)
		return r;
	*b = (Batch) { .size = size, .seq = (uint32_t) time(NULL) };
	b->buf = malloc(size);
	if (!b->buf)
		return -ENOMEM;
	b->b = sym_mnl_nlmsg_batch_start(b->buf, size);
	if (!b->b) {
		free(b->buf);
		return -ENOMEM;
	}
	sym_nftnl_batch_begin(sym_mnl_nlmsg_batch_current(b->b), b->seq++);
	sym_mnl_nlmsg_batch_next(b->b);
	return 0;
}

static void batch_done(Batch *b) {
	if (b->b)
		sym_mnl_nlmsg_batch_stop(b->b);
	free(b->buf);
}

static struct nlmsghdr *batch_add(Batch *b, uint16_t type, uint16_t flags) {
	/* Every message is acknowledged, so that the answer to the last one says the batch is done. */
	b->n_acks++;
	return sym_nftnl_nlmsg_build_hdr(sym_mnl_nlmsg_batch_current(b->b), type, NFPROTO_INET, flags | NLM_F_ACK, b->seq++);
}

static void batch_next(Batch *b) {
	if (!sym_mnl_nlmsg_batch_next(b->b))
		b->failed = true;
}

static void add_table(Batch *b, uint16_t type, uint16_t flags, const char *name) {
	struct nftnl_table *t = sym_nftnl_table_alloc();

	if (!t || sym_nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0) {
		b->failed = true;
	} else {
		sym_nftnl_table_nlmsg_build_payload(batch_add(b, type, flags), t);
		batch_next(b);
	}
	if (t)
		sym_nftnl_table_free(t);
}

static void add_chain(Batch *b, const char *table, const char *name, const char *type, int hook, int prio) {
	struct nftnl_chain *c = sym_nftnl_chain_alloc();

	if (!c || sym_nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) < 0 ||
	    sym_nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0 || sym_nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type) < 0) {
		b->failed = true;
	} else {
		sym_nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t) hook);
		sym_nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		sym_nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		sym_nftnl_chain_nlmsg_build_payload(batch_add(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
		batch_next(b);
	}
	if (c)
		sym_nftnl_chain_free(c);
}

/* ---- rules, one expression at a time ---- */

typedef struct Rule {
	struct nftnl_rule *r;
	bool failed;
} Rule;

static struct nftnl_expr *expr(Rule *r, const char *name) {
	struct nftnl_expr *e = sym_nftnl_expr_alloc(name);

	if (!e)
		r->failed = true;
	else if (r->r)
		sym_nftnl_rule_add_expr(r->r, e);
	return e;
}

static void load_meta(Rule *r, uint32_t key) {
	struct nftnl_expr *e = expr(r, "meta");
	if (!e)
		return;
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void load_payload(Rule *r, uint32_t base, uint32_t offset, uint32_t len) {
	struct nftnl_expr *e = expr(r, "payload");
	if (!e)
		return;
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
}

/* Register 1 &= mask. */
static void mask(Rule *r, const void *m, uint32_t len) {
	static const uint8_t zero[16] = {};
	struct nftnl_expr *e = expr(r, "bitwise");
	if (!e)
		return;
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (sym_nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, m, len) < 0 || sym_nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len) < 0)
		r->failed = true;
}

/* Register 1 compared with data: the rule goes on only when it is equal (or, with equal false, not). */
static void compare(Rule *r, bool equal, const void *data, uint32_t len) {
	struct nftnl_expr *e = expr(r, "cmp");
	if (!e)
		return;
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, equal ? NFT_CMP_EQ : NFT_CMP_NEQ);
	if (sym_nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
		r->failed = true;
}

static void match_u8(Rule *r, uint32_t meta_key, uint8_t value) {
	load_meta(r, meta_key);
	compare(r, true, &value, sizeof value);
}

/* fib daddr type local: for one of the host's own addresses. */
static void match_local_destination(Rule *r) {
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = expr(r, "fib");

	if (e) {
		sym_nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		sym_nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		sym_nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	}
	compare(r, true, &local, sizeof local);
}

/* The source or destination address (IPv4: 127.0.0.0/8 when loopback) of the network header. */
static void match_ipv4(Rule *r, bool destination, bool equal, const uint8_t address[4], bool loopback) {
	static const uint8_t net8[4] = { 255, 0, 0, 0 }, loop[4] = { 127, 0, 0, 0 };

	load_payload(r, NFT_PAYLOAD_NETWORK_HEADER, destination ? 16 : 12, 4);
	if (loopback)
		mask(r, net8, 4);
	compare(r, equal, loopback ? loop : address, 4);
}

static void set_register(Rule *r, uint32_t reg, const void *data, uint32_t len) {
	struct nftnl_expr *e = expr(r, "immediate");
	if (!e)
		return;
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	if (sym_nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len) < 0)
		r->failed = true;
}

static void verdict(Rule *r, uint32_t v) {
	struct nftnl_expr *e = expr(r, "immediate");
	if (!e)
		return;
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	sym_nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, v);
}

static void add_rule(Batch *b, const char *table, const char *chain, Rule *r) {
	if (!r->r || r->failed || sym_nftnl_rule_set_str(r->r, NFTNL_RULE_TABLE, table) < 0 ||
	    sym_nftnl_rule_set_str(r->r, NFTNL_RULE_CHAIN, chain) < 0) {
		b->failed = true;
	} else {
		sym_nftnl_rule_set_u32(r->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
		sym_nftnl_rule_nlmsg_build_payload(batch_add(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND), r->r);
		batch_next(b);
	}
	if (r->r)
		sym_nftnl_rule_free(r->r);
	*r = (Rule) {};
}

/* [fib daddr type local] [ip6 daddr != ::1] l4proto PROTO th dport HOST dnat to ADDRESS:TARGET */
static void add_dnat(Batch *b, const NftForwardTable *t, const char *chain, const NftForward *f, int family) {
	static const uint8_t loopback6[16] = { [15] = 1 };
	Rule r = { .r = sym_nftnl_rule_alloc() };
	uint16_t host_port = htons(f->host_port), target_port = htons(f->target_port);
	struct nftnl_expr *e;

	match_u8(&r, NFT_META_NFPROTO, (uint8_t) family);
	match_local_destination(&r);
	if (family == NFPROTO_IPV6) {
		/* See nft-util.h: it would only hang. */
		load_payload(&r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16);
		compare(&r, false, loopback6, 16);
	}
	match_u8(&r, NFT_META_L4PROTO, (uint8_t) f->protocol);
	load_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	compare(&r, true, &host_port, sizeof host_port);
	set_register(&r, NFT_REG_1, family == NFPROTO_IPV4 ? t->target.ipv4 : t->target.ipv6, family == NFPROTO_IPV4 ? 4 : 16);
	set_register(&r, NFT_REG_2, &target_port, sizeof target_port);
	e = expr(&r, "nat");
	if (e) {
		sym_nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		sym_nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, (uint32_t) family);
		sym_nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		sym_nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	}
	add_rule(b, t->name, chain, &r);
}

/* ip saddr 127.0.0.0/8 ip daddr ADDRESS masquerade: the target could not answer 127.0.0.1. */
static void add_loopback_masquerade(Batch *b, const NftForwardTable *t) {
	Rule r = { .r = sym_nftnl_rule_alloc() };

	match_u8(&r, NFT_META_NFPROTO, NFPROTO_IPV4);
	match_ipv4(&r, false, true, NULL, true);
	match_ipv4(&r, true, true, t->target.ipv4, false);
	(void) expr(&r, "masq");
	add_rule(b, t->name, CHAIN_POSTROUTING, &r);
}

/* iif LINK ip daddr 127.0.0.0/8 drop: before the replies are translated back, so only what was
 * sent to 127.0.0.0/8 from the other side is dropped. */
static void add_loopback_guard(Batch *b, const NftForwardTable *t, int ifindex) {
	Rule r = { .r = sym_nftnl_rule_alloc() };
	uint32_t iif = (uint32_t) ifindex;

	load_meta(&r, NFT_META_IIF);
	compare(&r, true, &iif, sizeof iif);
	match_u8(&r, NFT_META_NFPROTO, NFPROTO_IPV4);
	match_ipv4(&r, true, true, NULL, true);
	verdict(&r, NF_DROP);
	add_rule(b, t->name, CHAIN_GUARD, &r);
}

static int nfnetlink_open(struct mnl_socket **ret) {
	/* Bounded: the kernel answers a batch right away, but berth must not hang on a lost one. */
	struct timeval timeout = { .tv_sec = 10 };
	struct mnl_socket *nl = sym_mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	if (!nl)
		return negative_errno();
	if (sym_mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(sym_mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0) {
		int r = negative_errno();
		sym_mnl_socket_close(nl);
		return r;
	}
	*ret = nl;
	return 0;
}

/* Sends the batch and reads one answer per message; returns the first error the kernel gave. */
static int batch_commit(Batch *b) {
	struct mnl_socket *nl = NULL;
	unsigned answers = 0;
	int r, first_error = 0;

	if (b->failed)
		return -ENOMEM;
	sym_nftnl_batch_end(sym_mnl_nlmsg_batch_current(b->b), b->seq++);
	if (!sym_mnl_nlmsg_batch_next(b->b))
		return -ENOMEM;
	r = nfnetlink_open(&nl);
	if (r < 0)
		return r;
	if (sym_mnl_socket_sendto(nl, sym_mnl_nlmsg_batch_head(b->b), sym_mnl_nlmsg_batch_size(b->b)) < 0)
		r = negative_errno();
	while (r >= 0 && answers < b->n_acks) {
		ssize_t n = sym_mnl_socket_recvfrom(nl, b->buf, b->size);
		int len = (int) n;
		if (n < 0) {
			r = negative_errno();
			break;
		}
		for (const struct nlmsghdr *h = (const void *) b->buf; sym_mnl_nlmsg_ok(h, len); h = sym_mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *err = sym_mnl_nlmsg_get_payload(h);
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			answers++;
			if (err->error < 0 && first_error == 0)
				first_error = err->error;
		}
	}
	sym_mnl_socket_close(nl);
	return r < 0 ? r : first_error;
}

int nft_forward_table_apply(const NftForwardTable *t) {
	/* Room for every message: a rule takes a few hundred bytes. */
	size_t n_rules = t->n_forwards * 4 + t->n_loopback_links + 2;
	Batch b;
	int r;

	r = batch_init(&b, 8192 + n_rules * 1024);
	if (r < 0)
		return r;
	/* Made if missing and deleted, then made again: the old rules go in the same transaction. */
	add_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, t->name);
	add_table(&b, NFT_MSG_DELTABLE, 0, t->name);
	add_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, t->name);
	add_chain(&b, t->name, CHAIN_GUARD, "filter", NF_INET_PRE_ROUTING, -300);
	add_chain(&b, t->name, CHAIN_PREROUTING, "nat", NF_INET_PRE_ROUTING, -100);
	add_chain(&b, t->name, CHAIN_OUTPUT, "nat", NF_INET_LOCAL_OUT, -100);
	add_chain(&b, t->name, CHAIN_POSTROUTING, "nat", NF_INET_POST_ROUTING, 100);
	for (size_t i = 0; i < t->n_forwards; i++) {
		if (t->target.have_ipv4) {
			add_dnat(&b, t, CHAIN_PREROUTING, &t->forwards[i], NFPROTO_IPV4);
			add_dnat(&b, t, CHAIN_OUTPUT, &t->forwards[i], NFPROTO_IPV4);
		}
		if (t->target.have_ipv6) {
			add_dnat(&b, t, CHAIN_PREROUTING, &t->forwards[i], NFPROTO_IPV6);
			add_dnat(&b, t, CHAIN_OUTPUT, &t->forwards[i], NFPROTO_IPV6);
		}
	}
	if (t->target.have_ipv4 && t->n_forwards > 0 && t->n_loopback_links > 0)
		add_loopback_masquerade(&b, t);
	for (size_t i = 0; i < t->n_loopback_links; i++)
		add_loopback_guard(&b, t, t->loopback_links[i]);
	r = batch_commit(&b);
	batch_done(&b);
	return r;
}

int nft_table_delete(const char *name) {
	Batch b;
	int r = batch_init(&b, 8192);

	if (r < 0)
		return r;
	add_table(&b, NFT_MSG_DELTABLE, 0, name);
	r = batch_commit(&b);
	batch_done(&b);
	return r;
}
