"""Gradient flossing (Engelken, NeurIPS 2023): success rate vs delay with and without flossing,
and vs the number k of flossed exponents.

For each delay (`--delays`) and protocol ("baseline": the task loss alone; "preflossing":
flossing first, then the task loss), `seeds` networks train at once (vmap) from the base config
(default `configs/flossing_copy.toml`; sequence length = delay + `--tail`, rounded up to whole
checkpointed chunks). At one delay (`--k-delay`) preflossing can be repeated with other numbers
of flossed exponents (`--ks`, default 1 and k/4). Every training is a resumable run folder under
`<out>/runs/`: rerunning the script continues where it stopped. Written to `--out` (default
`results/gradient_flossing/`):

- `exponents.png`: the k leading finite-time exponents (per step) during flossing and training,
  at the longest delay: flossing pushes them to zero;
- `gradients.png`: norm of the task-loss gradient, and the spread (λ_1 - λ_k)T/ln 10 of the
  exponents, which bounds log10 of the condition number σ_1/σ_k of the long-term Jacobian
  ∂h_T/∂h_0 from below for k = N (the SVD of the formed product saturates at 1/eps), both
  protocols;
- `success.png`: success rate (final accuracy ≥ threshold) and median time to solve vs delay;
- `flossed_exponents.png`: success rate vs k at `--k-delay`, and the exponents when the task
  training starts, after flossing k of them (k = 0: no flossing);
- `summary.json`: the numbers behind the plots.

    .venv/bin/python experiments/gradient_flossing.py [--config PATH] [--delays 5 10 15 20 25 30]
        [--k-delay 25] [--ks 1 8] [--cell tanh|leaky|gru|lstm] [--out DIR] [--quick]

`--cell` replaces the config's cell (e.g. `--cell lstm`: the same task with an LSTM of n units,
whose exponents are over its full state (h, c), 2n of them; the key figure then gets the suffix
`_lstm`).

The default takes about 25 minutes on 2 CPU cores; `--quick` is a smoke run of a minute or two.
"""

import argparse
import copy
import json
import os
from pathlib import Path

# One OpenBLAS thread per LAPACK call: jaxlib already spreads a batch of small QRs over XLA's
# threads, and more threads per QR would only oversubscribe the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_key_figure  # noqa: E402

from jaxchaos._learning._rnn import CELLS  # noqa: E402
from jaxchaos._runs._runfolder import (  # noqa: E402
    RECORD,
    UNDEFINED,
    new_run_folder,
    read_record,
)
from jaxchaos._runs._sweep_config import read_toml  # noqa: E402
from jaxchaos._runs._training_job import RESULTS, resolve_training_config, train  # noqa: E402

PROTOCOLS = ("baseline", "preflossing")
QUICK = {"network": {"n": 16}, "flossing": {"k": 16, "checkpoint_every": None},
         "training": {"steps": 150, "floss_steps": 60, "seeds": 4, "log_every": 30,
                      "eval_batch": 16}}


