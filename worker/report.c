/*
 * report.c: background errors from the server's Go threads to its interpreter.
 *
 * A Go thread queues a Tcl event (Tcl_ThreadQueueEvent) for the interpreter's thread and
 * wakes it. It does so holding the process lock, so a fork never copies a Tcl mutex that a
 * Go thread holds. The event procedure is C: if a worker was forked with the event still in
 * its queue, it runs there harmlessly and drops it (the report belongs to the server).
 */
#include <stdlib.h>

#include "worker.h"

#define REPORTER_KEY "socketserver::reporter"

struct ss_reporter {
	Tcl_Interp *interp;
	Tcl_ThreadId thread;
	int alive; /* until the interpreter is deleted */
	int refs;  /* the interpreter's, each server's, each queued event's; under the lock */
};

typedef struct {
	Tcl_Event header;
	ss_reporter *reporter;
	char *message, *errorcode;
} ReportEvent;

void ss_reporter_retain(ss_reporter *reporter)
{
	ss_lock();
	reporter->refs++;
	ss_unlock();
}

void ss_reporter_release(ss_reporter *reporter)
{
	ss_lock();
	int last = --reporter->refs == 0;
	ss_unlock();
	if (last)
		free(reporter);
}

static int report_event_proc(Tcl_Event *event, int flags)
{
	ReportEvent *report = (ReportEvent *)event;
	(void)flags;
	if (!ss_forked() && report->reporter->alive) {
		ss_error(report->reporter->interp, report->errorcode, NULL, "%s", report->message);
		ss_background_error(report->reporter->interp);
	}
	free(report->message);
	free(report->errorcode);
	ss_reporter_release(report->reporter);
	return 1;
}

void ss_report(ss_reporter *reporter, char *message, char *errorcode)
{
	ss_lock();
	if (!reporter->alive) {
		ss_unlock();
		free(message);
		free(errorcode);
		return;
	}
	ReportEvent *report = (ReportEvent *)ckalloc(sizeof(ReportEvent));
	report->header.proc = report_event_proc;
	report->reporter = reporter;
	report->message = message;
	report->errorcode = errorcode;
	reporter->refs++;
	Tcl_ThreadQueueEvent(reporter->thread, &report->header, TCL_QUEUE_TAIL);
	Tcl_ThreadAlert(reporter->thread);
	ss_unlock();
}

static void interp_deleted(ClientData data, Tcl_Interp *interp)
{
	ss_reporter *reporter = data;
	(void)interp;
	ss_lock();
	reporter->alive = 0;
	ss_unlock();
	/* Its servers have nobody left to report to; close them. Never from a forked child. */
	const struct ss_server_side *server_side = ss_server_side();
	if (server_side != NULL)
		server_side->close_servers_of(reporter);
	ss_reporter_release(reporter);
}

ss_reporter *ss_reporter_for(Tcl_Interp *interp)
{
	ss_reporter *reporter = Tcl_GetAssocData(interp, REPORTER_KEY, NULL);
	if (reporter == NULL) {
		reporter = malloc(sizeof(*reporter));
		if (reporter == NULL)
			return NULL;
		*reporter = (ss_reporter){interp, Tcl_GetCurrentThread(), 1, 1};
		Tcl_SetAssocData(interp, REPORTER_KEY, interp_deleted, reporter);
	}
	return reporter;
}
