// SPDX-License-Identifier: GPL-2.0
/*
 * An application with macros of its own named as the kernel's, as kernel
 * style code often has: <mcrring.h> uses its own inside and gives the
 * application's back. Exits 0 when the application's were used after
 * the include, and no other kernel name is left defined.
 */
#include <stdio.h>

static int app_calls;

static int app_read_once(const int *p)
{
	app_calls++;
	return *p;
}

static int app_likely(int x)
{
	app_calls++;
	return x;
}

#define READ_ONCE(x)	app_read_once(&(x))
#define likely(x)	app_likely(x)

#include <mcrring.h>

#if defined(WRITE_ONCE) || defined(smp_load_acquire) || \
	defined(smp_store_release) || defined(smp_rmb) || defined(smp_wmb) || \
	defined(unlikely) || defined(mul_u64_u64_shr) || defined(static_assert)
#error "<mcrring.h> left a kernel name defined"
#endif

int main(void)
{
	int v = 3;

	if (likely(READ_ONCE(v) == 3) && app_calls == 2) {
		printf("the application's own READ_ONCE and likely\n");
		return 0;
	}
	return 1;
}
