/* The JSON state store: see include/ec2lite/store.h. */
#include "ec2lite/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ec2lite/util.h"

struct store {
	char *path;
	char *dir;
	char *lock_path;
	int fail_in; /* store_fail_commit: commits until the injected failure, 0 for none */
};

void store_fail_commit(struct store *s, int nth)
{
	s->fail_in = nth;
}

static time_t real_now(void)
{
	return time(NULL);
}

time_t (*store_now)(void) = real_now;

struct store *store_open(const char *dir, struct ec2_error *err)
{
	struct store *s;

	if (util_mkdir_p(dir, 0755, err) < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->path = util_strdupf("%s/state.json", dir);
	s->dir = strdup(dir);
	if (!s->dir)
		abort();
	s->lock_path = util_strdupf("%s/state.lock", dir);
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->dir);
	free(s->lock_path);
	free(s);
}

static int lock_file(const char *path, int how, struct ec2_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600); /* only ec2-lite's user locks */

	if (fd < 0) {
		ec2_error_set_errno(err, errno, "cannot open lock '%s'", path);
		return -1;
	}
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		ec2_error_set_errno(err, errno, "cannot lock '%s'", path);
		close(fd);
		return -1;
	}
	return fd;
}

json_object *store_section(json_object *root, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(root, key, &v) && json_object_is_type(v, json_type_object))
		return v;
	v = json_object_new_object();
	json_object_object_add(root, key, v);
	return v;
}

static json_object *load(struct store *s, struct ec2_error *err)
{
	json_object *root;
	char *text;
	size_t len;

	if (!util_file_exists(s->path)) {
		root = json_object_new_object();
		json_add_int(root, "Version", 1);
		return root;
	}
	text = util_read_file(s->path, &len, err);
	if (!text)
		return NULL;
	root = json_tokener_parse(text);
	free(text);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		ec2_error_set(err, EC2_ERR_INTERNAL, "the state store '%s' is not valid JSON", s->path);
		return NULL;
	}
	return root;
}

static void purge_expired(json_object *root)
{
	json_object *term = store_section(root, "terminated");
	time_t now = store_now();
	char **expired = NULL;
	size_t n = 0, i;

	json_object_object_foreach(term, id, entry) {
		json_object *at;

		if (json_object_object_get_ex(entry, "TerminatedAt", &at) &&
		    now - (time_t)json_object_get_int64(at) >= EC2_TERMINATED_VISIBLE_SECONDS) {
			expired = realloc(expired, (n + 1) * sizeof(*expired));
			if (!expired)
				abort();
			expired[n++] = strdup(id);
		}
	}
	for (i = 0; i < n; i++) {
		json_object_object_del(term, expired[i]);
		free(expired[i]);
	}
	free(expired);
}

json_object *store_read(struct store *s, struct ec2_error *err)
{
	int fd = lock_file(s->lock_path, LOCK_SH, err);
	json_object *root;

	if (fd < 0)
		return NULL;
	root = load(s, err);
	close(fd);
	if (root)
		purge_expired(root);
	return root;
}

int store_update(struct store *s, store_update_fn fn, void *opaque, struct ec2_error *err)
{
	int fd = lock_file(s->lock_path, LOCK_EX, err), rc = -1;
	json_object *root = NULL;
	const char *text;

	if (fd < 0)
		return -1;
	root = load(s, err);
	if (!root)
		goto out;
	if (fn(root, opaque, err) < 0)
		goto out;
	purge_expired(root);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	/* The catalog, tags, key pairs: for ec2-lite's user only (QEMU never reads it). */
	if (s->fail_in > 0 && --s->fail_in == 0)
		ec2_error_set_errno(err, ENOSPC, "cannot write '%s'", s->path);
	else
		rc = util_write_file_atomic(s->path, text, strlen(text), 0600, err);
out:
	json_object_put(root);
	close(fd);
	return rc;
}

int store_lock(struct store *s, const char *name, struct ec2_error *err)
{
	char *path = util_strdupf("%s/%s.lock", s->dir, name);
	int fd = lock_file(path, LOCK_EX, err);

	free(path);
	return fd;
}

bool store_lock_busy(struct store *s, const char *name)
{
	char *path = util_strdupf("%s/%s.lock", s->dir, name);
	bool busy = util_lock_held(path) == 1;

	free(path);
	return busy;
}

void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
