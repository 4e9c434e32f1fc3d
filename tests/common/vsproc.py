# SPDX-License-Identifier: BSD-3-Clause
"""Process and file bookkeeping shared by the test suites (integration, vm,
bench): start children that die with the test, give each DPDK process its
own --file-prefix, and always clean up.

A suite's helper module calls init(SCHEME) once on import. Every name this
module makes (DPDK file prefixes, temporary directories) starts with
SCHEME followed by the test's pid, so that a later run can tell what a
test killed outright (SIGKILL: no cleanup ran) left behind, and sweep it.

cleanup() kills every process started through spawn() (SIGTERM, then
SIGKILL), removes the hugepage files and /var/run/dpdk directories of the
prefixes handed out and the temporary directories. It runs from the
suites' try/finally, at exit and on SIGTERM/SIGINT/SIGHUP, and is safe to
call more than once. Children get PR_SET_PDEATHSIG, so a test killed
outright does not leave them running.
"""

import atexit
import ctypes
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

PR_SET_PDEATHSIG = 1
HUGEPAGE_DIR = "/dev/hugepages"
DPDK_RUN_DIR = "/var/run/dpdk"
SKIP = 77


class TestFailure(AssertionError):
    pass


class Skip(Exception):
    pass


_t0 = time.monotonic()
_scheme = None
_opts = {"elapsed": False, "grace": 3.0, "keep_env": None}
_procs = []      # subprocess.Popen objects still to reap
_prefixes = []   # DPDK --file-prefix values handed out
_dirs = []       # temporary directories
_cleanups = []   # functions cleanup() runs after the processes are gone
_counter = 0


def init(scheme, elapsed=False, grace=3.0, keep_env=None):
    """Sets the naming scheme, sweeps what killed runs left, installs the
    cleanup handlers. elapsed: log lines carry the seconds since start;
    grace: seconds between SIGTERM and SIGKILL; keep_env: the name of an
    environment variable that, set to 1, keeps the temporary directories
    (logs) for a look."""
    global _scheme
    if _scheme is not None:
        return
    _scheme = scheme
    _opts.update(elapsed=elapsed, grace=grace, keep_env=keep_env)
    sweep_stale()
    atexit.register(cleanup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def elapsed():
    """Seconds since this test started."""
    return time.monotonic() - _t0


def log(msg):
    stamp = time.strftime('%H:%M:%S')
    if _opts["elapsed"]:
        stamp += f" +{elapsed():6.1f}s"
    print(f"[{stamp}] {msg}", flush=True)


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def check_eq(got, expected, what):
    if got != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {got!r}")


def wait_for(pred, timeout, what, interval=0.02, max_interval=0.2):
    """Polls pred() until it returns something true and returns that; on
    timeout raises TestFailure naming what was awaited and, when pred
    raised, the last error."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
            last_exc = None
        except (OSError, ValueError, KeyError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise TestFailure(f"timeout after {timeout}s waiting for "
                              f"{what}{extra}")
        time.sleep(interval)
        interval = min(interval * 1.5, max(interval, max_interval))


def read_log(path):
    """A child's log file as text so far; "" while it does not exist."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def hugepages_free():
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["HugePages_Free"].split()[0])
    except (OSError, KeyError, ValueError):
        return 0


def require_hugepages(n=200):
    """Raises Skip unless this is root with n free 2 MiB hugepages."""
    free = hugepages_free()
    if free < n or not os.path.isdir(HUGEPAGE_DIR):
        raise Skip(f"needs {n} free 2 MiB hugepages on {HUGEPAGE_DIR} "
                   f"(has {free})")
    if os.geteuid() != 0:
        raise Skip("needs root for hugepages and vhost-user")


# --------------------------------------------------------------------------
# Names, processes, cleanup

def new_prefix(tag):
    """A DPDK file prefix unique to this test process."""
    global _counter
    _counter += 1
    prefix = f"{_scheme}{os.getpid()}{tag}{_counter}"
    _prefixes.append(prefix)
    remove_prefix_files(prefix)
    return prefix


