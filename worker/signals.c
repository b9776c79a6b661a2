/*
 * signals.c: give a forked child back the signal handling it had before Go started.
 *
 * Loading a c-shared Go library installs Go's signal handlers. In a forked child they would
 * run Go code on a thread the runtime does not know. We take a snapshot before Go starts (a
 * prioritised constructor runs before the one that starts the Go runtime), another once Go is
 * up, and in the child put back every disposition that is still the one Go installed. A
 * handler the script set later (TclX `signal trap`) is left alone.
 */
#include <signal.h>
#include <string.h>

#include "worker.h"

static struct sigaction before_go[NSIG];
static struct sigaction go_installed[NSIG];
static int go_noted;

static void *handler_of(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) ? (void *)sa->sa_sigaction : (void *)sa->sa_handler;
}

__attribute__((constructor(101))) static void snapshot_before_go(void)
{
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, NULL, &before_go[sig]);
}

/* Called once the Go runtime has finished starting (its exported functions wait for that). */
void ss_signals_note_go(void)
{
	if (go_noted)
		return;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, NULL, &go_installed[sig]);
	go_noted = 1;
}

void ss_signals_restore_in_child(void)
{
	if (!go_noted)
		return;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction now;
		if (sigaction(sig, NULL, &now) != 0)
			continue;
		if (handler_of(&go_installed[sig]) == handler_of(&before_go[sig]))
			continue;
		if (handler_of(&now) == handler_of(&go_installed[sig]))
			sigaction(sig, &before_go[sig], NULL);
	}
}
