"""Runs end to end: run folder contents, resume == uninterrupted, divergence reports, the CLI."""

import json

import numpy as np
import pytest

import jaxchaos
from jaxchaos._runs._cli import main
from jaxchaos._runs._runfolder import new_run_folder, read_record
from jaxchaos._runs._sweep_config import resolve_config
from jaxchaos._runs._sweep_job import UNDEFINED, execute, summarize


def _tiny(**simulation):
    sim = {"t_end": 20.0, "dt": 0.1, "record_every": 0.5, "t_warmup": 5.0,
           "autocorrelation_window": 5.0, "chunks": 4, "trace_neurons": 3, **simulation}
    return resolve_config({
        "name": "tiny",
        "model": {"kind": "scs", "n": 60},
        "sweep": {"seed": [0, 1], "gain": [0.5, 2.0]},
        "simulation": sim,
        "output": {"figures": False},
    })


def test_run_folder_holds_results_and_record(tmp_path):
    folder = execute(new_run_folder(_tiny(), tmp_path / "run"), progress=False)
    record = read_record(folder)
    assert record["status"] == "finished" and record["chunks_done"] == 4
    assert record["config"] == _tiny()
    for key in ("jax", "jaxlib", "jaxchaos"):
        assert record["versions"][key]
    assert record["devices"] and record["precision"]["dtype"] == "float64"
    with np.load(folder / "results.npz") as data:
        assert data["traces"].shape == (2, 2, 40, 3)
        assert data["variance"].shape == (2, 2)
        np.testing.assert_allclose(data["times"][[0, -1]], [0.5, 20.0])
        # g = 0.5: every mode decays at rate >= 1 - 0.5·(spectral radius ≈ 1), so after the
        # warm-up of 5 x² is below e^{-5} ≈ 7e-3 of its initial O(1) value. g = 2 fluctuates.
        assert np.all(data["variance"][:, 0] < 7e-3)
        assert np.all(data["variance"][:, 1] > 0.1)
        assert np.all(np.isfinite(data["decay_time"][:, 1]))


def test_float32_run_leaves_the_sessions_precision_alone(tmp_path):
    """A run computes in its output.precision, and the caller's float64 setting (this suite's)
    is restored afterwards: a float32 run must not switch later work to float32."""
    import jax

    config = _tiny()
    config["output"]["precision"] = "float32"
    folder = execute(new_run_folder(config, tmp_path / "run"), progress=False)
    assert jax.config.jax_enable_x64
    assert read_record(folder)["precision"]["dtype"] == "float32"
    with np.load(folder / "results.npz") as data:
        assert data["variance"].dtype == np.float32


def test_summarize_decay_time_and_quiet_runs():
    tau, dt = 3.0, 0.5
    lags = np.arange(41) * dt
    variance = np.array([2.0, 1e-10])
    moments = {"mean": np.zeros((2, 5)), "var": variance[:, None] * np.ones((2, 5))}
    autocorrelation = {"corr": variance[:, None] * np.exp(-lags / tau)}
    summary = summarize(moments, autocorrelation, dt)
    np.testing.assert_allclose(summary["variance"], variance)
    # Linear interpolation of e^{-l/τ} between samples dt apart: error below dt²/(8τ) ≈ 0.01.
    assert abs(summary["decay_time"][0] - tau) < 0.011
    assert summary["decay_time"][1] == UNDEFINED  # temporal variance below QUIET: no decay time


def test_resume_equals_uninterrupted(tmp_path):
    whole = execute(new_run_folder(_tiny(), tmp_path / "whole"), progress=False)
    parts = new_run_folder(_tiny(), tmp_path / "parts")
    execute(parts, progress=False, stop_after=1)
    assert read_record(parts)["status"] == "interrupted"
    assert read_record(parts)["chunks_done"] == 1
    execute(parts, progress=False, stop_after=2)
    assert read_record(parts)["chunks_done"] == 3
    execute(parts, progress=False)
    with np.load(whole / "results.npz") as a, np.load(parts / "results.npz") as b:
        assert set(a) == set(b)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_resume_of_noisy_run_equals_uninterrupted(tmp_path):
    config = _tiny()
    config["model"]["noise"] = 0.3
    config["simulation"]["solver"] = "euler"
    config = resolve_config(config)
    whole = execute(new_run_folder(config, tmp_path / "whole"), progress=False)
    parts = new_run_folder(config, tmp_path / "parts")
    execute(parts, progress=False, stop_after=2)
    execute(parts, progress=False)
    with np.load(whole / "results.npz") as a, np.load(parts / "results.npz") as b:
        np.testing.assert_array_equal(a["traces"], b["traces"])
        np.testing.assert_array_equal(a["variance"], b["variance"])


