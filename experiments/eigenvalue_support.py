"""Eigenvalues of the seeds' connectivity ensembles against their predicted support.

For each ensemble of the README table (i.i.d. Gaussian, sparse fixed in-degree, ±J/√K with
balanced scaling, two populations, Dale's-law E/I, elliptic η = 0.5 dense and sparse, low rank +
random) one matrix of N neurons is drawn (`jc.Ensemble(...).sample`) and all its eigenvalues
computed (NumPy, dense). Plotted against the bulk's predicted support from `jc.spectral_support` (a
circle of radius r = √ρ(M), Aljadeff et al. 2015, or the ellipse with semi-axes r(1 ± η)) and
the predicted outliers (`jc.outliers`: the eigenvalues of the mean matrix outside the bulk, or
a low-rank part's λ_r). Printed as a Markdown table: the predicted bulk radius (largest |λ| of
the support: r, or r(1 + η) for the ellipse) against the measured one (largest |λ| once the
eigenvalues nearest each predicted outlier are set aside), the same for W − ⟨W⟩ (the block
means removed, as the theory's bulk is defined), their ratios, how many bulk eigenvalues lie
beyond 1.05× the support, the outliers, and the critical gain g_c = 1/(r(1 + η)).

Written to `--out` (default `results/eigenvalue_support/`): `eigenvalue_support.png` (also the
key figure `docs/figures/eigenvalue_support.png`) and `results.json`.

    .venv/bin/python experiments/eigenvalue_support.py [--n 1000] [--seed 0] [--out DIR]

N = 1000 takes 30 s to 2.5 minutes on two shared CPU cores (the eight eigendecompositions).
"""

import json
import time

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)
from _figures import parse_args, save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

EI = dict(fractions=(0.8, 0.2), means=((1.0, -2.0), (1.0, -1.8)), stds=((0.5, 0.8), (0.5, 0.8)))


def ensembles(k: int) -> dict:
    """The README table's ensembles (name → ensemble), each with an argument set that shows its
    feature: nonzero means where they give an outlier, unequal blocks."""
    return {
        "i.i.d. Gaussian": jc.Ensemble(),
        f"sparse, fixed K = {k}": jc.Ensemble(k=k, storage="sparse"),
        f"±J/√K balanced (μ = 0.2, K = {k})": jc.Ensemble(
            k=k, storage="sparse", weights="binary", scaling="balanced", means=((0.2,),)),
        "two populations": jc.Ensemble(fractions=(0.8, 0.2), means=((0.0, 0.0), (0.0, 0.0)),
                                       stds=((1.0, 2.0), (0.5, 1.5))),
        f"Dale E/I (K = {k})": jc.Ensemble(k=k, dale=True, storage="sparse", **EI),
        "elliptic η = 0.5": jc.Ensemble(eta=0.5),
        f"sparse elliptic η = 0.5 (K = {k})": jc.Ensemble(
            k=k, eta=0.5, in_degree="binomial", storage="sparse"),
        "low rank + random (λ = 2)": jc.LowRankEnsemble(jc.Ensemble(), outliers=(2.0,)),
    }


def bulk_and_outliers(lam: np.ndarray, predicted: np.ndarray):
    """Split eigenvalues: for each predicted outlier the nearest eigenvalue, the rest the bulk."""
    rest, found = list(lam), []
    for target in predicted:
        i = int(np.argmin(np.abs(np.asarray(rest) - target)))
        found.append(rest.pop(i))
    return np.asarray(rest), np.asarray(found)


def block_mean(ens, n) -> np.ndarray:
    """⟨W⟩: p_ab m_ab on every entry from b to a (of the base ensemble of a low-rank one)."""
    base = ens.base if isinstance(ens, jc.LowRankEnsemble) else ens
    prob, m, _ = base.block_statistics(n)
    pop = base.population(n)
    mean = (prob * m)[pop[:, None], pop[None, :]]
    if base.zero_diagonal:
        np.fill_diagonal(mean, 0.0)
    return mean


