/* test-ctaphid.c: raw CTAPHID reports and hand-made CTAP2 requests sent to keyturn-virtual-key:
 * framing errors, busy channels, re-synchronisation, keepalive and cancel, malformed CBOR
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <cbor.h>
#include <errno.h>
#include <glib.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kt-cose.h"
#include "kv-pin.h"
#include "kv-test-key.h"

#define REPORT      64
#define BROADCAST   0xffffffffu
#define CMD_PING    0x01
#define CMD_MSG     0x03
#define CMD_INIT    0x06
#define CMD_WINK    0x08
#define CMD_CBOR    0x10
#define CMD_CANCEL  0x11
#define CMD_KEEPALIVE 0x3b
#define CMD_ERROR   0x3f

static void
cbor_item_unref (cbor_item_t *item)
{
  cbor_decref (&item);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cbor_item_t, cbor_item_unref)

typedef struct {
  KvTestKey *key;
  int        fd;
} Fixture;

static int
raw_connect (KvTestKey *key)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_strlcpy (addr.sun_path, key->socket, sizeof addr.sun_path);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  return fd;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  if (data != NULL)
    f->key = kv_test_key_start (NULL, "--presence", "manual", NULL);
  else
    f->key = kv_test_key_start (NULL, NULL);
  f->fd = raw_connect (f->key);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  close (f->fd);
  kv_test_key_stop (f->key);
  kv_test_key_free (f->key);
}

static void
put_cid (guint8  *p,
         guint32  cid)
{
  p[0] = cid >> 24;
  p[1] = cid >> 16;
  p[2] = cid >> 8;
  p[3] = cid;
}

static guint32
get_cid (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
send_report (int           fd,
             const guint8 *report)
{
  g_assert_cmpint (send (fd, report, REPORT, MSG_NOSIGNAL), ==, REPORT);
}

/* An initialisation packet announcing @len bytes, carrying the first of @data. */
static void
send_init_packet (int           fd,
                  guint32       cid,
                  guint8        cmd,
                  gsize         len,
                  const guint8 *data,
                  gsize         data_len)
{
  guint8 report[REPORT] = { 0 };

  put_cid (report, cid);
  report[4] = 0x80 | cmd;
  report[5] = len >> 8;
  report[6] = len & 0xff;
  if (data_len > 0)
    memcpy (report + 7, data, MIN (data_len, REPORT - 7));
  send_report (fd, report);
}

static void
send_cont_packet (int           fd,
                  guint32       cid,
                  guint8        seq,
                  const guint8 *data,
                  gsize         data_len)
{
  guint8 report[REPORT] = { 0 };

  put_cid (report, cid);
  report[4] = seq;
  if (data_len > 0)
    memcpy (report + 5, data, MIN (data_len, REPORT - 5));
  send_report (fd, report);
}

static void
send_message (int           fd,
              guint32       cid,
              guint8        cmd,
              const guint8 *data,
              gsize         len)
{
  gsize off = MIN (len, REPORT - 7);

  send_init_packet (fd, cid, cmd, len, data, off);
  for (guint8 seq = 0; off < len; seq++, off += REPORT - 5)
    send_cont_packet (fd, cid, seq, data + off, len - off);
}

static gboolean
recv_report (int     fd,
             guint8 *report,
             int     timeout_ms)
{
  gsize got = 0;

  while (got < REPORT)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      ssize_t n;

      if (poll (&pfd, 1, timeout_ms) <= 0)
        return FALSE;
      n = read (fd, report + got, REPORT - got);
      g_assert_cmpint (n, >, 0);
      got += (gsize) n;
    }
  return TRUE;
}

typedef struct {
  guint32     cid;
  guint8      cmd;
  GByteArray *data;
} Message;

