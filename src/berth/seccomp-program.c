/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "seccomp-program.h"

/* The most a conditional jump skips: its offsets are one byte. */
#define SHORT_JUMP_MAX 255

typedef struct Code {
	struct sock_filter *insns;
	size_t n, allocated;
} Code;

static void code_done(Code *c) {
	free(c->insns);
	*c = (Code) {};
}

static int code_add(Code *c, struct sock_filter insn) {
	if (c->n == c->allocated) {
		size_t a = c->allocated ? c->allocated * 2 : 64;
		struct sock_filter *p = realloc(c->insns, a * sizeof(struct sock_filter));
		if (!p)
			return -ENOMEM;
		c->insns = p;
		c->allocated = a;
	}
	c->insns[c->n++] = insn;
	return 0;
}

static int code_append(Code *c, const Code *tail) {
	for (size_t i = 0; i < tail->n; i++) {
		int r = code_add(c, tail->insns[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The numbers from lo up to the next range's lo: one verdict, unless argument rules come first. */
typedef struct Range {
	uint32_t lo;
	uint32_t verdict;
	bool has_rules;
} Range;

typedef struct Group {
	uint32_t audit_arch;
	const SeccompArgRule *rules;
	size_t n_rules;
	Range *ranges;
	size_t n_ranges, allocated;
} Group;

static bool has_rules(const Group *g, uint32_t nr) {
	for (size_t i = 0; i < g->n_rules; i++)
		if (g->rules[i].audit_arch == g->audit_arch && g->rules[i].nr == nr)
			return true;
	return false;
}

/* Adds the range from lo, or extends the last one when it would give the same verdict. */
static int group_add(Group *g, uint32_t lo, uint32_t verdict) {
	bool rules = has_rules(g, lo);
	Range *last = g->n_ranges > 0 ? &g->ranges[g->n_ranges - 1] : NULL;

	if (last && !rules && !last->has_rules && last->verdict == verdict)
		return 0;
	if (g->n_ranges == g->allocated) {
		size_t a = g->allocated ? g->allocated * 2 : 64;
		Range *p = realloc(g->ranges, a * sizeof(Range));
		if (!p)
			return -ENOMEM;
		g->ranges = p;
		g->allocated = a;
	}
	g->ranges[g->n_ranges++] = (Range) { .lo = lo, .verdict = verdict, .has_rules = rules };
	return 0;
}

static int compare_abis(const void *a, const void *b) {
	const SeccompAbiVerdicts *x = *(const SeccompAbiVerdicts *const *) a, *y = *(const SeccompAbiVerdicts *const *) b;
	return x->first_nr < y->first_nr ? -1 : x->first_nr > y->first_nr;
}

/* Every number of the audit architecture, 0 to UINT32_MAX, in ranges. */
static int group_fill(Group *g, const SeccompAbiVerdicts *abis, size_t n_abis, uint32_t default_verdict) {
	const SeccompAbiVerdicts **members = calloc(n_abis, sizeof(*members));
	size_t n = 0;
	uint64_t next = 0; /* the first number no range covers yet */
	int r = 0;

	if (!members)
		return -ENOMEM;
	for (size_t i = 0; i < n_abis; i++)
		if (abis[i].audit_arch == g->audit_arch)
			members[n++] = &abis[i];
	qsort(members, n, sizeof(*members), compare_abis);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const SeccompAbiVerdicts *a = members[i];
		if (a->first_nr < next || (uint64_t) a->first_nr + a->n > (uint64_t) UINT32_MAX + 1) {
			r = -EINVAL;
			break;
		}
		if (a->first_nr > next)
			r = group_add(g, (uint32_t) next, default_verdict);
		for (size_t k = 0; r >= 0 && k < a->n; k++)
			r = group_add(g, a->first_nr + (uint32_t) k, a->verdicts[k]);
		next = (uint64_t) a->first_nr + a->n;
	}
	if (r >= 0 && next <= UINT32_MAX)
		r = group_add(g, (uint32_t) next, default_verdict);
	free(members);
	return r;
}

/* Where the low 32 bits of argument index lie in struct seccomp_data. */
static uint32_t arg_low_offset(unsigned index) {
	return (uint32_t) (offsetof(struct seccomp_data, args) + index * sizeof(uint64_t) +
			   (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0));
}

/* A range's verdict. For a call with argument rules: each rule in turn, then the call's own. */
static int emit_leaf(Code *c, const Group *g, const Range *range) {
	int r = 0;

	for (size_t i = 0; r >= 0 && range->has_rules && i < g->n_rules; i++) {
		const SeccompArgRule *rule = &g->rules[i];
		if (rule->audit_arch != g->audit_arch || rule->nr != range->lo)
			continue;
		if (rule->n_args > ELEMENTSOF(rule->args))
			return -EINVAL;
		for (unsigned j = 0; r >= 0 && j < rule->n_args; j++) {
			r = code_add(c, (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg_low_offset(rule->args[j].index)));
			/* A mismatch skips the rest of this rule: its checks and its return. */
			if (r >= 0)
				r = code_add(c, (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, rule->args[j].value, 0,
									(uint8_t) (2 * (rule->n_args - j - 1) + 1)));
		}
		if (r >= 0)
			r = code_add(c, (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, rule->verdict));
	}
	if (r >= 0)
		r = code_add(c, (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, range->verdict));
	return r;
}

/* A binary search over ranges, with the call's number in the accumulator: the lower half falls
 * through, the upper half is jumped to (through an unconditional jump when it lies too far). */
static int emit_search(Code *c, const Group *g, const Range *ranges, size_t n) {
	Code lower = {}, upper = {};
	size_t half = n / 2;
	int r;

	if (n == 1)
		return emit_leaf(c, g, ranges);
	r = emit_search(&lower, g, ranges, half);
	if (r >= 0)
		r = emit_search(&upper, g, ranges + half, n - half);
	if (r >= 0 && lower.n <= SHORT_JUMP_MAX)
		r = code_add(c, (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, ranges[half].lo, (uint8_t) lower.n, 0));
	else if (r >= 0) {
		r = code_add(c, (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, ranges[half].lo, 0, 1));
		if (r >= 0)
			r = code_add(c, (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t) lower.n, 0, 0));
	}
	if (r >= 0)
		r = code_append(c, &lower);
	if (r >= 0)
		r = code_append(c, &upper);
	code_done(&lower);
	code_done(&upper);
	return r;
}

int seccomp_program_build(const SeccompAbiVerdicts *abis, size_t n_abis, const SeccompArgRule *rules, size_t n_rules,
			  uint32_t default_verdict, uint32_t bad_arch_verdict, SeccompProgram *ret) {
	uint32_t arches[8];
	Code groups[ELEMENTSOF(arches)] = {}, all = {};
	size_t n_arches = 0, offset;
	int r = 0;

	/* A rule for a number no table holds would be lost in a range of the default verdict. */
	for (size_t i = 0; i < n_rules; i++) {
		bool found = false;
		for (size_t j = 0; !found && j < n_abis; j++)
			found = abis[j].audit_arch == rules[i].audit_arch && rules[i].nr >= abis[j].first_nr &&
				rules[i].nr - abis[j].first_nr < abis[j].n;
		if (!found)
			return -EINVAL;
	}
	/* The audit architectures, in the order of their first ABI. */
	for (size_t i = 0; i < n_abis; i++) {
		size_t j = 0;
		while (j < n_arches && arches[j] != abis[i].audit_arch)
			j++;
		if (j == n_arches) {
			if (n_arches == ELEMENTSOF(arches))
				return -E2BIG;
			arches[n_arches++] = abis[i].audit_arch;
		}
	}
	for (size_t i = 0; r >= 0 && i < n_arches; i++) {
		Group g = { .audit_arch = arches[i], .rules = rules, .n_rules = n_rules };
		r = group_fill(&g, abis, n_abis, default_verdict);
		if (r >= 0)
			r = code_add(&groups[i], (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
		if (r >= 0)
			r = emit_search(&groups[i], &g, g.ranges, g.n_ranges);
		free(g.ranges);
	}

	/* The architecture picks the ABIs' search; one the filter does not know gets its verdict. */
	if (r >= 0)
		r = code_add(&all, (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	offset = 0;
	for (size_t i = 0; r >= 0 && i < n_arches; i++) {
		/* From the instruction after this one's jump to the start of its search. */
		size_t skip = 2 * (n_arches - i - 1) + 1 + offset;
		r = code_add(&all, (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arches[i], 0, 1));
		if (r >= 0)
			r = code_add(&all, (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t) skip, 0, 0));
		offset += groups[i].n;
	}
	if (r >= 0)
		r = code_add(&all, (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, bad_arch_verdict));
	for (size_t i = 0; r >= 0 && i < n_arches; i++)
		r = code_append(&all, &groups[i]);
	for (size_t i = 0; i < n_arches; i++)
		code_done(&groups[i]);
	if (r >= 0 && all.n > BPF_MAXINSNS)
		r = -E2BIG;
	if (r < 0) {
		code_done(&all);
		return r;
	}
	*ret = (SeccompProgram) { .insns = all.insns, .n_insns = all.n };
	return 0;
}
