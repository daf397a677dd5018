/*
 * pcap writer: the bytes on disk (read back with plain C, field by field),
 * the device tap (which part of an skb it writes), and -- when tshark is
 * installed -- that a real reader accepts the file without a complaint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/net.h"
#include "core/netdev.h"
#include "core/skb.h"
#include "drivers/pcap.h"
#include "../test.h"

/* Temp files are removed at exit, so a failed CHECK (which leaves the case
 * at once) leaves nothing behind either. */
#define MAX_TMP 16
static char tmp_paths[MAX_TMP][64];
static int ntmp;

static void tmp_cleanup(void)
{
        for (int i = 0; i < ntmp; i++)
                unlink(tmp_paths[i]);
}

/* A fresh, unique, empty file name; removed at exit. */
static const char *tmp_file(void)
{
        if (ntmp == MAX_TMP)
                TEST_FAIL("too many temp files");
        if (ntmp == 0)
                atexit(tmp_cleanup);
        char *p = tmp_paths[ntmp];
        snprintf(p, sizeof(tmp_paths[0]), "/tmp/strata-test-pcap-XXXXXX");
        int fd = mkstemp(p);
        if (fd < 0)
                TEST_FAIL("mkstemp: %s", strerror(errno));
        close(fd);
        ntmp++;
        return p;
}

/* The whole file in memory (caller frees); *len its size. */
static uint8_t *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                TEST_FAIL("fopen %s: %s", path, strerror(errno));
        uint8_t *buf = NULL;
        size_t cap = 0, n = 0;
        for (;;) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 65536;
                        uint8_t *nb = realloc(buf, cap);
                        if (!nb) {
                                free(buf);
                                fclose(f);
                                TEST_FAIL("out of memory");
                        }
                        buf = nb;
                }
                size_t r = fread(buf + n, 1, cap - n, f);
                if (r == 0)
                        break;
                n += r;
        }
        fclose(f);
        *len = n;
        return buf;
}

static uint32_t rd32(const uint8_t *p)
{
        uint32_t v;
        memcpy(&v, p, 4); /* host order, as written */
        return v;
}

static uint16_t rd16(const uint8_t *p)
{
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
}

/* A broadcast ARP request, 42 bytes (unpadded, as a stack hands it to a
 * device). */
static size_t make_arp(uint8_t *f)
{
        static const uint8_t arp[42] = {
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
                0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
                10,   0,    0,    1,    0,    0,    0,    0,    0,    0,    10,   0,    0,    2,
        };
        memcpy(f, arp, sizeof(arp));
        return sizeof(arp);
}

/* A record at *off: checks its header, returns a pointer to its data and
 * moves *off past it. */
static const uint8_t *check_record(const uint8_t *buf, size_t len, size_t *off, uint64_t t_ns,
                                   uint32_t incl, uint32_t orig)
{
        CHECK(*off + 16 <= len);
        const uint8_t *r = buf + *off;
        CHECK_EQ(rd32(r), t_ns / 1000000000u);
        CHECK_EQ(rd32(r + 4), t_ns % 1000000000u);
        CHECK_EQ(rd32(r + 8), incl);
        CHECK_EQ(rd32(r + 12), orig);
        CHECK(*off + 16 + incl <= len);
        *off += 16 + incl;
        return r + 16;
}

static void check_file_header(const uint8_t *buf, size_t len)
{
        CHECK(len >= 24);
        CHECK_EQ(rd32(buf), 0xa1b23c4du);
        CHECK_EQ(rd16(buf + 4), 2);
        CHECK_EQ(rd16(buf + 6), 4);
        CHECK_EQ(rd32(buf + 8), 0);  /* thiszone */
        CHECK_EQ(rd32(buf + 12), 0); /* sigfigs */
        CHECK_EQ(rd32(buf + 16), 262144);
        CHECK_EQ(rd32(buf + 20), 1); /* LINKTYPE_ETHERNET */
}

