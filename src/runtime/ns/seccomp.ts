// The qube seccomp profile as data: default-deny allowlist of the common container kind, without namespace, mount, ptrace, module, kexec, bpf or keyring calls.

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_MASKED_EQ' | 'SCMP_CMP_LE' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT';
}

export interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

/**
 * The socket families a qube may open. Everything else (AF_VSOCK, which no namespace confines and
 * which reaches the host and its VMs; AF_PACKET; AF_ALG, AF_KEY, AF_TIPC, AF_RDS, AF_XDP and the
 * other rarely used, bug-prone families) gets EAFNOSUPPORT, as from a kernel without them.
 * No qube needs AF_PACKET: addresses are static (no DHCP client), tor, dnsmasq-free DNS forwarding
 * and the RPC agent use only AF_INET/AF_INET6/AF_UNIX, and `ip` uses AF_NETLINK.
 */
export const SOCKET_FAMILIES: Readonly<Record<string, number>> = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16 };

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone() is allowed only without these. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** Plain system calls every ordinary program may make. */
export const ALLOWED_SYSCALLS: readonly string[] = [
  'accept',
  'accept4',
  'access',
  'alarm',
  'arch_prctl',
  'bind',
  'brk',
  'capget',
  'capset',
  'chdir',
  'chmod',
  'chown',
  'chown32',
  'chroot',
  'clock_getres',
  'clock_getres_time64',
  'clock_gettime',
  'clock_gettime64',
  'clock_nanosleep',
  'clock_nanosleep_time64',
  'close',
  'close_range',
  'connect',
  'copy_file_range',
  'creat',
  'dup',
  'dup2',
  'dup3',
  'epoll_create',
  'epoll_create1',
  'epoll_ctl',
  'epoll_ctl_old',
  'epoll_pwait',
  'epoll_pwait2',
  'epoll_wait',
  'epoll_wait_old',
  'eventfd',
  'eventfd2',
  'execve',
  'execveat',
  'exit',
  'exit_group',
  'faccessat',
  'faccessat2',
  'fadvise64',
  'fadvise64_64',
  'fallocate',
  'fanotify_mark',
  'fchdir',
  'fchmod',
  'fchmodat',
  'fchown',
  'fchown32',
  'fchownat',
  'fcntl',
  'fcntl64',
  'fdatasync',
  'fgetxattr',
  'flistxattr',
  'flock',
  'fork',
  'fremovexattr',
  'fsetxattr',
  'fstat',
  'fstat64',
  'fstatat64',
  'fstatfs',
  'fstatfs64',
  'fsync',
  'ftruncate',
  'ftruncate64',
  'futex',
  'futex_time64',
  'futex_waitv',
  'futimesat',
  'get_robust_list',
  'get_thread_area',
  'getcpu',
  'getcwd',
  'getdents',
  'getdents64',
  'getegid',
  'getegid32',
  'geteuid',
  'geteuid32',
  'getgid',
  'getgid32',
  'getgroups',
  'getgroups32',
  'getitimer',
  'getpeername',
  'getpgid',
  'getpgrp',
  'getpid',
  'getppid',
  'getpriority',
  'getrandom',
  'getresgid',
  'getresgid32',
  'getresuid',
  'getresuid32',
  'getrlimit',
  'getrusage',
  'getsid',
  'getsockname',
  'getsockopt',
  'gettid',
  'gettimeofday',
  'getuid',
  'getuid32',
  'getxattr',
  'inotify_add_watch',
  'inotify_init',
  'inotify_init1',
  'inotify_rm_watch',
  'io_cancel',
  'io_destroy',
  'io_getevents',
  'io_pgetevents',
  'io_pgetevents_time64',
  'io_setup',
  'io_submit',
  'ioctl',
  'ioprio_get',
  'ioprio_set',
  'ipc',
  'kill',
  'landlock_add_rule',
  'landlock_create_ruleset',
  'landlock_restrict_self',
  'lchown',
  'lchown32',
  'lgetxattr',
  'link',
  'linkat',
  'listen',
  'listxattr',
  'llistxattr',
  '_llseek',
  'lremovexattr',
  'lseek',
  'lsetxattr',
  'lstat',
  'lstat64',
  'madvise',
  'membarrier',
  'memfd_create',
  'mincore',
  'mkdir',
  'mkdirat',
  'mknod',
  'mknodat',
  'mlock',
  'mlock2',
  'mlockall',
  'mmap',
  'mmap2',
  'mprotect',
  'mq_getsetattr',
  'mq_notify',
  'mq_open',
  'mq_timedreceive',
  'mq_timedreceive_time64',
  'mq_timedsend',
  'mq_timedsend_time64',
  'mq_unlink',
  'mremap',
  'msgctl',
  'msgget',
  'msgrcv',
  'msgsnd',
  'msync',
  'munlock',
  'munlockall',
  'munmap',
  'name_to_handle_at',
  'nanosleep',
  'newfstatat',
  '_newselect',
  'open',
  'openat',
  'openat2',
  'pause',
  'pidfd_getfd',
  'pidfd_open',
  'pidfd_send_signal',
  'pipe',
  'pipe2',
  'pkey_alloc',
  'pkey_free',
  'pkey_mprotect',
  'poll',
  'ppoll',
  'ppoll_time64',
  'prctl',
  'pread64',
  'preadv',
  'preadv2',
  'prlimit64',
  'pselect6',
  'pselect6_time64',
  'pwrite64',
  'pwritev',
  'pwritev2',
  'read',
  'readahead',
  'readlink',
  'readlinkat',
  'readv',
  'recv',
  'recvfrom',
  'recvmmsg',
  'recvmmsg_time64',
  'recvmsg',
  'remap_file_pages',
  'removexattr',
  'rename',
  'renameat',
  'renameat2',
  'restart_syscall',
  'rmdir',
  'rseq',
  'rt_sigaction',
  'rt_sigpending',
  'rt_sigprocmask',
  'rt_sigqueueinfo',
  'rt_sigreturn',
  'rt_sigsuspend',
  'rt_sigtimedwait',
  'rt_sigtimedwait_time64',
  'rt_tgsigqueueinfo',
  'sched_get_priority_max',
  'sched_get_priority_min',
  'sched_getaffinity',
  'sched_getattr',
  'sched_getparam',
  'sched_getscheduler',
  'sched_rr_get_interval',
  'sched_rr_get_interval_time64',
  'sched_setaffinity',
  'sched_setattr',
  'sched_setparam',
  'sched_setscheduler',
  'sched_yield',
  'seccomp',
  'select',
  'semctl',
  'semget',
  'semop',
  'semtimedop',
  'semtimedop_time64',
  'send',
  'sendfile',
  'sendfile64',
  'sendmmsg',
  'sendmsg',
  'sendto',
  'set_robust_list',
  'set_thread_area',
  'set_tid_address',
  'setfsgid',
  'setfsgid32',
  'setfsuid',
  'setfsuid32',
  'setgid',
  'setgid32',
  'setgroups',
  'setgroups32',
  'setitimer',
  'setpgid',
  'setpriority',
  'setregid',
  'setregid32',
  'setresgid',
  'setresgid32',
  'setresuid',
  'setresuid32',
  'setreuid',
  'setreuid32',
  'setrlimit',
  'setsid',
  'setsockopt',
  'setuid',
  'setuid32',
  'setxattr',
  'shmat',
  'shmctl',
  'shmdt',
  'shmget',
  'shutdown',
  'sigaltstack',
  'signalfd',
  'signalfd4',
  'sigprocmask',
  'sigreturn',
  'splice',
  'stat',
  'stat64',
  'statfs',
  'statfs64',
  'statx',
  'symlink',
  'symlinkat',
  'sync',
  'sync_file_range',
  'syncfs',
  'sysinfo',
  'tee',
  'tgkill',
  'time',
  'timer_create',
  'timer_delete',
  'timer_getoverrun',
  'timer_gettime',
  'timer_gettime64',
  'timer_settime',
  'timer_settime64',
  'timerfd_create',
  'timerfd_gettime',
  'timerfd_gettime64',
  'timerfd_settime',
  'timerfd_settime64',
  'times',
  'tkill',
  'truncate',
  'truncate64',
  'ugetrlimit',
  'umask',
  'uname',
  'unlink',
  'unlinkat',
  'utime',
  'utimensat',
  'utimensat_time64',
  'utimes',
  'vfork',
  'vmsplice',
  'wait4',
  'waitid',
  'waitpid',
  'write',
  'writev',
];

