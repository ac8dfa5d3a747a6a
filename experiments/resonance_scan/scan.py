import itertools

import numpy as np

rng0 = np.random.default_rng(0)


def run(W, g, gam, th, M=32, warm=500, steps=1500, sigma=0.0, seed=0):
    rng = np.random.default_rng(seed)
    N = W.shape[0]
    x = rng.normal(size=(M, N))
    v = rng.normal(size=(M, N))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    dsum = np.zeros(N)
    lsum = 0.0
    cnt = 0
    for t in range(warm + steps):
        s = g / np.cosh(g * x) ** 2
        if t >= warm:
            dsum += s.mean(0)
            cnt += 1
        v = gam * v + (s * v) @ W.T
        nv = np.linalg.norm(v, axis=1, keepdims=True)
        if t >= warm:
            lsum += np.log(nv).mean()
        v /= nv
        x = gam * x + np.tanh(g * x) @ W.T - th + sigma * rng.normal(size=x.shape)
    d = dsum / cnt
    Mj = gam * np.eye(N) + W * d[None, :]
    return lsum / steps, d, np.linalg.eigvals(Mj), x


if __name__ == "__main__":
    out = []
    for N in (12, 20, 32):
        for seed in range(6):
            W = np.random.default_rng(100 + seed).normal(size=(N, N)) / np.sqrt(N)
            th0 = np.random.default_rng(200 + seed).normal(size=N)
            for gam, g, ts in itertools.product((0.0, 0.3, 0.6), (1.5, 2.5, 4.0, 6.0), (0.0, 0.3)):
                lam, d, ev, _ = run(W, g, gam, ts * th0)
                cx = ev[np.abs(ev.imag) > 1e-9]
                k = np.argmax(np.abs(cx)) if len(cx) else None
                r = abs(cx[k]) if k is not None else 0
                f = abs(np.angle(cx[k])) / 2 / np.pi if k is not None else 0
                out.append((N, seed, gam, g, ts, lam, np.abs(ev).max(), r, f))
                if lam > 0.01 and r > 0.8:
                    print(
                        f"N={N} s={seed} gam={gam} g={g} ts={ts} lam={lam:.3f}"
                        f" rho={np.abs(ev).max():.3f} cplx r={r:.3f} f={f:.3f}",
                        flush=True,
                    )
    np.save("/tmp/res/scan.npy", np.array(out))
