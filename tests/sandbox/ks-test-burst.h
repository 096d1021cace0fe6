/* ks-test-burst.h: many HTTP requests at once over loopback, each on its own connection, with a
 * count of every one that got no whole answer
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint  sent;
  guint  answered;                    /* a whole HTTP response came back */
  guint  refused;                     /* the connection could not be made */
  guint  stalled;                     /* its handshake took over a second: a SYN was dropped */
  guint  broken;                      /* reset or closed before a whole answer */
  guint  timed_out;
  guint  server_errors;               /* answered 5xx */
  double seconds;
} KsBurstCount;

/* Requests that got no answer (refused, broken or timed out), or waited on a dropped handshake:
 * a full listen queue drops SYNs, and the client retries a second later at the earliest, so the
 * stall is counted whatever the machine's load. */
#define KS_BURST_FAILURES(count) \
  ((count)->refused + (count)->stalled + (count)->broken + (count)->timed_out)

/* A whole HTTP/1.1 request with Connection: close; @body (JSON) may be NULL. */
char *ks_test_burst_request (const char *method,
                             const char *path,
                             const char *body);

/* Sends each of @requests on its own connection to 127.0.0.1:@port, all at once, and reads
 * every answer, giving up after @timeout_s. @statuses[i] is the status answered (0 for none);
 * @bodies, when not NULL, gets each answer's body (NULL for none) in order. */
void  ks_test_burst         (guint16       port,
                             GPtrArray    *requests,
                             double        timeout_s,
                             guint        *statuses,
                             GPtrArray    *bodies,
                             KsBurstCount *count);

/* Adds email -> code for every email in @outbox not in @seen (file names) yet: one pass over the
 * folder for a whole burst, rather than one per address. */
void  ks_test_burst_read_codes (const char *outbox,
                                GHashTable *seen,
                                GHashTable *codes);

G_END_DECLS
