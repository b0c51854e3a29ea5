"""The one thread policy: how many intra-op threads torch uses, by the kind of work a command does.

- ``"interactive"`` (the window, ``render``, ``movie``, ``sweep``: one small molecule per forward pass, a frame
  rendering beside it) uses ONE thread. Measured with ``bench/interaction.py`` on 2 cores (slider step p95):
  26 atoms (QM9's largest): 52 ms with one thread against 56 ms with two when quiet, 68 vs 616 ms and
  92 vs 878 ms when busy (load 4-5); 300 atoms (``--large``): 428 vs 4,271 ms when busy (load 8). A second
  thread saves nothing on molecules this small and fights the renderer and other processes for the cores.
- ``"batch"`` (``check-invariance``, ``eval``: many molecules per forward pass) uses every core this process may
  run on, shared evenly between the processes of a ``torchrun`` launch.

The user's choice wins: ``EQUIVIEW_THREADS=N``, or ``OMP_NUM_THREADS`` set before equiview started.
The policy is applied before torch is imported where possible (the window imports torch only after its first
frame), through ``OMP_NUM_THREADS``, which torch reads when it loads; once torch is loaded, through
``torch.set_num_threads``.
"""

from __future__ import annotations

import os
import sys

ROLES = ("interactive", "batch")
_MARK = "EQUIVIEW_THREAD_POLICY"
"""Set beside the OMP_NUM_THREADS this module writes, so that a later call (or a child) knows it is ours."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def _processes_per_machine() -> int:
    """Processes of one ``torchrun`` launch on this machine (1 when not launched by torchrun)."""
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def _user_choice() -> tuple[int, str] | None:
    for variable in ("EQUIVIEW_THREADS", "OMP_NUM_THREADS"):
        text = os.environ.get(variable, "").strip()
        if not text:
            continue
        if variable == "OMP_NUM_THREADS" and os.environ.get(_MARK, "").endswith(f":{text}"):
            continue  # written by this policy, not chosen by the user
        try:
            value = int(text)
        except ValueError:
            continue  # torch ignores an unreadable OMP_NUM_THREADS too
        if value >= 1:
            return value, variable
    return None


def policy_threads(role: str) -> tuple[int, str]:
    """``(threads, source)`` for ``role``; source is ``"policy"`` or the environment variable the user set."""
    if role not in ROLES:
        raise ValueError(f"thread role {role!r}; expected one of {ROLES}")
    chosen = _user_choice()
    if chosen is not None:
        return chosen
    if role == "interactive":
        return 1, "policy"
    return max(1, available_cores() // _processes_per_machine()), "policy"


def apply_thread_policy(role: str) -> dict:
    """Set torch's intra-op threads for ``role``; returns what was set (benches print it)."""
    threads, source = policy_threads(role)
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(threads)
    elif source != "OMP_NUM_THREADS":
        os.environ["OMP_NUM_THREADS"] = str(threads)
        os.environ[_MARK] = f"{role}:{threads}"
    return describe(role, threads, source)


def describe(role: str, threads: int, source: str) -> dict:
    return {"role": role, "threads": threads, "source": source, "cores": available_cores()}


def current_policy(role: str) -> dict:
    """What :func:`apply_thread_policy` sets for ``role``, and torch's count now if torch is loaded."""
    threads, source = policy_threads(role)
    result = describe(role, threads, source)
    if "torch" in sys.modules:
        import torch

        result["torch_threads"] = torch.get_num_threads()
    return result
