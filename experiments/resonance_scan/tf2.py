import re

import numpy as np
from tf import score, transfer

for l in open("cand.log"):
    mm = re.match(
        r"N=(\d+) seed=(\d+) gam=([\d.]+) th=\(([\d.]+),([\d.]+)\) g=([\d.]+) lam=([\d.]+)", l
    )
    N, seed, gam, tm, tsd, g, lam = mm.groups()
    N, seed = int(N), int(seed)
    gam, tm, tsd, g = map(float, (gam, tm, tsd, g))
    W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
    th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)
    f, chi, S = transfer(W, g, gam, th, sigma=0.04, M=8, T=20000)
    f, chi2, _ = transfer(W, g, gam, th, sigma=0.02, M=8, T=20000, seed=9)
    a1 = np.abs(chi)
    a2 = np.abs(chi2)
    m1, e1 = a1.mean(0), a1.std(0, ddof=1) / np.sqrt(8)
    m2, e2 = a2.mean(0), a2.std(0, ddof=1) / np.sqrt(8)
    rows = score(f, chi, S)
    good = []
    for r in rows:
        i, j, fr = r[0], r[1], r[2]
        k = np.argmin(abs(f - fr))
        agree = abs(m1[k, i, j] - m2[k, i, j]) / np.hypot(e1[k, i, j], e2[k, i, j])
        if r[6] < 1.3 and r[7] < 1.3 and r[8] < 0.05 and r[3] > 1.8 and r[4] > 5 and agree < 3:
            good.append(r + (agree,))
    good.sort(key=lambda r: -r[3])
    print(
        N,
        seed,
        gam,
        tm,
        tsd,
        g,
        lam,
        len(good),
        " | ".join(
            f"i={r[0]:d} j={r[1]:d} f={r[2]:.3f} prom {r[3]:.2f} z={r[4]:.1f} |chi| {r[5]:.2f}"
            f" Sprom_i {r[6]:.2f} Sprom_j {r[7]:.2f} S/max {r[8]:.2g} agree {r[9]:.1f}"
            for r in good[:3]
        ),
        flush=True,
    )