def measure(name, ens, n, key) -> dict:
    w = ens.sample(key, n)
    dense = np.asarray(w.to_dense() if isinstance(w, jc.AbstractOperator) else w)
    lam = np.linalg.eigvals(dense)
    a, b = jc.spectral_support(ens, n)
    predicted_out = np.asarray(jc.outliers(ens, n), complex)
    bulk, found = bulk_and_outliers(lam, predicted_out)
    radius = float(np.abs(bulk).max())
    mean = block_mean(ens, n)
    low_rank = np.asarray(ens.outliers if isinstance(ens, jc.LowRankEnsemble) else [], complex)
    centred = (bulk_and_outliers(np.linalg.eigvals(dense - mean), low_rank)[0]
               if np.any(mean) else bulk)
    centred_radius = float(np.abs(centred).max())
    return {"name": name, "n": n, "semi_axes": [a, b], "predicted_radius": a,
            "measured_radius": radius, "ratio": radius / a,
            "centred_radius": centred_radius, "centred_ratio": centred_radius / a,
            "outside_support": int(np.sum((bulk.real / a) ** 2 + (bulk.imag / b) ** 2
                                          > 1.05**2)),
            "measured_imag_extent": float(np.abs(bulk.imag).max()),
            "inside_support": float(np.mean((bulk.real / a) ** 2 + (bulk.imag / b) ** 2 <= 1)),
            "predicted_outliers": [[z.real, z.imag] for z in predicted_out],
            "measured_outliers": [[z.real, z.imag] for z in found],
            "critical_gain": jc.critical_gain(ens, n), "eigenvalues": lam}


def plot(rows, path, note):
    fig, axes = plt.subplots(3, 3, figsize=(10, 9.5))
    phi = np.linspace(0, 2 * np.pi, 400)
    for ax, row in zip(axes.flat, rows, strict=False):
        lam = row["eigenvalues"]
        a, b = row["semi_axes"]
        ax.plot(lam.real, lam.imag, ".", ms=1.5, color="tab:blue", alpha=0.6)
        ax.plot(a * np.cos(phi), b * np.sin(phi), color="tab:red", lw=1.2, label="predicted bulk")
        for z in row["predicted_outliers"]:
            ax.plot(*z, "x", color="tab:red", ms=8, mew=1.5)
        ax.set_title(row["name"], fontsize=9)
        ax.set_aspect("equal")
        ax.text(0.03, 0.03, f"max|λ| {row['measured_radius']:.3f}\npredicted {a:.3f}",
                transform=ax.transAxes, fontsize=7, va="bottom")
        ax.tick_params(labelsize=7)
    ax = axes.flat[-1]
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["ratio"] for r in rows], 0.4, color="tab:blue", label="W")
    ax.bar(x + 0.2, [r["centred_ratio"] for r in rows], 0.4, color="tab:gray",
           label="W − ⟨W⟩")
    ax.axhline(1.0, color="tab:red", lw=1)
    ax.set_ylim(0.9, 1.2)
    ax.legend(fontsize=7)
    ax.set_xticks(range(len(rows)), [str(i + 1) for i in range(len(rows))])
    ax.set_xlabel("ensemble (panel order)", fontsize=8)
    ax.set_title("measured / predicted radius", fontsize=9)
    ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Eigenvalues of one drawn W (N = {rows[0]['n']}) and the predicted support "
                 "(red: bulk edge, × outliers)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, key="eigenvalue_support", note=note)


def main():
    args = parse_args(__doc__, "results/eigenvalue_support",
                      n={"type": int, "default": 1000, "help": "neurons"},
                      k={"type": int, "default": 100, "help": "in-degree of the sparse ones"},
                      seed={"type": int, "default": 0})
    start = time.perf_counter()
    key = jax.random.key(args.seed)
    rows = []
    for i, (name, ens) in enumerate(ensembles(args.k).items()):
        rows.append(measure(name, ens, args.n, jax.random.fold_in(key, i)))
    elapsed = time.perf_counter() - start
    print("| ensemble | predicted max\\|λ\\| of the bulk | measured, W | ratio | measured, W − ⟨W⟩ "
          "| ratio | beyond 1.05× the support | predicted outliers | measured outliers | g_c |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        pred = ", ".join(f"{complex(*z):.3g}" for z in r["predicted_outliers"]) or "–"
        meas = ", ".join(f"{complex(*z):.3g}" for z in r["measured_outliers"]) or "–"
        print(f"| {r['name']} | {r['predicted_radius']:.3f} | {r['measured_radius']:.3f} | "
              f"{r['ratio']:.3f} | {r['centred_radius']:.3f} | {r['centred_ratio']:.3f} | "
              f"{r['outside_support']} | {pred} | {meas} | {r['critical_gain']:.3f} |")
    print(f"{elapsed:.0f} s")
    note = f"experiments/eigenvalue_support.py --n {args.n} --k {args.k} --seed {args.seed}"
    plot(rows, args.out / "eigenvalue_support.png", note)
    with open(args.out / "results.json", "w") as f:
        json.dump({"seconds": elapsed, "rows": [{k: v for k, v in r.items() if k != "eigenvalues"}
                                                for r in rows]}, f, indent=1)


if __name__ == "__main__":
    main()
