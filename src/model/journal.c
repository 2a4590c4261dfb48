/* The launch journal: see include/ec2lite/journal.h. */
#include "ec2lite/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ec2lite/util.h"

static int write_doc(struct journal *j, struct ec2_error *err)
{
	const char *text = json_object_to_json_string_ext(j->doc, JSON_C_TO_STRING_PLAIN);

	return util_write_file_atomic(j->json_path, text, strlen(text), 0600, err);
}

int journal_begin(const char *state_dir, const char *rid, json_object *instances, long min_count,
		  struct journal *j, struct ec2_error *err)
{
	json_object *fields = json_object_new_object();
	int rc;

	json_add_int(fields, "MinCount", min_count);
	json_object_object_add(fields, "Instances", json_object_get(instances));
	rc = journal_begin_with(state_dir, rid, fields, j, err);
	json_object_put(fields);
	return rc;
}

int journal_begin_with(const char *state_dir, const char *rid, json_object *fields,
		       struct journal *j, struct ec2_error *err)
{
	char *dir = util_strdupf("%s/launches", state_dir);
	json_object *copy = NULL;

	memset(j, 0, sizeof(*j));
	j->lock_fd = -1;
	if (util_mkdir_p(dir, 0700, err) < 0) {
		free(dir);
		return -1;
	}
	j->json_path = util_strdupf("%s/%s.json", dir, rid);
	j->lock_path = util_strdupf("%s/%s.lock", dir, rid);
	free(dir);
	/* The lock first: a journal is never without its lock while its launcher lives. */
	j->lock_fd = open(j->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lock_fd < 0 || flock(j->lock_fd, LOCK_EX) < 0) {
		ec2_error_set_errno(err, errno, "cannot lock the launch journal '%s'", j->lock_path);
		journal_end(j);
		return -1;
	}
	json_object_deep_copy(fields, &copy, NULL);
	j->doc = copy;
	json_add_str(j->doc, "ReservationId", rid);
	if (!json_object_object_get_ex(j->doc, "Undo", NULL))
		json_add_bool(j->doc, "Undo", false);
	if (write_doc(j, err) < 0) {
		journal_end(j);
		return -1;
	}
	return 0;
}

int journal_mark_undo(struct journal *j, struct ec2_error *err)
{
	if (!j->doc)
		return 0;
	json_object_object_add(j->doc, "Undo", json_object_new_boolean(1));
	return write_doc(j, err);
}

void journal_end(struct journal *j)
{
	/* The journal before its lock: a successor that takes the lock of a journal that is gone
	 * finds nothing to do. */
	if (j->json_path)
		unlink(j->json_path);
	if (j->lock_fd >= 0) {
		unlink(j->lock_path);
		close(j->lock_fd);
	}
	free(j->json_path);
	free(j->lock_path);
	json_object_put(j->doc);
	memset(j, 0, sizeof(*j));
	j->lock_fd = -1;
}

/* Calls fn with the paths of each journal in <state-dir>/launches and its lock, and returns the
 * sum of what fn returns; -1 when the folder exists but cannot be read. */
typedef int (*each_fn)(const char *json_path, const char *lock_path, void *opaque);

static int each_journal(const char *state_dir, each_fn fn, void *opaque)
{
	char *dir = util_strdupf("%s/launches", state_dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d) {
		free(dir);
		return errno == ENOENT ? 0 : -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *json_path, *lock_path;

		if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		json_path = util_strdupf("%s/%s", dir, e->d_name);
		lock_path = util_strdupf("%s/%.*s.lock", dir, (int)(len - 5), e->d_name);
		n += fn(json_path, lock_path, opaque);
		free(json_path);
		free(lock_path);
	}
	closedir(d);
	free(dir);
	return n;
}

struct visit {
	journal_recover_fn recover; /* journal_recover's */
	journal_visit_fn visit;     /* journal_in_flight's */
	void *opaque;
};

/* Recovers one journal if its launcher is gone; 1 recovered, 0 not. */
static int recover_one(const char *json_path, const char *lock_path, void *opaque)
{
	const struct visit *v = opaque;
	json_object *doc;
	int fd, rc = 0;

	fd = open(lock_path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return 0; /* cannot tell (out of descriptors, say): the launcher may live */
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd); /* its launcher lives */
		return 0;
	}
	/* Taken (or lost with its launcher): the launch ended, well or not. A journal still there
	 * means it did not end well. */
	doc = json_object_from_file(json_path);
	if (doc) {
		int done = v->recover(v->opaque, doc);

		json_object_put(doc);
		if (done < 0) { /* undecided: the journal stays, its lock is let go */
			if (fd >= 0)
				close(fd);
			return 0;
		}
		rc = 1;
	}
	unlink(json_path);
	unlink(lock_path);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Visits one journal if its launcher is at work; 1 visited, 0 not. The journal is written after
 * its lock is taken and removed before it is let go: a lock that is held beside a journal is a
 * launcher at work. One whose lock can be taken ended, or died (ec2_reconcile recovers it; its
 * domains speak for it). */
static int visit_one(const char *json_path, const char *lock_path, void *opaque)
{
	const struct visit *v = opaque;
	json_object *doc;

	if (util_lock_held(lock_path) != 1 || !(doc = json_object_from_file(json_path)))
		return 0;
	v->visit(v->opaque, doc);
	json_object_put(doc);
	return 1;
}

int journal_in_flight(const char *state_dir, journal_visit_fn fn, void *opaque)
{
	struct visit v = { .visit = fn, .opaque = opaque };

	return each_journal(state_dir, visit_one, &v);
}

struct lists {
	const char *key, *value;
	bool found;
};

static void lists_one(void *opaque, json_object *doc)
{
	struct lists *l = opaque;
	json_object *list = NULL;
	size_t i;

	if (strcmp(l->key, "ClientToken") == 0) {
		l->found |= strcmp(req_str0(doc, "ClientToken"), l->value) == 0;
		return;
	}
	json_object_object_get_ex(doc, "Instances", &list);
	for (i = 0; list && i < json_object_array_length(list); i++)
		l->found |= strcmp(req_str0(json_object_array_get_idx(list, i), l->key),
				   l->value) == 0;
}

bool journal_busy(const char *state_dir, const char *key, const char *value)
{
	struct lists l = { key, value, false };

	/* A folder that cannot be read may hold a launch: the caller waits for another time;
	 * but a retried RunInstances does not wait for a first launch it cannot see. */
	if (journal_in_flight(state_dir, lists_one, &l) < 0)
		return strcmp(key, "ClientToken") != 0;
	return l.found;
}

int journal_recover(const char *state_dir, journal_recover_fn fn, void *opaque)
{
	struct visit v = { .recover = fn, .opaque = opaque };
	int n = each_journal(state_dir, recover_one, &v);

	return n < 0 ? 0 : n;
}
