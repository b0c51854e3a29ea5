"""The one thread policy (equiview.core.threads): what each command sets, and that the user's choice wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from equiview.core.threads import available_cores, policy_threads
from equiview.viewer.cli import build_full_parser


@pytest.fixture
def clean_env(monkeypatch):
    for variable in ("EQUIVIEW_THREADS", "OMP_NUM_THREADS", "EQUIVIEW_THREAD_POLICY", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def test_interactive_work_uses_one_thread_and_batch_work_every_core(clean_env):
    assert policy_threads("interactive") == (1, "policy")
    assert policy_threads("batch") == (available_cores(), "policy")


def test_torchrun_processes_share_the_cores(clean_env):
    clean_env.setenv("LOCAL_WORLD_SIZE", str(available_cores() + 1))
    assert policy_threads("batch") == (1, "policy")


def test_the_users_choice_wins(clean_env):
    clean_env.setenv("OMP_NUM_THREADS", "3")
    assert policy_threads("interactive") == (3, "OMP_NUM_THREADS")
    clean_env.setenv("EQUIVIEW_THREADS", "5")
    assert policy_threads("batch") == (5, "EQUIVIEW_THREADS")


def test_the_policys_own_environment_is_not_taken_for_the_users(clean_env):
    clean_env.setenv("OMP_NUM_THREADS", "1")
    clean_env.setenv("EQUIVIEW_THREAD_POLICY", "interactive:1")
    assert policy_threads("batch") == (available_cores(), "policy")


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["gui"], "interactive"),
        (["render", "--out", "x.png"], "interactive"),
        (["sweep"], "interactive"),
        (["movie", "--out", "x.mp4"], "interactive"),
        (["check-invariance"], "batch"),
    ],
)
def test_every_command_names_its_role(argv, role):
    assert build_full_parser().parse_args(argv).thread_role == role


def test_a_command_applies_the_policy_before_torch_loads(tmp_path):
    """check-invariance in a fresh process runs torch with the count the policy chose (here the user's: 1, not torch's default)."""
    script = (
        "import json, sys\n"
        "from equiview.core.cli import main\n"
        "code = main(['check-invariance', '--molecules', '1', '--trials', '1', '--json'])\n"
        "import torch\n"
        "print(json.dumps({'code': code, 'threads': torch.get_num_threads()}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["EQUIVIEW_THREADS"] = "1"  # torch's own default is every core
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "threads": 1}
