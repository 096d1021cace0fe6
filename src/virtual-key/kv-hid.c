/* kv-hid.c: CTAPHID framing (CTAP 2.1 §11.2) over a Unix stream socket, and user presence
 *
 * Written by hand: no library implements the device side of CTAPHID. Each connection is one
 * device; the socket carries the 64-byte reports a USB key would exchange, without report id.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-hid.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "kt-unix-socket.h"
#include "kv-ctap.h"
#include "kv-ctap-status.h"
#include "kv-log.h"

#define CTAPHID_PING       0x01
#define CTAPHID_MSG        0x03
#define CTAPHID_LOCK       0x04
#define CTAPHID_INIT       0x06
#define CTAPHID_WINK       0x08
#define CTAPHID_CBOR       0x10
#define CTAPHID_CANCEL     0x11
#define CTAPHID_KEEPALIVE  0x3b
#define CTAPHID_ERROR      0x3f

#define ERR_INVALID_CMD     0x01
#define ERR_INVALID_PAR     0x02
#define ERR_INVALID_LEN     0x03
#define ERR_INVALID_SEQ     0x04
#define ERR_MSG_TIMEOUT     0x05
#define ERR_CHANNEL_BUSY    0x06
#define ERR_INVALID_CHANNEL 0x0b

#define KEEPALIVE_PROCESSING 1
#define KEEPALIVE_UPNEEDED   2

#define CAPABILITY_WINK 0x01
#define CAPABILITY_CBOR 0x04
#define CAPABILITY_NMSG 0x08

#define INIT_DATA_LEN   (KV_CTAPHID_REPORT_LEN - 7)
#define CONT_DATA_LEN   (KV_CTAPHID_REPORT_LEN - 5)
#define PACKET_TIMEOUT_MS   500   /* between the packets of one message */
#define KEEPALIVE_EVERY_MS  100
#define MAX_CHANNELS        16

/* Connections */

/* One open device: one client connection on the socket. Its channels live here, and its CTAP
 * session (PIN token, key agreement), as they live in a real key until it is unplugged. */
struct _KvConnection {
  KvKey         *key;
  guint          id;
  int            fd;

  guint8         rbuf[64 * KV_CTAPHID_REPORT_LEN];  /* reports read ahead, in arrival order */
  gsize          rgot;
  GArray        *cids;               /* guint32 channels allocated on this connection */

  gboolean       assembling;
  guint32        asm_cid;
  guint8         asm_cmd;
  gsize          asm_len;
  gsize          asm_got;
  guint8         asm_seq;
  gint64         asm_deadline;
  guint8         asm_buf[KV_CTAPHID_MAX_PAYLOAD];

  guint32        busy_cid;           /* the channel whose CBOR request is running, or 0 */
  KvCtapSession *ctap;
};

G_STATIC_ASSERT (KV_CTAPHID_MAX_PAYLOAD == KV_CTAP_MAX_MESSAGE);

static KvPresenceResult wait_presence (gpointer    data);
static void             log_message   (gpointer    data,
                                       const char *format,
                                       va_list     args) G_GNUC_PRINTF (2, 0);

/* What the CTAP session may ask of the connection that carries it. */
static const KvCtapTransport ctaphid_transport = {
  .wait_presence = wait_presence,
  .log = log_message,
};

KvConnection *
kv_connection_new (KvKey *key,
                   int    fd)
{
  KvConnection *conn = g_new0 (KvConnection, 1);

  conn->key = key;
  conn->fd = fd;
  conn->cids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_mutex_lock (&key->lock);
  conn->id = ++key->next_connection;
  g_mutex_unlock (&key->lock);
  conn->ctap = kv_ctap_session_new (key, &ctaphid_transport, conn);
  return conn;
}

/* All the reports of one message go out in one send: the host finds them waiting instead of
 * being woken once per report, as a USB key's back-to-back interrupt transfers allow. */
