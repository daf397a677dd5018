/*
 * Urgent data (RFC 9293 3.8.5 as Linux reads it: tcp_urg, tcp_check_urg,
 * tcp_recv_urg, tcp_mark_urg) and splice's read of a TCP stream.
 *
 * A segment with URG points at the byte after the urgent one (Linux's
 * default, net.ipv4.tcp_stdurg=0): that byte's sequence becomes urg_seq
 * and urg_data says TCP_URG_NOTYET until the byte arrives, then
 * TCP_URG_VALID with the byte itself.  Unless SO_OOBINLINE, the byte is
 * taken out of the stream: a read stops at the mark after data and passes
 * over the byte, recv(MSG_OOB) returns it once (TCP_URG_READ after), the
 * socket is POLLPRI while it is there and SIOCATMARK says when the next
 * byte read is at the mark.  A new urgent pointer replaces an older one.
 * splice never takes the byte: it stops at the mark, and a splice that
 * finds nothing but it returns 0 rather than waiting (Linux's "we do not
 * want to loop" in tcp_splice_read).
 *
 * Sending: a write with MSG_OOB marks its end (snd_up); until that is
 * acknowledged every segment before it carries URG with the pointer, and
 * Nagle and TCP_CORK do not hold the data back (tcp_nagle_test).
 *
 * The state is fields in holes of struct tcp_sock: no cost per socket.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "transport/tcp.h"

/* tcp_check_urg: a new urgent pointer */
static void check_urg(struct sock *sk, const struct tcp_repr *th)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t ptr = th->urg;
        if (ptr)
                ptr--; /* tcp_stdurg=0: the pointer is one past the byte */
        ptr += th->seq;
        uint32_t copied = tcp_sk(sk)->copied_seq;
        if (seq_after(copied, ptr))
                return; /* already seen and read */
        if (seq_before(ptr, tp->rcv_nxt))
                return; /* no replaying a pointer into data we hold */
        if (tp->urg_data && !seq_after(ptr, tp->urg_seq))
                return; /* a newer or the same pointer is known */
        /* the last byte read was urgent and out of line: the reader must
         * not see it again as data once the pointer moves on */
        if (tp->urg_seq == copied && tp->urg_data && !sk->urginline && copied != tp->rcv_nxt) {
                struct sk_buff *skb = sk->receive_queue.first;
                if (skb) {
                        tp->copied_seq++;
                        TCP_SKB_CB(skb)->consumed++;
                        if (TCP_SKB_CB(skb)->consumed >= skb->len)
                                consume_skb(sock_dequeue(sk));
                }
        }
        tp->urg_data = TCP_URG_NOTYET;
        tp->urg_seq = ptr;
}

void tcp_urg(struct sock *sk, struct sk_buff *skb, const struct tcp_repr *th)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (th->flags & TCPF_URG)
                check_urg(sk, th);
        if (tp->urg_data != TCP_URG_NOTYET)
                return;
        /* is the urgent byte in this segment's payload? */
        uint32_t off = tp->urg_seq - th->seq - ((th->flags & TCPF_SYN) ? 1 : 0);
        if (off < skb->len) {
                tp->urg_data = (uint16_t)(TCP_URG_VALID | skb->data[off]);
                sock_wake(sk);
        }
}

ssize_t tcp_recv_urg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->urginline || !tp->urg_data || tp->urg_data == TCP_URG_READ)
                return -EINVAL; /* "Yes this is right !" */
        if (sk->state == TCP_CLOSE && !tp->fin_received)
                return -ENOTCONN;
        msg->msg_flags = 0;
        msg->msg_controllen = 0;
        if (tp->urg_data & TCP_URG_VALID) {
                char c = (char)(tp->urg_data & 0xff);
                if (!(flags & MSG_PEEK))
                        tp->urg_data = TCP_URG_READ;
                msg->msg_flags |= MSG_OOB;
                if (!len) {
                        msg->msg_flags |= MSG_TRUNC;
                        return 0;
                }
                if (!(flags & MSG_TRUNC)) {
                        if (!msg->msg_iovlen || !msg->msg_iov[0].iov_base)
                                return -EFAULT;
                        size_t i = 0;
                        while (!msg->msg_iov[i].iov_len)
                                i++; /* len > 0: some buffer has room */
                        memcpy(msg->msg_iov[i].iov_base, &c, 1);
                }
                return 1;
        }
        if (sk->state == TCP_CLOSE || (sk->shutdown & RCV_SHUTDOWN))
                return 0;
        return -EAGAIN; /* never blocks, whatever the socket's mode */
}

