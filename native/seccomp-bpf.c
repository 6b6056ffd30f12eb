/* Compiles a seccomp profile (simple line format on stdin) into BPF with the system's libseccomp; prints it base64-encoded.
 *
 *   default errno N | allow | kill | kill_process
 *   badarch ACTION                          what a system call of an ABI not listed gets (libseccomp: kill)
 *   arch NAME                               (x86_64, x86, x32, aarch64, arm, ...)
 *   rule ACTION SYSCALL [ARG OP A B]...     ACTION: allow | errno N | kill | kill_process;  OP: ne lt le eq ge gt masked_eq
 *
 * crun accepts the result in the `run.oci.seccomp_bpf_data` annotation, which saves it compiling
 * the same profile on every qube start and every exec (about 20 ms each with libseccomp 2.5).
 * libseccomp is loaded with dlopen, so only the runtime library is needed, not its headers.
 * Unknown system call names are skipped (counted on stderr), as crun does.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scmp_arg_cmp {
  unsigned int arg;
  int op;
  uint64_t datum_a;
  uint64_t datum_b;
};

typedef void *scmp_ctx;
static scmp_ctx (*p_init)(uint32_t);
static int (*p_arch_add)(scmp_ctx, uint32_t);
static uint32_t (*p_arch_resolve_name)(const char *);
static uint32_t (*p_arch_native)(void);
static int (*p_syscall_resolve_name)(const char *);
static int (*p_rule_add_array)(scmp_ctx, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);
static int (*p_export_bpf)(scmp_ctx, int);
static int (*p_attr_set)(scmp_ctx, int, uint32_t);

#define ACT_KILL 0x00000000U
#define ACT_KILL_PROCESS 0x80000000U
#define FLTATR_ACT_BADARCH 2 /* enum scmp_filter_attr */
#define ACT_ALLOW 0x7fff0000U
#define ACT_ERRNO(x) (0x00050000U | ((x) & 0x0000ffffU))