static void
send_message (KvConnection *conn,
              guint32       cid,
              guint8        cmd,
              const guint8 *data,
              gsize         len)
{
  g_autofree guint8 *reports = NULL;
  guint8 *report;
  gsize off, chunk, n_reports;
  guint8 seq = 0;

  g_return_if_fail (len <= KV_CTAPHID_MAX_PAYLOAD);

  n_reports = 1 + (len > INIT_DATA_LEN ? (len - INIT_DATA_LEN + CONT_DATA_LEN - 1) / CONT_DATA_LEN
                                       : 0);
  reports = g_malloc0 (n_reports * KV_CTAPHID_REPORT_LEN);

  report = reports;
  report[0] = cid >> 24;
  report[1] = cid >> 16;
  report[2] = cid >> 8;
  report[3] = cid;
  report[4] = 0x80 | cmd;
  report[5] = len >> 8;
  report[6] = len & 0xff;
  chunk = MIN (len, INIT_DATA_LEN);
  if (chunk > 0)
    memcpy (report + 7, data, chunk);

  for (off = chunk; off < len; off += chunk)
    {
      report += KV_CTAPHID_REPORT_LEN;
      memcpy (report, reports, 4);
      report[4] = seq++;
      chunk = MIN (len - off, CONT_DATA_LEN);
      memcpy (report + 5, data + off, chunk);
    }

  kt_unix_socket_send_all (conn->fd, reports, n_reports * KV_CTAPHID_REPORT_LEN);
}

static void
send_error (KvConnection *conn,
            guint32       cid,
            guint8        code)
{
  send_message (conn, cid, CTAPHID_ERROR, &code, 1);
}

static void
send_keepalive (KvConnection *conn,
                guint8        status)
{
  send_message (conn, conn->busy_cid, CTAPHID_KEEPALIVE, &status, 1);
}

/* Reads one report, keeping what arrived after it (a partial report, or the rest of a message
 * read ahead in one call) for the next. 1: a report; 0: timed out; -1: closed. */
static int
read_report (KvConnection *conn,
             guint8        report[KV_CTAPHID_REPORT_LEN],
             int           timeout_ms)
{
  while (conn->rgot < KV_CTAPHID_REPORT_LEN)
    {
      ssize_t n;

      /* Without a time limit a blocking read is enough: one system call per message. */
      if (timeout_ms >= 0)
        {
          struct pollfd pfd = { .fd = conn->fd, .events = POLLIN };
          int r = poll (&pfd, 1, timeout_ms);

          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return -1;
          if (r == 0)
            return 0;
        }
      n = read (conn->fd, conn->rbuf + conn->rgot, sizeof conn->rbuf - conn->rgot);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      conn->rgot += (gsize) n;
    }
  memcpy (report, conn->rbuf, KV_CTAPHID_REPORT_LEN);
  conn->rgot -= KV_CTAPHID_REPORT_LEN;
  memmove (conn->rbuf, conn->rbuf + KV_CTAPHID_REPORT_LEN, conn->rgot);
  return 1;
}

static gboolean
channel_allocated (KvConnection *conn,
                   guint32       cid)
{
  for (guint i = 0; i < conn->cids->len; i++)
    if (g_array_index (conn->cids, guint32, i) == cid)
      return TRUE;
  return FALSE;
}

static guint32
allocate_channel (KvConnection *conn)
{
  guint32 cid;

  g_mutex_lock (&conn->key->lock);
  do
    cid = conn->key->next_cid++;
  while (cid == 0 || cid == KV_CTAPHID_CID_BROADCAST);
  g_mutex_unlock (&conn->key->lock);

  if (conn->cids->len >= MAX_CHANNELS)
    g_array_remove_index (conn->cids, 0);
  g_array_append_val (conn->cids, cid);
  return cid;
}

/* INIT is answered at any time: on the broadcast channel it allocates a channel, on an
 * allocated one it re-synchronises it, dropping whatever that channel was sending. */
