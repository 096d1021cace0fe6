/* bench-startup.c: time to first frame and peak RSS of two GTK programs, started in turns
 *
 * bench-startup --preload SHIM --keyturn CMD [--ready-type TYPE] --bare CMD [--count N]
 *
 * Each run: the clock is read, the program is forked and exec'd with SHIM (kt-first-frame)
 * preloaded and a pipe named by KT_BENCH_FRAME_FD; the shim writes the CLOCK_MONOTONIC time of
 * the first frame and of the first "ready" frame, then quits the program; wait4() gives its
 * ru_maxrss, and its CPU time (user and system) from start to exit. keyturn's ready frame is the first that shows a widget of TYPE; the bare window's is
 * its first frame. The two alternate, after one start of each that is not counted (it pays for
 * the page cache). Prints key=value lines: medians, quartiles and extremes of each figure.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt-bench-stats.h"

#define TIMEOUT_MS 30000

typedef struct
{
  const char  *name;
  char       **argv;
  char       **envp;
  GArray      *first_ms;
  GArray      *ready_ms;
  GArray      *rss_mib;
  GArray      *cpu_ms;
} Program;

static gint64
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Reads the shim's lines until "ready" or the end of the pipe; FALSE on timeout. */
static gboolean
read_report (int     fd,
             gint64 *first,
             gint64 *ready)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gint64 deadline = now_us () + (gint64) TIMEOUT_MS * 1000;

  *first = *ready = -1;
  while (*ready < 0)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left_ms = (deadline - now_us ()) / 1000;
      char buffer[256];
      ssize_t got;
      char *newline;

      if (left_ms <= 0 || poll (&pfd, 1, (int) left_ms) == 0)
        return FALSE;
      got = read (fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return TRUE;
      g_string_append_len (text, buffer, got);
      while ((newline = strchr (text->str, '\n')) != NULL)
        {
          g_autofree char *line = g_strndup (text->str, newline - text->str);

          g_string_erase (text, 0, newline - text->str + 1);
          if (g_str_has_prefix (line, "first "))
            *first = g_ascii_strtoll (line + 6, NULL, 10);
          else if (g_str_has_prefix (line, "ready "))
            *ready = g_ascii_strtoll (line + 6, NULL, 10);
        }
    }
  return TRUE;
}

static gboolean
run_once (Program  *program,
          gboolean  counted,
          GError  **error)
{
  int fds[2];
  gint64 start, first, ready;
  gboolean reported;
  struct rusage usage;
  int status;
  pid_t pid;

  if (pipe2 (fds, O_CLOEXEC) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "pipe: %s",
                   g_strerror (errno));
      return FALSE;
    }

  start = now_us ();
  pid = fork ();
  if (pid == 0)
    {
      /* The write end goes to the program as fd 3, the number its environment names. */
      if (fds[1] == 3)
        fcntl (3, F_SETFD, 0);
      else
        dup2 (fds[1], 3);
      execve (program->argv[0], program->argv, program->envp);
      _exit (127);
    }
  close (fds[1]);
  if (pid < 0)
    {
      close (fds[0]);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "fork: %s",
                   g_strerror (errno));
      return FALSE;
    }

  reported = read_report (fds[0], &first, &ready);
  close (fds[0]);
  if (!reported)
    kill (pid, SIGKILL);
  while (wait4 (pid, &status, 0, &usage) < 0 && errno == EINTR)
    ;

  if (!reported || first < 0 || ready < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s showed no %s frame within %d s", program->name,
                   first < 0 ? "first" : "ready", TIMEOUT_MS / 1000);
      return FALSE;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s did not quit cleanly (status %d)",
                   program->name, status);
      return FALSE;
    }

  if (counted)
    {
      double first_ms = (first - start) / 1000.0;
      double ready_ms = (ready - start) / 1000.0;
      double rss_mib = usage.ru_maxrss / 1024.0;  /* kilobytes on Linux */
      double cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
                      (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;

      g_array_append_val (program->first_ms, first_ms);
      g_array_append_val (program->ready_ms, ready_ms);
      g_array_append_val (program->rss_mib, rss_mib);
      g_array_append_val (program->cpu_ms, cpu_ms);
    }
  return TRUE;
}

static void
print_figure (const char *program,
              const char *figure,
              GArray     *values)
{
  kt_bench_sort (values);
  g_print ("%s_%s_p50=%.2f\n", program, figure, kt_bench_quantile (values, 0.5));
  g_print ("%s_%s_p25=%.2f\n", program, figure, kt_bench_quantile (values, 0.25));
  g_print ("%s_%s_p75=%.2f\n", program, figure, kt_bench_quantile (values, 0.75));
  g_print ("%s_%s_min=%.2f\n", program, figure, g_array_index (values, double, 0));
  g_print ("%s_%s_max=%.2f\n", program, figure, g_array_index (values, double, values->len - 1));
}

