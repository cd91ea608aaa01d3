"""The seccomp filter every sandboxed program runs under, compiled to BPF with pyseccomp.

Default allow, with a deny list: sockets of any family but AF_UNIX, tracing, mounting, namespaces, kernel
keyrings, BPF, perf, userfaultfd, io_uring (whose socket operations bypass seccomp),
module loading, clocks and reboot. A denied call fails with EPERM (ENOSYS for clone3,
so that libc and Go fall back to clone, whose namespace flags are checked).
"""

from __future__ import annotations

import errno
import os
import socket
import tempfile
from functools import lru_cache

DENIED_SYSCALLS = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "open_by_handle_at",
    "name_to_handle_at",
    "fanotify_init",
    "quotactl",
    "iopl",
    "ioperm",
    "vhangup",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
)

ALLOWED_SOCKET_FAMILY = socket.AF_UNIX

# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
# | CLONE_NEWPID | CLONE_NEWNET
CLONE_NAMESPACE_FLAGS = (
    0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
)


class SeccompUnavailable(RuntimeError):
    """pyseccomp or libseccomp is missing or cannot build the filter."""


#: With ``loopback``: the families a run inside its own network namespace may also use
#: (that namespace holds only its loopback interface: Go tests start ``httptest`` servers).
LOOPBACK_SOCKET_FAMILIES = (socket.AF_INET, socket.AF_INET6)


@lru_cache(maxsize=2)
def filter_bpf(loopback: bool = False) -> bytes:
    """The compiled filter, as raw BPF for ``bwrap --seccomp`` (built once per process
    and variant). ``loopback`` also allows IPv4 and IPv6 sockets: only for runs whose
    network namespace is their own (bwrap's: loopback only, no route out), such as a
    kit's Go tests."""
    try:
        import pyseccomp as sc
    except Exception as exc:  # ImportError, or OSError when libseccomp is missing
        raise SeccompUnavailable(
            f"pyseccomp cannot be loaded ({exc}); install the pip package pyseccomp "
            "and the Debian package libseccomp2"
        ) from exc
    try:
        flt = sc.SyscallFilter(sc.ALLOW)
        eperm = sc.ERRNO(errno.EPERM)
        for name in DENIED_SYSCALLS:
            try:
                flt.add_rule(eperm, name)
            except Exception as exc:  # an unknown name on an old libseccomp
                if name in ("ptrace", "unshare", "setns", "mount", "bpf"):
                    raise
                del exc
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        # Sockets: AF_UNIX only (an allow list). Network namespaces do not cover every
        # family: AF_VSOCK reaches the hypervisor's host, AF_ALG the kernel's crypto.
        if loopback:
            allowed = sorted({int(ALLOWED_SOCKET_FAMILY), *map(int, LOOPBACK_SOCKET_FAMILIES)})
            # deny every family but the allowed ones: below, between and above them
            for family in range(allowed[-1]):
                if family not in allowed:
                    flt.add_rule(eperm, "socket", sc.Arg(0, sc.EQ, family))
            flt.add_rule(eperm, "socket", sc.Arg(0, sc.GT, allowed[-1]))
        else:
            flt.add_rule(eperm, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
        flt.add_rule(eperm, "socketpair", sc.Arg(0, sc.NE, socket.AF_UNIX))
        flt.add_rule(
            eperm, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_NAMESPACE_FLAGS, CLONE_NAMESPACE_FLAGS)
        )
        # TIOCSTI would push input into a terminal outside the sandbox.
        flt.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, 0x5412))
        with tempfile.TemporaryFile() as out:
            flt.export_bpf(out)
            out.seek(0)
            data = out.read()
    except SeccompUnavailable:
        raise
    except Exception as exc:
        raise SeccompUnavailable(f"cannot build the seccomp filter: {exc}") from exc
    if not data:
        raise SeccompUnavailable("libseccomp produced an empty filter")
    return data


def filter_fd(loopback: bool = False) -> int:
    """A fresh, rewound file descriptor holding the filter, for one ``bwrap`` run."""
    data = filter_bpf(loopback)
    fd = os.memfd_create("nodeforge-seccomp")
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