static void
handle_init (KvConnection *conn,
             guint32       cid,
             gsize         len,
             const guint8 *data)
{
  guint8 reply[17];
  guint32 new_cid;

  if (len != 8)
    {
      send_error (conn, cid, ERR_INVALID_LEN);
      return;
    }
  if (cid == 0 || (cid != KV_CTAPHID_CID_BROADCAST && !channel_allocated (conn, cid)))
    {
      send_error (conn, cid, ERR_INVALID_CHANNEL);
      return;
    }
  if (cid == KV_CTAPHID_CID_BROADCAST)
    new_cid = allocate_channel (conn);
  else
    {
      new_cid = cid;
      if (conn->assembling && conn->asm_cid == cid)
        conn->assembling = FALSE;
    }

  memcpy (reply, data, 8);
  reply[8] = new_cid >> 24;
  reply[9] = new_cid >> 16;
  reply[10] = new_cid >> 8;
  reply[11] = new_cid;
  reply[12] = 2;  /* CTAPHID protocol version */
  reply[13] = 0;  /* device version: major, minor, build */
  reply[14] = 1;
  reply[15] = 0;
  reply[16] = CAPABILITY_WINK | CAPABILITY_CBOR | CAPABILITY_NMSG;
  send_message (conn, cid, CTAPHID_INIT, reply, sizeof reply);
}

static void
dispatch (KvConnection *conn,
          guint32       cid,
          guint8        cmd,
          const guint8 *data,
          gsize         len)
{
  switch (cmd)
    {
    case CTAPHID_PING:
      send_message (conn, cid, CTAPHID_PING, data, len);
      break;

    case CTAPHID_WINK:
      if (len != 0)
        {
          send_error (conn, cid, ERR_INVALID_LEN);
          break;
        }
      kv_log ("connection %u: wink", conn->id);
      send_message (conn, cid, CTAPHID_WINK, NULL, 0);
      break;

    case CTAPHID_CANCEL:
      /* Nothing is running on this channel: a cancel has nothing to stop and gets no answer. */
      break;

    case CTAPHID_CBOR:
      {
        g_autoptr(GByteArray) response = g_byte_array_new ();
        guint status;
        guint8 byte;

        if (len == 0)
          {
            send_error (conn, cid, ERR_INVALID_LEN);
            break;
          }
        conn->busy_cid = cid;
        byte = 0;
        g_byte_array_append (response, &byte, 1);
        status = kv_ctap_handle (conn->ctap, data, len, response);
        conn->busy_cid = 0;
        if (status == KV_CTAP_NO_REPLY)
          break;
        if (status != 0)
          g_byte_array_set_size (response, 1);
        response->data[0] = (guint8) status;
        if (response->len > KV_CTAPHID_MAX_PAYLOAD)
          {
            response->data[0] = 0x7f;  /* CTAP1_ERR_OTHER: too big for CTAPHID */
            g_byte_array_set_size (response, 1);
          }
        send_message (conn, cid, CTAPHID_CBOR, response->data, response->len);
      }
      break;

    case CTAPHID_MSG:   /* no CTAP1/U2F: the INIT capabilities say NMSG */
    case CTAPHID_LOCK:
    default:
      send_error (conn, cid, ERR_INVALID_CMD);
      break;
    }
}

static guint32
report_cid (const guint8 *report)
{
  return (guint32) report[0] << 24 | (guint32) report[1] << 16 | (guint32) report[2] << 8 |
         report[3];
}

