import itertools
import sys

import numpy as np
from scan2 import prominence, spec


def batch(W, gs, gam, th, K=6, warm=3000, steps=6144, seed=0):
    rng = np.random.default_rng(seed)
    G, N = len(gs), W.shape[0]
    g = np.repeat(np.asarray(gs), K)[:, None]
    x = rng.normal(size=(G * K, N))
    v = rng.normal(size=x.shape)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    dsum = 0
    lsum = 0
    xs = np.empty((steps, G * K, N), dtype=np.float32)
    for t in range(warm + steps):
        s = g / np.cosh(g * x) ** 2
        v = gam * v + (s * v) @ W.T
        nv = np.linalg.norm(v, axis=1, keepdims=True)
        v /= nv
        x = gam * x + np.tanh(g * x) @ W.T - th
        if t >= warm:
            dsum = dsum + s
            lsum = lsum + np.log(nv[:, 0])
            xs[t - warm] = x
    return (
        (lsum / steps).reshape(G, K),
        (dsum / steps).reshape(G, K, N).mean(1),
        xs.reshape(steps, G, K, N),
    )


if __name__ == "__main__":
    gs = np.arange(1.0, 5.01, 0.2)
    Ns = [int(a) for a in sys.argv[1].split(",")]
    for N, seed, gam, (tm, tsd) in itertools.product(
        Ns, range(6), (0.0, 0.2, 0.5), ((0.1, 0.5), (0.0, 0.3))
    ):
        W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
        th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)
        lam, d, xs = batch(W, gs, gam, th)
        for gi, g in enumerate(gs):
            if lam[gi].min() < 0.01:
                continue
            f, S = spec(xs[:, gi])  # (F, K, N)
            S = S.mean(1)
            M = gam * np.eye(N) + W * d[gi][None, :]
            ev = np.linalg.eigvals(M)
            chi = np.abs(
                np.array(
                    [np.diag(np.linalg.inv(np.eye(N) - M * np.exp(-2j * np.pi * ff))) for ff in f]
                )
            )
            pc = prominence(chi, f)
            ps = prominence(S, f)
            sel = (f > 0.03) & (f < 0.47)
            score = np.where(sel[:, None], pc / np.maximum(ps, 1), 0)
            k, i = np.unravel_index(np.argmax(score), score.shape)
            flag = "***" if (pc[k, i] > 2.5 and ps[k, i] < 1.5) else ""
            print(
                f"N={N} seed={seed} gam={gam} th=({tm},{tsd}) g={g:.1f}"
                f" lam={lam[gi].mean():.3f} [{lam[gi].min():.3f}] i={i} f={f[k]:.3f}"
                f" chi_mf prom={pc[k, i]:.2f} S prom={ps[k, i]:.2f}"
                f" S(f)/maxS={S[k, i] / S[:, i].max():.3g} rho={np.abs(ev).max():.3f} {flag}",
                flush=True,
            )