/**
 * Calls that must stay refused (tested by name): the default action already refuses them; listing
 * them keeps the intent explicit and lets a unit test prove none slipped into the allowlist.
 */
export const DENIED_SYSCALLS: readonly string[] = [
  'unshare',
  'setns',
  'mount',
  'umount',
  'umount2',
  'pivot_root',
  'move_mount',
  'open_tree',
  'fsopen',
  'fsmount',
  'fsconfig',
  'fspick',
  'mount_setattr',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'kcmp',
  'init_module',
  'finit_module',
  'delete_module',
  'create_module',
  'kexec_load',
  'kexec_file_load',
  'bpf',
  'perf_event_open',
  'keyctl',
  'add_key',
  'request_key',
  'userfaultfd',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'quotactl',
  'lookup_dcookie',
  'open_by_handle_at',
  'iopl',
  'ioperm',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  'stime',
  'sethostname',
  'setdomainname',
  'syslog',
  'vhangup',
  'nfsservctl',
  'uselib',
  '_sysctl',
  'sysfs',
  'ustat',
  'get_mempolicy',
  'set_mempolicy',
  'mbind',
  'move_pages',
  'migrate_pages',
  'fanotify_init',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'clone3',
];

const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

export type SeccompArch = 'x64' | 'arm64';

