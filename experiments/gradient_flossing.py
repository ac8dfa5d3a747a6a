"""Gradient flossing (Engelken, NeurIPS 2023): success rate vs delay with and without flossing.

For each delay (`--delays`) and protocol ("baseline": the task loss alone; "preflossing":
flossing first, then the task loss), `seeds` networks train at once (vmap) from the base config
(default `configs/flossing_copy.toml`; sequence length = delay + `--tail`, rounded up to whole
checkpointed chunks). Every training is a
resumable run folder under `<out>/runs/`: rerunning the script continues where it stopped.
Written to `--out` (default `results/gradient_flossing/`):

- `exponents.png`: the k leading finite-time exponents (per step) during flossing and training,
  at the longest delay: flossing pushes them to zero;
- `gradients.png`: norm of the task-loss gradient and log10 of the condition number σ_1/σ_k of
  the long-term Jacobian ∂h_T/∂h_0 (k = flossed exponents), both protocols;
- `success.png`: success rate (final accuracy ≥ threshold) and median time to solve vs delay;
- `summary.json`: the numbers behind the plots.

    .venv/bin/python experiments/gradient_flossing.py [--config PATH] [--delays 5 10 15 20 25]
        [--out DIR] [--quick]

The default takes about 10 minutes on 2 CPU cores; `--quick` is a smoke run of a minute or two.
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

from jaxchaos._config import read_toml  # noqa: E402
from jaxchaos._runfolder import RECORD, new_run_folder  # noqa: E402
from jaxchaos._training import RESULTS, resolve_training_config, train  # noqa: E402

PROTOCOLS = ("baseline", "preflossing")
QUICK = {"network": {"n": 16}, "flossing": {"k": 4, "checkpoint_every": None},
         "training": {"steps": 150, "floss_steps": 60, "seeds": 4, "log_every": 30,
                      "eval_batch": 16}}


def _config(base: dict, protocol: str, delay: int, tail: int, quick: bool) -> dict:
    raw = copy.deepcopy(base)
    for section, values in (QUICK if quick else {}).items():
        raw.setdefault(section, {}).update(values)
    raw = {section: ({k: v for k, v in table.items() if v is not None}
                     if isinstance(table, dict) else table) for section, table in raw.items()}
    raw["name"] = f"{protocol}_d{delay}"
    flossing = raw.get("flossing", {})
    multiple = flossing.get("qr_every", 1) * (flossing.get("checkpoint_every") or 1)
    raw["task"].update(delay=delay, length=-(-(delay + tail) // multiple) * multiple)
    raw["training"]["protocol"] = protocol
    if protocol == "baseline":
        raw["training"].pop("floss_steps", None)
    return resolve_training_config(raw)


def _run(config: dict, folder: Path) -> dict:
    if not (folder / RECORD).exists():
        new_run_folder(config, folder, job="train-rnn")
    train(folder)
    with np.load(folder / RESULTS) as data:
        return dict(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/flossing_copy.toml")
    parser.add_argument("--delays", type=int, nargs="+", default=None)
    parser.add_argument("--tail", type=int, default=20, help="steps after the delay")
    parser.add_argument("--out", default="results/gradient_flossing")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args()
    delays = args.delays or ([2, 6] if args.quick else [5, 10, 15, 20, 25])
    out = Path(args.out)
    base = read_toml(args.config)
    if base.pop("job", "train-rnn") != "train-rnn":
        raise SystemExit(f"{args.config} is not a train-rnn config")
    results = {p: {d: _run(_config(base, p, d, args.tail, args.quick),
                           out / "runs" / f"{p}_d{d}") for d in delays} for p in PROTOCOLS}
    config = _config(base, "preflossing", delays[-1], args.tail, args.quick)
    k, seeds = config["flossing"]["k"], config["training"]["seeds"]

    summary = {"config": config, "delays": delays, "protocols": {}}
    for protocol in PROTOCOLS:
        rows = {}
        for delay, res in results[protocol].items():
            initial, final = res["exponents"][0], res["exponents"][-1]
            after_floss = res["exponents"][int(np.argmax(res["task_steps"] > 0)) - 1]
            rows[delay] = {
                "success_rate": float(res["success_rate"]),
                "median_time_to_solve": float(np.nanmedian(res["time_to_solve"]))
                if np.any(np.isfinite(res["time_to_solve"])) else None,
                "final_accuracy_mean": float(np.mean(res["accuracy"][-1])),
                "exponents_initial_mean": np.mean(initial, axis=0).tolist(),
                "exponents_before_task_mean": np.mean(after_floss, axis=0).tolist(),
                "exponents_final_mean": np.mean(final, axis=0).tolist(),
                "grad_norm_initial_median": float(np.median(res["grad_norm"][0])),
                "grad_norm_before_task_median": float(np.median(
                    res["grad_norm"][int(np.argmax(res["task_steps"] > 0)) - 1])),
                "log10_condition_k_before_task_median": float(np.median(
                    res["log10_condition_k"][int(np.argmax(res["task_steps"] > 0)) - 1])),
            }
        summary["protocols"][protocol] = rows
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))

    longest = {p: results[p][delays[-1]] for p in PROTOCOLS}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, protocol in zip(axes, PROTOCOLS, strict=True):
        res = longest[protocol]
        mean = np.mean(res["exponents"], axis=1)
        for i in range(k):
            ax.plot(res["step"], mean[:, i], color=plt.cm.viridis(i / max(k - 1, 1)), lw=1)
        start = res["step"][int(np.argmax(res["task_steps"] > 0)) - 1]
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
        right.plot(res["step"], np.median(res["log10_condition_k"], axis=1), color=color,
                   label=protocol)
    left.set_yscale("log")
    left.set_ylabel("task-gradient norm (median over seeds)")
    right.set_ylabel(f"log10 σ_1/σ_{k} of ∂h_T/∂h_0 (median)")
    for ax in (left, right):
        ax.set_xlabel("step")
        ax.legend()
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
    right.set_ylabel("median task steps to solve")
    for ax in (left, right):
        ax.set_xlabel("delay")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "success.png", dpi=120)
    for protocol in PROTOCOLS:
        rates = [summary["protocols"][protocol][d]["success_rate"] for d in delays]
        print(f"{protocol:12s} success rate vs delay {delays}: {rates}")
    print(f"figures and summary.json in {out}")


if __name__ == "__main__":
    main()
