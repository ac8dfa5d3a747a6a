import re
import sys

import numpy as np
from scan2 import prominence, spec


def transfer(W, g, gam, th, sigma=0.05, M=8, T=24000, seg=256, seed=3):
    rng = np.random.default_rng(seed)
    N = W.shape[0]
    x = rng.normal(size=(M, N))
    for _ in range(1000):
        x = gam * x + np.tanh(g * x) @ W.T - th
    x0 = x.copy()
    win = np.hanning(seg + 2)[1:-1][:, None, None]
    F = seg // 2 + 1
    Sxb = np.zeros((M, F, N, N), complex)
    Sbb = np.zeros((M, F, N))
    xs = np.empty((T, M, N))
    bs = rng.normal(size=(T, M, N))
    for t in range(T):
        x = gam * x + np.tanh(g * x) @ W.T - th + sigma * bs[t]
        xs[t] = x
    for s in range(0, T - seg + 1, seg // 2):
        X = np.fft.rfft(xs[s : s + seg] * win, axis=0)
        Bf = np.fft.rfft(bs[s : s + seg] * win, axis=0)
        Sxb += np.einsum("fmi,fmj->mfij", X, Bf.conj())
        Sbb += np.transpose(np.abs(Bf) ** 2, (1, 0, 2))
    f = np.fft.rfftfreq(seg)
    chi = (
        Sxb / Sbb[:, :, None, :] / sigma * np.exp(2j * np.pi * f)[None, :, None, None]
    )  # per trajectory
    # deterministic spectrum
    x = x0
    ys = np.empty((T, M, N))
    for t in range(T):
        x = gam * x + np.tanh(g * x) @ W.T - th
        ys[t] = x
    fs, S = spec(ys, seg=seg)
    return f, chi, S.mean(1)


def score(f, chi, S):
    a = np.abs(chi)
    m = a.mean(0)
    e = a.std(0, ddof=1) / np.sqrt(a.shape[0])  # (F, N, N)
    pc = prominence(m, f, width=0.06)
    ps = prominence(S, f, width=0.06)
    F, N, _ = m.shape
    rows = []
    sel = np.flatnonzero((f > 0.03) & (f < 0.47))
    for i in range(N):
        for j in range(N):
            k = sel[np.argmax(pc[sel, i, j])]
            bg = np.flatnonzero((abs(f - f[k]) < 0.06) & (abs(f - f[k]) > 0.015))
            lo = bg[np.argmin(m[bg, i, j])]
            z = (m[k, i, j] - m[lo, i, j]) / np.hypot(e[k, i, j], e[lo, i, j])
            rows.append(
                (
                    i,
                    j,
                    f[k],
                    pc[k, i, j],
                    z,
                    m[k, i, j],
                    ps[k, i],
                    ps[k, j],
                    S[k, i] / S[:, i].max(),
                )
            )
    return rows


if __name__ == "__main__":
    lines = [l for fn in sys.argv[1:] for l in open(fn) if l.startswith("N=")]
    for l in lines:
        mm = re.match(
            r"N=(\d+) seed=(\d+) gam=([\d.]+) th=\(([\d.]+),([\d.]+)\) g=([\d.]+) lam=([\d.]+)", l
        )
        N, seed, gam, tm, tsd, g, lam = mm.groups()
        N, seed = int(N), int(seed)
        gam, tm, tsd, g = map(float, (gam, tm, tsd, g))
        W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
        th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)
        f, chi, S = transfer(W, g, gam, th)
        rows = score(f, chi, S)
        good = [
            r for r in rows if r[6] < 1.3 and r[7] < 1.3 and r[8] < 0.05 and r[3] > 1.8 and r[4] > 5
        ]
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
                f" Sprom_i {r[6]:.2f} Sprom_j {r[7]:.2f} S/max {r[8]:.2g}"
                for r in good[:3]
            ),
            flush=True,
        )
