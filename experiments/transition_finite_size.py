"""The transition to chaos of the SCS network sharpens with N (SCS 1988).

Runs the default gain sweep (tanh, zero diagonal) at several network sizes through the normal run
machinery (one run folder per N, with progress, checkpoints and resume), then overlays the
variance of x and its autocorrelation time vs g. For N → ∞ the variance is zero for g < 1 and
grows continuously from g = 1, and the autocorrelation time diverges at g = 1.

    .venv/bin/python experiments/transition_finite_size.py [--sizes 100 400 1600] [--out DIR]
        [--quick]

`--quick` (N = 100 and 400, t_end = 300: about two minutes on two CPU cores) is what drew
`docs/figures/transition_finite_size.png`; the default takes much longer (N = 1600).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_key_figure  # noqa: E402

from jaxchaos._runs._runfolder import new_run_folder, read_record  # noqa: E402
from jaxchaos._runs._sweep_config import default_config, resolve_config  # noqa: E402
from jaxchaos._runs._sweep_job import RESULTS, UNDEFINED, execute  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1600])
    parser.add_argument("--out", default="runs/transition_finite_size")
    parser.add_argument("--quick", action="store_true", help="N = 100 and 400, t_end = 300")
    args = parser.parse_args()
    sizes, t_end = ([100, 400], 300.0) if args.quick else (args.sizes, 600.0)
    seeds = len(default_config()["sweep"]["seed"])
    out = Path(args.out)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for n in sizes:
        config = default_config()
        config["name"] = f"transition_n{n}"
        config["model"]["n"] = n
        config["sweep"]["gain"] = [float(g) for g in np.round(np.linspace(0.6, 2.0, 15), 3)]
        config["simulation"]["t_end"] = t_end  # longer than the default: smoother decay times
        config["output"]["figures"] = False
        folder = out / f"n{n}-t{t_end:g}"
        if not (folder / "run.json").exists():
            new_run_folder(resolve_config(config), folder)
        if read_record(folder)["status"] != "finished":
            execute(folder)
        with np.load(folder / RESULTS) as data:
            gains = data["axis_gain"]
            for panel, key in ((left, "variance"), (right, "decay_time")):
                values = np.where(data[key] == UNDEFINED, np.nan, data[key])
                panel.plot(gains, np.nanmean(values, axis=0), marker="o", label=f"N = {n}")
    left.set_ylabel("variance of x")
    right.set_ylabel("autocorrelation time (1/e)")
    for panel in (left, right):
        panel.set_xlabel("gain g")
        panel.axvline(1.0, color="gray", ls="--", lw=0.8)
        panel.legend()
    fig.tight_layout()
    fig.savefig(out / "transition_finite_size.png", dpi=120)
    save_key_figure(fig, "transition_finite_size",
                    f"experiments/transition_finite_size.py{' --quick' if args.quick else ''}: "
                    f"N = {', '.join(map(str, sizes))}; mean over {seeds} seeds; t = {t_end:g}")
    print(f"figure: {out / 'transition_finite_size.png'}")


if __name__ == "__main__":
    main()