static void
message_clear (Message *m)
{
  g_clear_pointer (&m->data, g_byte_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Message, message_clear)

/* Receives one whole message; KEEPALIVE is returned like any other. FALSE on silence. */
static gboolean
recv_message (int      fd,
              Message *m,
              int      timeout_ms)
{
  guint8 report[REPORT];
  gsize len;

  message_clear (m);
  if (!recv_report (fd, report, timeout_ms))
    return FALSE;
  g_assert_true (report[4] & 0x80);
  m->cid = get_cid (report);
  m->cmd = report[4] & 0x7f;
  len = (gsize) report[5] << 8 | report[6];
  m->data = g_byte_array_new ();
  g_byte_array_append (m->data, report + 7, MIN (len, REPORT - 7));
  for (guint8 seq = 0; m->data->len < len; seq++)
    {
      g_assert_true (recv_report (fd, report, 1000));
      g_assert_cmpuint (get_cid (report), ==, m->cid);
      g_assert_cmpuint (report[4], ==, seq);
      g_byte_array_append (m->data, report + 5, MIN (len - m->data->len, REPORT - 5));
    }
  return TRUE;
}

static void
expect_error (int     fd,
              guint32 cid,
              guint8  code)
{
  g_auto(Message) m = { 0 };

  g_assert_true (recv_message (fd, &m, 2000));
  g_assert_cmpuint (m.cid, ==, cid);
  g_assert_cmpuint (m.cmd, ==, CMD_ERROR);
  g_assert_cmpuint (m.data->len, ==, 1);
  g_assert_cmphex (m.data->data[0], ==, code);
}

static void
expect_silence (int fd,
                int ms)
{
  guint8 report[REPORT];

  g_assert_false (recv_report (fd, report, ms));
}

static guint32
open_channel (int fd)
{
  g_auto(Message) m = { 0 };
  guint8 nonce[8];
  guint32 cid;

  kv_test_random (nonce, sizeof nonce);
  send_message (fd, BROADCAST, CMD_INIT, nonce, sizeof nonce);
  g_assert_true (recv_message (fd, &m, 2000));
  g_assert_cmpuint (m.cid, ==, BROADCAST);
  g_assert_cmpuint (m.cmd, ==, CMD_INIT);
  g_assert_cmpuint (m.data->len, ==, 17);
  g_assert_cmpmem (m.data->data, 8, nonce, 8);
  cid = get_cid (m.data->data + 8);
  g_assert_cmpuint (cid, !=, 0);
  g_assert_cmpuint (cid, !=, BROADCAST);
  g_assert_cmpuint (m.data->data[12], ==, 2);           /* CTAPHID protocol version */
  g_assert_cmpuint (m.data->data[16] & 0x04, ==, 0x04); /* CBOR */
  g_assert_cmpuint (m.data->data[16] & 0x08, ==, 0x08); /* no CTAP1 MSG */
  return cid;
}

static void
ping (int      fd,
      guint32  cid,
      gsize    len)
{
  g_autofree guint8 *data = g_malloc (len + 1);
  g_auto(Message) m = { 0 };

  kv_test_random (data, len + 1);
  send_message (fd, cid, CMD_PING, data, len);
  g_assert_true (recv_message (fd, &m, 2000));
  g_assert_cmpuint (m.cid, ==, cid);
  g_assert_cmpuint (m.cmd, ==, CMD_PING);
  g_assert_cmpmem (m.data->data, m.data->len, data, len);
}

/* Sends a CTAP2 command and returns its status; @out, if given, gets the CBOR after it. */
static guint8
ctap (int           fd,
      guint32       cid,
      const guint8 *request,
      gsize         len,
      GByteArray  **out)
{
  g_auto(Message) m = { 0 };

  send_message (fd, cid, CMD_CBOR, request, len);
  do
    g_assert_true (recv_message (fd, &m, 5000));
  while (m.cmd == CMD_KEEPALIVE);
  g_assert_cmpuint (m.cid, ==, cid);
  g_assert_cmpuint (m.cmd, ==, CMD_CBOR);
  g_assert_cmpuint (m.data->len, >=, 1);
  if (out != NULL)
    {
      *out = g_byte_array_new ();
      g_byte_array_append (*out, m.data->data + 1, m.data->len - 1);
    }
  return m.data->data[0];
}

static guint8
ctap_item (int          fd,
           guint32      cid,
           guint8       command,
           cbor_item_t *params,
           GByteArray **out)
{
  g_autoptr(GByteArray) request = g_byte_array_new ();
  guint8 *buf = NULL;
  size_t size = 0, len = 0;

  g_byte_array_append (request, &command, 1);
  if (params != NULL)
    {
      len = cbor_serialize_alloc (params, &buf, &size);
      g_assert_cmpuint (len, >, 0);
      g_byte_array_append (request, buf, (guint) len);
      free (buf);
    }
  return ctap (fd, cid, request->data, request->len, out);
}

/* Framing */

static void
test_init (Fixture       *f,
           gconstpointer  data)
{
  guint32 a = open_channel (f->fd);
  guint32 b = open_channel (f->fd);

  g_assert_cmpuint (a, !=, b);
  ping (f->fd, a, 0);
  ping (f->fd, a, 20);
  ping (f->fd, b, 300);   /* several packets each way */
  ping (f->fd, b, 7609);  /* the largest message there is */
}

static void
test_bad_channel (Fixture       *f,
                  gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  guint8 nonce[8] = { 0 };

  send_message (f->fd, cid + 1000, CMD_PING, (const guint8 *) "x", 1);
  expect_error (f->fd, cid + 1000, 0x0b);
  send_message (f->fd, BROADCAST, CMD_PING, (const guint8 *) "x", 1);
  expect_error (f->fd, BROADCAST, 0x0b);
  send_message (f->fd, 0, CMD_PING, (const guint8 *) "x", 1);
  expect_error (f->fd, 0, 0x0b);
  send_message (f->fd, 0, CMD_INIT, nonce, sizeof nonce);
  expect_error (f->fd, 0, 0x0b);
  /* A channel belongs to the connection that opened it. */
  {
    int other = raw_connect (f->key);

    send_message (other, cid, CMD_PING, (const guint8 *) "x", 1);
    expect_error (other, cid, 0x0b);
    close (other);
  }
  ping (f->fd, cid, 10);
}

static void
test_bad_sequence (Fixture       *f,
                   gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  guint8 payload[200] = { 0 };

  send_init_packet (f->fd, cid, CMD_PING, sizeof payload, payload, sizeof payload);
  send_cont_packet (f->fd, cid, 1, payload, sizeof payload);  /* 0 expected */
  expect_error (f->fd, cid, 0x04);

  /* A new message on the same channel before the last is complete. */
  send_init_packet (f->fd, cid, CMD_PING, sizeof payload, payload, sizeof payload);
  send_init_packet (f->fd, cid, CMD_PING, 4, payload, 4);
  expect_error (f->fd, cid, 0x04);
  ping (f->fd, cid, 100);
}

static void
test_invalid_length (Fixture       *f,
                     gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  guint8 zero[8] = { 0 };

  send_init_packet (f->fd, cid, CMD_PING, 7610, zero, sizeof zero);
  expect_error (f->fd, cid, 0x03);
  send_message (f->fd, BROADCAST, CMD_INIT, zero, 7);
  expect_error (f->fd, BROADCAST, 0x03);
  send_message (f->fd, cid, CMD_CBOR, NULL, 0);
  expect_error (f->fd, cid, 0x03);
  send_message (f->fd, cid, CMD_WINK, zero, 1);
  expect_error (f->fd, cid, 0x03);
  ping (f->fd, cid, 10);
}

static void
test_busy (Fixture       *f,
           gconstpointer  data)
{
  guint32 a = open_channel (f->fd);
  guint32 b = open_channel (f->fd);
  guint8 payload[100];
  g_auto(Message) m = { 0 };

  kv_test_random (payload, sizeof payload);
  send_init_packet (f->fd, a, CMD_PING, sizeof payload, payload, sizeof payload);
  send_message (f->fd, b, CMD_PING, (const guint8 *) "b", 1);
  expect_error (f->fd, b, 0x06);
  /* A's message goes on undisturbed. */
  send_cont_packet (f->fd, a, 0, payload + 57, sizeof payload - 57);
  g_assert_true (recv_message (f->fd, &m, 2000));
  g_assert_cmpuint (m.cid, ==, a);
  g_assert_cmpmem (m.data->data, m.data->len, payload, sizeof payload);
  ping (f->fd, b, 10);
}

static void
test_resync (Fixture       *f,
             gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  guint8 payload[100] = { 0 };
  guint8 nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  g_auto(Message) m = { 0 };

  send_init_packet (f->fd, cid, CMD_PING, sizeof payload, payload, sizeof payload);
  send_message (f->fd, cid, CMD_INIT, nonce, sizeof nonce);
  g_assert_true (recv_message (f->fd, &m, 2000));
  g_assert_cmpuint (m.cid, ==, cid);
  g_assert_cmpuint (m.cmd, ==, CMD_INIT);
  g_assert_cmpmem (m.data->data, 8, nonce, 8);
  g_assert_cmpuint (get_cid (m.data->data + 8), ==, cid);  /* the same channel, kept */
  /* The abandoned message's continuation is now a stray packet: ignored. */
  send_cont_packet (f->fd, cid, 0, payload, sizeof payload);
  expect_silence (f->fd, 100);
  ping (f->fd, cid, 100);
}

static void
test_message_timeout (Fixture       *f,
                      gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  guint8 payload[100] = { 0 };
  gint64 start = g_get_monotonic_time ();

  send_init_packet (f->fd, cid, CMD_PING, sizeof payload, payload, sizeof payload);
  expect_error (f->fd, cid, 0x05);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 400);
  ping (f->fd, cid, 100);
}