/**
 * Only the host's native system call ABI. A 64-bit process can still enter the x86 32-bit ABI
 * (int 0x80): there socket(2) is also reachable as socketcall(SYS_SOCKET) with its family behind a
 * pointer seccomp cannot read, and libseccomp drops the argument checks of socket rules when it
 * maps them onto socketcall (measured: AF_VSOCK opened that way with the x86 ABI listed). Qube roots
 * hold native binaries only, so any other ABI ends the process (`badarch kill_process`).
 */
const ARCHES: Record<SeccompArch, string[]> = {
  x64: ['SCMP_ARCH_X86_64'],
  arm64: ['SCMP_ARCH_AARCH64'],
};

/** The profile for a host architecture (node's `process.arch` names). */
export function qubeSeccompProfile(arch: SeccompArch = 'x64'): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: ARCHES[arch],
    syscalls: [
      { names: [...ALLOWED_SYSCALLS], action: 'SCMP_ACT_ALLOW' },
      // clone() only without namespace flags (so no CLONE_NEWUSER); clone3 cannot be filtered
      // by its flags (they sit behind a pointer), so it says ENOSYS and the C library falls back.
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      ...familyRules('socket', Object.values(SOCKET_FAMILIES)),
      ...familyRules('socketpair', [SOCKET_FAMILIES.AF_UNIX!]),
      ...PERSONALITY_ALLOWED.map((p): SeccompRule => ({
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }],
      })),
    ],
  };
}

const arg0 = (value: number, op: SeccompArg['op'] = 'SCMP_CMP_EQ'): SeccompArg[] => [{ index: 0, value, op }];

/**
 * `name` allowed for exactly the families in `allowed`, EAFNOSUPPORT for every other value. libseccomp
 * takes one comparison per argument in a rule and no argument-free rule beside argument rules, so the
 * other values are listed one by one up to the largest allowed family, then `greater than` it. The
 * comparison is on the full 64-bit register: high bits set never match an allowed family.
 */
function familyRules(name: string, allowed: readonly number[]): SeccompRule[] {
  const top = Math.max(...allowed);
  const refused: SeccompRule[] = [];
  for (let f = 0; f < top; f++) {
    if (!allowed.includes(f)) refused.push({ names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: EAFNOSUPPORT, args: arg0(f) });
  }
  return [
    ...allowed.map((f): SeccompRule => ({ names: [name], action: 'SCMP_ACT_ALLOW', args: arg0(f) })),
    ...refused,
    { names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: EAFNOSUPPORT, args: arg0(top, 'SCMP_CMP_GT') },
  ];
}

const ARCH_NAMES: Record<string, string> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_ARM: 'arm',
};
const OP_NAMES: Record<SeccompArg['op'], string> = {
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
};

function actionText(action: SeccompRule['action'] | SeccompProfile['defaultAction'], errno: number | undefined): string {
  return action === 'SCMP_ACT_ALLOW' ? 'allow' : `errno ${errno ?? EPERM}`;
}

/** The profile in native/seccomp-bpf's line format (compiled once, handed to crun as raw BPF). */
export function seccompProfileLines(p: SeccompProfile): string {
  const out = [`default ${actionText(p.defaultAction, p.defaultErrnoRet)}`, 'badarch kill_process'];
  for (const a of p.architectures) {
    const name = ARCH_NAMES[a];
    if (name === undefined) throw new Error(`seccomp: unknown architecture ${a}`);
    out.push(`arch ${name}`);
  }
  for (const r of p.syscalls) {
    const args = (r.args ?? []).map((x) => `${x.index} ${OP_NAMES[x.op]} ${x.value} ${x.valueTwo ?? 0}`).join(' ');
    for (const n of r.names) out.push(`rule ${actionText(r.action, r.errnoRet)} ${n}${args ? ` ${args}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
