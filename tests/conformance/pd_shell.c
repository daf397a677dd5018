/*
 * Backquoted shell commands.  Strata is a library, not a host: there is no
 * shell to run them in, and most would act on the host kernel.  The ones
 * the corpus uses to configure TCP become Strata sysctls on the script's
 * namespace:
 *   path/common/defaults.sh            its own lines, interpreted the same way
 *   sysctl [-q] [-e] KEY=VALUE...      strata_sysctl_set(KEY, VALUE)
 *   set_sysctls.py /proc/sys/a/b=V...  strata_sysctl_set("a.b", V)
 *   echo V > /sys/module/M/parameters/P
 *                                      strata_sysctl_set("module.M.parameters.P",
 *                                      V): a module parameter (tcp_cubic's
 *                                      HyStart ones) is a per-namespace
 *                                      sysctl in Strata
 *   /tmp/sysctl_restore_${PPID}.sh     nothing to restore: each script has a
 *                                      fresh namespace
 *   nstat, nstat | grep NAME           the counters changed since the last nstat
 *                                      (grep failing fails the script)
 *   ip tcp_metrics flush all           strata_tcp_metrics_flush (the Fast Open
 *                                      cookie cache)
 *   tc qdisc add dev tun0 root pfifo   Strata's transmit queue is already a
 *                                      plain FIFO (no qdisc framework yet)
 *   grep PAT /proc/net/tcp... [| grep PAT]...
 *                                      grep (basic regular expressions, no
 *                                      options) over the namespace's
 *                                      /proc/net files as Strata serves them
 *                                      (ctl_procfs_text); the last grep
 *                                      selecting nothing fails the script
 *   rm -f /tmp/F, dd ... of=/tmp/F     on the script's private /tmp (pd_files.c)
 *   ip route add|change|replace|del .. strata_ip_route (iproute2's words; -6
 *                                      is refused: no IPv6 routes yet)
 *   ethtool -K tun0 tso off gso off    nothing to turn off: Linux then hands
 *                                      tun0 one frame per MSS, as Strata's
 *                                      TCP always does (it cuts its TSO
 *                                      packets itself, src/transport/tcp_tso.c);
 *                                      Linux's size_goal and TSO autosizing do
 *                                      not depend on these features (TCP has
 *                                      always used GSO since Linux 4.19)
 *   A || B                             B when A fails
 * Values are shell words: quotes are removed and $((...)) is evaluated.
 * A key Strata does not have fails the script (it would silently run with
 * another configuration than the script asks for), and so does any other
 * command, each with a message naming the line.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "ctl/rtnl.h"
#include "pd.h"
#include "pd_run.h"

static void trim(char *s)
{
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = 0;
        size_t i = 0;
        while (s[i] == ' ' || s[i] == '\t')
                i++;
        memmove(s, s + i, n - i + 1);
}

/* Remove redirections to /dev/null (the script only hides output). */
static void strip_redirects(char *s)
{
        static const char *const r[] = { "&> /dev/null", "&>/dev/null", "2>/dev/null",
                                         "> /dev/null",  ">/dev/null",  "2>&1" };
        for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
                char *p;
                while ((p = strstr(s, r[i])))
                        memmove(p, p + strlen(r[i]), strlen(p + strlen(r[i])) + 1);
        }
        trim(s);
}

bool pd_lenient_sysctls;

/* A shell word from *pp: quotes removed, $((expr)) expanded. */
static int word(const char **pp, char *out, size_t cap)
{
        const char *p = *pp;
        size_t n = 0;
        char q = 0;
        while (*p == ' ' || *p == '\t')
                p++;
        while (*p && (q || (*p != ' ' && *p != '\t'))) {
                if (!q && (*p == '"' || *p == '\'')) {
                        q = *p++;
                        continue;
                }
                if (q && *p == q) {
                        q = 0;
                        p++;
                        continue;
                }
                if (p[0] == '$' && p[1] == '(' && p[2] == '(') {
                        const char *end = strstr(p, "))");
                        if (!end)
                                return -1;
                        char ex[128];
                        size_t len = (size_t)(end - p - 3);
                        if (len >= sizeof(ex))
                                return -1;
                        memcpy(ex, p + 3, len);
                        ex[len] = 0;
                        long long v;
                        if (pd_arith(ex, &v))
                                return -1;
                        n += (size_t)snprintf(out + n, cap - n, "%lld", v);
                        if (n >= cap)
                                return -1;
                        p = end + 2;
                        continue;
                }
                if (*p == '$')
                        return -1; /* other expansions are not supported */
                if (n + 1 >= cap)
                        return -1;
                out[n++] = *p++;
        }
        if (q)
                return -1;
        out[n] = 0;
        *pp = p;
        return n ? 0 : 1;
}