static void
test_commands (Fixture       *f,
               gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  g_auto(Message) m = { 0 };

  send_message (f->fd, cid, 0x55, NULL, 0);
  expect_error (f->fd, cid, 0x01);
  send_message (f->fd, cid, CMD_MSG, (const guint8 *) "\x00\x03\x00\x00", 4);
  expect_error (f->fd, cid, 0x01);
  send_message (f->fd, cid, CMD_WINK, NULL, 0);
  g_assert_true (recv_message (f->fd, &m, 2000));
  g_assert_cmpuint (m.cmd, ==, CMD_WINK);
  g_assert_cmpuint (m.data->len, ==, 0);
  /* CANCEL with nothing running is not answered. */
  send_message (f->fd, cid, CMD_CANCEL, NULL, 0);
  expect_silence (f->fd, 100);
  ping (f->fd, cid, 10);
}

/* Keepalive and cancel, seen on the wire (manual presence) */

static void
test_keepalive_and_cancel (Fixture       *f,
                           gconstpointer  data)
{
  guint32 a = open_channel (f->fd);
  guint32 b = open_channel (f->fd);
  guint8 selection = 0x0b;
  g_auto(Message) m = { 0 };
  gint64 first;

  send_message (f->fd, a, CMD_CBOR, &selection, 1);
  g_assert_true (recv_message (f->fd, &m, 1000));
  g_assert_cmpuint (m.cid, ==, a);
  g_assert_cmpuint (m.cmd, ==, CMD_KEEPALIVE);
  g_assert_cmpuint (m.data->data[0], ==, 2);  /* UP needed */
  first = g_get_monotonic_time ();
  g_assert_true (recv_message (f->fd, &m, 1000));
  g_assert_cmpuint (m.cmd, ==, CMD_KEEPALIVE);
  g_assert_cmpint ((g_get_monotonic_time () - first) / 1000, <, 300);

  /* Another channel is told the key is busy. */
  send_message (f->fd, b, CMD_PING, (const guint8 *) "b", 1);
  do
    g_assert_true (recv_message (f->fd, &m, 1000));
  while (m.cmd == CMD_KEEPALIVE);
  g_assert_cmpuint (m.cid, ==, b);
  g_assert_cmpuint (m.cmd, ==, CMD_ERROR);
  g_assert_cmphex (m.data->data[0], ==, 0x06);

  send_message (f->fd, a, CMD_CANCEL, NULL, 0);
  do
    g_assert_true (recv_message (f->fd, &m, 1000));
  while (m.cmd == CMD_KEEPALIVE);
  g_assert_cmpuint (m.cid, ==, a);
  g_assert_cmpuint (m.cmd, ==, CMD_CBOR);
  g_assert_cmphex (m.data->data[0], ==, 0x2d);  /* CTAP2_ERR_KEEPALIVE_CANCEL */
  ping (f->fd, b, 10);
}

