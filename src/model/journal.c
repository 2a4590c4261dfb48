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
	j->doc = json_object_new_object();
	json_add_str(j->doc, "ReservationId", rid);
	json_add_int(j->doc, "MinCount", min_count);
	json_add_bool(j->doc, "Undo", false);
	json_object_deep_copy(instances, &copy, NULL);
	json_object_object_add(j->doc, "Instances", copy);
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

/* Recovers one journal if its launcher is gone; 1 recovered, 0 not. */
static int recover_one(const char *dir, const char *name, journal_recover_fn fn, void *opaque)
{
	size_t len = strlen(name);
	char *json_path, *lock_path;
	json_object *doc;
	int fd, rc = 0;

	if (len <= 5 || strcmp(name + len - 5, ".json") != 0)
		return 0;
	json_path = util_strdupf("%s/%s", dir, name);
	lock_path = util_strdupf("%s/%.*s.lock", dir, (int)(len - 5), name);
	fd = open(lock_path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		goto out; /* cannot tell (out of descriptors, say): the launcher may live */
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd); /* its launcher lives */
		goto out;
	}
	/* Taken (or lost with its launcher): the launch ended, well or not. A journal still there
	 * means it did not end well. */
	doc = json_object_from_file(json_path);
	if (doc) {
		fn(opaque, doc);
		json_object_put(doc);
		rc = 1;
	}
	unlink(json_path);
	unlink(lock_path);
	if (fd >= 0)
		close(fd);
out:
	free(json_path);
	free(lock_path);
	return rc;
}

int journal_recover(const char *state_dir, journal_recover_fn fn, void *opaque)
{
	char *dir = util_strdupf("%s/launches", state_dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d) {
		while ((e = readdir(d)))
			n += recover_one(dir, e->d_name, fn, opaque);
		closedir(d);
	}
	free(dir);
	return n;
}
