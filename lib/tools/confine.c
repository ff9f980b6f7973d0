/* Report files are written where a model asks, so the path is hostile: it
 * is resolved one component at a time relative to a directory descriptor,
 * never following a symlink, and the file appears atomically (rename). */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int pcfmcp__tools_write_confined(const char *dir, const char *rel, const void *data, size_t len,
                                 char *why, size_t why_size)
{
    if (!dir || !*dir)
        return fail(why, why_size, EPERM,
                    "writing reports is disabled: configure reports.output_dir");
    if (!rel || !*rel)
        return fail(why, why_size, EINVAL, "empty output path");
    if (rel[0] == '/')
        return fail(why, why_size, EPERM,
                    "absolute paths are not allowed: give a path relative to reports.output_dir");
    if (strlen(rel) > 512)
        return fail(why, why_size, ENAMETOOLONG, "output path too long");
    /* Split and check every component before touching the file system. */
    const char *comp[MAX_COMPONENTS];
    size_t clen[MAX_COMPONENTS];
    size_t nc = 0;
    const char *p = rel;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return fail(why, why_size, EPERM, "\"..\" is not allowed in output paths");
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p += n + (e ? 1 : 0);
            if (!e)
                break;
            continue;
        }
        if (!safe_component(p, n))
            return fail(why, why_size, EINVAL,
                        "output path components must be plain names (no leading dot, no control "
                        "characters, backslashes or colons)");
        if (nc == MAX_COMPONENTS)
            return fail(why, why_size, EINVAL, "output path nests too deep");
        comp[nc] = p;
        clen[nc] = n;
        nc++;
        p += n + (e ? 1 : 0);
        if (!e)
            break;
    }
    if (nc == 0)
        return fail(why, why_size, EINVAL, "output path names no file");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return fail(why, why_size, errno, "reports.output_dir cannot be opened");
    char name[130];
    for (size_t i = 0; i + 1 < nc; i++) {
        memcpy(name, comp[i], clen[i]);
        name[clen[i]] = '\0';
        if (mkdirat(dfd, name, 0750) != 0 && errno != EEXIST) {
            int err = errno;
            close(dfd);
            return fail(why, why_size, err, "cannot create a directory below reports.output_dir");
        }
        int next = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        close(dfd);
        if (next < 0)
            return fail(why, why_size, err,
                        err == ELOOP || err == ENOTDIR
                            ? "output path goes through a symlink or a file: refused"
                            : "cannot open a directory below reports.output_dir");
        dfd = next;
    }
    memcpy(name, comp[nc - 1], clen[nc - 1]);
    name[clen[nc - 1]] = '\0';
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
