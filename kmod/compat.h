/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces mcrring uses that changed between the kernels it
 * builds against (6.1 onwards). Each difference is probed in the headers
 * being built against by kmod/Kbuild, never guessed from the version, and
 * the newest kernel's spelling is the one the code uses: on older kernels
 * this file supplies it.
 */
#ifndef MCR_COMPAT_KMOD_H
#define MCR_COMPAT_KMOD_H

#include <linux/mm.h>

/*
 * 6.3 made vma->vm_flags read-only: changes go through vm_flags_set() and
 * vm_flags_clear(), which also take care of the VMA lock.
 */
#ifndef MCR_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#endif /* MCR_COMPAT_KMOD_H */