size_t tcp_urg_clip(struct sock *sk, uint32_t seq, size_t avail, size_t copied, uint32_t *skip)
{
        struct tcp_sock *tp = tcp_sk(sk);
        *skip = 0;
        if (!tp->urg_data)
                return avail;
        uint32_t off = tp->urg_seq - seq;
        if (!off && copied)
                return 0; /* stop at the mark after data */
        if (off >= avail)
                return avail;
        if (off)
                return off; /* up to the mark */
        if (sk->urginline)
                return avail;
        *skip = 1; /* pass over the out-of-line byte */
        return avail - 1;
}

void tcp_urg_passed(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tp->urg_data && seq_after(tcp_sk(sk)->copied_seq, tp->urg_seq))
                tp->urg_data = 0;
}

bool tcp_urg_only(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        /* tcp_poll's target: the urgent byte at the mark is not data */
        uint32_t copied = tcp_sk(sk)->copied_seq;
        return tp->urg_data && !sk->urginline && tp->urg_seq == copied &&
               tp->rcv_nxt - copied <= 1;
}

ssize_t tcp_read_sock(struct sock *sk, void *buf, size_t len, bool nonblock)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_LISTEN)
                return -EINVAL;
        size_t copied = 0;
        struct sk_buff *skb;
        while (copied < len && (skb = sk->receive_queue.first)) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                size_t avail = skb->len - cb->consumed;
                if (tp->urg_data) {
                        /* tcp_read_sock: stop at a patch of urgent data */
                        uint32_t off = tp->urg_seq - (cb->seq + cb->consumed);
                        if (off < avail)
                                avail = off;
                        if (!avail)
                                break;
                }
                size_t n = len - copied < avail ? len - copied : avail;
                memcpy((char *)buf + copied, skb->data + cb->consumed, n);
                copied += n;
                cb->consumed += (uint32_t)n;
                tp->copied_seq += (uint32_t)n;
                if (cb->consumed == skb->len)
                        consume_skb(sock_dequeue(sk));
                tcp_urg_passed(sk);
                tcp_rcv_space_adjust(sk);
        }
        if (copied) {
                tcp_cleanup_rbuf(sk, copied);
                return (ssize_t)copied;
        }
        if (tp->fin_received || (sk->shutdown & RCV_SHUTDOWN))
                return 0;
        int e = sock_error(sk);
        if (e)
                return -e;
        if (sk->state == TCP_CLOSE)
                return -ENOTCONN;
        if (nonblock)
                return -EAGAIN;
        if (sk->receive_queue.first)
                return 0; /* only the urgent byte: do not wait on it */
        return -EAGAIN;
}

void tcp_urg_mark(struct tcp_sock *tp, uint32_t end_seq)
{
        tp->snd_up = end_seq;
        tp->urg_mode = true;
}

void tcp_urg_header(const struct tcp_sock *tp, uint32_t seq, struct tcp_repr *th)
{
        if (!tp->urg_mode || !seq_before(seq, tp->snd_up))
                return;
        /* the pointer is one past the last urgent byte; one too far for the
         * 16-bit field says "later" with 0xFFFF while data is in flight */
        if (seq_before(tp->snd_up, seq + 0x10000)) {
                th->urg = (uint16_t)(tp->snd_up - seq);
                th->flags |= TCPF_URG;
        } else if (seq_after(seq + 0xFFFF, tp->snd_nxt)) {
                th->urg = 0xFFFF;
                th->flags |= TCPF_URG;
        }
}

void tcp_urg_acked(struct tcp_sock *tp, uint32_t ack)
{
        if (tp->urg_mode && !seq_before(ack, tp->snd_up))
                tp->urg_mode = false;
}

int tcp_urg_atmark(struct sock *sk, int *out)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_LISTEN)
                return -EINVAL;
        *out = tp->urg_data && tp->urg_seq == tp->copied_seq;
        return 0;
}
