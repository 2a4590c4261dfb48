/* The launch journal: what a RunInstances in progress is making, so that a launcher that dies
 * (killed, crashed, the host's power) leaves enough behind for the next command to finish or undo
 * its work.
 *
 * A launch writes <state-dir>/launches/<reservation-id>.json, listing each instance's id and root
 * volume, before it makes any of them, and holds an flock on <reservation-id>.lock for its whole
 * life; the kernel lets go of that lock when the process dies. ec2_reconcile (every describe, the
 * API server's reconciler) looks for journals whose lock it can take: their launcher is gone, and
 * what the journal lists is finished (a defined domain is started, an instance that has no
 * domain loses its volume and folder) or, when fewer than the launch's MinCount were defined or
 * the launcher was undoing, undone whole.
 *
 * A launch holds the store's "launch" lock only to decide (the instance limit, memory capacity,
 * private IPs) and to write its journal; then it makes and starts its instances beside other
 * launches. The journals of launchers at work are the reservations that the next decision
 * counts (journal_in_flight), and they tell ec2_reconcile that a shut-off domain they list is
 * about to start (journal_busy). StartInstances writes one too ("Start": true). */
#ifndef EC2LITE_JOURNAL_H
#define EC2LITE_JOURNAL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/error.h"

struct journal {
	int lock_fd;       /* -1 when not begun */
	char *json_path;   /* <state-dir>/launches/<rid>.json */
	char *lock_path;   /* <state-dir>/launches/<rid>.lock */
	json_object *doc;  /* {"ReservationId", "MinCount", "Undo": bool, "ClientToken", "Start",
			    *  "Instances": [{"InstanceId", "Volume", "PrivateIp", "MemoryMiB"}]} */
};

/* Takes the lock and writes the journal of reservation rid listing instances, an array of
 * {"InstanceId", "Volume"} (borrowed; copied), of which at least min_count must run for the
 * launch to count. On failure nothing is left behind. */
int journal_begin(const char *state_dir, const char *rid, json_object *instances, long min_count,
		  struct journal *j, struct ec2_error *err);

/* As journal_begin, with the journal's fields given whole (borrowed; copied): "Instances",
 * "MinCount", and what else its readers look for ("ClientToken"; "Start": true for a
 * StartInstances, whose recovery finishes the start and removes nothing). */
int journal_begin_with(const char *state_dir, const char *rid, json_object *fields,
		       struct journal *j, struct ec2_error *err);

/* Marks the journal as undoing (the launch failed and is removing what it made), so that if the
 * launcher dies now its successor removes everything instead of finishing it. */
int journal_mark_undo(struct journal *j, struct ec2_error *err);

/* The launch is over (done or undone): the journal and its lock go. A zeroed or never-begun j is
 * fine. */
void journal_end(struct journal *j);

/* Calls fn with each journal (borrowed) whose launcher is gone, then removes that journal, unless
 * fn returns -1: it could not tell what to do (libvirt did not answer, say), and the journal stays
 * for the next pass. Returns how many journals were recovered. */
typedef int (*journal_recover_fn)(void *opaque, json_object *journal);
int journal_recover(const char *state_dir, journal_recover_fn fn, void *opaque);
typedef void (*journal_visit_fn)(void *opaque, json_object *journal);

/* Calls fn with each journal (borrowed) whose launcher is at work now (it holds the lock): the
 * reservations of the launches and starts under way, which count against capacity before
 * libvirt shows their domains. Returns how many, or -1 when the folder cannot be read. */
int journal_in_flight(const char *state_dir, journal_visit_fn fn, void *opaque);

/* Whether a launch or start at work now lists value: key "ClientToken" compares the journal's
 * token; any other key (such as "InstanceId", "PrivateIp") an entry of its "Instances". When
 * that cannot be told, true (false for "ClientToken": a retry does not wait forever). */
bool journal_busy(const char *state_dir, const char *key, const char *value);

#endif