static int set_one(struct pd_runner *r, const char *kv, bool proc, int line, char *err,
                   size_t errcap)
{
        char key[256];
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
                snprintf(err, errcap, "line %d: sysctl: expected KEY=VALUE, found '%s'", line, kv);
                return -1;
        }
        memcpy(key, kv, (size_t)(eq - kv));
        key[eq - kv] = 0;
        if (proc) {
                const char *pre = "/proc/sys/";
                if (strncmp(key, pre, strlen(pre)) != 0) {
                        snprintf(err, errcap, "line %d: set_sysctls.py: not a /proc/sys path: %s",
                                 line, key);
                        return -1;
                }
                memmove(key, key + strlen(pre), strlen(key + strlen(pre)) + 1);
                for (char *c = key; *c; c++)
                        if (*c == '/')
                                *c = '.';
        }
        int e = strata_sysctl_set(r->sn, key, eq + 1);
        if (e == -ENOENT && pd_lenient_sysctls)
                return 0; /* diagnosis only: see what fails next */
        if (e == -ENOENT) {
                snprintf(err, errcap, "line %d: sysctl %s=%s: Strata has no sysctl %s", line, key,
                         eq + 1, key);
                return -1;
        }
        if (e) {
                snprintf(err, errcap, "line %d: sysctl %s=%s: %s", line, key, eq + 1,
                         strata_strerror(e));
                return -1;
        }
        return 0;
}

static int run_line(struct pd_runner *r, const char *dir, char *cmd, int line, int depth, char *err,
                    size_t errcap);

static int run_file(struct pd_runner *r, const char *path, int line, int depth, char *err,
                    size_t errcap)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                snprintf(err, errcap, "line %d: cannot open %s: %s", line, path, strerror(errno));
                return -1;
        }
        char buf[1024];
        int rc = 0;
        while (rc == 0 && fgets(buf, sizeof(buf), f)) {
                buf[strcspn(buf, "\n")] = 0;
                char *hash = strchr(buf, '#');
                if (hash)
                        *hash = 0;
                trim(buf);
                if (!buf[0])
                        continue;
                char dir[1100];
                snprintf(dir, sizeof(dir), "%.1000s", path);
                char *slash = strrchr(dir, '/');
                if (slash)
                        *slash = 0;
                rc = run_line(r, dir, buf, line, depth + 1, err, errcap);
        }
        fclose(f);
        if (rc) {
                size_t n = strlen(err);
                snprintf(err + n, errcap - n, " (in %s)", path);
        }
        return rc;
}

/* The namespace's counters as nstat names them ("Group" + "Name"), from
 * strata_print_counters' /proc/net/snmp-style pairs of lines. */
static size_t read_counters(struct pd_runner *r, struct pd_nstat *out, size_t cap)
{
        char *text = NULL;
        size_t len = 0, n = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return 0;
        strata_print_counters(r->sn, f);
        fclose(f);
        char *save = NULL, *names = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(l, ':');
                if (!colon || strchr(l, '='))
                        continue; /* drops, devices */
                if (!names || strncmp(names, l, (size_t)(colon - l) + 1) != 0) {
                        names = l; /* the names line; the values line follows */
                        continue;
                }
                char group[32];
                snprintf(group, sizeof(group), "%.*s", (int)(colon - l), l);
                char *ns = NULL, *vs = NULL;
                char *nm = strtok_r(strchr(names, ':') + 1, " ", &ns);
                char *v = strtok_r(colon + 1, " ", &vs);
                while (nm && v && n < cap) {
                        snprintf(out[n].name, sizeof(out[n].name), "%s%s", group, nm);
                        out[n++].v = strtoull(v, NULL, 10);
                        nm = strtok_r(NULL, " ", &ns);
                        v = strtok_r(NULL, " ", &vs);
                }
                names = NULL;
        }
        free(text);
        return n;
}

/* `nstat` (its output thrown away) and `nstat | grep PATTERN`: nstat shows
 * the counters that changed since its last run and saves them as the new
 * history; grep fails -- and so the script -- when no such line matches. */
static int nstat_cmd(struct pd_runner *r, const char *pattern, int line, char *err, size_t errcap)
{
        static struct pd_nstat cur[400];
        size_t n = read_counters(r, cur, 400);
        bool found = false;
        for (size_t i = 0; pattern && i < n; i++) {
                uint64_t old = 0;
                for (size_t j = 0; j < r->nnstat; j++)
                        if (strcmp(r->nstat[j].name, cur[i].name) == 0)
                                old = r->nstat[j].v;
                if (cur[i].v != old && strstr(cur[i].name, pattern))
                        found = true;
        }
        memcpy(r->nstat, cur, n * sizeof(cur[0]));
        r->nnstat = n;
        if (pattern && !found) {
                snprintf(err, errcap,
                         "line %d: shell command failed: nstat | grep %s (no such counter "
                         "changed)",
                         line, pattern);
                return -1;
        }
        return 0;
}

