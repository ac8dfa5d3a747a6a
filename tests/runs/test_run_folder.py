"""The run-folder protocol (issue 14): one process per folder (lock, stale locks), refused edits
of the record, damaged or missing files, paths that cannot hold a run, folders with the user's
own files, and requests too large to fit."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import jaxchaos
from jaxchaos._runs._cli import main
from jaxchaos._runs._runfolder import (
    CHECKPOINT,
    RECORD,
    load_tree,
    locked,
    new_run_folder,
    read_record,
    save_tree,
)
from jaxchaos._runs._sweep_config import resolve_config
from jaxchaos._runs._sweep_job import execute


def _tiny(**simulation):
    return resolve_config({
        "name": "tiny", "model": {"kind": "scs", "n": 6, "gain": 2.0},
        "sweep": {"seed": [0, 1]},
        "simulation": {"t_end": 2.0, "dt": 0.1, "record_every": 0.5, "t_warmup": 1.0,
                       "autocorrelation_window": 1.0, "chunks": 2, "trace_neurons": 2,
                       "solver": "euler", **simulation},
        "output": {"figures": False}})


def test_a_second_process_on_the_folder_is_refused(tmp_path):
    """run + resume, or two resumes: while one holds the folder the other is refused, naming
    the holder, and the folder is untouched."""
    folder = new_run_folder(_tiny(), tmp_path / "run")
    before = (folder / RECORD).read_text()
    with locked(folder):
        with pytest.raises(jaxchaos.ConfigError, match=f"in use by process {os.getpid()}"):
            execute(folder, progress=False)
        assert main(["resume", str(folder), "--no-progress"]) == 2
    assert (folder / RECORD).read_text() == before
    execute(folder, progress=False)
    assert read_record(folder)["status"] == "finished"


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path):
    """A real second process holds the lock (refused meanwhile); after SIGKILL its lock file
    is still there but stale, and the resume goes ahead."""
    folder = new_run_folder(_tiny(), tmp_path / "run")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from jaxchaos._runs._runfolder import locked\n"
         "with locked(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
         str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(jaxchaos.ConfigError, match=f"in use by process {holder.pid}"):
            execute(folder, progress=False)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    assert (folder / "run.lock").exists()
    execute(folder, progress=False)
    assert read_record(folder)["status"] == "finished"


def test_creating_a_run_in_a_folder_in_use_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    with locked(tmp_path / "run"), pytest.raises(jaxchaos.ConfigError, match="in use"):
        new_run_folder(_tiny(), tmp_path / "run")


@pytest.mark.parametrize(("key", "value"), [("t_end", 3.0), ("chunks", 1), ("trace_neurons", 1)])
def test_resume_after_editing_the_record_is_refused(tmp_path, key, value):
    folder = new_run_folder(_tiny(), tmp_path / "run")
    execute(folder, progress=False, stop_after=1)
    record = json.loads((folder / RECORD).read_text())
    record["config"]["simulation"][key] = value
    (folder / RECORD).write_text(json.dumps(record))
    with pytest.raises(jaxchaos.ConfigError, match="was edited"):
        execute(folder, progress=False)


def test_reordered_sweep_axes_are_refused(tmp_path):
    """The order of the sweep axes is the order of the grid's axes: swapping them in the record
    would transpose the resumed results."""
    config = _tiny()
    config["sweep"] = {"seed": [0, 1], "gain": [0.5, 2.0]}
    folder = new_run_folder(resolve_config(config), tmp_path / "run")
    record = json.loads((folder / RECORD).read_text())
    record["config"]["sweep"] = dict(reversed(record["config"]["sweep"].items()))
    (folder / RECORD).write_text(json.dumps(record))
    with pytest.raises(jaxchaos.ConfigError, match="was edited"):
        execute(folder, progress=False)


def test_edited_model_size_is_refused(tmp_path):
    folder = new_run_folder(_tiny(), tmp_path / "run")
    execute(folder, progress=False, stop_after=1)
    record = json.loads((folder / RECORD).read_text())
    record["config"]["model"]["n"] = 8
    (folder / RECORD).write_text(json.dumps(record))
    assert main(["resume", str(folder)]) == 2


@pytest.mark.parametrize("content", ["", "{", "[]", '{"job": "sweep"}'])
def test_damaged_record_is_a_clear_error(tmp_path, content, capsys):
    folder = new_run_folder(_tiny(), tmp_path / "run")
    (folder / RECORD).write_text(content)
    assert main(["resume", str(folder)]) == 2
    assert "damaged" in capsys.readouterr().err


def test_missing_or_foreign_checkpoint_is_a_clear_error(tmp_path):
    folder = new_run_folder(_tiny(), tmp_path / "run")
    execute(folder, progress=False, stop_after=1)
    (folder / CHECKPOINT).rename(tmp_path / "saved.npz")
    with pytest.raises(jaxchaos.ConfigError, match="checkpoint.npz is missing"):
        execute(folder, progress=False)
    other = new_run_folder(_tiny(t_warmup=0.5), tmp_path / "other")
    execute(other, progress=False, stop_after=1)
    (other / CHECKPOINT).rename(folder / CHECKPOINT)
    with pytest.raises(jaxchaos.ConfigError, match="another config"):
        execute(folder, progress=False)
    (folder / CHECKPOINT).write_bytes(b"not an npz")
    with pytest.raises(jaxchaos.ConfigError, match="damaged"):
        execute(folder, progress=False)



def test_checkpoint_of_another_state_layout_is_refused(tmp_path):
    """A checkpoint whose arrays do not fit this job's state (e.g. written by a jaxchaos
    version whose state held a solver state more or less) is refused, never loaded shifted."""
    import jax

    like = (np.int32(0), jax.random.key(0), np.zeros(3))  # (step, key, x)
    save_tree(tmp_path / "same.npz", like)
    restored = load_tree(tmp_path / "same.npz", like)
    assert np.array_equal(jax.random.key_data(restored[1]), jax.random.key_data(like[1]))
    save_tree(tmp_path / "more.npz", (*like, np.zeros(3)))
    with pytest.raises(jaxchaos.ConfigError, match="holds 4 state arrays, this job's state 3"):
        load_tree(tmp_path / "more.npz", like)
    save_tree(tmp_path / "shifted.npz", (like[0], np.zeros(3), like[1], like[2]))
    with pytest.raises(jaxchaos.ConfigError, match=r"leaf_0001: \(3,\) float64, expected "
                                                   r"\(2,\) uint32"):
        load_tree(tmp_path / "shifted.npz", like)


def test_record_ahead_of_the_checkpoint_is_refused(tmp_path):
    folder = new_run_folder(_tiny(), tmp_path / "run")
    execute(folder, progress=False, stop_after=1)
    record = json.loads((folder / RECORD).read_text())
    record["progress"] = 2
    (folder / RECORD).write_text(json.dumps(record))
    with pytest.raises(jaxchaos.ConfigError, match="holds progress 1"):
        execute(folder, progress=False)


def test_folders_that_cannot_hold_a_run(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(jaxchaos.ConfigError, match="is a file"):
        new_run_folder(_tiny(), tmp_path / "file")
    with pytest.raises(jaxchaos.ConfigError, match="cannot create the run folder"):
        new_run_folder(_tiny(), tmp_path / "file" / "run")
    with pytest.raises(jaxchaos.ConfigError, match="cannot create the run folder"):
        new_run_folder(_tiny(), "/proc/jaxchaos-run")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "results.npz").write_bytes(b"the user's own file")
    with pytest.raises(jaxchaos.ConfigError, match="not empty.*results.npz"):
        new_run_folder(_tiny(), mine)
    assert (mine / "results.npz").read_bytes() == b"the user's own file"


def test_cli_path_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["run", "--out", str(tmp_path / "file" / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jaxchaos: error: cannot create the run folder")
    assert "Traceback" not in err
    assert main(["resume", str(tmp_path / "file")]) == 2


def test_too_large_a_request_is_refused_before_it_runs(tmp_path):
    """Issue 14 item 7: 10⁹ records of 400 neurons over 4 seeds (~12 TiB of traces) and a
    50 000-neuron sweep of 64 points (~1.2 TiB of weights) are refused, naming the keys."""
    config = resolve_config({
        "model": {"n": 400}, "sweep": {"seed": [0, 1, 2, 3]},
        "simulation": {"t_end": 1e9, "dt": 1.0, "record_every": 1.0, "chunks": 1000,
                       "trace_neurons": 400},
        "output": {"figures": False}})
    folder = new_run_folder(config, tmp_path / "big")
    with pytest.raises(jaxchaos.ConfigError, match="simulation.trace_neurons"):
        execute(folder, progress=False)
    assert read_record(folder)["status"] == "failed"
    assert not list(folder.glob("stream_*"))
    config = resolve_config({"model": {"n": 50_000}, "sweep": {"seed": list(range(64))},
                             "simulation": {"trace_neurons": 1}, "output": {"figures": False}})
    with pytest.raises(jaxchaos.ConfigError, match="device memory.*model.n"):
        execute(new_run_folder(config, tmp_path / "wide"), progress=False)


def test_results_are_streamed_not_concatenated(tmp_path, monkeypatch):
    """Issue 14 item 7: no chunk outputs are concatenated (np.concatenate is never called on
    them) and the streamed traces equal the results' traces."""
    folder = new_run_folder(_tiny(chunks=4), tmp_path / "run")
    execute(folder, progress=False, stop_after=3)
    streamed = np.load(folder / "stream_traces.npy")
    calls = []
    real = np.concatenate
    monkeypatch.setattr(np, "concatenate", lambda *a, **k: calls.append(1) or real(*a, **k))
    execute(folder, progress=False)
    with np.load(folder / "results.npz") as data:
        np.testing.assert_array_equal(data["traces"][:, :3], streamed[:, :3])
        assert data["traces"].shape == (2, 4, 2)
    assert not calls
