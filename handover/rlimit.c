/*
 * rlimit.c: the open-files soft limit as it was before the Go runtime started.
 *
 * Go's runtime raises RLIMIT_NOFILE's soft limit to (nearly) its hard limit when it starts
 * (package syscall's init, since Go 1.19), for Go programs, which never use select(2).
 * Here it starts inside tclsh, whose notifier (Tcl 8.6's, on Linux) is select-based and
 * aborts the process on a descriptor of 1024 or more, and whose scripts expect the limit
 * the user set. So a constructor notes the limit when the library is loaded, before the
 * runtime starts (its priority puts it ahead of the runtime's own init_array entry), and
 * RestoreOpenFilesLimit puts it back as soon as the runtime has started. Workers forked
 * later and programs started later inherit it; a pool worker's own runtime raises it
 * again when the worker loads the package, and puts it back the same way.
 */
#include <sys/resource.h>

#include "handover.h"

static struct rlimit at_load;
static int noted;

__attribute__((constructor(101))) static void note_open_files_limit(void)
{
	noted = getrlimit(RLIMIT_NOFILE, &at_load) == 0;
}

long long ss_open_files_limit_at_load(void)
{
	return noted ? (long long)at_load.rlim_cur : -1;
}
