/* Small helpers: see include/ec2lite/util.h. */
#include "ec2lite/util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *util_read_file_max(const char *path, size_t max, size_t *len, struct ec2_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, used = 0, limit = max == SIZE_MAX ? SIZE_MAX : max + 1;

	if (!f) {
		ec2_error_set_errno(err, errno, "cannot open '%s'", path);
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - used < 4096 && cap < limit) {
			cap = cap ? cap * 2 : 8192;
			if (cap > limit)
				cap = limit;
			buf = realloc(buf, cap + 1);
			if (!buf)
				abort();
		}
		n = fread(buf + used, 1, cap - used, f);
		used += n;
		if (n == 0 || used >= limit)
			break;
	}
	if (ferror(f)) {
		ec2_error_set_errno(err, errno ? errno : EIO, "cannot read '%s'", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}

char *util_read_file(const char *path, size_t *len, struct ec2_error *err)
{
	return util_read_file_max(path, SIZE_MAX, len, err);
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		abort();
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, int mode,
			   struct ec2_error *err)
{
	char *tmp = util_strdupf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		ec2_error_set_errno(err, errno, "cannot create '%s'", tmp);
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ec2_error_set_errno(err, errno, "cannot write '%s'", tmp);
			goto out_unlink;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		ec2_error_set_errno(err, errno, "cannot sync '%s'", tmp);
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		ec2_error_set_errno(err, errno, "cannot close '%s'", tmp);
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ec2_error_set_errno(err, errno, "cannot rename '%s' to '%s'", tmp, path);
		goto out_unlink;
	}
	fsync_dir_of(path);
	rc = 0;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}

int util_mkdir_p(const char *path, int mode, struct ec2_error *err)
{
	char *copy = strdup(path);
	char *p;
	int rc = -1;

	if (!copy)
		abort();
	for (p = copy + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			ec2_error_set_errno(err, errno, "cannot create folder '%s'", copy);
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int util_rm_rf(const char *path, struct ec2_error *err)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR) {
			if (unlink(path) < 0 && errno != ENOENT) {
				ec2_error_set_errno(err, errno, "cannot remove '%s'", path);
				return -1;
			}
			return 0;
		}
		ec2_error_set_errno(err, errno, "cannot open folder '%s'", path);
		return -1;
	}
	while ((e = readdir(d))) {
		char *child;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		child = util_strdupf("%s/%s", path, e->d_name);
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (util_rm_rf(child, err) < 0)
				rc = -1;
		} else if (unlink(child) < 0 && errno != ENOENT) {
			ec2_error_set_errno(err, errno, "cannot remove '%s'", child);
			rc = -1;
		}
		free(child);
	}
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT) {
		ec2_error_set_errno(err, errno, "cannot remove folder '%s'", path);
		rc = -1;
	}
	return rc;
}

int util_copy_sparse(const char *src, const char *dst, int mode, struct ec2_error *err)
{
	enum { BLOCK = 64 * 1024 };
	static const char zero[BLOCK];
	char *buf = NULL;
	int in = -1, out = -1, rc = -1;
	off_t size = 0;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ec2_error_set_errno(err, errno, "cannot open '%s'", src);
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		ec2_error_set_errno(err, errno, "cannot create '%s'", dst);
		goto out;
	}
	buf = malloc(BLOCK);
	if (!buf)
		abort();
	for (;;) {
		ssize_t n = read(in, buf, BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ec2_error_set_errno(err, errno, "cannot read '%s'", src);
			goto out_unlink;
		}
		if (n == 0)
			break;
		if (n == BLOCK && memcmp(buf, zero, BLOCK) == 0) {
			if (lseek(out, n, SEEK_CUR) < 0)
				goto out_write;
		} else {
			ssize_t done = 0;

			while (done < n) {
				ssize_t w = write(out, buf + done, (size_t)(n - done));

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					goto out_write;
				done += w;
			}
		}
		size += n;
	}
	if (ftruncate(out, size) < 0 || fsync(out) < 0)
		goto out_write;
	rc = 0;
	goto out;
out_write:
	ec2_error_set_errno(err, errno, "cannot write '%s'", dst);
out_unlink:
	unlink(dst);
