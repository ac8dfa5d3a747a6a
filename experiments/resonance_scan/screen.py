import sys

import numpy as np
from scan2 import prominence, spec


def analyse(N, seed, gam, tm, tsd, g, M=2048, T=100, B=8, quiet=False):
    W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
    th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)
    rng = np.random.default_rng(7)

    def step(x):
        return gam * x + np.tanh(g * x) @ W.T - th

    x = rng.normal(size=(M, N))
    for _ in range(2000):
        x = step(x)
    xl = x[:8].copy()
    v = rng.normal(size=xl.shape)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    L = 0
    for t in range(10000):
        s = g / np.cosh(g * xl) ** 2
        v = gam * v + (s * v) @ W.T
        n = np.linalg.norm(v, axis=1, keepdims=True)
        v /= n
        xl = step(xl)
        if t >= 1000:
            L = L + np.log(n[:, 0])
    L /= 9000
    V = np.broadcast_to(np.eye(N), (M, N, N)).copy()
    R = np.zeros((T + 1, B, N))
    R[0] = 1
    for t in range(1, T + 1):
        s = g / np.cosh(g * x) ** 2
        V = gam * V + np.einsum("ij,mj,mjk->mik", W, s, V)
        x = step(x)
        R[t] = np.einsum("mii->mi", V).reshape(B, M // B, N).mean(1)
    f = np.linspace(0, 0.5, 201)
    ph = np.exp(-2j * np.pi * f[:, None] * np.arange(T + 1)[None])
    chib = np.abs(np.einsum("ft,tbi->fbi", ph, R))  # (F, B, N)
    chi = chib.mean(1)
    err = chib.std(1, ddof=1) / np.sqrt(B)
    tail = np.abs(R[-10:].mean(1)).max(0)  # |R_ii| over the last 10 lags
    xs = np.empty((16384, 8, N))
    xx = x[:8].copy()
    for t in range(16384):
        xx = step(xx)
        xs[t] = xx
    fs, S = spec(xs, seg=400)
    S = S.mean(1)  # fs grid = 0, 0.0025 ... matches f (201 points)
    pc = prominence(chi, f)
    ps = prominence(S, fs)
    out = []
    for i in range(N):
        sel = (f > 0.03) & (f < 0.47)
        k = np.flatnonzero(sel)[np.argmax(pc[sel, i])]
        bg = (abs(f - f[k]) < 0.05) & (abs(f - f[k]) > 0.015)
        lo = np.flatnonzero(bg)[np.argmin(chi[bg, i])]
        z = (chi[k, i] - chi[lo, i]) / np.hypot(err[k, i], err[lo, i])
        sp = fs[np.argmax(S[:, i])]
        out.append(
            (i, f[k], pc[k, i], z, ps[k, i], S[k, i] / S[:, i].max(), sp, tail[i] / chi[k, i])
        )
    return L, out


if __name__ == "__main__":
    a = sys.argv[1:]
    L, out = analyse(int(a[0]), int(a[1]), *map(float, a[2:6]))
    print(" ".join(a), f"lambda mean {L.mean():.4f} min {L.min():.4f}")
    for o in sorted(out, key=lambda o: -o[2])[:4]:
        print(
            f"  i={o[0]:d} f={o[1]:.3f} chi prom {o[2]:.2f} z={o[3]:.1f} | S prom {o[4]:.2f}"
            f" S/max {o[5]:.2g} Speak {o[6]:.3f} | tail/chi {o[7]:.3f}"
        )