static gpointer
touch_thread (gpointer data)
{
  return GINT_TO_POINTER (kv_test_key_touch (data, 5000));
}

static void
test_selection_touched (Fixture       *f,
                        gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  guint8 selection = 0x0b;
  GThread *thread = g_thread_new ("touch", touch_thread, f->key);

  g_assert_cmphex (ctap (f->fd, cid, &selection, 1, NULL), ==, 0x00);
  g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (thread)), ==, 0);
}

/* Malformed and refused CTAP2 requests */

static void
map_add (cbor_item_t *map,
         cbor_item_t *key,
         cbor_item_t *value)
{
  g_assert_true (cbor_map_add (map, (struct cbor_pair) { cbor_move (key), cbor_move (value) }));
}

static cbor_item_t *
key_int (int value)
{
  guint magnitude = value >= 0 ? (guint) value : (guint) (-1 - value);
  cbor_item_t *item = magnitude <= G_MAXUINT8 ? cbor_build_uint8 ((guint8) magnitude)
                                             : cbor_build_uint16 ((guint16) magnitude);

  if (value < 0)
    cbor_mark_negint (item);
  return item;
}

/* A makeCredential request with @cdh_len bytes of hash and the given algorithm. */
static cbor_item_t *
make_credential_params (gsize cdh_len,
                        int   alg)
{
  cbor_item_t *map = cbor_new_definite_map (6);
  cbor_item_t *rp = cbor_new_definite_map (1);
  cbor_item_t *user = cbor_new_definite_map (1);
  cbor_item_t *params = cbor_new_definite_array (1);
  cbor_item_t *param = cbor_new_definite_map (2);
  guint8 cdh[64] = { 0 };

  map_add (rp, cbor_build_string ("id"), cbor_build_string (RP_ID));
  map_add (user, cbor_build_string ("id"), cbor_build_bytestring ((const guint8 *) "u", 1));
  map_add (param, cbor_build_string ("alg"), key_int (alg));
  map_add (param, cbor_build_string ("type"), cbor_build_string ("public-key"));
  g_assert_true (cbor_array_push (params, cbor_move (param)));
  map_add (map, key_int (1), cbor_build_bytestring (cdh, cdh_len));
  map_add (map, key_int (2), rp);
  map_add (map, key_int (3), user);
  map_add (map, key_int (4), params);
  return map;
}