static bool ends_with(const char *s, const char *suf)
{
        size_t a = strlen(s), b = strlen(suf);
        return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The lines of text that match re (grep's selection), appended to out. */
static void grep_lines(const regex_t *re, const char *text, size_t len, const char *prefix,
                       FILE *out)
{
        const char *s = text, *end = text + len;
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
                char *l = strndup(s, n);
                if (l && regexec(re, l, 0, NULL, 0) == 0)
                        fprintf(out, "%s%s\n", prefix, l);
                free(l);
                s += n + (nl ? 1 : 0);
        }
}

/* grep PAT FILE... | grep PAT ...: the first stage reads /proc/net files
 * of the namespace (a missing one is skipped, as grep goes on after an
 * error), each later one the output before it.  1 when the pipeline is not
 * of that form; else 0, or -1 with err when the last grep selected nothing
 * (exit status 1). */
static int grep_pipeline(struct pd_runner *r, const char *cmd, int line, char *err, size_t errcap)
{
        char *text = NULL;
        size_t len = 0;
        int stage = 0, rc = 1;
        const char *s = cmd;
        while (*s) {
                size_t n = strcspn(s, "|");
                char part[512];
                if (n >= sizeof(part))
                        goto out;
                memcpy(part, s, n);
                part[n] = 0;
                s += n + (s[n] == '|');
                const char *p = part;
                char w[256], pat[256];
                if (word(&p, w, sizeof(w)) || strcmp(w, "grep") || word(&p, pat, sizeof(pat)) ||
                    pat[0] == '-')
                        goto out;
                regex_t re;
                if (regcomp(&re, pat, REG_NOSUB))
                        goto out;
                char *next = NULL;
                size_t nlen = 0;
                FILE *o = open_memstream(&next, &nlen);
                if (!o) {
                        regfree(&re);
                        goto out;
                }
                char files[4][64];
                int nfiles = 0, wr;
                while ((wr = word(&p, w, sizeof(w))) == 0 && nfiles < 4 && strlen(w) < 40)
                        snprintf(files[nfiles++], sizeof(files[0]), "%.40s", w);
                bool ok = wr == 1 && (stage == 0) == (nfiles > 0);
                for (int i = 0; ok && i < nfiles; i++) {
                        const char *pre = "/proc/net/";
                        char *ft;
                        size_t fl;
                        if (strncmp(files[i], pre, strlen(pre)) != 0) {
                                ok = false;
                                break;
                        }
                        char name[64], prefix[80];
                        snprintf(name, sizeof(name), "net/%.40s", files[i] + strlen(pre));
                        snprintf(prefix, sizeof(prefix), "%.40s:", files[i]);
                        if (ctl_procfs_text(r->sn->net, name, &ft, &fl) == 0) {
                                grep_lines(&re, ft, fl, nfiles > 1 ? prefix : "", o);
                                free(ft);
                        }
                }
                if (ok && stage > 0)
                        grep_lines(&re, text ? text : "", len, "", o);
                fclose(o);
                regfree(&re);
                free(text);
                text = next;
                len = nlen;
                if (!ok)
                        goto out;
                stage++;
        }
        if (stage == 0)
                goto out;
        rc = len ? 0 : -1;
        if (rc)
                snprintf(err, errcap, "line %d: `%s` selected nothing (exit status 1)", line, cmd);
out:
        free(text);
        return rc;
}

static int run_line(struct pd_runner *r, const char *dir, char *cmd, int line, int depth, char *err,
                    size_t errcap)
{
        /* A || B: B only when A fails (a sysctl this kernel lacks, say) */
        char *alt = strstr(cmd, "||");
        if (alt) {
                *alt = 0;
                if (run_line(r, dir, cmd, line, depth, err, errcap) == 0)
                        return 0;
                err[0] = 0;
                return run_line(r, dir, alt + 2, line, depth, err, errcap);
        }
        strip_redirects(cmd);
        if (!cmd[0])
                return 0;
        if (strncmp(cmd, "/tmp/sysctl_restore_", 20) == 0 && !strchr(cmd, ' '))
                return 0; /* a fresh namespace has nothing to restore */
        const char *p = cmd;
        char w0[512];
        if (word(&p, w0, sizeof(w0)) != 0)
                goto refuse;
        if (ends_with(w0, "common/defaults.sh") && depth < 2) {
                /* upstream keeps a second copy two levels up; the corpus
                 * has one, in tcp/common: take the nearest that exists */
                char path[2300], up[1100];
                snprintf(path, sizeof(path), "%.1000s/%.500s", dir, w0);
                snprintf(up, sizeof(up), "%.1000s", dir);
                while (access(path, R_OK) != 0) {
                        char *slash = strrchr(up, '/');
                        if (!slash)
                                break;
                        *slash = 0;
                        snprintf(path, sizeof(path), "%.1000s/common/defaults.sh", up);
                }
                if (access(path, R_OK) != 0)
                        snprintf(path, sizeof(path), "%.1000s/%.500s", dir, w0);
                return run_file(r, path, line, depth, err, errcap);
        }
        if (strcmp(w0, "sysctl") == 0 || ends_with(w0, "set_sysctls.py")) {
                bool proc = w0[0] != 's';
                char kv[512];
                int n = 0, rc;
                while ((rc = word(&p, kv, sizeof(kv))) == 0) {
                        if (kv[0] == '-' && !proc) {
                                if (strcmp(kv, "-q") && strcmp(kv, "-e") && strcmp(kv, "-w"))
                                        goto refuse;
                                continue;
                        }
                        if (set_one(r, kv, proc, line, err, errcap))
                                return -1;
                        n++;
                }
                if (rc < 0 || n == 0)
                        goto refuse;
                return 0;
        }
        if (strcmp(w0, "echo") == 0) {
                /* echo VALUE > /sys/module/M/parameters/P */
                char val[128], gt[8], path[256], kv[512];
                const char *pre = "/sys/module/";
                if (word(&p, val, sizeof(val)) || word(&p, gt, sizeof(gt)) || strcmp(gt, ">") ||
                    word(&p, path, sizeof(path)) || word(&p, kv, sizeof(kv)) != 1 ||
                    strncmp(path, pre, strlen(pre)) != 0 || !strstr(path, "/parameters/"))
                        goto refuse;
                snprintf(kv, sizeof(kv), "module.%s=%s", path + strlen(pre), val);
                for (char *c = kv; *c != '='; c++)
                        if (*c == '/')
                                *c = '.';
                return set_one(r, kv, false, line, err, errcap);
        }
        if (strcmp(cmd, "nstat") == 0)
                return nstat_cmd(r, NULL, line, err, errcap);
        if (strncmp(cmd, "nstat | grep ", 13) == 0 && !strpbrk(cmd + 13, " |;&"))
                return nstat_cmd(r, cmd + 13, line, err, errcap);
        if (strcmp(w0, "grep") == 0) {
                int g = grep_pipeline(r, cmd, line, err, errcap);
                if (g <= 0)
                        return g;
        }
        if (strcmp(cmd, "ip tcp_metrics flush all") == 0)
                return strata_tcp_metrics_flush(r->sn);
        if (strcmp(cmd, "tc qdisc add dev tun0 root pfifo") == 0)
                return 0;
        int fr = pd_file_cmd(cmd, line, err, errcap); /* rm, dd on the private /tmp */
        if (fr != 1)
                return fr;
        if (strcmp(w0, "ip") == 0 && strncmp(p, " route ", 7) == 0) {
                /* the words go to the library as iproute2's: the same
                 * route insertion rtnetlink makes */
                int e = strata_ip_route(r->sn, p + 7);
                if (e == -EINVAL)
                        goto refuse;
                if (e) {
                        snprintf(err, errcap, "line %d: %s: %s", line, cmd, strata_strerror(e));
                        return -1;
                }
                return 0;
        }
        if (strcmp(cmd, "ethtool -K tun0 tso off gso off") == 0)
                return 0; /* what tun0 then sees is what Strata always sends */
refuse:
        snprintf(err, errcap, "line %d: shell command not supported by the runner: %s", line, cmd);
        return -1;
}

int pd_shell(struct pd_runner *r, const char *script_dir, const char *text, int line, char *err,
             size_t errcap)
{
        /* join backslash continuations, then one command per line or ';' */
        char *buf = strdup(text);
        if (!buf) {
                snprintf(err, errcap, "out of memory");
                return -1;
        }
        int rc = 0, l = line;
        char *s = buf;
        while (rc == 0 && *s) {
                size_t n = strcspn(s, "\n;");
                bool cont = n > 0 && s[n - 1] == '\\' && s[n] == '\n';
                if (cont) {
                        s[n - 1] = ' ';
                        s[n] = ' ';
                        l++;
                        continue;
                }
                char save = s[n];
                s[n] = 0;
                char *hash = strchr(s, '#');
                if (hash)
                        *hash = 0;
                rc = run_line(r, script_dir, s, l, 0, err, errcap);
                if (save == '\n')
                        l++;
                s += n + (save ? 1 : 0);
        }
        free(buf);
        return rc;
}
