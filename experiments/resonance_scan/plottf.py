import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from scan2 import prominence
from tf import transfer

N, seed, gam, tm, tsd, g = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:7])
j = int(sys.argv[7])
sig = float(sys.argv[8])
W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)
f, chi, S = transfer(W, g, gam, th, sigma=sig, M=16, T=40000)
a = np.abs(chi[:, :, :, j])
m = a.mean(0)
e = a.std(0, ddof=1) / 4
fig, ax = plt.subplots(2, (N + 1) // 2, figsize=(3 * ((N + 1) // 2), 5.5))
for i, axx in enumerate(ax.ravel()[:N]):
    axx.semilogy(f, m[:, i] / m[:, i].max())
    axx.fill_between(
        f,
        (m[:, i] - 2 * e[:, i]) / m[:, i].max(),
        (m[:, i] + 2 * e[:, i]) / m[:, i].max(),
        alpha=0.3,
    )
    axx.semilogy(f, S[:, i] / S[:, i].max(), lw=0.7)
    axx.set_ylim(1e-5, 2)
    axx.set_title(f"chi_{i},{j}")
fig.tight_layout()
fig.savefig(f"tf_{N}_{seed}_{g}_{j}_{sig}.png", dpi=55)
k = np.argmin(abs(f - float(sys.argv[9])))
print(
    "at f",
    f[k],
    "|chi_ij|",
    np.round(m[k], 2),
    "\nprom",
    np.round(prominence(m, f, 0.06)[k], 2),
    "\nS prom",
    np.round(prominence(S, f, 0.06)[k], 2),
)