static void
test_malformed_cbor (Fixture       *f,
                     gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);

  /* Not CBOR at all, or cut short. */
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x01\xff", 2, NULL), ==, 0x12);
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x01\xa1\x01", 3, NULL), ==, 0x12);
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x02\x5a\xff\xff\xff\xff", 6, NULL), ==,
                   0x12);
  /* Headers that promise more items than the request holds: refused before any allocation. */
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x06\xa1\x01\x9a\x44\x01\x2d\x38", 8, NULL),
                   ==, 0x12);
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x01\xbb\x10\x00\x00\x00\x00\x00\x00\x00",
                         10, NULL), ==, 0x12);
  /* Indefinite lengths are not canonical CTAP2 CBOR. */
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x06\xbf\x01\x01\xff", 5, NULL), ==, 0x12);
  /* Valid CBOR of the wrong shape. */
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x01\x80", 2, NULL), ==, 0x11);
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x01\xa0", 2, NULL), ==, 0x14);
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x01", 1, NULL), ==, 0x14);
  /* Trailing bytes after the parameters. */
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x06\xa0\x00", 3, NULL), ==, 0x12);
  /* Unknown CTAP command; getNextAssertion with nothing pending. */
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x55", 1, NULL), ==, 0x01);
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x08", 1, NULL), ==, 0x30);

  /* Deep nesting must not bring the key down. */
  {
    guint8 deep[4000];

    deep[0] = 0x01;
    memset (deep + 1, 0x81, sizeof deep - 1);
    g_assert_cmphex (ctap (f->fd, cid, deep, sizeof deep, NULL), !=, 0x00);
  }

  /* makeCredential parameters of the wrong type, length or value. */
  {
    g_autoptr(cbor_item_t) ok = make_credential_params (32, -7);
    g_autoptr(cbor_item_t) short_hash = make_credential_params (31, -7);
    g_autoptr(cbor_item_t) rs256 = make_credential_params (32, -257);
    g_autoptr(cbor_item_t) text_hash = cbor_new_definite_map (1);
    g_autoptr(cbor_item_t) up_false = make_credential_params (32, -7);
    cbor_item_t *options = cbor_new_definite_map (1);

    g_assert_cmphex (ctap_item (f->fd, cid, 0x01, ok, NULL), ==, 0x00);
    g_assert_cmphex (ctap_item (f->fd, cid, 0x01, short_hash, NULL), ==, 0x03);
    g_assert_cmphex (ctap_item (f->fd, cid, 0x01, rs256, NULL), ==, 0x26);
    map_add (text_hash, key_int (1), cbor_build_string ("not bytes"));
    g_assert_cmphex (ctap_item (f->fd, cid, 0x01, text_hash, NULL), ==, 0x11);
    map_add (options, cbor_build_string ("up"), cbor_build_bool (false));
    map_add (up_false, key_int (7), options);
    g_assert_cmphex (ctap_item (f->fd, cid, 0x01, up_false, NULL), ==, 0x2c);
  }

  /* getAssertion without its client data hash. */
  {
    g_autoptr(cbor_item_t) ga = cbor_new_definite_map (1);

    map_add (ga, key_int (1), cbor_build_string (RP_ID));
    g_assert_cmphex (ctap_item (f->fd, cid, 0x02, ga, NULL), ==, 0x14);
  }

  /* clientPIN: no subcommand, an unknown one, an unknown protocol. */
  {
    g_autoptr(cbor_item_t) none = cbor_new_definite_map (1);
    g_autoptr(cbor_item_t) unknown = cbor_new_definite_map (2);
    g_autoptr(cbor_item_t) protocol = cbor_new_definite_map (2);

    map_add (none, key_int (1), key_int (2));
    g_assert_cmphex (ctap_item (f->fd, cid, 0x06, none, NULL), ==, 0x14);
    map_add (unknown, key_int (1), key_int (2));
    map_add (unknown, key_int (2), key_int (0x42));
    g_assert_cmphex (ctap_item (f->fd, cid, 0x06, unknown, NULL), ==, 0x3e);
    map_add (protocol, key_int (1), key_int (3));
    map_add (protocol, key_int (2), key_int (2));
    g_assert_cmphex (ctap_item (f->fd, cid, 0x06, protocol, NULL), ==, 0x02);
  }

  /* After all that the key still answers. */
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x04", 1, NULL), ==, 0x00);
}

