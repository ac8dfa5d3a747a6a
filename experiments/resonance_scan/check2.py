import numpy as np

N, seed, gam, tm, tsd, g = 16, 0, 0.0, 0.0, 0.3, 2.6
W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)


def step(x):
    return gam * x + np.tanh(g * x) @ W.T - th


rng = np.random.default_rng(0)
for sig in (0.0, 0.04):
    x = rng.normal(size=(16, N))
    v = rng.normal(size=x.shape)
    L = 0
    for t in range(21000):
        s = g / np.cosh(g * x) ** 2
        v = gam * v + (s * v) @ W.T
        n = np.linalg.norm(v, axis=1, keepdims=True)
        v /= n
        x = step(x) + sig * rng.normal(size=x.shape)
        if t >= 1000:
            L = L + np.log(n[:, 0])
    L /= 20000
    print(
        "sigma",
        sig,
        f"lambda {L.mean():.4f} +- {L.std() / 4:.4f} (min {L.min():.4f})",
        "var u",
        x.var(0).mean(),
    )
x = rng.normal(size=(256, N))
for _ in range(1000):
    x = step(x)
d = 0
for _ in range(2000):
    d = d + (g / np.cosh(g * x) ** 2).mean(0)
    x = step(x)
Mj = gam * np.eye(N) + W * (d / 2000)[None]
ev = np.linalg.eigvals(Mj)
ev = ev[np.argsort(-abs(ev))]
print("mean Jacobian eigs", [(round(abs(e), 3), round(np.angle(e) / 2 / np.pi, 3)) for e in ev])