static void pcap_file_header_and_records(void)
{
        const char *path = tmp_file();
        struct pcap_file *f;
        CHECK_EQ(pcap_file_open(path, &f), 0);

        uint8_t a[64], b[1514];
        size_t alen = make_arp(a);
        for (size_t i = 0; i < sizeof(b); i++)
                b[i] = (uint8_t)i;
        const uint64_t t1 = 1700000000123456789ull, t2 = 1700000001000000000ull,
                       t3 = 1700000001999999999ull;
        CHECK_EQ(pcap_file_write(f, t1, a, alen), 0);
        CHECK_EQ(pcap_file_write(f, t2, b, sizeof(b)), 0);
        CHECK_EQ(pcap_file_write(f, t3, b, 60), 0);
        pcap_file_close(f);

        size_t len;
        uint8_t *buf = slurp(path, &len);
        size_t expect = 24 + 3 * 16 + alen + sizeof(b) + 60;
        if (len != expect) {
                free(buf);
                TEST_FAIL("file is %zu bytes, expected %zu", len, expect);
        }
        check_file_header(buf, len);
        size_t off = 24;
        const uint8_t *d = check_record(buf, len, &off, t1, (uint32_t)alen, (uint32_t)alen);
        CHECK_MEM(d, a, alen);
        d = check_record(buf, len, &off, t2, sizeof(b), sizeof(b));
        CHECK_MEM(d, b, sizeof(b));
        d = check_record(buf, len, &off, t3, 60, 60);
        CHECK_MEM(d, b, 60);
        CHECK_EQ(off, len);
        free(buf);
}

/* A 64 KB+ segment (say, one not yet split by GSO) is longer than the
 * snaplen: the record keeps the first 262144 bytes and the true length. */
static void pcap_frame_longer_than_snaplen_is_cut(void)
{
        const char *path = tmp_file();
        size_t big = 300000;
        uint8_t *frame = malloc(big);
        CHECK(frame != NULL);
        memset(frame, 0xab, big);
        struct pcap_file *f;
        int err = pcap_file_open(path, &f);
        if (!err) {
                err = pcap_file_write(f, 42, frame, big);
                pcap_file_close(f);
        }
        free(frame);
        CHECK_EQ(err, 0);

        size_t len;
        uint8_t *buf = slurp(path, &len);
        size_t off = 24;
        bool ok = len == 24 + 16 + 262144;
        if (ok) {
                check_record(buf, len, &off, 42, 262144, 300000);
                ok = buf[len - 1] == 0xab;
        }
        free(buf);
        CHECK(ok);
}

static void pcap_open_failure_returns_errno(void)
{
        struct pcap_file *f = NULL;
        CHECK_EQ(pcap_file_open("/nonexistent-strata-dir/x.pcap", &f), -ENOENT);
        CHECK(f == NULL);
        struct net_device dev;
        memset(&dev, 0, sizeof(dev));
        struct pcap_writer *w = NULL;
        CHECK_EQ(pcap_attach(&dev, "/nonexistent-strata-dir/x.pcap", &w), -ENOENT);
        CHECK(w == NULL);
        CHECK(dev.taps == NULL);
}

/* A device on a simulated clock (clock_wall reports simulated time), with
 * just what the tap reads: no namespace machinery needed. */
struct fake_dev {
        struct strata_clock clk;
        struct net net;
        struct net_device dev;
};

static void fake_dev_init(struct fake_dev *fd, uint64_t now)
{
        memset(fd, 0, sizeof(*fd));
        fd->clk.simulated = true;
        fd->clk.sim_now = now;
        fd->net.clock = &fd->clk;
        fd->dev.net = &fd->net;
        snprintf(fd->dev.name, sizeof(fd->dev.name), "fake0");
}

/* An skb over buf with data at data_off, len bytes, mac header at mac. */
static void fake_skb(struct sk_buff *skb, uint8_t *buf, uint32_t size, uint32_t data_off,
                     uint32_t len, uint16_t mac)
{
        memset(skb, 0, sizeof(*skb));
        skb->head = buf;
        skb->data = buf + data_off;
        skb->len = len;
        skb->end = size;
        skb->mac_header = mac;
        skb->network_header = skb->transport_header = SKB_NO_HDR;
}

/*
 * Which bytes the tap writes: from the MAC header when one is recorded in
 * front of data (a frame already past eth_type_trans), else from data (a
 * fresh received frame, or a sent one whose header is at data); and the
 * timestamp is the namespace clock's wall time.
 */
