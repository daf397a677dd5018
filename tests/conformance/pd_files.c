/*
 * Files a script may touch: its private /tmp.
 *
 * A few scripts make a file in shell lines and hand it to the stack
 * (sendfile/sendfile-simple.pkt: `rm -f /tmp/testfile`, then `dd
 * bs=1 count=5 if=/dev/zero of=/tmp/testfile`, then open() and
 * sendfile()).  The runner runs no shell: it knows these two commands
 * itself, and nothing else.  Every path must be /tmp/NAME (NAME plain:
 * letters, digits, '.', '_', '-'; no '/', no "..") and is mapped into a
 * directory of the script's own (mkdtemp under $TMPDIR or /tmp, made on
 * first use, removed with everything in it when the script ends), so
 * parallel runs never see each other's files and nothing outside is
 * touched.  Commands understood:
 *   [/bin/]rm -f /tmp/NAME...
 *   [/bin/]dd [bs=N] [count=N] if=/dev/zero of=/tmp/NAME [status=none]
 * Anything else is refused with the line, as any unknown command.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pd.h"

static char sandbox[256]; /* one script per process */

static bool plain_name(const char *n)
{
        if (!*n || strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strlen(n) > 64)
                return false;
        for (const char *p = n; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
                        return false;
        return true;
}

int pd_sandbox_path(const char *path, char *out, size_t cap, char *err, size_t errcap)
{
        if (strncmp(path, "/tmp/", 5) != 0 || !plain_name(path + 5)) {
                snprintf(err, errcap, "runner: only files /tmp/NAME may be used: %s", path);
                return -1;
        }
        if (!sandbox[0]) {
                const char *t = getenv("TMPDIR");
                snprintf(sandbox, sizeof(sandbox), "%.200s/strata-pd-XXXXXX",
                         t && t[0] == '/' ? t : "/tmp");
                if (!mkdtemp(sandbox)) {
                        snprintf(err, errcap, "runner: mkdtemp: %s", strerror(errno));
                        sandbox[0] = 0;
                        return -1;
                }
        }
        snprintf(out, cap, "%.255s/%.64s", sandbox, path + 5);
        return 0;
}

void pd_sandbox_cleanup(void)
{
        if (!sandbox[0])
                return;
        DIR *d = opendir(sandbox);
        if (d) {
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (!plain_name(e->d_name))
                                continue;
                        char p[600];
                        snprintf(p, sizeof(p), "%.255s/%.255s", sandbox, e->d_name);
                        unlink(p);
                }
                closedir(d);
        }
        rmdir(sandbox);
        sandbox[0] = 0;
}

static const char *base(const char *w)
{
        if (strncmp(w, "/bin/", 5) == 0)
                return w + 5;
        if (strncmp(w, "/usr/bin/", 9) == 0)
                return w + 9;
        return w;
}

static int rm_cmd(char **w, int n, int line, char *err, size_t errcap)
{
        int i = 1;
        if (i < n && strcmp(w[i], "-f") == 0)
                i++;
        else
                goto refuse; /* rm without -f would fail on a missing file */
        if (i == n)
                goto refuse;
        for (; i < n; i++) {
                char p[400];
                if (pd_sandbox_path(w[i], p, sizeof(p), err, errcap))
                        return -1;
                if (unlink(p) && errno != ENOENT) {
                        snprintf(err, errcap, "line %d: rm %s: %s", line, w[i], strerror(errno));
                        return -1;
                }
        }
        return 0;
refuse:
        snprintf(err, errcap, "line %d: runner: rm is understood only as rm -f /tmp/NAME...", line);
        return -1;
}

static int dd_cmd(char **w, int n, int line, char *err, size_t errcap)
{
        long bs = 512, count = -1;
        const char *in = NULL, *of = NULL;
        for (int i = 1; i < n; i++) {
                char *end;
                if (strncmp(w[i], "bs=", 3) == 0) {
                        bs = strtol(w[i] + 3, &end, 10);
                        if (*end || bs <= 0 || bs > 1 << 20)
                                goto refuse;
                } else if (strncmp(w[i], "count=", 6) == 0) {
                        count = strtol(w[i] + 6, &end, 10);
                        if (*end || count < 0 || count > 1 << 20)
                                goto refuse;
                } else if (strncmp(w[i], "if=", 3) == 0) {
                        in = w[i] + 3;
                } else if (strncmp(w[i], "of=", 3) == 0) {
                        of = w[i] + 3;
                } else if (strcmp(w[i], "status=none") != 0) {
                        goto refuse;
                }
        }
        if (!in || strcmp(in, "/dev/zero") != 0 || !of || count < 0 ||
            (long long)bs * count > 64ll << 20)
                goto refuse;
        char p[400];
        if (pd_sandbox_path(of, p, sizeof(p), err, errcap))
                return -1;
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
                snprintf(err, errcap, "line %d: dd of=%s: %s", line, of, strerror(errno));
                return -1;
        }
        static const char zero[4096];
        long long left = (long long)bs * count;
        while (left > 0) {
                size_t k = left < (long long)sizeof(zero) ? (size_t)left : sizeof(zero);
                if (write(fd, zero, k) != (ssize_t)k) {
                        snprintf(err, errcap, "line %d: dd of=%s: %s", line, of, strerror(errno));
                        close(fd);
                        return -1;
                }
                left -= (long long)k;
        }
        close(fd);
        return 0;
refuse:
        snprintf(err, errcap,
                 "line %d: runner: dd is understood only as dd [bs=N] count=N if=/dev/zero "
                 "of=/tmp/NAME [status=none]",
                 line);
        return -1;
}

int pd_file_cmd(const char *cmd, int line, char *err, size_t errcap)
{
        /* plain words only: no quoting, expansion, redirection or chaining */
        if (strpbrk(cmd, "'\"$`\\|&;<>*?[]{}~()"))
                return 1;
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", cmd);
        char *w[32];
        int n = 0;
        for (char *t = strtok(buf, " \t"); t && n < 32; t = strtok(NULL, " \t"))
                w[n++] = t;
        if (!n)
                return 1;
        const char *b = base(w[0]);
        if (strcmp(b, "rm") == 0)
                return rm_cmd(w, n, line, err, errcap);
        if (strcmp(b, "dd") == 0)
                return dd_cmd(w, n, line, err, errcap);
        return 1;
}