out:
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && rc == 0) {
		ec2_error_set_errno(err, errno, "cannot write '%s'", dst);
		unlink(dst);
		rc = -1;
	}
	return rc;
}

bool util_file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

void util_iso8601(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

time_t util_parse_iso8601(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (!s)
		return (time_t)-1;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return (time_t)-1;
	return timegm(&tm);
}

double util_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void util_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void util_buf_put(struct util_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void util_buf_puts(struct util_buf *b, const char *s)
{
	util_buf_put(b, s, strlen(s));
}

char *util_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

int util_run(const char *const argv[], void (*on_line)(void *opaque, const char *line),
	     void *opaque, struct ec2_error *err)
{
	int fds[2], status = 0;
	pid_t pid, parent = getpid();
	FILE *out;
	char line[4096], last[512] = "";

	if (pipe2(fds, O_CLOEXEC) < 0) {
		ec2_error_set_errno(err, errno, "cannot run %s", argv[0]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		ec2_error_set_errno(err, errno, "cannot run %s", argv[0]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		/* The program dies with the thread that runs it (which waits for it): a worker
		 * killed does not leave its qemu-img behind. The parent may be gone already. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			snprintf(last, sizeof(last), "%.500s", line);
		if (on_line)
			on_line(opaque, line);
	}
	if (out)
		fclose(out);
	else
		close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "%s failed (%s %d)%s%s", argv[0],
			      WIFEXITED(status) ? "exit status" : "signal",
			      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			      last[0] ? ": " : "", last);
		return -1;
	}
	return 0;
}

void util_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void util_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	util_hex(md, sizeof(md), out);
}

char *util_base64(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (!out)
		abort();
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

#define PAGE_PREFIX "ec2-lite:page:"

int req_page(json_object *req, long min, long max, size_t total, size_t *first, size_t *count,
	     char **next_token, struct ec2_error *err)
{
	long long n = 0;
	const char *token = req_string(req, "NextToken");
	int have = req_int(req, "MaxResults", &n, err);

	*first = 0;
	*count = total;
	*next_token = NULL;
	if (have < 0)
		return -1;
	if (have && (n < min || n > max)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value ( %lld ) for parameter maxResults "
			      "is invalid. Expecting a value between %ld and %ld.", n, min, max);
		return -1;
	}
	if (token) {
		unsigned char buf[96];
		size_t len = strlen(token);
		int got;
		char *end;
		unsigned long long off;

		got = len < 120 && len % 4 == 0 ?
		      EVP_DecodeBlock(buf, (const unsigned char *)token, (int)len) : -1;
		if (got > 0)
			buf[got] = '\0';
		if (got <= (int)strlen(PAGE_PREFIX) ||
		    strncmp((char *)buf, PAGE_PREFIX, strlen(PAGE_PREFIX)) != 0 ||
		    (off = strtoull((char *)buf + strlen(PAGE_PREFIX), &end, 10), *end != '\0') ||
		    off > total) {
			ec2_error_set(err, "InvalidNextToken", "The specified NextToken is not valid: "
				      "%s", token);
			return -1;
		}
		*first = (size_t)off;
		*count = total - *first;
	}
	if (have && (size_t)n < *count) {
		char plain[64];

		*count = (size_t)n;
		snprintf(plain, sizeof(plain), PAGE_PREFIX "%zu", *first + *count);
		*next_token = util_base64(plain, strlen(plain));
	}
	return 0;
}

int req_page_into(json_object *req, long min, long max, json_object *list, json_object *resp,
		  const char *key, struct ec2_error *err)
{
	json_object *page;
	size_t first, count, i;
	char *next = NULL;

	if (req_page(req, min, max, json_object_array_length(list), &first, &count, &next, err) < 0)
		return -1;
	page = json_object_new_array();
	for (i = first; i < first + count; i++)
		json_object_array_add(page, json_object_get(json_object_array_get_idx(list, i)));
	json_object_object_add(resp, key, page);
	if (next)
		json_add_str(resp, "NextToken", next);
	free(next);
	return 0;
}

bool util_text_valid(const char *s, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		uint32_t c;
		int more, i;

		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				return false;
			p++;
			n++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			c = *p & 0x1f;
			more = 1;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			c = *p & 0x0f;
			more = 2;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			c = *p & 0x07;
			more = 3;
		} else {
			return false;
		}
		for (i = 1; i <= more; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF, and the two non-characters XML
		 * excludes. */
		if ((more == 2 && c < 0x800) || (more == 3 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
			return false;
		p += more + 1;
		n++;
	}
	if (nchars)
		*nchars = n;
	return true;
}

int req_text_check(const char *param, const char *s, size_t max, struct ec2_error *err)
{
	size_t n;

	if (!s)
		return 0;
	if (!util_text_valid(s, &n)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Value for parameter %s is invalid: it holds control characters or is not "
			      "valid UTF-8", param);
		return -1;
	}
	if (n > max) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Value for parameter %s is invalid: it is longer than %zu characters",
			      param, max);
		return -1;
	}
	return 0;
}

const char *req_string(json_object *req, const char *key)
{
	json_object *v;

	if (!req || !json_object_object_get_ex(req, key, &v) || !v)
		return NULL;
	if (json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_object))
		return NULL;
	return json_object_get_string(v);
}

const char *req_str0(json_object *req, const char *key)
{
	const char *s = req_string(req, key);

	return s ? s : "";
}

int req_int(json_object *req, const char *key, long long *out, struct ec2_error *err)
{
	json_object *v;
	const char *s;
	char *end;
	long long n;

	if (!req || !json_object_object_get_ex(req, key, &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 1;
	}
	s = json_object_get_string(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (!json_object_is_type(v, json_type_string) || *s == '\0' || *end != '\0' || errno) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for %s. It must be an integer.", s, key);
		return -1;
	}
	*out = n;
	return 1;
}

int req_bool(json_object *req, const char *key, bool *out, struct ec2_error *err)
{
	json_object *v;
	const char *s;

	if (!req || !json_object_object_get_ex(req, key, &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 1;
	}
	s = json_object_get_string(v);
	if (json_object_is_type(v, json_type_string) && strcasecmp(s, "true") == 0) {
		*out = true;
		return 1;
	}
	if (json_object_is_type(v, json_type_string) && strcasecmp(s, "false") == 0) {
		*out = false;
		return 1;
	}
	ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
		      "Invalid value '%s' for %s. It must be true or false.", s, key);
	return -1;
}

json_object *req_list(json_object *req, const char *key)
{
	json_object *v, *arr;

	if (!req || !json_object_object_get_ex(req, key, &v) || !v)
		return NULL;
	if (json_object_is_type(v, json_type_array))
		return v;
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_get(v));
	json_object_object_add(req, key, arr); /* req now holds arr; v stays alive in it */
	return arr;
}

bool json_strlist_wants(json_object *list, const char *s)
{
	size_t i, n = list ? json_object_array_length(list) : 0;

	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), s) == 0)
			return true;
	return n == 0;
}

