/*
 * `make conformance`: run packetdrill's TCP corpus against Strata.
 *
 *   packetdrill [--corpus DIR] [--expected FILE] [--write-expected] [-v] [SCRIPT...]
 *
 * Every *.pkt under the corpus (default ../shared/conformance/packetdrill/tcp)
 * runs in a child process of its own against a fresh namespace, so a crash
 * or a hang in Strata costs one script (a hang is stopped after 20 s of
 * wall time).  Per script it prints
 *   PASS name                     passed
 *   XFAIL name (reason): ...      failed, and the expectations file says so
 *   FAIL name: mismatch           failed unexpectedly, with the first mismatch
 *   FAIL name: passes but ...     passed while still listed as failing
 * and a summary "N passed, N failed (...)".  It exits non-zero on any
 * FAIL, so the expectations file is always true: every script expected to
 * fail is listed with its reason, and none that passes is.
 *
 * --lenient-sysctls ignores sysctl keys Strata lacks instead of failing
 * the script: a diagnosis of what fails next, never the verdict.
 *
 * The expectations file has one script per line, its path relative to
 * the corpus, then the reason; '#' starts a comment.  --write-expected
 * prints the file as it should be for the current results (reasons kept
 * for scripts already listed, "TODO" and the mismatch for new ones).
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pd.h"

#define WALL_LIMIT_S 20

struct entry {
        char *name;   /* relative to the corpus */
        char *reason; /* from the expectations file; NULL if not listed */
        bool seen;
};

static struct entry *scripts;
static size_t nscripts, capscripts;
static struct entry *listed;
static size_t nlisted;
static const char *corpus_root;

static char *read_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        for (size_t k; buf && (k = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
                n += k;
                if (n + 1 == cap) {
                        char *b = realloc(buf, cap * 2);
                        if (!b) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = b;
                        cap *= 2;
                }
        }
        fclose(f);
        if (buf)
                buf[n] = 0;
        return buf;
}

static int add_script(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        size_t n = strlen(path);
        if (type != FTW_F || n < 4 || strcmp(path + n - 4, ".pkt") != 0)
                return 0;
        if (nscripts == capscripts) {
                capscripts = capscripts ? capscripts * 2 : 256;
                scripts = realloc(scripts, capscripts * sizeof(*scripts));
                if (!scripts)
                        return -1;
        }
        const char *rel = path + strlen(corpus_root);
        while (*rel == '/')
                rel++;
        scripts[nscripts++] = (struct entry){ .name = strdup(rel) };
        return 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int load_expected(const char *path)
{
        char *text = read_file(path);
        if (!text) {
                fprintf(stderr, "packetdrill: cannot read %s: %s\n", path, strerror(errno));
                return -1;
        }
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = 0;
                char *name = line + strspn(line, " \t");
                if (!*name)
                        continue;
                size_t nl = strcspn(name, " \t");
                char *reason = name + nl;
                reason += strspn(reason, " \t");
                name[nl] = 0;
                size_t rl = strlen(reason);
                while (rl && (reason[rl - 1] == ' ' || reason[rl - 1] == '\t'))
                        reason[--rl] = 0;
                listed = realloc(listed, (nlisted + 1) * sizeof(*listed));
                if (!listed)
                        return -1;
                listed[nlisted++] = (struct entry){ .name = strdup(name),
                                                    .reason = strdup(*reason ? reason : "?") };
        }
        free(text);
        return 0;
}

static struct entry *find_listed(const char *name)
{
        for (size_t i = 0; i < nlisted; i++)
                if (strcmp(listed[i].name, name) == 0)
                        return &listed[i];
        return NULL;
}

/* The child: parse and run one script, print the verdict on fd out. */
static void child(const char *name, int out)
{
        char path[4096], dir[4096];
        snprintf(path, sizeof(path), "%s/%s", corpus_root, name);
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = 0;
        static char err[8192];
        int rc = -1;
        char *text = read_file(path);
        if (!text) {
                snprintf(err, sizeof(err), "cannot read: %s", strerror(errno));
        } else {
                struct pd_script s;
                if (pd_parse(text, &s, err, sizeof(err)) == 0)
                        rc = pd_run_script(path, dir, &s, err, sizeof(err));
        }
        pd_sandbox_cleanup();
        dprintf(out, "%s\n%s", rc == 0 ? "PASS" : "FAIL", rc == 0 ? "" : err);
        _exit(0);
}

