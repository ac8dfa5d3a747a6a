"""The spiking job: resume equals uninterrupted, summary contents, config errors name the key."""

import json

import numpy as np
import pytest

from jaxchaos._core._errors import ConfigError
from jaxchaos._runs._jobs import resolve_job
from jaxchaos._runs._runfolder import new_run_folder, read_record
from jaxchaos._runs._spiking_job import load_spikes, run_spiking


def _tiny(**lyapunov):
    job, config = resolve_job({
        "job": "spiking", "name": "tiny",
        "network": {"neuron": "theta", "n": 60, "k": 10, "coupling": 1.0, "rate": 0.1},
        "simulation": {"t_end": 40.0, "chunks": 4},
        "lyapunov": {"k": 3, "n_blocks": 3, "qrs_per_block": 5, **lyapunov},
    })
    return config


def test_spiking_resume_equals_uninterrupted(tmp_path):
    """Chunks stopped and resumed give bit-for-bit the spikes of one uninterrupted run (the
    checkpoint holds the whole event-loop state in float64)."""
    whole = run_spiking(new_run_folder(_tiny(), tmp_path / "whole", job="spiking"),
                        progress=False)
    parts = new_run_folder(_tiny(), tmp_path / "parts", job="spiking")
    run_spiking(parts, progress=False, stop_after=1)
    assert read_record(parts)["status"] == "interrupted"
    assert read_record(parts)["chunks_done"] == 1
    run_spiking(parts, progress=False)
    for a, b in zip(load_spikes(whole), load_spikes(parts), strict=True):
        np.testing.assert_array_equal(a, b)
    summary = json.loads((whole / "summary.json").read_text())
    assert summary == json.loads((parts / "summary.json").read_text())
    assert 0.05 < summary["population_rate"] < 0.15 and summary["spikes"] > 100
    assert len(summary["lyapunov"]["exponents"]) == 3
    assert read_record(whole)["status"] == "finished"


@pytest.mark.parametrize("network,field", [
    ({"n": 10, "k": 10}, "k = 10 must be < n"),
    ({"coupling": -1.0}, "coupling"),
    ({"rate": 50.0}, "rate = 50.0 cannot be reached"),
    ({"neuron": "hh"}, "network.neuron"),
    ({"rapidness": 0.5}, "network.rapidness"),
])
def test_spiking_config_errors_name_the_key(network, field):
    with pytest.raises(ConfigError, match=field):
        resolve_job({"job": "spiking", "network": network})