static void
handle_report (KvConnection *conn,
               const guint8  report[KV_CTAPHID_REPORT_LEN])
{
  guint32 cid = report_cid (report);

  if (report[4] & 0x80)
    {
      guint8 cmd = report[4] & 0x7f;
      gsize len = (gsize) report[5] << 8 | report[6];

      if (cmd == CTAPHID_INIT)
        {
          handle_init (conn, cid, len, report + 7);
          return;
        }
      if (cid == 0 || cid == KV_CTAPHID_CID_BROADCAST || !channel_allocated (conn, cid))
        {
          send_error (conn, cid, ERR_INVALID_CHANNEL);
          return;
        }
      if (conn->assembling)
        {
          if (cid != conn->asm_cid)
            {
              send_error (conn, cid, ERR_CHANNEL_BUSY);
              return;
            }
          /* A new message before the last one was complete. */
          conn->assembling = FALSE;
          send_error (conn, cid, ERR_INVALID_SEQ);
          return;
        }
      if (len > KV_CTAPHID_MAX_PAYLOAD)
        {
          send_error (conn, cid, ERR_INVALID_LEN);
          return;
        }
      if (len <= INIT_DATA_LEN)
        {
          dispatch (conn, cid, cmd, report + 7, len);
          return;
        }
      conn->assembling = TRUE;
      conn->asm_cid = cid;
      conn->asm_cmd = cmd;
      conn->asm_len = len;
      conn->asm_got = INIT_DATA_LEN;
      conn->asm_seq = 0;
      conn->asm_deadline = g_get_monotonic_time () + PACKET_TIMEOUT_MS * 1000;
      memcpy (conn->asm_buf, report + 7, INIT_DATA_LEN);
      return;
    }

  /* A continuation packet. */
  if (!conn->assembling)
    return;  /* stray: the spec says to ignore it */
  if (cid != conn->asm_cid)
    {
      if (channel_allocated (conn, cid))
        send_error (conn, cid, ERR_CHANNEL_BUSY);
      return;
    }
  if (report[4] != conn->asm_seq)
    {
      conn->assembling = FALSE;
      send_error (conn, cid, ERR_INVALID_SEQ);
      return;
    }
  {
    gsize chunk = MIN (conn->asm_len - conn->asm_got, CONT_DATA_LEN);

    memcpy (conn->asm_buf + conn->asm_got, report + 5, chunk);
    conn->asm_got += chunk;
    conn->asm_seq++;
    conn->asm_deadline = g_get_monotonic_time () + PACKET_TIMEOUT_MS * 1000;
  }
  if (conn->asm_got == conn->asm_len)
    {
      conn->assembling = FALSE;
      dispatch (conn, cid, conn->asm_cmd, conn->asm_buf, conn->asm_len);
    }
}

void
kv_connection_run (KvConnection *conn)
{
  guint8 report[KV_CTAPHID_REPORT_LEN];

  kv_log ("connection %u: opened", conn->id);
  for (;;)
    {
      int timeout_ms = -1;
      int r;

      if (conn->assembling)
        {
          gint64 left = conn->asm_deadline - g_get_monotonic_time ();
          timeout_ms = left <= 0 ? 0 : (int) ((left + 999) / 1000);
        }
      r = read_report (conn, report, timeout_ms);
      if (r < 0)
        break;
      if (r == 0)
        {
          if (conn->assembling && g_get_monotonic_time () >= conn->asm_deadline)
            {
              conn->assembling = FALSE;
              send_error (conn, conn->asm_cid, ERR_MSG_TIMEOUT);
            }
          continue;
        }
      handle_report (conn, report);
    }
  kv_log ("connection %u: closed", conn->id);
}

void
kv_connection_free (KvConnection *conn)
{
  if (conn != NULL)
    {
      close (conn->fd);
      kv_ctap_session_free (conn->ctap);
      g_array_unref (conn->cids);
      g_free (conn);
    }
}

/* User presence */

/* While a request waits, the client may only cancel it or re-synchronise its channel; other
 * channels are told the key is busy. KV_PRESENCE_OK here means "keep waiting". */
static KvPresenceResult
handle_report_while_busy (KvConnection *conn,
                          const guint8  report[KV_CTAPHID_REPORT_LEN])
{
  guint32 cid = report_cid (report);
  guint8 cmd = report[4] & 0x7f;

  if (!(report[4] & 0x80))
    return KV_PRESENCE_OK;  /* continuation packets of nothing we accept: ignored */

  if (cmd == CTAPHID_INIT)
    {
      handle_init (conn, cid, (gsize) report[5] << 8 | report[6], report + 7);
      return cid == conn->busy_cid ? KV_PRESENCE_ABORTED : KV_PRESENCE_OK;
    }
  if (cmd == CTAPHID_CANCEL && cid == conn->busy_cid)
    return KV_PRESENCE_CANCELLED;
  if (cid == 0 || cid == KV_CTAPHID_CID_BROADCAST || !channel_allocated (conn, cid))
    send_error (conn, cid, ERR_INVALID_CHANNEL);
  else
    send_error (conn, cid, ERR_CHANNEL_BUSY);
  return KV_PRESENCE_OK;
}

