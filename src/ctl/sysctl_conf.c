/*
 * sysctl.conf syntax, as procps reads it (sysctl.d(5)): "key = value",
 * comments from '#' or ';', blank lines skipped, a leading '-' on the key
 * meaning "ignore a failure", and '/' accepted as the separator of the
 * key's parts.  Shared by stratad (sysctl.d at start) and `strata sysctl`
 * (-p, --system), so both read a file the same way.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "strata/ctl.h"

static char *trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = 0;
        return s;
}

int strata_sysctl_conf_line(char *line, char **key, char **value, int *ignore_err)
{
        *ignore_err = 0;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
                return 0;
        char *eq = strchr(s, '=');
        if (!eq)
                return -EINVAL;
        *eq = 0;
        char *k = trim(s), *v = trim(eq + 1);
        if (*k == '-') {
                *ignore_err = 1;
                k = trim(k + 1);
        }
        if (!*k)
                return -EINVAL;
        for (char *p = k; *p; p++)
                if (*p == '/')
                        *p = '.';
        *key = k;
        *value = v;
        return 1;
}