/* Random bytes after each command: any status will do, as long as the key lives on. */
static void
test_random_requests (Fixture       *f,
                      gconstpointer  data)
{
  guint32 cid = open_channel (f->fd);
  const guint8 commands[] = { 0x01, 0x02, 0x06, 0x07, 0x08, 0x0b };
  GRand *rand = g_rand_new_with_seed (4711);

  for (int i = 0; i < 300; i++)
    {
      guint8 request[200];
      gsize len = 1 + (gsize) g_rand_int_range (rand, 0, sizeof request - 1);

      for (gsize j = 0; j < len; j++)
        request[j] = (guint8) g_rand_int_range (rand, 0, 256);
      request[0] = commands[i % G_N_ELEMENTS (commands)];
      /* Keep well-formed maps common enough to reach the parameter checks. */
      if (len > 1 && i % 2 == 0)
        request[1] = 0xa0 | (request[1] & 0x07);
      if (g_test_verbose ())
        {
          g_autoptr(GString) hex = g_string_new (NULL);

          for (gsize j = 0; j < len; j++)
            g_string_append_printf (hex, "%02x", request[j]);
          g_test_message ("request %d: %s", i, hex->str);
        }
      ctap (f->fd, cid, request, len, NULL);
    }
  g_rand_free (rand);
  g_assert_cmphex (ctap (f->fd, cid, (const guint8 *) "\x04", 1, NULL), ==, 0x00);
}

/* getPinUvAuthTokenUsingPinWithPermissions, done by hand: libfido2 1.12 only asks getPinToken. */

