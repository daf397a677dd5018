/*
 * pcap writer: the file format, and the packet tap that feeds it from a
 * device.
 *
 * Records go straight to the file descriptor with one pwritev (header and
 * frame together) instead of through stdio: there is no user-space buffer
 * to flush, so a reader following the file (tshark -r while we run) always
 * sees whole records, and an interrupted write can be cut back to the last
 * whole record (we track the file size ourselves) rather than leaving a
 * torn record that would make every reader stop at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/net.h"
#include "core/netdev.h"
#include "core/skb.h"
#include "drivers/pcap.h"
#include "wire/bytes.h"

struct pcap_file {
        int fd;
        off_t size; /* bytes of whole records (and the header) written */
};

struct pcap_writer {
        struct packet_tap tap; /* first: the tap callback finds us from it */
        struct net_device *dev;
        struct pcap_file *file;
        uint64_t packets;
        uint64_t errors;
};

/* The file header and record header, laid out in host order as libpcap's
 * struct pcap_file_header / pcap_sf_pkthdr are: fixed-width fields, no
 * padding, so the structs are the on-disk bytes. */
struct pcap_hdr {
        uint32_t magic;
        uint16_t version_major;
        uint16_t version_minor;
        int32_t thiszone;
        uint32_t sigfigs;
        uint32_t snaplen;
        uint32_t linktype;
};
_Static_assert(sizeof(struct pcap_hdr) == 24, "pcap file header is 24 bytes");

struct pcap_rec {
        uint32_t ts_sec;
        uint32_t ts_nsec;
        uint32_t incl_len;
        uint32_t orig_len;
};
_Static_assert(sizeof(struct pcap_rec) == 16, "pcap record header is 16 bytes");

/* Cut a partly written record off again (off: where the write got to). */
static void pcap_discard_torn(struct pcap_file *f, off_t off)
{
        if (off != f->size) {
                /* if even this fails, the error being reported is the one
                 * that matters */
                int r = ftruncate(f->fd, f->size);
                (void)r;
        }
}

/*
 * Write every byte of iov at f->size, retrying short writes and EINTR.  On
 * failure the file is cut back to f->size so no torn record stays behind.
 */
static int pcap_write_all(struct pcap_file *f, struct iovec *iov, int iovcnt)
{
        off_t off = f->size;
        while (iovcnt > 0) {
                ssize_t n = pwritev(f->fd, iov, iovcnt, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int err = -errno;
                        pcap_discard_torn(f, off);
                        return err;
                }
                if (n == 0) {
                        pcap_discard_torn(f, off);
                        return -EIO;
                }
                off += n;
                while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
                        n -= (ssize_t)iov->iov_len;
                        iov++;
                        iovcnt--;
                }
                if (iovcnt > 0) {
                        iov->iov_base = (char *)iov->iov_base + n;
                        iov->iov_len -= (size_t)n;
                }
        }
        f->size = off;
        return 0;
}

int pcap_file_open(const char *path, struct pcap_file **out)
{
        struct pcap_file *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (f->fd < 0) {
                int err = -errno;
                free(f);
                return err;
        }
        struct pcap_hdr h = {
                .magic = PCAP_MAGIC_NSEC,
                .version_major = PCAP_VERSION_MAJOR,
                .version_minor = PCAP_VERSION_MINOR,
                .thiszone = 0,
                .sigfigs = 0,
                .snaplen = PCAP_SNAPLEN,
                .linktype = PCAP_LINKTYPE_ETHERNET,
        };
        struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
        int err = pcap_write_all(f, &iov, 1);
        if (err) {
                close(f->fd);
                free(f);
                return err;
        }
        *out = f;
        return 0;
}

/* One record of frame, with the 2 bytes at patch_off replaced by patch when
 * patch is not NULL (a checksum the device has not filled in yet). */
static int pcap_write_patched(struct pcap_file *f, uint64_t t_ns, const uint8_t *frame, size_t len,
                              const uint8_t *patch, size_t patch_off)
{
        size_t incl = len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN;
        struct pcap_rec r = {
                /* 32-bit seconds, as the format has them: wraps in 2106 */
                .ts_sec = (uint32_t)(t_ns / 1000000000u),
                .ts_nsec = (uint32_t)(t_ns % 1000000000u),
                .incl_len = (uint32_t)incl,
                .orig_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
        };
        struct iovec iov[4] = {
                { .iov_base = &r, .iov_len = sizeof(r) },
                { .iov_base = (void *)frame, .iov_len = incl },
        };
        int n = incl ? 2 : 1;
        if (patch && patch_off + 2 <= incl) {
                iov[1].iov_len = patch_off;
                iov[2] = (struct iovec){ .iov_base = (void *)patch, .iov_len = 2 };
                iov[3] = (struct iovec){ .iov_base = (void *)(frame + patch_off + 2),
                                         .iov_len = incl - patch_off - 2 };
                n = 4;
        }
        return pcap_write_all(f, iov, n);
}

int pcap_file_write(struct pcap_file *f, uint64_t t_ns, const uint8_t *frame, size_t len)
{
        return pcap_write_patched(f, t_ns, frame, len, NULL, 0);
}

void pcap_file_close(struct pcap_file *f)
{
        if (!f)
                return;
        close(f->fd);
        free(f);
}

/*
 * The tap.  Received frames reach taps before eth_type_trans, but a tap
 * added further up the path may see data already past the link header, so
 * start from the MAC header whenever one is recorded in front of data.
 */
static void pcap_tap_fn(struct packet_tap *tap, struct net_device *dev, const struct sk_buff *skb,
                        bool outgoing)
{
        struct pcap_writer *w = container_of(tap, struct pcap_writer, tap);
        const uint8_t *start = skb->data;
        if (skb->mac_header != SKB_NO_HDR && skb->mac_header <= (size_t)(skb->data - skb->head))
                start = skb_mac_header(skb);
        size_t len = (size_t)(skb->data + skb->len - start);
        /* A checksum left to an offloading device (veth, lo) is written to
         * the capture as the device would compute it, so the file shows the
         * packet as it really is and decoders verify it (Linux's captures on
         * veth show the unfinished field instead). */
        uint8_t sum[2];
        const uint8_t *patch = NULL;
        size_t patch_off = 0;
        if (skb->csum_partial) {
                const uint8_t *field = skb->head + skb->csum_start + skb->csum_offset;
                if (field >= start && field + 2 <= start + len) {
                        put_be16(sum, skb_csum_partial_value(skb));
                        patch = sum;
                        patch_off = (size_t)(field - start);
                }
        }
        if (pcap_write_patched(w->file, clock_wall(dev->net->clock), start, len, patch,
                               patch_off) == 0)
                w->packets++;
        else
                w->errors++;
}

int pcap_attach(struct net_device *dev, const char *path, struct pcap_writer **out)
{
        struct pcap_writer *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        int err = pcap_file_open(path, &w->file);
        if (err) {
                free(w);
                return err;
        }
        w->dev = dev;
        w->tap.fn = pcap_tap_fn;
        dev_add_tap(dev, &w->tap);
        *out = w;
        return 0;
}

void pcap_detach(struct pcap_writer *w)
{
        if (!w)
                return;
        dev_remove_tap(w->dev, &w->tap);
        pcap_file_close(w->file);
        free(w);
}

void pcap_writer_stats(const struct pcap_writer *w, uint64_t *packets, uint64_t *errors)
{
        if (packets)
                *packets = w->packets;
        if (errors)
                *errors = w->errors;
}