static void fail(const char *msg, const char *arg) {
  fprintf(stderr, "seccomp-bpf: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  exit(1);
}

static void *sym(void *h, const char *name) {
  void *p = dlsym(h, name);
  if (!p) fail("libseccomp lacks", name);
  return p;
}

static uint32_t parse_action(char **tok, int *used) {
  if (!tok[0]) fail("missing action", NULL);
  if (strcmp(tok[0], "allow") == 0) { *used = 1; return ACT_ALLOW; }
  if (strcmp(tok[0], "kill") == 0) { *used = 1; return ACT_KILL; }
  if (strcmp(tok[0], "kill_process") == 0) { *used = 1; return ACT_KILL_PROCESS; }
  if (strcmp(tok[0], "errno") == 0 && tok[1]) { *used = 2; return ACT_ERRNO((uint32_t)strtoul(tok[1], NULL, 10)); }
  fail("bad action", tok[0]);
  return 0;
}

static int parse_op(const char *s) {
  static const char *ops[] = {"", "ne", "lt", "le", "eq", "ge", "gt", "masked_eq"};
  for (int i = 1; i < 8; i++)
    if (strcmp(s, ops[i]) == 0) return i;
  fail("bad operator", s);
  return 0;
}

int main(void) {
  void *h = dlopen("libseccomp.so.2", RTLD_NOW);
  if (!h) fail("cannot load libseccomp.so.2", dlerror());
  p_init = sym(h, "seccomp_init");
  p_arch_add = sym(h, "seccomp_arch_add");
  p_arch_resolve_name = sym(h, "seccomp_arch_resolve_name");
  p_arch_native = sym(h, "seccomp_arch_native");
  p_syscall_resolve_name = sym(h, "seccomp_syscall_resolve_name");
  p_rule_add_array = sym(h, "seccomp_rule_add_array");
  p_export_bpf = sym(h, "seccomp_export_bpf");
  p_attr_set = sym(h, "seccomp_attr_set");

  scmp_ctx ctx = NULL;
  int native_listed = 0, skipped = 0, lineno = 0;
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    lineno++;
    char *tok[32] = {0};
    int n = 0;
    for (char *t = strtok(line, " \t\r\n"); t && n < 31; t = strtok(NULL, " \t\r\n")) tok[n++] = t;
    if (n == 0 || tok[0][0] == '#') continue;
    if (strcmp(tok[0], "default") == 0) {
      int used;
      if (ctx) fail("default given twice", NULL);
      ctx = p_init(parse_action(tok + 1, &used));
      if (!ctx) fail("seccomp_init failed", NULL);
    } else if (strcmp(tok[0], "badarch") == 0 && n >= 2) {
      int used;
      if (!ctx) fail("badarch before default", NULL);
      if (p_attr_set(ctx, FLTATR_ACT_BADARCH, parse_action(tok + 1, &used)) < 0) fail("cannot set the bad-architecture action", tok[1]);
    } else if (strcmp(tok[0], "arch") == 0 && n == 2) {
      if (!ctx) fail("arch before default", NULL);
      uint32_t a = p_arch_resolve_name(tok[1]);
      if (a == 0) fail("unknown architecture", tok[1]);
      if (a == p_arch_native()) native_listed = 1;
      else if (p_arch_add(ctx, a) < 0) fail("cannot add architecture", tok[1]);
    } else if (strcmp(tok[0], "rule") == 0 && n >= 3) {
      if (!ctx) fail("rule before default", NULL);
      int used;
      uint32_t act = parse_action(tok + 1, &used);
      const char *name = tok[1 + used];
      if (!name) fail("rule without system call", NULL);
      int nr = p_syscall_resolve_name(name);
      if (nr == -1) { skipped++; continue; } /* __NR_SCMP_ERROR: unknown here; other negatives are pseudo numbers */
      struct scmp_arg_cmp args[6];
      unsigned int nargs = 0;
      for (int i = 2 + used; i < n; i += 4) {
        if (i + 3 >= n) fail("incomplete argument comparison", name);
        if (nargs == 6) fail("too many argument comparisons", name);
        args[nargs].arg = (unsigned int)strtoul(tok[i], NULL, 10);
        args[nargs].op = parse_op(tok[i + 1]);
        args[nargs].datum_a = strtoull(tok[i + 2], NULL, 0);
        args[nargs].datum_b = strtoull(tok[i + 3], NULL, 0);
        nargs++;
      }
      if (p_rule_add_array(ctx, act, nr, nargs, nargs ? args : NULL) < 0) skipped++;
    } else {
      char num[16];
      snprintf(num, sizeof num, "%d", lineno);
      fail("cannot parse line", num);
    }
  }
  if (!ctx) fail("empty profile", NULL);
  if (!native_listed) fail("the profile does not list the native architecture", NULL);

  /* Export through an unlinked temporary file (libseccomp 2.5 has no in-memory export). */
  FILE *f = tmpfile();
  if (!f) fail("tmpfile failed", NULL);
  int fd = fileno(f);
  if (p_export_bpf(ctx, fd) < 0) fail("export failed", NULL);
  off_t sz = lseek(fd, 0, SEEK_END);
  if (sz <= 0 || lseek(fd, 0, SEEK_SET) != 0) fail("export produced nothing", NULL);
  size_t len = (size_t)sz;
  unsigned char *bpf = malloc(len);
  if (!bpf || read(fd, bpf, len) != (ssize_t)len) fail("reading the export failed", NULL);
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)bpf[i] << 16;
    if (i + 1 < len) v |= (uint32_t)bpf[i + 1] << 8;
    if (i + 2 < len) v |= bpf[i + 2];
    putchar(b64[(v >> 18) & 63]);
    putchar(b64[(v >> 12) & 63]);
    putchar(i + 1 < len ? b64[(v >> 6) & 63] : '=');
    putchar(i + 2 < len ? b64[v & 63] : '=');
  }
  putchar('\n');
  if (skipped) fprintf(stderr, "seccomp-bpf: %d rules skipped (system calls unknown on this system)\n", skipped);
  return 0;
}
