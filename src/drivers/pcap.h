/*
 * pcap capture files: what tcpdump -w writes and Wireshark reads.
 *
 * Two layers.  A pcap_file is a plain writer (open, append frames with a
 * timestamp, close) usable without any device -- the lab or a test can
 * write whatever frames it likes.  A pcap_writer attaches a pcap_file to a
 * device through a packet tap, so every frame the device receives or sends
 * lands in the file, stamped with the namespace clock's wall time
 * (clock_wall: real time on a real clock, simulated time on a simulated
 * one).
 *
 * Format: classic libpcap with nanosecond timestamps (magic 0xa1b23c4d,
 * version 2.4, snaplen 262144, LINKTYPE_ETHERNET), in host byte order as
 * libpcap writes it; readers detect the order from the magic.  Each record
 * is flushed to the kernel as it is written, so tshark can follow a file
 * that is still growing and a crash loses nothing already captured.
 */
#ifndef STRATA_DRIVERS_PCAP_H
#define STRATA_DRIVERS_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct net_device;
struct pcap_file;
struct pcap_writer;

#define PCAP_MAGIC_NSEC        0xa1b23c4du
#define PCAP_VERSION_MAJOR     2
#define PCAP_VERSION_MINOR     4
#define PCAP_SNAPLEN           262144u
#define PCAP_LINKTYPE_ETHERNET 1u

/* Create (or truncate) path and write the file header.  Returns 0 and *out,
 * or a negative errno from open/write, or -ENOMEM. */
int pcap_file_open(const char *path, struct pcap_file **out);
/* Append one frame captured at t_ns (ns since the Unix epoch).  Frames longer
 * than the snaplen are cut to it (orig_len keeps the true length).  Returns
 * 0 or a negative errno (-ENOSPC, -EIO, ...); the file stays usable. */
int pcap_file_write(struct pcap_file *f, uint64_t t_ns, const uint8_t *frame, size_t len);
/* Close and free (NULL is a no-op). */
void pcap_file_close(struct pcap_file *f);

/*
 * Capture every frame received and sent on dev into path.  The writer runs
 * in the device's namespace loop; attach and detach with the namespace lock
 * held (or while nothing runs the namespace).  Returns 0 and *out, or a
 * negative errno from pcap_file_open.
 */
int pcap_attach(struct net_device *dev, const char *path, struct pcap_writer **out);
/* Stop capturing: remove the tap, close the file, free (NULL is a no-op). */
void pcap_detach(struct pcap_writer *w);
/* Frames written, and frames lost to write errors (the tap cannot report an
 * error to anyone, so it counts them here). */
void pcap_writer_stats(const struct pcap_writer *w, uint64_t *packets, uint64_t *errors);

#endif
