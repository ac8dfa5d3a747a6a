"""Signal propagation through deep random tanh nets: finite-width simulation against mean-field
theory (Poole et al. 2016; Schoenholz et al. 2017). The figures and what they show are listed
in `jaxchaos/_runs/_deepnet_job.py`; this script runs `configs/deep_signal_propagation.toml` (the
same as `jaxchaos run configs/deep_signal_propagation.toml`) into `--out`, continuing an
interrupted run found there, and prints the summary. `--quick` shrinks widths and grids for a
smoke run. The key figures (measured curvature against the mean-field theory, shallow against
deep) become `docs/figures/deep_*.png` for the README.

    .venv/bin/python experiments/deep_signal_propagation.py [--config FILE] [--out DIR] [--quick]
"""

import argparse
import json
from pathlib import Path

from _figures import copy_key_figure

from jaxchaos._runs._jobs import execute_run, resolve_job
from jaxchaos._runs._runfolder import RECORD, new_run_folder, read_record
from jaxchaos._runs._sweep_config import read_toml

QUICK = {"network": {"width": 200, "depth": 12},
         "figures": {"grid_sigma_w": 8, "grid_sigma_b": 4, "circle_points": 64,
                     "depth_scale_sigma_w": [1.2, 1.6, 2.0]}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=Path(__file__).parents[1] / "configs"
                        / "deep_signal_propagation.toml")
    parser.add_argument("--out", default="runs/deep_signal_propagation")
    parser.add_argument("--quick", action="store_true", help="small widths and grids")
    args = parser.parse_args()
    raw = read_toml(args.config)
    if args.quick:
        raw = {**raw, **{table: {**raw.get(table, {}), **values}
                         for table, values in QUICK.items()}}
    job, config = resolve_job(raw)
    out = Path(args.out)
    if not (out / RECORD).exists():
        new_run_folder(config, out, job=job)
    elif read_record(out)["config"] != config:
        raise SystemExit(f"{out} holds a run of another config; pick another --out")
    execute_run(out)
    print(json.dumps(json.loads((out / "summary.json").read_text()), indent=2))
    suffix = "_quick" if args.quick else ""
    for name in ("manifold", "shallow_vs_deep"):
        copy_key_figure(out / "figures" / f"{name}.png", f"deep_{name}{suffix}",
                        f"experiments/deep_signal_propagation.py{' --quick' if args.quick else ''}"
                        f": width {config['network']['width']}")
    print(f"figures in {out / 'figures'}")


if __name__ == "__main__":
    main()
