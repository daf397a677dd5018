/*
 * MD5 against RFC 1321's test suite (appendix A.5), fed whole and in
 * uneven pieces.
 */
#include <stdio.h>
#include <string.h>

#include "../test.h"
#include "core/md5.h"

static void hex(const uint8_t d[MD5_DIGEST_SIZE], char out[2 * MD5_DIGEST_SIZE + 1])
{
        for (int i = 0; i < MD5_DIGEST_SIZE; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const struct {
        const char *in, *md5;
} suite[] = {
        { "", "d41d8cd98f00b204e9800998ecf8427e" },
        { "a", "0cc175b9c0f1b6a831c399e269772661" },
        { "abc", "900150983cd24fb0d6963f7d28e17f72" },
        { "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
        { "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
          "d174ab98d277d9f5a5611c2c9f419d9f" },
        { "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
          "57edf4a22be3c955ac49da2e2107b67a" },
};

static void rfc1321_suite(void)
{
        for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
                struct md5_ctx c;
                uint8_t d[MD5_DIGEST_SIZE];
                char h[2 * MD5_DIGEST_SIZE + 1];
                md5_init(&c);
                md5_update(&c, suite[i].in, strlen(suite[i].in));
                md5_final(&c, d);
                hex(d, h);
                if (strcmp(h, suite[i].md5))
                        TEST_FAIL("MD5(\"%s\") = %s, want %s", suite[i].in, h, suite[i].md5);
        }
}

static void pieces_equal_whole(void)
{
        static uint8_t buf[1000];
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t)(i * 31 + 7);
        uint8_t whole[MD5_DIGEST_SIZE], parts[MD5_DIGEST_SIZE];
        struct md5_ctx c;
        md5_init(&c);
        md5_update(&c, buf, sizeof(buf));
        md5_final(&c, whole);
        /* pieces that cross block boundaries at every offset pattern */
        md5_init(&c);
        size_t off = 0, step = 1;
        while (off < sizeof(buf)) {
                size_t n = step < sizeof(buf) - off ? step : sizeof(buf) - off;
                md5_update(&c, buf + off, n);
                off += n;
                step = step * 3 % 97 + 1;
        }
        md5_final(&c, parts);
        CHECK_MEM(parts, whole, MD5_DIGEST_SIZE);
}

TEST_MAIN(T(rfc1321_suite), T(pieces_equal_whole))