static void
log_message (gpointer    data,
             const char *format,
             va_list     args)
{
  KvConnection *conn = data;
  g_autofree char *message = g_strdup_vprintf (format, args);

  kv_log ("connection %u: %s", conn->id, message);
}

/* Waits for user presence as the key's mode says, sending KEEPALIVE and watching for CANCEL. */
static KvPresenceResult
wait_presence (gpointer data)
{
  KvConnection *conn = data;
  KvKey *key = conn->key;
  gint64 now = g_get_monotonic_time ();
  gint64 done_at, give_up_at, next_keepalive = now;
  KvPresenceResult result = KV_PRESENCE_TIMEOUT;
  guint8 report[KV_CTAPHID_REPORT_LEN];

  if (key->presence_delay_ms == 0 && key->presence == KV_PRESENCE_AUTO)
    return KV_PRESENCE_OK;
  if (key->presence_delay_ms == 0 && key->presence == KV_PRESENCE_DENY)
    {
      kv_log ("connection %u: user presence refused (--presence deny)", conn->id);
      return KV_PRESENCE_DENIED;
    }

  done_at = now + (gint64) key->presence_delay_ms * 1000;
  give_up_at = now + (gint64) key->touch_timeout_ms * 1000;
  if (key->presence == KV_PRESENCE_MANUAL)
    {
      kv_log ("connection %u: waiting for a touch (keyturn-virtual-key touch)", conn->id);
      kv_key_add_touch_waiter (key);
    }

  for (;;)
    {
      int r;

      now = g_get_monotonic_time ();
      if (key->presence == KV_PRESENCE_MANUAL && kv_key_take_touch (key))
        {
          result = KV_PRESENCE_OK;
          break;
        }
      if (key->presence != KV_PRESENCE_MANUAL && now >= done_at)
        {
          result = key->presence == KV_PRESENCE_AUTO ? KV_PRESENCE_OK : KV_PRESENCE_DENIED;
          break;
        }
      if (now >= give_up_at)
        {
          result = KV_PRESENCE_TIMEOUT;
          break;
        }
      if (now >= next_keepalive)
        {
          send_keepalive (conn, KEEPALIVE_UPNEEDED);
          next_keepalive = now + KEEPALIVE_EVERY_MS * 1000;
        }

      /* Short polls: a touch arrives through another thread and is noticed within 20 ms. */
      r = read_report (conn, report, 20);
      if (r < 0)
        {
          result = KV_PRESENCE_ABORTED;
          break;
        }
      if (r > 0)
        {
          KvPresenceResult interrupt = handle_report_while_busy (conn, report);
          if (interrupt != KV_PRESENCE_OK)
            {
              result = interrupt;
              break;
            }
        }
    }

  if (key->presence == KV_PRESENCE_MANUAL)
    kv_key_remove_touch_waiter (key);

  switch (result)
    {
    case KV_PRESENCE_OK:
      kv_log ("connection %u: user present", conn->id);
      break;
    case KV_PRESENCE_DENIED:
      kv_log ("connection %u: user presence refused (--presence deny)", conn->id);
      break;
    case KV_PRESENCE_TIMEOUT:
      kv_log ("connection %u: no touch within %u ms", conn->id, key->touch_timeout_ms);
      break;
    case KV_PRESENCE_CANCELLED:
      kv_log ("connection %u: cancelled by the client", conn->id);
      break;
    case KV_PRESENCE_ABORTED:
      kv_log ("connection %u: request abandoned (channel re-synchronised or closed)", conn->id);
      break;
    default:
      break;
    }
  return result;
}
