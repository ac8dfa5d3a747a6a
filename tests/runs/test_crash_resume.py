"""Crash consistency (issue 14, item 1): each job is killed at every point of its write sequence
and resumed, and the resumed run's results equal an uninterrupted run's bit for bit.

A crash is injected by making the k-th write of the run folder (every write goes through
`_runfolder._replace` or `_runfolder._write_slice`) raise `Crash`, a `BaseException` that no
job handler catches, so nothing else is written — as with a SIGKILL (the kernel then drops the
folder's lock, as leaving the `with` block does here). The configs are tiny: what is under test is
the order of writes, not the numerics."""

import json

import numpy as np
import pytest
from test_gan_job import tiny_gan_config

from jaxchaos._runs import _deepnet_job, _runfolder
from jaxchaos._runs._deepnet_job import resolve_deep_net_config, run_deep_net
from jaxchaos._runs._gan_job import train_gan
from jaxchaos._runs._jobs import resolve_job
from jaxchaos._runs._runfolder import new_run_folder, read_record
from jaxchaos._runs._spiking_job import run_spiking
from jaxchaos._runs._sweep_config import resolve_config
from jaxchaos._runs._sweep_job import execute
from jaxchaos._runs._training_job import resolve_training_config, train


class Crash(BaseException):
    """A simulated kill."""


def _instrument(monkeypatch, crash_at=None):
    """Count the folder's writes; with `crash_at`, raise `Crash` just before write `crash_at`."""
    count = [0]
    real_replace, real_slice = _runfolder._replace, _runfolder._write_slice

    def point():
        count[0] += 1
        if count[0] == crash_at:
            raise Crash

    def replace(tmp, path):
        point()
        real_replace(tmp, path)

    def write_slice(array, index, values):
        point()
        real_slice(array, index, values)

    monkeypatch.setattr(_runfolder, "_replace", replace)
    monkeypatch.setattr(_runfolder, "_write_slice", write_slice)
    return count


def _arrays(path):
    if path.suffix == ".json":
        return {"json": path.read_text()}
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _check_every_crash_point(tmp_path, monkeypatch, job, config, run, outputs):
    """Run once counting writes, then for every write k: crash before it, resume, compare."""
    reference = new_run_folder(config, tmp_path / "reference", job=job)
    with monkeypatch.context() as patch:
        count = _instrument(patch)
        run(reference)
    writes = count[0]
    assert writes >= 5
    expected = {name: _arrays(reference / name) for name in outputs}
    for k in range(1, writes + 1):
        folder = new_run_folder(config, tmp_path / f"crash_{k}", job=job)
        with monkeypatch.context() as patch:
            _instrument(patch, crash_at=k)
            with pytest.raises(Crash):
                run(folder)
        run(folder)
        assert read_record(folder)["status"] == "finished", k
        for name, arrays in expected.items():
            got = _arrays(folder / name)
            assert got.keys() == arrays.keys(), (k, name)
            for key, value in arrays.items():
                np.testing.assert_array_equal(got[key], value, err_msg=f"crash {k}: {name} {key}")
        assert not list(folder.glob("stream_*")), k  # removed once finished
    return writes


def test_sweep_survives_a_crash_at_every_write(tmp_path, monkeypatch):
    config = resolve_config({
        "name": "crash", "model": {"kind": "scs", "n": 6, "gain": 2.0},
        "sweep": {"seed": [0, 1]},
        "simulation": {"t_end": 2.0, "dt": 0.1, "record_every": 0.5, "t_warmup": 1.0,
                       "autocorrelation_window": 1.0, "chunks": 2, "trace_neurons": 2,
                       "solver": "euler"},
        "output": {"figures": False}})
    writes = _check_every_crash_point(tmp_path, monkeypatch, "sweep", config,
                                      lambda f: execute(f, progress=False), ["results.npz"])
    assert writes == 1 + 2 * 3 + 2  # running; per chunk: traces, checkpoint, record; results,
    # finished


def test_train_rnn_survives_a_crash_at_every_write(tmp_path, monkeypatch):
    config = resolve_training_config({
        "name": "crash", "network": {"n": 4, "gain": 1.5},
        "task": {"kind": "copy", "delay": 1, "length": 3},
        "flossing": {"k": 1, "batch": 1},
        "training": {"protocol": "preflossing", "steps": 2, "floss_steps": 1, "seeds": 1,
                     "batch": 2, "eval_batch": 2, "jacobian_batch": 1, "log_every": 2},
        "output": {"precision": "float64"}})
    _check_every_crash_point(tmp_path, monkeypatch, "train-rnn", config,
                             lambda f: train(f, progress=False), ["results.npz", "log.npz"])


def test_train_gan_survives_a_crash_at_every_write(tmp_path, monkeypatch):
    """A Gaussian latent source: the chaotic one's simulation is tested in test_gan_job.py."""
    config = tiny_gan_config(tmp_path)
    config["latent"]["source"] = "gaussian"
    writes = _check_every_crash_point(tmp_path, monkeypatch, "train-gan", config,
                                      lambda f: train_gan(f, progress=False),
                                      ["log.npz", "checkpoint.npz"])
    assert writes == 1 + 2 * 3 + 2  # running; per commit: checkpoint, record, log; log, finished


def test_deep_net_survives_a_crash_at_every_write(tmp_path, monkeypatch):
    """The figures are replaced by cheap stand-ins that record their numbers in the summary
    (what the protocol commits); the real figures are tested in tests/models/test_deepnet.py."""
    def figure(name):
        def draw(p, out, summary):
            summary[name] = [p["width"], len(summary)]
        return draw

    monkeypatch.setattr(_deepnet_job, "FIGURES", {n: figure(n) for n in "abc"})
    config = resolve_deep_net_config({"network": {"width": 8, "depth": 3}})
    _check_every_crash_point(tmp_path, monkeypatch, "deep-net", config,
                             lambda f: run_deep_net(f, progress=False), ["summary.json"])
    summary = json.loads((tmp_path / "crash_1" / "summary.json").read_text())
    assert summary["c"] == [8, 3]


def test_spiking_survives_a_crash_at_every_write(tmp_path, monkeypatch):
    """Each chunk writes its spike file, then commits the event-loop state: a chunk redone after
    a crash rewrites the same file from the same state."""
    _, config = resolve_job({
        "job": "spiking", "name": "crash",
        "network": {"neuron": "theta", "n": 30, "k": 5, "coupling": 1.0, "rate": 0.1},
        "simulation": {"t_end": 20.0, "chunks": 2}})
    writes = _check_every_crash_point(tmp_path, monkeypatch, "spiking", config,
                                      lambda f: run_spiking(f, progress=False),
                                      ["spikes_0000.npz", "spikes_0001.npz", "summary.json"])
    assert writes == 1 + 2 * 3 + 2  # running; per chunk: spikes, checkpoint, record; summary,
    # finished