def test_divergence_names_grid_point_and_time(tmp_path):
    """One chunk: the state itself reaches inf inside it (growth ~e^{20} per step)."""
    config = _tiny(chunks=1)
    config["model"]["nonlinearity"] = "relu"
    config["sweep"]["gain"] = [0.5, 200.0]
    folder = new_run_folder(resolve_config(config), tmp_path / "run")
    with pytest.raises(jaxchaos.DivergenceError, match=r"'gain': 200\.0.*at step \d+ \(t = "):
        execute(folder, progress=False)
    assert read_record(folder)["status"] == "diverged"


def test_runaway_relu_is_diverged_and_writes_nothing_non_finite(tmp_path):
    """Issue 14 item 4: a ReLU run whose state stays finite (~1e200) while its squares overflow
    stops as diverged, naming the grid points; every file in the folder is finite."""
    config = _tiny()
    config["model"]["nonlinearity"] = "relu"
    config["sweep"]["gain"] = [0.5, 200.0]
    folder = new_run_folder(resolve_config(config), tmp_path / "run")
    with pytest.raises(jaxchaos.DivergenceError, match=r"runaway.*'gain': 200\.0"):
        execute(folder, progress=False)
    record = read_record(folder)
    assert record["status"] == "diverged" and "runaway" in record["error"]
    assert not (folder / "results.npz").exists()
    for path in folder.glob("*.np[yz]"):
        data = np.load(path)
        for array in (data.values() if hasattr(data, "values") else [data]):
            if np.issubdtype(array.dtype, np.floating):
                assert np.all(np.isfinite(array)), path


def test_existing_run_folder_is_not_overwritten(tmp_path):
    new_run_folder(_tiny(), tmp_path / "run")
    with pytest.raises(jaxchaos.ConfigError, match="resume"):
        new_run_folder(_tiny(), tmp_path / "run")


def test_cli_reports_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nnonlinearity = "sigmoid"\n')
    assert main(["run", str(bad), "--out", str(tmp_path / "r")]) == 2
    assert "model.nonlinearity" in capsys.readouterr().err
    assert main(["resume", str(tmp_path / "nowhere")]) == 2


def test_cli_runs_a_config_with_figures(tmp_path):
    config = _tiny()
    config["output"]["figures"] = True
    path = tmp_path / "c.toml"
    path.write_text(_to_toml(config))
    assert main(["run", str(path), "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    figures = sorted(p.name for p in (tmp_path / "r" / "figures").glob("*.png"))
    assert figures == ["autocorrelation.png", "summary.png", "traces.png"]
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "finished"


def _to_toml(config: dict) -> str:
    """A minimal TOML writer for resolved configs (tables of scalars and lists)."""
    lines = [f'name = "{config["name"]}"']
    for table in ("model", "sweep", "simulation", "output"):
        lines.append(f"[{table}]")
        for key, value in config[table].items():
            if value is not None:
                lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _tiny_spectrum():
    config = _tiny(solver="rk4", t_warmup=10.0, chunks=2)
    config["lyapunov"] = {"t_ons": 0.5, "t_frame_warmup": 5.0, "t_sim": 20.0, "n_blocks": 4}
    return resolve_config(config)


def test_spectrum_run_resumes_and_satisfies_the_trace_identity(tmp_path):
    whole = execute(new_run_folder(_tiny_spectrum(), tmp_path / "whole"), progress=False)
    parts = new_run_folder(_tiny_spectrum(), tmp_path / "parts")
    execute(parts, progress=False, stop_after=1)
    execute(parts, progress=False)
    with np.load(whole / "results.npz") as a, np.load(parts / "results.npz") as b:
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        assert a["exponents"].shape == (2, 2, 60)
        # Zero diagonal: the exponents of the flow sum to -N; RK4 at dt = 0.1 changes the step's
        # log-determinant by O(dt⁴) per unit time, far below 1e-4.
        np.testing.assert_allclose(a["exponents"].mean(axis=-1), -1.0, atol=1e-4)
        # g = 0.5: the fixed point is stable, every exponent negative and no entropy.
        assert np.all(a["lambda_max"][:, 0] < 0) and np.all(a["ks_entropy"][:, 0] == 0)
        np.testing.assert_allclose(a["history"][..., -1, :], a["exponents"], rtol=1e-12)


def test_lyapunov_config_errors():
    config = _tiny_spectrum()
    config["lyapunov"]["k"] = 100
    with pytest.raises(jaxchaos.ConfigError, match="lyapunov.k"):
        resolve_config(config)
    config["lyapunov"].update(k=None, n_blocks=3)
    with pytest.raises(jaxchaos.ConfigError, match="lyapunov.t_sim"):
        resolve_config(config)