def new_dir(tag=None):
    """A temporary directory, removed by cleanup(). Keep tags short:
    socket paths in it must fit sun_path (108 bytes)."""
    d = tempfile.mkdtemp(prefix=f"{tag or _scheme}{os.getpid()}-")
    _dirs.append(d)
    return d


def remove_prefix_files(prefix):
    for path in glob.glob(os.path.join(HUGEPAGE_DIR, prefix + "map_*")):
        try:
            os.unlink(path)
        except OSError:
            pass
    shutil.rmtree(os.path.join(DPDK_RUN_DIR, prefix), ignore_errors=True)


def _child_setup(cpus):
    def setup():
        # Should the test be killed outright, the kernel sends SIGTERM to
        # what it started.
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if cpus is not None:
            try:
                os.sched_setaffinity(0, cpus)
            except OSError:
                pass
    return setup


def spawn(args, cpus=None, **kw):
    """Popen, recorded for cleanup(); cpus: the CPU set to pin it to."""
    proc = subprocess.Popen(args, preexec_fn=_child_setup(cpus), **kw)
    _procs.append(proc)
    return proc


def _close_pipes(proc):
    for f in (proc.stdin, proc.stdout, proc.stderr):
        try:
            if f is not None:
                f.close()
        except OSError:
            pass


def forget(proc):
    """proc has exited and was reaped: drop it from the registry."""
    if proc in _procs:
        _procs.remove(proc)
    _close_pipes(proc)


def kill(proc, grace=None):
    """SIGTERM, and SIGKILL after grace seconds."""
    if proc.poll() is not None:
        return
    if grace is None:
        grace = _opts["grace"]
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    except OSError:
        pass


def keep_dirs():
    env = _opts["keep_env"]
    return env is not None and os.environ.get(env) == "1"


def at_cleanup(fn):
    """fn() runs in cleanup(), after every process is gone: for what a
    test made outside its work directory (network namespaces)."""
    _cleanups.append(fn)


def cleanup():
    """Kills every process started here, removes their DPDK files and the
    temporary directories, runs the at_cleanup() functions (last first).
    Safe to call more than once."""
    for proc in reversed(_procs):
        kill(proc)
    for proc in _procs:
        _close_pipes(proc)
    _procs.clear()
    for prefix in _prefixes:
        remove_prefix_files(prefix)
    if not keep_dirs():
        for d in _dirs:
            shutil.rmtree(d, ignore_errors=True)
    while _cleanups:
        try:
            _cleanups.pop()()
        except Exception as e:  # noqa: BLE001 - the others must run too
            log(f"cleanup: {e!r}")


def leftovers():
    """What cleanup() should have removed and did not."""
    left = []
    for prefix in _prefixes:
        left += glob.glob(os.path.join(HUGEPAGE_DIR, prefix + "*"))
        if os.path.exists(os.path.join(DPDK_RUN_DIR, prefix)):
            left.append(os.path.join(DPDK_RUN_DIR, prefix))
    if not keep_dirs():
        left += [d for d in _dirs if os.path.exists(d)]
    return left


def _on_signal(sig, frame):
    cleanup()
    os._exit(128 + sig)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def sweep_stale():
    """Removes what an earlier run that was killed outright left behind:
    only names of this scheme whose test process is gone."""
    pattern = re.compile(rf"^{re.escape(_scheme)}(\d+)")
    for base, dirs_too in ((DPDK_RUN_DIR, True), (HUGEPAGE_DIR, False),
                           (tempfile.gettempdir(), True)):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            m = pattern.match(name)
            if not m or int(m.group(1)) == os.getpid() or \
                    pid_alive(int(m.group(1))):
                continue
            path = os.path.join(base, name)
            if os.path.isdir(path) and not os.path.islink(path):
                if dirs_too:
                    shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
