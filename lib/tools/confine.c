/* Report files are written, and scan files read, where a model asks, so the
 * path is hostile: it is resolved one component at a time relative to a
 * directory descriptor, never following a symlink; a written file appears
 * atomically (rename), a read one is read once into one buffer. */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/util.h"
#include "tools/toolset.h"

#define MAX_COMPONENTS 8

static int fail(char *why, size_t n, int err, const char *msg)
{
    snprintf(why, n, "%s", msg);
    return err;
}

static bool safe_component(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return false;
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    if (s[0] == '.')
        return false; /* no hidden files, no tricks with leading dots */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F || c == '\\' || c == ':')
            return false;
    }
    return true;
}

/* The names a path must go through. */
typedef struct {
    const char *key;  /* the setting naming the directory */
    const char *noun; /* "output path", "path" */
    bool create;      /* make missing directories (writes) */
} walk_how;

/* Resolves @p rel below @p dir one component at a time, never following a
 * symlink: *dfd_out is the directory holding the last component, whose name
 * is copied into name[130]. Returns 0 or an errno value with @p why set. */
static int walk(const char *dir, const char *rel, const walk_how *h, int *dfd_out, char name[130],
                char *why, size_t why_size)
{
    char msg[200];
    if (!rel || !*rel) {
        snprintf(msg, sizeof(msg), "empty %s", h->noun);
        return fail(why, why_size, EINVAL, msg);
    }
    if (rel[0] == '/') {
        snprintf(msg, sizeof(msg), "absolute paths are not allowed: give a path relative to %s",
                 h->key);
        return fail(why, why_size, EPERM, msg);
    }
    if (strlen(rel) > 512) {
        snprintf(msg, sizeof(msg), "%s too long", h->noun);
        return fail(why, why_size, ENAMETOOLONG, msg);
    }
    /* Split and check every component before touching the file system. */
    const char *comp[MAX_COMPONENTS];
    size_t clen[MAX_COMPONENTS];
    size_t nc = 0;
    const char *p = rel;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            snprintf(msg, sizeof(msg), "\"..\" is not allowed in %ss", h->noun);
            return fail(why, why_size, EPERM, msg);
        }
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p += n + (e ? 1 : 0);
            if (!e)
                break;
            continue;
        }
        if (!safe_component(p, n)) {
            snprintf(msg, sizeof(msg),
                     "%s components must be plain names (no leading dot, no control "
                     "characters, backslashes or colons)",
                     h->noun);
            return fail(why, why_size, EINVAL, msg);
        }
        if (nc == MAX_COMPONENTS) {
            snprintf(msg, sizeof(msg), "%s nests too deep", h->noun);
            return fail(why, why_size, EINVAL, msg);
        }
        comp[nc] = p;
        clen[nc] = n;
        nc++;
        p += n + (e ? 1 : 0);
        if (!e)
            break;
    }
    if (nc == 0) {
        snprintf(msg, sizeof(msg), "%s names no file", h->noun);
        return fail(why, why_size, EINVAL, msg);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(msg, sizeof(msg), "%s cannot be opened", h->key);
        return fail(why, why_size, errno, msg);
    }
    for (size_t i = 0; i + 1 < nc; i++) {
        memcpy(name, comp[i], clen[i]);
        name[clen[i]] = '\0';
        if (h->create && mkdirat(dfd, name, 0750) != 0 && errno != EEXIST) {
            int err = errno;
            close(dfd);
            snprintf(msg, sizeof(msg), "cannot create a directory below %s", h->key);
            return fail(why, why_size, err, msg);
        }
        int next = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        close(dfd);
        if (next < 0) {
            if (err == ELOOP || err == ENOTDIR)
                snprintf(msg, sizeof(msg), "%s goes through a symlink or a file: refused",
                         h->noun);
            else
                snprintf(msg, sizeof(msg), "cannot open a directory below %s", h->key);
            return fail(why, why_size, err, msg);
        }
        dfd = next;
    }
    memcpy(name, comp[nc - 1], clen[nc - 1]);
    name[clen[nc - 1]] = '\0';
    *dfd_out = dfd;
    return 0;
}

int pcfmcp__tools_write_confined(const char *dir, const char *rel, const void *data, size_t len,
                                 char *why, size_t why_size)
{
    if (!dir || !*dir)
        return fail(why, why_size, EPERM,
                    "writing reports is disabled: configure reports.output_dir");
    static const walk_how how = { "reports.output_dir", "output path", true };
    int dfd = -1;
    char name[130];
    int err0 = walk(dir, rel, &how, &dfd, name, why, why_size);
    if (err0)
        return err0;
    char tmp[160];
    char rnd[17];
    if (pcfmcp__random_hex(rnd, 8) != 0) {
        close(dfd);
        return fail(why, why_size, EIO, "no randomness for a temporary name");
    }
    snprintf(tmp, sizeof(tmp), ".%s.tmp", rnd);
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        int err = errno;
        close(dfd);
        return fail(why, why_size, err, "cannot create the report file");
    }
    const char *d = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, d, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = errno ? errno : EIO;
            close(fd);
            unlinkat(dfd, tmp, 0);
            close(dfd);
            return fail(why, why_size, err, "writing the report file failed");
        }
        d += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int err = errno;
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return fail(why, why_size, err, "writing the report file failed");
    }
    /* An existing directory at the target is not replaced; a symlink is
     * replaced itself, never followed. */
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return fail(why, why_size, EISDIR, "the output path names a directory");
    }
    if (renameat(dfd, tmp, dfd, name) != 0) {
        int err = errno;
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return fail(why, why_size, err, "cannot move the report file into place");
    }
    close(dfd);
    why[0] = '\0';
    return 0;
}

int pcfmcp__tools_read_confined(const char *dir, const char *rel, size_t max, char **data,
                                size_t *len, char *why, size_t why_size)
{
    *data = NULL;
    *len = 0;
    if (!dir || !*dir)
        return fail(why, why_size, EPERM,
                    "reading files is disabled: configure imports.input_dir, or pass the "
                    "file's text as content");
    static const walk_how how = { "imports.input_dir", "path", false };
    int dfd = -1;
    char name[130];
    int err = walk(dir, rel, &how, &dfd, name, why, why_size);
    if (err)
        return err;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    err = errno;
    close(dfd);
    if (fd < 0)
        return fail(why, why_size, err,
                    err == ENOENT   ? "no such file below imports.input_dir"
                    : err == ELOOP  ? "the path names a symlink: refused"
                                    : "the file cannot be opened");
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(why, why_size, EINVAL, "the path does not name a regular file");
    }
    if ((uint64_t)st.st_size > (uint64_t)max) {
        close(fd);
        char msg[160];
        snprintf(msg, sizeof(msg), "the file has %lld bytes; imports.max_bytes allows %zu",
                 (long long)st.st_size, max);
        return fail(why, why_size, EFBIG, msg);
    }
    /* One buffer, filled once: the upload streams from it. One byte more
     * than the limit tells a file that grew since fstat. */
    size_t cap = (size_t)st.st_size + 1;
    char *buf = pcfmcp__malloc(cap + 1);
    if (!buf) {
        close(fd);
        return fail(why, why_size, ENOMEM, "out of memory");
    }
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = errno;
            close(fd);
            pcfmcp__free(buf);
            return fail(why, why_size, err, "reading the file failed");
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got == cap)
            break;
    }
    close(fd);
    if (got > max || got == cap) {
        pcfmcp__free(buf);
        return fail(why, why_size, EFBIG, "the file changed while it was read: try again");
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    why[0] = '\0';
    return 0;
}
