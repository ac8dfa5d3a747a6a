"""A user image folder (colour 64×64, no labels) trains through `jaxchaos run` with the shipped
GAN job unchanged: nothing in the job depends on the bundled digits or on the device."""

import json

import matplotlib.image
import numpy as np
import pytest

from jaxchaos._runs._cli import main
from jaxchaos._runs._runfolder import read_record


@pytest.mark.slow  # compiling a 64×64 DCGAN on a CPU: 3 minutes on 2 cores shared by 6 agents
@pytest.mark.filterwarnings("ignore:latent network at g=.* is not chaotic:UserWarning")
def test_colour_image_folder_runs_end_to_end(tmp_path):
    """Six random RGB 64×64 PNGs; N = 30 keeps it fast (such a small network is not chaotic: a
    warning, ignored here). Without labels the quality measures are skipped, not an error."""
    folder = tmp_path / "faces"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        matplotlib.image.imsave(folder / f"{i}.png", rng.random((64, 64, 3)))
    config = {"job": "train-gan", "name": "faces",
              "latent": {"n": 30, "dim": 6, "degree": 2, "warmup": 10.0},
              "data": {"source": "folder", "path": str(folder), "image_size": 64},
              "model": {"width": 8},
              "training": {"steps": 2, "batch": 4, "sample_every": 2, "checkpoint_every": 2,
                           "log_every": 1}}
    path = tmp_path / "faces.toml"
    path.write_text(_toml(config))
    run = tmp_path / "run"
    assert main(["run", str(path), "--out", str(run), "--no-progress"]) == 0
    assert read_record(run)["status"] == "finished"
    sample = matplotlib.image.imread(run / "samples" / "step_000002.png")
    assert sample.shape[0] >= 64 and sample.shape[1] >= 64
    assert not (run / "results.json").exists()  # no labels: no classifier, no Fréchet distance
    assert json.loads((run / "run.json").read_text())["config"]["data"]["image_size"] == 64


def _toml(config: dict) -> str:
    lines = [f'job = "{config["job"]}"', f'name = "{config["name"]}"']
    for table in ("latent", "data", "model", "training"):
        lines.append(f"[{table}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in config[table].items()]
    return "\n".join(lines) + "\n"