static void pcap_tap_writes_from_mac_header(void)
{
        const char *path = tmp_file();
        struct fake_dev fd;
        fake_dev_init(&fd, 5 * NSEC_PER_SEC + 7);
        struct pcap_writer *w;
        CHECK_EQ(pcap_attach(&fd.dev, path, &w), 0);
        CHECK(fd.dev.taps != NULL);

        uint8_t buf[256];
        size_t flen = make_arp(buf + 128);
        struct sk_buff skb;

        /* received, not yet classified: no MAC header, data at the frame */
        fake_skb(&skb, buf, sizeof(buf), 128, (uint32_t)flen, SKB_NO_HDR);
        fd.dev.taps->fn(fd.dev.taps, &fd.dev, &skb, false);
        /* received and classified: data past the 14-byte header */
        fd.clk.sim_now += 1000;
        fake_skb(&skb, buf, sizeof(buf), 128 + 14, (uint32_t)flen - 14, 128);
        fd.dev.taps->fn(fd.dev.taps, &fd.dev, &skb, false);
        /* sent: header pushed, mac_header == data */
        fd.clk.sim_now += 1000;
        fake_skb(&skb, buf, sizeof(buf), 128, (uint32_t)flen, 128);
        fd.dev.taps->fn(fd.dev.taps, &fd.dev, &skb, true);
        /* a stale MAC header beyond data is not a header of this frame */
        fd.clk.sim_now += 1000;
        fake_skb(&skb, buf, sizeof(buf), 128, (uint32_t)flen, 200);
        fd.dev.taps->fn(fd.dev.taps, &fd.dev, &skb, true);

        uint64_t packets, errors;
        pcap_writer_stats(w, &packets, &errors);
        pcap_detach(w);
        CHECK(fd.dev.taps == NULL);
        CHECK_EQ(packets, 4);
        CHECK_EQ(errors, 0);

        size_t len;
        uint8_t *file = slurp(path, &len);
        bool size_ok = len == 24 + 4 * (16 + flen);
        if (!size_ok) {
                free(file);
                TEST_FAIL("file is %zu bytes", len);
        }
        check_file_header(file, len);
        size_t off = 24;
        for (int i = 0; i < 4; i++) {
                const uint8_t *d = check_record(file, len, &off, 5 * NSEC_PER_SEC + 7 + 1000u * i,
                                                (uint32_t)flen, (uint32_t)flen);
                CHECK_MEM(d, buf + 128, flen);
        }
        free(file);
}

/* Two writers on one device: detaching one leaves the other in place. */
static void pcap_detach_removes_only_its_tap(void)
{
        struct fake_dev fd;
        fake_dev_init(&fd, 0);
        struct pcap_writer *w1, *w2;
        CHECK_EQ(pcap_attach(&fd.dev, tmp_file(), &w1), 0);
        CHECK_EQ(pcap_attach(&fd.dev, tmp_file(), &w2), 0);
        pcap_detach(w1);
        bool one_left = fd.dev.taps != NULL && fd.dev.taps->next == NULL;
        pcap_detach(w2);
        CHECK(one_left);
        CHECK(fd.dev.taps == NULL);
        pcap_detach(NULL);
}

static bool have_tshark(void)
{
        return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* Lines of path other than tshark's note about running as root (a remark
 * about us, not about the file); returns the first such line or NULL. */
static char *first_complaint(const char *path, char *line, size_t cap)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return NULL;
        char *found = NULL;
        while (fgets(line, (int)cap, f))
                if (!strstr(line, "Running as user \"root\"")) {
                        found = line;
                        break;
                }
        fclose(f);
        return found;
}

static int count_lines(const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return -1;
        int n = 0, c;
        while ((c = fgetc(f)) != EOF)
                n += c == '\n';
        fclose(f);
        return n;
}

static void pcap_tshark_reads_file(void)
{
        if (!have_tshark())
                SKIP("tshark not installed");
        const char *path = tmp_file();
        const char *out = tmp_file();
        const char *err = tmp_file();
        struct pcap_file *f;
        CHECK_EQ(pcap_file_open(path, &f), 0);
        uint8_t frame[1514];
        memset(frame, 0, sizeof(frame));
        size_t alen = make_arp(frame);
        int werr = 0;
        werr |= pcap_file_write(f, 1700000000000000001ull, frame, alen);
        werr |= pcap_file_write(f, 1700000000500000000ull, frame, 60);
        /* an IPv4 frame with a nonsense payload: tshark calls it malformed
         * on stdout, but the file itself is fine */
        frame[12] = 0x08;
        frame[13] = 0x00;
        werr |= pcap_file_write(f, 1700000001000000000ull, frame, sizeof(frame));
        pcap_file_close(f);
        CHECK_EQ(werr, 0);

        char cmd[256];
        snprintf(cmd, sizeof(cmd), "tshark -r %s >%s 2>%s", path, out, err);
        int rc = system(cmd);
        char line[512];
        char *complaint = first_complaint(err, line, sizeof(line));
        if (complaint)
                TEST_FAIL("tshark stderr: %s", complaint);
        CHECK(rc != -1 && WIFEXITED(rc));
        CHECK_EQ(WEXITSTATUS(rc), 0);
        CHECK_EQ(count_lines(out), 3);
}

TEST_MAIN(T(pcap_file_header_and_records), T(pcap_frame_longer_than_snaplen_is_cut),
          T(pcap_open_failure_returns_errno), T(pcap_tap_writes_from_mac_header),
          T(pcap_detach_removes_only_its_tap), T(pcap_tshark_reads_file))
