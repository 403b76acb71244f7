/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "seccomp-filter.h"

/* Builds the classic BPF program of a system call filter from what each ABI's calls get, the way
 * the kernel takes it fastest: numbers that get the same verdict one after the other form one
 * range, and a binary search over the ranges finds a call's verdict in a few comparisons. The
 * program is a few hundred instructions where one rule per call takes well over a thousand, and
 * the kernel's cost of taking it in (checking, translating, compiling, and trying each call number
 * for a constant verdict) grows with its size. */

/* The verdicts of one ABI's calls first_nr .. first_nr + n - 1 (SECCOMP_RET_* values). ABIs that
 * share an audit architecture (x86-64 and x32) must not overlap. */
typedef struct SeccompAbiVerdicts {
	uint32_t audit_arch;
	uint32_t first_nr;
	const uint32_t *verdicts;
	size_t n;
} SeccompAbiVerdicts;

/* A verdict that depends on arguments: when the low 32 bits of each named argument equal its value,
 * the call gets verdict, whatever its number gets otherwise. */
typedef struct SeccompArgRule {
	uint32_t audit_arch;
	uint32_t nr;
	uint32_t verdict;
	unsigned n_args;
	struct {
		unsigned index;
		uint32_t value;
	} args[2];
} SeccompArgRule;

/* Calls of an ABI with no number in its table get default_verdict; calls of any other audit
 * architecture get bad_arch_verdict. -E2BIG when the program would be longer than the kernel takes. */
int seccomp_program_build(const SeccompAbiVerdicts *abis, size_t n_abis, const SeccompArgRule *rules, size_t n_rules,
			  uint32_t default_verdict, uint32_t bad_arch_verdict, SeccompProgram *ret);
