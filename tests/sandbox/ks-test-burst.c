/* ks-test-burst.c: many HTTP requests at once over loopback, each on its own connection, with a
 * count of every one that got no whole answer
 *
 * One thread polls every connection: the connections really are opened at once, as a burst of
 * clients opens them, and a thread per client would measure the scheduler instead.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-test-burst.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum {
  CLIENT_CONNECTING,
  CLIENT_WRITING,
  CLIENT_READING,
  CLIENT_DONE,
} ClientState;

typedef struct {
  int          fd;
  ClientState  state;
  const char  *request;
  gsize        written;
  GString     *response;
} Client;

char *
ks_test_burst_request (const char *method,
                       const char *path,
                       const char *body)
{
  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n%s",
                          method, path, body != NULL ? strlen (body) : 0,
                          body != NULL ? body : "");
}

/* The status of a whole answer (read to the end), 0 when it is not one. A server killed while it
 * writes closes the connection too: only a body of its declared length is whole. */
static guint
parse_status (GString     *response,
              const char **body)
{
  const char *end = strstr (response->str, "\r\n\r\n");
  g_autofree char *head = NULL;
  const char *length;

  if (end == NULL || !g_str_has_prefix (response->str, "HTTP/1.1 ") || response->len < 12)
    return 0;
  head = g_ascii_strdown (response->str, end - response->str);
  length = strstr (head, "\r\ncontent-length:");
  if (length != NULL
      && g_ascii_strtoull (length + strlen ("\r\ncontent-length:"), NULL, 10)
         != (guint64) (response->str + response->len - (end + 4)))
    return 0;
  *body = end + 4;
  return g_ascii_strtoull (response->str + 9, NULL, 10);
}

static void
finish (Client       *client,
        guint        *failure)
{
  if (failure != NULL)
    (*failure)++;
  client->state = CLIENT_DONE;
  close (client->fd);
  client->fd = -1;
}

void
ks_test_burst (guint16       port,
               GPtrArray    *requests,
               double        timeout_s,
               guint        *statuses,
               GPtrArray    *bodies,
               KsBurstCount *count)
{
  guint n = requests->len;
  g_autofree Client *clients = g_new0 (Client, n);
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, n);
  g_autofree guint *index = g_new0 (guint, n);
  struct sockaddr_in address = { 0 };
  struct rlimit limit;
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) (timeout_s * G_USEC_PER_SEC);
  guint active = 0;

  memset (count, 0, sizeof *count);
  memset (statuses, 0, n * sizeof *statuses);
  /* A burst needs a descriptor per client. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }

  address.sin_family = AF_INET;
  address.sin_port = g_htons (port);
  address.sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);

  for (guint i = 0; i < n; i++)
    {
      Client *client = &clients[i];

      client->request = g_ptr_array_index (requests, i);
      client->response = g_string_new (NULL);
      client->state = CLIENT_CONNECTING;
      count->sent++;
      client->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (client->fd < 0)
        {
          client->state = CLIENT_DONE;
          count->refused++;
          continue;
        }
      if (connect (client->fd, (struct sockaddr *) &address, sizeof address) != 0
          && errno != EINPROGRESS)
        finish (client, &count->refused);
      else
        active++;
    }

  while (active > 0)
    {
      gint64 now = g_get_monotonic_time ();
      guint nfds = 0;
      int ready;

      if (now >= deadline)
        break;
      for (guint i = 0; i < n; i++)
        {
          if (clients[i].state == CLIENT_DONE)
            continue;
          fds[nfds].fd = clients[i].fd;
          fds[nfds].events = clients[i].state == CLIENT_READING ? POLLIN : POLLOUT;
          fds[nfds].revents = 0;
          index[nfds++] = i;
        }
      ready = poll (fds, nfds, (int) MAX ((deadline - now) / 1000, 1));
      if (ready < 0 && errno != EINTR)
        break;

      for (guint k = 0; ready > 0 && k < nfds; k++)
        {
          Client *client = &clients[index[k]];
          char buffer[16 * 1024];
          gssize got;

          if (fds[k].revents == 0)
            continue;

          if (client->state == CLIENT_CONNECTING)
            {
              int error = 0;
              socklen_t len = sizeof error;

              getsockopt (client->fd, SOL_SOCKET, SO_ERROR, &error, &len);
              if (error != 0)
                {
                  finish (client, &count->refused);
                  active--;
                  continue;
                }
              client->state = CLIENT_WRITING;
              if (g_get_monotonic_time () - start > G_USEC_PER_SEC)
                count->stalled++;
            }

          if (client->state == CLIENT_WRITING)
            {
              gsize len = strlen (client->request);

              got = send (client->fd, client->request + client->written, len - client->written,
                          MSG_NOSIGNAL);
              if (got < 0 && errno != EAGAIN && errno != EINTR)
                {
                  finish (client, &count->broken);
                  active--;
                  continue;
                }
              if (got > 0)
                client->written += got;
              if (client->written == len)
                client->state = CLIENT_READING;
              continue;
            }

          got = recv (client->fd, buffer, sizeof buffer, 0);
          if (got > 0)
            g_string_append_len (client->response, buffer, got);
          else if (got == 0)
            {
              const char *body = NULL;
              guint status = parse_status (client->response, &body);

              /* Connection: close: the answer is whole when the server closes. */
              statuses[index[k]] = status;
              if (status == 0)
                finish (client, &count->broken);
              else
                {
                  count->answered++;
                  if (status >= 500)
                    count->server_errors++;
                  finish (client, NULL);
                }
              active--;
            }
          else if (errno != EAGAIN && errno != EINTR)
            {
              finish (client, &count->broken);
              active--;
            }
        }
    }

  for (guint i = 0; i < n; i++)
    {
      const char *body = NULL;

      if (clients[i].state != CLIENT_DONE)
        finish (&clients[i], &count->timed_out);
      if (bodies != NULL)
        g_ptr_array_add (bodies, statuses[i] != 0 && parse_status (clients[i].response, &body) != 0
                                 ? g_strdup (body) : NULL);
      g_string_free (clients[i].response, TRUE);
    }
  count->seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

void
ks_test_burst_read_codes (const char *outbox,
                          GHashTable *seen,
                          GHashTable *codes)
{
  GDir *dir = g_dir_open (outbox, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      const char *to, *code;

      if (!g_str_has_suffix (name, ".eml") || g_hash_table_contains (seen, name))
        continue;
      path = g_build_filename (outbox, name, NULL);
      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      g_hash_table_add (seen, g_strdup (name));
      to = strstr (text, "\r\nTo: <");
      code = strstr (text, "\r\nX-Keyturn-Code: ");
      g_assert_nonnull (to);
      g_assert_nonnull (code);
      to += strlen ("\r\nTo: <");
      code += strlen ("\r\nX-Keyturn-Code: ");
      g_hash_table_insert (codes, g_strndup (to, strcspn (to, ">")), g_strndup (code, 6));
    }
  g_dir_close (dir);
}
