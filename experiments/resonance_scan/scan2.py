import itertools

import numpy as np


def batch(W, gs, gam, th, warm=2000, steps=4096, seed=0):
    rng = np.random.default_rng(seed)
    G, N = len(gs), W.shape[0]
    g = np.asarray(gs)[:, None]
    x = rng.normal(size=(G, N))
    v = rng.normal(size=(G, N))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    dsum = 0
    lsum = 0
    xs = np.empty((steps, G, N))
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
    return lsum / steps, dsum / steps, xs


def spec(xs, seg=256):
    win = np.hanning(seg + 2)[1:-1]
    S = 0
    n = 0
    for s in range(0, xs.shape[0] - seg + 1, seg // 2):
        p = xs[s : s + seg]
        p = (p - p.mean(0)) * win.reshape((-1,) + (1,) * (xs.ndim - 1))
        S = S + np.abs(np.fft.rfft(p, axis=0)) ** 2
        n += 1
    return np.fft.rfftfreq(seg), S / n / (win**2).sum()


def prominence(y, f, width=0.05):
    out = np.empty_like(y)
    for k in range(len(f)):
        sel = (abs(f - f[k]) < width) & (abs(f - f[k]) > 0.015)
        out[k] = y[k] / np.median(y[sel], axis=0)
    return out


if __name__ == "__main__":
    gs = np.arange(0.8, 4.01, 0.1)
    for N, seed, gam, (tm, tsd) in itertools.product(
        (16, 24, 32), range(4), (0.2, 0.5), ((0.1, 0.5), (0.0, 0.3))
    ):
        W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
        th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)
        lam, d, xs = batch(W, gs, gam, th)
        f, S = spec(xs)  # (F, G, N)
        for gi, g in enumerate(gs):
            if lam[gi] < 0.005:
                continue
            M = gam * np.eye(N) + W * d[gi][None, :]
            ev = np.linalg.eigvals(M)
            om = 2j * np.pi * f
            chi = np.abs(
                np.array([np.diag(np.linalg.inv(np.eye(N) - M * np.exp(-o))) for o in om])
            )  # (F, N)
            pc = prominence(chi, f)
            ps = prominence(S[:, gi], f)
            sel = (f > 0.03) & (f < 0.47)
            score = np.where(sel[:, None], pc / np.maximum(ps, 1), 0)
            k, i = np.unravel_index(np.argmax(score), score.shape)
            if pc[k, i] > 2.5 and ps[k, i] < 1.5:
                inside = ev[np.abs(ev) < 1]
                outside = ev[np.abs(ev) >= 1]
                print(
                    f"N={N} seed={seed} gam={gam} th=({tm},{tsd}) g={g:.1f} lam={lam[gi]:.3f}"
                    f" i={i} f={f[k]:.3f} chi_mf prom={pc[k, i]:.2f} S prom={ps[k, i]:.2f}"
                    f" S(f)/maxS={S[k, gi, i] / S[:, gi, i].max():.3g}"
                    f" rho={np.abs(ev).max():.3f} n_out={len(outside)}",
                    flush=True,
                )
