"""Solve slots: at most one solve per core on a machine, however many workers run there.

A solve is pure computation. When more solves run than the machine has cores, they
time-slice the cores and evict each other's caches: each costs more CPU and none finishes
sooner. With a slot per core, extra workers still help — they build the next day, read and
write the database while the solves compute — but they wait for a free core before they
solve.

The slots are a System V semaphore (Linux), one per machine and slot count, taken and given
back with ``SEM_UNDO``: the kernel gives a slot back when the process holding it dies,
however it dies (a SIGKILLed worker cannot strand a core), and a waiting worker sleeps in
the kernel until a slot is free (no polling). The standard library has no System V
semaphores, so the three calls go through ``ctypes``; where they are missing (not Linux)
solves are not limited, and so are they where the system refuses the semaphore.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import logging
import os
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger(__name__)
IPC_CREAT, IPC_EXCL, SETVAL, SEM_UNDO = 0o1000, 0o2000, 16, 0x1000


class _SemBuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short),
                ("sem_flg", ctypes.c_short)]


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.semget, libc.semop, libc.semctl  # noqa: B018 (present on Linux)
    except (OSError, AttributeError):
        return None
    return libc


def default_count() -> int:
    """The cores this process may run on (its affinity, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Slots:
    """``count`` slots shared by every process of this user on this machine."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._libc = _libc()
        self._id: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for a free slot, keep it for the ``with`` block, give it back. Slots save
        CPU; they decide nothing: if the system refuses them (no System V IPC in a sandbox, a
        semaphore removed by hand), the solve runs without one and the log says why."""
        semid = None
        try:
            semid = self._semaphore()
            if semid is not None:
                self._op(semid, -1)
        except OSError as exc:
            log.warning("solving without a slot: %s", exc)
            semid, self._id = None, None
        try:
            yield
        finally:
            if semid is not None:
                try:
                    self._op(semid, +1)
                except OSError as exc:
                    log.warning("a solve slot could not be given back: %s", exc)
                    self._id = None

    def _semaphore(self) -> int | None:
        """The semaphore's id, made with ``count`` free slots by whoever asks first."""
        if self._libc is None:
            return None
        if self._id is None:
            digest = hashlib.sha256(f"buurtroute-solves-{os.getuid()}-{self.count}".encode())
            key = int.from_bytes(digest.digest()[:4], "big") & 0x7FFFFFFF
            semid = self._libc.semget(key, 1, IPC_CREAT | IPC_EXCL | 0o600)
            if semid >= 0:  # made it: set the count (a process already waiting wakes up)
                if self._libc.semctl(semid, 0, SETVAL, ctypes.c_int(self.count)) < 0:
                    _fail("semctl")
            elif ctypes.get_errno() != errno.EEXIST:
                _fail("semget")
            else:
                semid = self._libc.semget(key, 1, 0o600)
                if semid < 0:
                    _fail("semget")
            self._id = semid
        return self._id

    def _op(self, semid: int, delta: int) -> None:
        """Take (-1) or give back (+1) a slot; the kernel undoes it if this process dies."""
        assert self._libc is not None
        buf = _SemBuf(0, delta, SEM_UNDO)
        while self._libc.semop(semid, ctypes.byref(buf), 1) < 0:
            if ctypes.get_errno() != errno.EINTR:  # interrupted by a signal: wait on
                _fail("semop")


def _fail(call: str) -> None:
    code = ctypes.get_errno()
    raise OSError(code, f"solve slots: {call}: {os.strerror(code)}")