void json_add_str(json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, json_object_new_string(value ? value : ""));
}

void json_add_int(json_object *obj, const char *key, int64_t value)
{
	json_object_object_add(obj, key, json_object_new_int64(value));
}

void json_add_bool(json_object *obj, const char *key, bool value)
{
	json_object_object_add(obj, key, json_object_new_boolean(value));
}

int util_detach(void (*fn)(void *arg), void *arg, int keep_fd, struct ec2_error *err)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ec2_error_set_errno(err, errno, "cannot start a background process");
		return -1;
	}
	if (pid == 0) {
		int null;

		setsid();
		if (fork() != 0)
			_exit(0);
		/* Descriptors 0-2 on /dev/null, keep_fd on 3, nothing else: a test runner waits for
		 * its pipes to close, and a parent's libvirt socket is not ours to keep. */
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (keep_fd >= 0 && keep_fd != 3)
			dup2(keep_fd, 3);
		close_range(keep_fd >= 0 ? 4 : 3, ~0U, 0);
		signal(SIGPIPE, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_DFL); /* not the parent's handler (serve's), which is not ours */
		fn(arg);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int util_lock_try(const char *path, int *fd)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return -1;
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	return 1;
}

int util_lock_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), held;

	if (fd < 0)
		return errno == ENOENT ? -1 : 1;
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* lets go of it, if it was taken */
	return held;
}