def _config(base: dict, protocol: str, delay: int, tail: int, quick: bool,
            k: int | None = None) -> dict:
    raw = copy.deepcopy(base)
    for section, values in (QUICK if quick else {}).items():
        raw.setdefault(section, {}).update(values)
    raw = {section: ({key: v for key, v in table.items() if v is not None}
                     if isinstance(table, dict) else table) for section, table in raw.items()}
    raw["name"] = f"{protocol}_d{delay}" + ("" if k is None else f"_k{k}")
    flossing = raw.setdefault("flossing", {})
    if k is not None:  # log as many exponents as the base config floss, to compare spectra
        raw["training"]["logged_exponents"] = flossing.get("k", k)
        flossing["k"] = k
    multiple = flossing.get("qr_every", 1) * (flossing.get("checkpoint_every") or 1)
    raw["task"].update(delay=delay, length=-(-(delay + tail) // multiple) * multiple)
    raw["training"]["protocol"] = protocol
    if protocol == "baseline":
        raw["training"].pop("floss_steps", None)
    return resolve_training_config(raw)


def _run(config: dict, folder: Path) -> dict:
    """The results of the training run `config` in `folder` (run or resumed), with its name."""
    if not (folder / RECORD).exists():
        new_run_folder(config, folder, job="train-rnn")
    elif resolve_training_config(read_record(folder, "train-rnn")["config"]) != config:
        raise SystemExit(f"{folder} holds a run of another config: remove it or choose "
                         "another --out")
    train(folder)
    with np.load(folder / RESULTS) as data:
        return {**data, "name": config["name"]}


def _before_task(res: dict) -> int:
    """Index of the last log point before the first task step."""
    return int(np.argmax(res["task_steps"] > 0)) - 1


def _condition_from_exponents(res: dict, config: dict):
    """(λ_1 - λ_k)(T - T_w)/ln 10 per log point and seed: log10 |r_11/r_kk| of the QR of
    ∂h_T/∂h_0·Q_0 (the product of the per-step R's), for k = N a lower bound on log10 σ_1/σ_N
    (Horn: log|r_ii| is majorized by log σ_i). Unlike the SVD of the formed product it does not
    saturate near 1/eps (7 decades in float32), far below the unflossed networks' values."""
    horizon = config["task"]["length"] - config["flossing"]["warmup_steps"]
    return (res["exponents"][..., 0] - res["exponents"][..., -1]) * horizon / np.log(10)


def _row(res: dict, config: dict) -> dict:
    """The numbers of one training (means and medians over seeds)."""
    start = _before_task(res)
    solved = res["time_to_solve"] != UNDEFINED
    return {
        "success_rate": float(res["success_rate"]),
        "median_time_to_solve": float(np.median(res["time_to_solve"][solved]))
        if solved.any() else None,
        "final_accuracy_mean": float(np.mean(res["accuracy"][-1])),
        "exponents_initial_mean": np.mean(res["exponents"][0], axis=0).tolist(),
        "exponents_before_task_mean": np.mean(res["exponents"][start], axis=0).tolist(),
        "exponents_final_mean": np.mean(res["exponents"][-1], axis=0).tolist(),
        "grad_norm_initial_median": float(np.median(res["grad_norm"][0])),
        "grad_norm_before_task_median": float(np.median(res["grad_norm"][start])),
        "log10_condition_k_svd_before_task_median": float(np.median(
            res["log10_condition_k"][start])),
        "log10_r11_over_rkk_before_task_median": float(np.median(
            _condition_from_exponents(res, config)[start])),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/flossing_copy.toml")
    parser.add_argument("--delays", type=int, nargs="+", default=None)
    parser.add_argument("--k-delay", type=int, default=None,
                        help="delay of the sweep over k (default: the second-longest delay)")
    parser.add_argument("--ks", type=int, nargs="*", default=None,
                        help="numbers of flossed exponents besides the config's k (and 0)")
    parser.add_argument("--tail", type=int, default=20, help="steps after the delay")
    parser.add_argument("--cell", choices=sorted(CELLS), default=None,
                        help="the network's cell instead of the config's (n units; the LSTM's "
                        "state (h, c) has 2n dimensions, all in the exponents)")
    parser.add_argument("--out", default=None,
                        help="default results/gradient_flossing, with _CELL for other cells")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args()
    delays = sorted(args.delays or ([2, 6] if args.quick else [5, 10, 15, 20, 25, 30]))
    k_delay = args.k_delay if args.k_delay is not None else delays[max(len(delays) - 2, 0)]
    base = read_toml(args.config)
    if base.pop("job", "train-rnn") != "train-rnn":
        raise SystemExit(f"{args.config} is not a train-rnn config")
    if args.cell is not None:
        base.setdefault("network", {})["cell"] = args.cell
    cell = base.get("network", {}).get("cell", "tanh")
    suffix = "" if cell == "tanh" else f"_{cell}"
    out = Path(args.out or f"results/gradient_flossing{suffix}")

    configs = {}

    def run(protocol, delay, k=None):
        config = _config(base, protocol, delay, args.tail, args.quick, k)
        configs[config["name"]] = config
        return _run(config, out / "runs" / config["name"])

    def row(res):
        return _row(res, configs[res["name"]])

    results = {p: {d: run(p, d) for d in delays} for p in PROTOCOLS}
    config = _config(base, "preflossing", delays[-1], args.tail, args.quick)
    k, seeds = config["flossing"]["k"], config["training"]["seeds"]
    ks = sorted(set([1, max(k // 4, 1)] if args.ks is None else args.ks) - {0, k})
    by_k = {0: run("baseline", k_delay), k: run("preflossing", k_delay)}
    by_k.update({kk: run("preflossing", k_delay, kk) for kk in ks})
    by_k = dict(sorted(by_k.items()))

    summary = {"config": config, "delays": delays,
               "protocols": {p: {d: row(res) for d, res in results[p].items()}
                             for p in PROTOCOLS},
               "k_delay": k_delay,
               "by_k": {kk: row(res) for kk, res in by_k.items()}}
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))

    longest = {p: results[p][delays[-1]] for p in PROTOCOLS}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, protocol in zip(axes, PROTOCOLS, strict=True):
        res = longest[protocol]
        mean = np.mean(res["exponents"], axis=1)
        for i in range(k):
            ax.plot(res["step"], mean[:, i], color=plt.cm.viridis(i / max(k - 1, 1)), lw=1)
        start = res["step"][_before_task(res)]
        if start > 0:
            ax.axvspan(0, start, color="gold", alpha=0.2, label="flossing")
            ax.legend()
        ax.axhline(0, color="gray", lw=0.8, ls="--")
        ax.set_title(f"{protocol}, delay {delays[-1]} (mean over {seeds} seeds)")
        ax.set_xlabel("step")
    axes[0].set_ylabel(f"λ_1..λ_{k} (per step)")
    fig.tight_layout()
    fig.savefig(out / "exponents.png", dpi=120)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for protocol, color in zip(PROTOCOLS, ("C0", "C3"), strict=True):
        res = longest[protocol]
        left.plot(res["step"], np.median(res["grad_norm"], axis=1), color=color, label=protocol)
        right.plot(res["step"], np.median(_condition_from_exponents(res, configs[res["name"]]),
                                          axis=1), color=color, label=protocol)
    left.set_yscale("log")
    left.set_ylabel("task-gradient norm (median over seeds)")
    right.set_ylabel(f"(λ_1 - λ_{k})·T / ln 10 (median)")
    for ax in (left, right):
        ax.set_xlabel("step")
        ax.legend()
    fig.suptitle(f"delay {delays[-1]}")
    fig.tight_layout()
    fig.savefig(out / "gradients.png", dpi=120)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for protocol, color in zip(PROTOCOLS, ("C0", "C3"), strict=True):
        rows = summary["protocols"][protocol]
        left.plot(delays, [rows[d]["success_rate"] for d in delays], "o-", color=color,
                  label=protocol)
        right.plot(delays, [np.nan if rows[d]["median_time_to_solve"] is None
                            else rows[d]["median_time_to_solve"] for d in delays], "o-",
                   color=color, label=protocol)
    left.set_ylabel(f"success rate ({seeds} seeds)")
    right.set_ylabel("median task steps to solve (solved seeds)")
    for ax in (left, right):
        ax.set_xlabel("delay")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "success.png", dpi=120)
    save_key_figure(fig, f"flossing_success_vs_delay{suffix}",
                    f"experiments/gradient_flossing.py{' --quick' if args.quick else ''}: "
                    f"{config['network']['cell']} RNN, N = {config['network']['n']}, "
                    f"{seeds} seeds, "
                    f"{config['training']['steps']} task steps, "
                    f"{config['training']['floss_steps']} flossing steps")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot(list(by_k), [summary["by_k"][kk]["success_rate"] for kk in by_k], "o-")
    left.set_xlabel("flossed exponents k (0: baseline)")
    left.set_ylabel(f"success rate, delay {k_delay} ({seeds} seeds)")
    for i, kk in enumerate(by_k):
        spectrum = summary["by_k"][kk]["exponents_before_task_mean"]
        right.plot(np.arange(1, len(spectrum) + 1), spectrum, ".-",
                   color=plt.cm.plasma(i / max(len(by_k) - 1, 1)), label=f"k = {kk}")
    right.axhline(0, color="gray", lw=0.8, ls="--")
    right.set_yscale("symlog", linthresh=0.1)
    right.set_xlabel("i")
    right.set_ylabel("λ_i (per step) when the task training starts")
    right.legend()
    fig.tight_layout()
    fig.savefig(out / "flossed_exponents.png", dpi=120)

    for protocol in PROTOCOLS:
        rates = [summary["protocols"][protocol][d]["success_rate"] for d in delays]
        print(f"{protocol:12s} success rate vs delay {delays}: {rates}")
    print(f"delay {k_delay}, success rate vs flossed k {list(by_k)}: "
          f"{[summary['by_k'][kk]['success_rate'] for kk in by_k]}")
    print(f"figures and summary.json in {out}")


if __name__ == "__main__":
    main()
