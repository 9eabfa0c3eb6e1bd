"""The absl runner: a default-config run prints its summary; bad input is named."""

import importlib.util
import json
import os
import signal
import subprocess
import sys

import ml_collections
import numpy as np
import pytest

from recsim_ng.cli import main
from recsim_ng.examples.reference_network import reference_network

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recsim_ng", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_default_config_run_prints_summary_and_saves_the_trajectory(tmp_path):
    output = tmp_path / "run.npz"
    result = run_cli("--config=configs/default.py", "--config.num_users=50",
                     "--config.horizon=12", f"--config.output={output}")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["users"] == 50 and summary["horizon"] == 12
    assert 0.0 < summary["click_rate_mean"] < 1.0
    with np.load(output, allow_pickle=False) as archive:
        assert archive["user/clicks"].shape == (12, 50)


def test_unknown_config_key_is_named():
    result = run_cli("--config=configs/default.py", "--config.num_userz=5")
    assert result.returncode != 0
    assert "unknown config key 'num_userz'" in result.stderr and 'num_users' in result.stderr


def test_missing_config_file_is_named():
    result = run_cli("--config=configs/no_such_file.py")
    assert result.returncode != 0
    assert "configs/no_such_file.py" in result.stderr


def default_config(**changes) -> ml_collections.ConfigDict:
    """configs/default.py's config with `changes`, built anew so any type can be given."""
    spec = importlib.util.spec_from_file_location("default_config",
                                                  os.path.join(ROOT, "configs", "default.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return ml_collections.ConfigDict({**module.get_config().to_dict(), **changes})


def strict_json(line: str) -> dict:
    """`line` parsed as JSON proper: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(line, parse_constant=refuse)


def test_zero_users_is_refused_naming_the_key():
    result = run_cli("--config=configs/default.py", "--config.num_users=0")
    assert result.returncode != 0
    assert "config.num_users must be >= 1, got 0" in result.stderr
    assert result.stdout.strip() == ""


def test_negative_users_is_refused_naming_the_key():
    result = run_cli("--config=configs/default.py", "--config.num_users=-3")
    assert result.returncode != 0
    assert "config.num_users must be >= 1, got -3" in result.stderr


def test_one_user_prints_strict_json():
    result = run_cli("--config=configs/default.py", "--config.num_users=1",
                     "--config.horizon=3", "--config.jit_compile=False")
    assert result.returncode == 0, result.stderr
    summary = strict_json(result.stdout.strip().splitlines()[-1])
    assert summary["users"] == 1 and summary["click_rate_stderr"] is None


@pytest.mark.parametrize("key, bad", [
    ("num_users", 0), ("num_users", -1), ("num_users", 2.5), ("num_users", True),
    ("horizon", 0), ("horizon", 1), ("horizon", 2**31), ("horizon", "100"),
    ("seed", -1), ("seed", 2**62), ("seed", 0.5),
    ("jit_compile", 1), ("jit_compile", "yes"),
    ("num_topics", 0), ("num_docs", 0), ("num_docs", -5),
    ("slate_size", 0), ("slate_size", 101),
    ("output", 3), ("overwrite", "no"),
])
def test_each_bad_config_value_is_named(key, bad):
    with pytest.raises(ValueError, match=f"config.{key}"):
        main.check_config(default_config(**{key: bad}))


def test_the_default_config_passes_the_checks():
    main.check_config(default_config())


def test_unknown_and_missing_keys_in_a_config_file_are_named():
    with pytest.raises(ValueError, match="config.num_userz"):
        main.check_config(default_config(num_userz=5))
    config = default_config()
    del config["slate_size"]
    with pytest.raises(ValueError, match="config.slate_size"):
        main.check_config(config)


@pytest.mark.parametrize("where", ["missing folder", "a folder"])
def test_an_unwritable_output_fails_before_the_simulation(tmp_path, monkeypatch, where):
    output = tmp_path / "nowhere" / "run.npz" if where == "missing folder" else tmp_path
    monkeypatch.setattr(main, "TFRuntime", lambda *args, **kwargs: pytest.fail("simulated"))
    with pytest.raises(ValueError, match="config.output"):
        main.simulate(default_config(output=str(output), overwrite=True))


def test_an_output_in_a_missing_folder_fails_before_the_simulation_from_the_command_line(
        tmp_path):
    output = tmp_path / "nowhere" / "run.npz"
    result = run_cli("--config=configs/default.py", "--config.num_users=5",
                     "--config.horizon=3", "--config.jit_compile=False",
                     f"--config.output={output}")
    assert result.returncode != 0
    assert "config.output" in result.stderr and "nowhere" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout.strip() == ""


def test_an_existing_output_is_kept_unless_overwrite_is_set(tmp_path):
    output = tmp_path / "run.npz"
    output.write_bytes(b"earlier work")
    args = ("--config=configs/default.py", "--config.num_users=5", "--config.horizon=3",
            "--config.jit_compile=False", f"--config.output={output}")
    refused = run_cli(*args)
    assert refused.returncode != 0
    assert "config.output" in refused.stderr and "--config.overwrite=True" in refused.stderr
    assert output.read_bytes() == b"earlier work"
    replaced = run_cli(*args, "--config.overwrite=True")
    assert replaced.returncode == 0, replaced.stderr
    with np.load(output, allow_pickle=False) as archive:
        assert archive["user/clicks"].shape == (3, 5)


_SLOW_SAVE = """
import sys, time
import numpy as np

def slow_save(file, **arrays):
    file.write(b"PK part of the new archive")
    file.flush()
    print("saving", flush=True)
    time.sleep(300)

np.savez_compressed = slow_save
sys.argv = ["recsim_ng", *sys.argv[1:]]
from recsim_ng.cli.main import run
run()
"""


def test_a_run_killed_while_saving_leaves_the_existing_output_intact(tmp_path):
    output = tmp_path / "run.npz"
    output.write_bytes(b"earlier work")
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SAVE, "--config=configs/default.py",
         "--config.num_users=5", "--config.horizon=3", "--config.jit_compile=False",
         f"--config.output={output}", "--config.overwrite=True"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline().strip() == "saving"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert output.read_bytes() == b"earlier work"


@pytest.mark.parametrize("argument, bad", [
    ("num_users", 0), ("num_topics", -1), ("num_docs", 2.0), ("slate_size", 0),
    ("step_size", 1.5), ("step_size", float("nan")), ("noise_scale", 0.0),
    ("no_choice_logit", float("inf")),
])
def test_the_reference_network_names_a_bad_argument_itself(argument, bad):
    """For library callers, who bypass the config checks."""
    arguments = {"num_users": 2, argument: bad}
    with pytest.raises(ValueError, match=f"^{argument} must be"):
        reference_network(**arguments)


def test_a_horizon_too_long_for_the_memory_is_refused_naming_the_key(monkeypatch):
    monkeypatch.setattr(main, "TFRuntime", lambda *args, **kwargs: pytest.fail("simulated"))
    with pytest.raises(ValueError, match=r"config.horizon=2000000000 needs 16 TB.*memory"):
        main.simulate(default_config(horizon=2_000_000_000))  # 1000 users' clicks: 4 kB a step.