static guint8
get_token (int          fd,
           guint32      cid,
           const char  *pin,
           guint64      permissions,
           const char  *rp_id,
           guint8       token[32])
{
  g_autoptr(cbor_item_t) req = cbor_new_definite_map (2);
  g_autoptr(cbor_item_t) reply = NULL;
  g_autoptr(cbor_item_t) tok_req = cbor_new_definite_map (6);
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(EVP_PKEY) platform = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) authenticator = NULL;
  g_autoptr(GBytes) pin_hash_enc = NULL;
  g_autoptr(GBytes) plain = NULL;
  struct cbor_load_result result;
  cbor_item_t *cose, *enc = NULL;
  guint8 point[65], digest[32];
  KvPinSecret secret;
  guint8 status;

  map_add (req, key_int (1), key_int (2));
  map_add (req, key_int (2), key_int (2));
  g_assert_cmphex (ctap_item (fd, cid, 0x06, req, &out), ==, 0);
  reply = cbor_load (out->data, out->len, &result);
  g_assert_nonnull (reply);
  cose = cbor_map_handle (reply)[0].value;
  point[0] = 0x04;
  for (gsize i = 0; i < cbor_map_size (cose); i++)
    {
      struct cbor_pair pair = cbor_map_handle (cose)[i];

      if (cbor_isa_negint (pair.key) && cbor_get_int (pair.key) == 1)
        memcpy (point + 1, cbor_bytestring_handle (pair.value), 32);
      if (cbor_isa_negint (pair.key) && cbor_get_int (pair.key) == 2)
        memcpy (point + 33, cbor_bytestring_handle (pair.value), 32);
    }
  authenticator = kt_p256_key_from_point (point, sizeof point, NULL);
  g_assert_nonnull (authenticator);
  g_assert_true (kv_pin_derive (2, platform, authenticator, &secret));

  SHA256 ((const guint8 *) pin, strlen (pin), digest);
  pin_hash_enc = kv_pin_encrypt (&secret, digest, 16);
  g_assert_true (kt_p256_public_point (platform, point, NULL));
  {
    cbor_item_t *key_agreement = cbor_new_definite_map (5);

    map_add (key_agreement, key_int (1), key_int (2));
    map_add (key_agreement, key_int (3), key_int (-25));
    map_add (key_agreement, key_int (-1), key_int (1));
    map_add (key_agreement, key_int (-2), cbor_build_bytestring (point + 1, 32));
    map_add (key_agreement, key_int (-3), cbor_build_bytestring (point + 33, 32));
    map_add (tok_req, key_int (1), key_int (2));
    map_add (tok_req, key_int (2), key_int (9));
    map_add (tok_req, key_int (3), key_agreement);
    map_add (tok_req, key_int (6), cbor_build_bytestring (g_bytes_get_data (pin_hash_enc, NULL),
                                                          g_bytes_get_size (pin_hash_enc)));
    map_add (tok_req, key_int (9), cbor_build_uint8 ((guint8) permissions));
    if (rp_id != NULL)
      map_add (tok_req, key_int (10), cbor_build_string (rp_id));
  }
  g_clear_pointer (&out, g_byte_array_unref);
  status = ctap_item (fd, cid, 0x06, tok_req, &out);
  if (status != 0)
    return status;

  g_clear_pointer (&reply, cbor_item_unref);
  reply = cbor_load (out->data, out->len, &result);
  g_assert_nonnull (reply);
  enc = cbor_map_handle (reply)[0].value;
  plain = kv_pin_decrypt (&secret, cbor_bytestring_handle (enc), cbor_bytestring_length (enc));
  g_assert_nonnull (plain);
  g_assert_cmpuint (g_bytes_get_size (plain), ==, 32);
  memcpy (token, g_bytes_get_data (plain, NULL), 32);
  return 0;
}