/* Run one script in a child; 0 pass, -1 fail with msg. */
static int run_one(const char *name, char *msg, size_t cap)
{
        int pfd[2];
        if (pipe(pfd)) {
                snprintf(msg, cap, "pipe: %s", strerror(errno));
                return -1;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
                snprintf(msg, cap, "fork: %s", strerror(errno));
                return -1;
        }
        if (pid == 0) {
                close(pfd[0]);
                alarm(WALL_LIMIT_S);
                child(name, pfd[1]);
        }
        close(pfd[1]);
        size_t n = 0;
        ssize_t k;
        while (n + 1 < cap && (k = read(pfd[0], msg + n, cap - n - 1)) > 0)
                n += (size_t)k;
        msg[n] = 0;
        close(pfd[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                snprintf(msg, cap, "%s",
                         sig == SIGALRM ? "hung: no verdict after 20 s of wall time"
                                        : strsignal(sig));
                if (sig != SIGALRM)
                        snprintf(msg, cap, "crashed: %s", strsignal(sig));
                return -1;
        }
        if (strncmp(msg, "PASS\n", 5) == 0)
                return 0;
        if (strncmp(msg, "FAIL\n", 5) == 0) {
                memmove(msg, msg + 5, strlen(msg + 5) + 1);
                return -1;
        }
        snprintf(msg, cap, "no verdict (exit status %d)", WEXITSTATUS(status));
        return -1;
}

static void usage(void)
{
        fprintf(stderr, "usage: packetdrill [--corpus DIR] [--expected FILE] [--write-expected] "
                        "[--lenient-sysctls] [-v] [SCRIPT...]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *corpus = "../shared/conformance/packetdrill/tcp";
        const char *expected = "tests/conformance/expected-failures.txt";
        bool write_expected = false, verbose = false;
        int first_arg = argc;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc)
                        corpus = argv[++i];
                else if (strcmp(argv[i], "--expected") == 0 && i + 1 < argc)
                        expected = argv[++i];
                else if (strcmp(argv[i], "--write-expected") == 0)
                        write_expected = true;
                else if (strcmp(argv[i], "--lenient-sysctls") == 0)
                        pd_lenient_sysctls = true;
                else if (strcmp(argv[i], "-v") == 0)
                        verbose = true;
                else if (argv[i][0] == '-')
                        usage();
                else {
                        first_arg = i;
                        break;
                }
        }
        corpus_root = corpus;
        if (first_arg < argc) {
                for (int i = first_arg; i < argc; i++) {
                        const char *a = argv[i];
                        size_t cl = strlen(corpus);
                        if (strncmp(a, corpus, cl) == 0 && a[cl] == '/')
                                a += cl + 1;
                        add_script(a, NULL, FTW_F, NULL);
                        scripts[nscripts - 1].name = strdup(a);
                }
        } else if (nftw(corpus, add_script, 16, FTW_PHYS) != 0) {
                fprintf(stderr, "packetdrill: cannot walk %s: %s\n", corpus, strerror(errno));
                return 2;
        }
        if (nscripts == 0) {
                fprintf(stderr, "packetdrill: no scripts under %s\n", corpus);
                return 2;
        }
        qsort(scripts, nscripts, sizeof(*scripts), by_name);
        if (load_expected(expected))
                return 2;
        size_t pass = 0, fail = 0, xfail = 0, bad = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        static char msg[8192];
        for (size_t i = 0; i < nscripts; i++) {
                const char *name = scripts[i].name;
                struct entry *l = find_listed(name);
                if (l)
                        l->seen = true;
                int rc = run_one(name, msg, sizeof(msg));
                size_t ml = strlen(msg);
                while (ml && msg[ml - 1] == '\n')
                        msg[--ml] = 0;
                if (write_expected) {
                        if (rc != 0) {
                                char first[200];
                                snprintf(first, sizeof(first), "%.*s", (int)strcspn(msg, "\n"),
                                         msg);
                                printf("%-62s %s%s\n", name,
                                       l ? "" : "TODO: ", l ? l->reason : first);
                        }
                        continue;
                }
                if (rc == 0) {
                        pass++;
                        if (l) {
                                bad++;
                                printf("FAIL %s: passes but is listed in %s (%s): remove it\n",
                                       name, expected, l->reason);
                        } else {
                                printf("PASS %s\n", name);
                        }
                        continue;
                }
                fail++;
                if (l) {
                        xfail++;
                        if (verbose)
                                printf("XFAIL %s (%s):\n    %s\n", name, l->reason, msg);
                        else
                                printf("XFAIL %s (%s): %.*s\n", name, l->reason,
                                       (int)strcspn(msg, "\n"), msg);
                } else {
                        bad++;
                        printf("FAIL %s: %s\n", name, msg);
                }
        }
        if (write_expected)
                return 0;
        for (size_t i = 0; i < nlisted && first_arg == argc; i++)
                if (!listed[i].seen) {
                        bad++;
                        printf("FAIL %s: lists %s, which is not in the corpus\n", expected,
                               listed[i].name);
                }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("\n%zu passed, %zu failed (%zu expected, listed in %s; %zu unexpected results) "
               "in %.1f s\n",
               pass, fail, xfail, expected, bad, secs);
        return bad ? 1 : 0;
}