static void
print_pair_ratio (const char *figure,
                  GArray     *keyturn,
                  GArray     *bare)
{
  g_autoptr(GArray) ratios = g_array_sized_new (FALSE, FALSE, sizeof (double), keyturn->len);

  for (guint i = 0; i < keyturn->len; i++)
    {
      double ratio = g_array_index (keyturn, double, i) / g_array_index (bare, double, i);

      g_array_append_val (ratios, ratio);
    }
  print_figure ("pair_ratio", figure, ratios);
}

static gboolean
program_init (Program     *program,
              const char  *name,
              const char  *command_line,
              const char  *preload,
              const char  *ready_type,
              GError     **error)
{
  program->name = name;
  if (!g_shell_parse_argv (command_line, NULL, &program->argv, error))
    return FALSE;
  program->envp = g_get_environ ();
  program->envp = g_environ_setenv (program->envp, "LD_PRELOAD", preload, TRUE);
  program->envp = g_environ_setenv (program->envp, "KT_BENCH_FRAME_FD", "3", TRUE);
  if (ready_type != NULL)
    program->envp = g_environ_setenv (program->envp, "KT_BENCH_READY_TYPE", ready_type, TRUE);
  else
    program->envp = g_environ_unsetenv (program->envp, "KT_BENCH_READY_TYPE");
  program->first_ms = g_array_new (FALSE, FALSE, sizeof (double));
  program->ready_ms = g_array_new (FALSE, FALSE, sizeof (double));
  program->rss_mib = g_array_new (FALSE, FALSE, sizeof (double));
  program->cpu_ms = g_array_new (FALSE, FALSE, sizeof (double));
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- start-up of keyturn and a bare window");
  g_autoptr(GError) error = NULL;
  g_autofree char *preload = NULL;
  g_autofree char *keyturn_command = NULL;
  g_autofree char *bare_command = NULL;
  g_autofree char *ready_type = NULL;
  int count = 20;
  Program programs[2] = { 0 };
  GOptionEntry entries[] = {
    { "preload", 0, 0, G_OPTION_ARG_FILENAME, &preload, "The first-frame shim", "PATH" },
    { "keyturn", 0, 0, G_OPTION_ARG_STRING, &keyturn_command, "keyturn's command line", "CMD" },
    { "ready-type", 0, 0, G_OPTION_ARG_STRING, &ready_type,
      "keyturn is ready once a widget of this type is shown", "TYPE" },
    { "bare", 0, 0, G_OPTION_ARG_STRING, &bare_command, "The bare window's command line", "CMD" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Counted starts of each (20)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-startup: %s\n", error->message);
      return 2;
    }
  if (preload == NULL || keyturn_command == NULL || bare_command == NULL || count < 1)
    {
      g_printerr ("bench-startup: --preload, --keyturn and --bare are needed\n");
      return 2;
    }

  if (!program_init (&programs[0], "keyturn", keyturn_command, preload, ready_type, &error) ||
      !program_init (&programs[1], "bare", bare_command, preload, NULL, &error))
    {
      g_printerr ("bench-startup: %s\n", error->message);
      return 2;
    }

  for (int run = -1; run < count; run++)
    for (guint i = 0; i < G_N_ELEMENTS (programs); i++)
      if (!run_once (&programs[i], run >= 0, &error))
        {
          g_printerr ("bench-startup: %s\n", error->message);
          return 1;
        }

  g_print ("runs=%d\n", count);
  /* Each counted keyturn start beside the bare window's start right after it: the pair shared
   * the machine's load, so the median of the pairs' ratios is steadier than the ratio of the
   * medians when other work comes and goes. */
  print_pair_ratio ("ready_ms", programs[0].ready_ms, programs[1].ready_ms);
  print_pair_ratio ("rss_mib", programs[0].rss_mib, programs[1].rss_mib);
  for (guint i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      print_figure (programs[i].name, "first_ms", programs[i].first_ms);
      print_figure (programs[i].name, "ready_ms", programs[i].ready_ms);
      print_figure (programs[i].name, "rss_mib", programs[i].rss_mib);
      print_figure (programs[i].name, "cpu_ms", programs[i].cpu_ms);
      g_strfreev (programs[i].argv);
      g_strfreev (programs[i].envp);
      g_array_unref (programs[i].first_ms);
      g_array_unref (programs[i].ready_ms);
      g_array_unref (programs[i].rss_mib);
      g_array_unref (programs[i].cpu_ms);
    }
  return 0;
}