static guint8
get_assertion_with_token (int           fd,
                          guint32       cid,
                          const char   *rp_id,
                          const guint8  token[32],
                          GByteArray  **out)
{
  g_autoptr(cbor_item_t) ga = cbor_new_definite_map (4);
  guint8 cdh[32], mac[32];
  unsigned int mac_len = sizeof mac;

  kv_test_random (cdh, sizeof cdh);
  HMAC (EVP_sha256 (), token, 32, cdh, sizeof cdh, mac, &mac_len);
  map_add (ga, key_int (1), cbor_build_string (rp_id));
  map_add (ga, key_int (2), cbor_build_bytestring (cdh, sizeof cdh));
  map_add (ga, key_int (6), cbor_build_bytestring (mac, sizeof mac));
  map_add (ga, key_int (7), key_int (2));
  return ctap_item (fd, cid, 0x02, ga, out);
}

static void
test_token_permissions (Fixture       *f,
                        gconstpointer  data)
{
  guint32 cid;
  guint8 token[32];
  g_autoptr(GByteArray) out = NULL;

  {
    g_autoptr(fido_dev_t) dev = kv_test_key_open (f->key);
    g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", TRUE, NULL);

    assert_fido (fido_dev_set_pin (dev, "4711", NULL), FIDO_OK);
  }
  cid = open_channel (f->fd);

  /* Permissions the key does not offer, and ga without an RP id. */
  g_assert_cmphex (get_token (f->fd, cid, "4711", 0x04, RP_ID, token), ==, 0x40);
  g_assert_cmphex (get_token (f->fd, cid, "4711", 0x02, NULL, token), ==, 0x14);
  g_assert_cmphex (get_token (f->fd, cid, "0000", 0x02, RP_ID, token), ==, 0x31);

  g_assert_cmphex (get_token (f->fd, cid, "4711", 0x02, RP_ID, token), ==, 0x00);
  g_assert_cmphex (get_assertion_with_token (f->fd, cid, RP_ID, token, &out), ==, 0x00);
  {
    struct cbor_load_result result;
    g_autoptr(cbor_item_t) reply = cbor_load (out->data, out->len, &result);
    cbor_item_t *auth_data = NULL;

    for (gsize i = 0; i < cbor_map_size (reply); i++)
      if (cbor_get_int (cbor_map_handle (reply)[i].key) == 2)
        auth_data = cbor_map_handle (reply)[i].value;
    g_assert_nonnull (auth_data);
    g_assert_cmphex (cbor_bytestring_handle (auth_data)[32] & 0x05, ==, 0x05);  /* UP, UV */
  }
  /* The token is bound to its RP and its permissions. */
  g_assert_cmphex (get_assertion_with_token (f->fd, cid, "other.example", token, NULL), ==, 0x40);
  {
    g_autoptr(cbor_item_t) mc = make_credential_params (32, -7);
    guint8 mac[32], cdh[32] = { 0 };
    unsigned int mac_len = sizeof mac;

    HMAC (EVP_sha256 (), token, 32, cdh, sizeof cdh, mac, &mac_len);
    map_add (mc, key_int (8), cbor_build_bytestring (mac, sizeof mac));
    map_add (mc, key_int (9), key_int (2));
    g_assert_cmphex (ctap_item (f->fd, cid, 0x01, mc, NULL), ==, 0x40);
  }
  /* A tampered pinUvAuthParam is refused. */
  token[0] ^= 1;
  g_assert_cmphex (get_assertion_with_token (f->fd, cid, RP_ID, token, NULL), ==, 0x33);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fido_init (0);

#define ADD(path, data, func) \
  g_test_add ("/virtual-key/ctaphid/" path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("init-and-ping", NULL, test_init);
  ADD ("bad-channel", NULL, test_bad_channel);
  ADD ("bad-sequence", NULL, test_bad_sequence);
  ADD ("invalid-length", NULL, test_invalid_length);
  ADD ("busy", NULL, test_busy);
  ADD ("resync", NULL, test_resync);
  ADD ("message-timeout", NULL, test_message_timeout);
  ADD ("commands", NULL, test_commands);
  ADD ("keepalive-and-cancel", "manual", test_keepalive_and_cancel);
  ADD ("selection-touched", "manual", test_selection_touched);
  ADD ("malformed-cbor", NULL, test_malformed_cbor);
  ADD ("random-requests", NULL, test_random_requests);
  ADD ("token-permissions", NULL, test_token_permissions);
#undef ADD

  return g_test_run ();
}
