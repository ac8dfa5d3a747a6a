import numpy as np
from scan2 import prominence
from tf import transfer

N, seed, gam, tm, tsd, g, j = 12, 4, 0.0, 0.1, 0.5, 2.2, 0
W = np.random.default_rng(1000 + seed).normal(size=(N, N)) / np.sqrt(N)
th = tm + tsd * np.random.default_rng(2000 + seed).normal(size=N)


def step(x):
    return gam * x + np.tanh(g * x) @ W.T - th


rng = np.random.default_rng(0)
# lyapunov with and without noise
for sig in (0.0, 0.05):
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
    print("sigma", sig, f"lambda {L.mean():.4f} +- {L.std() / 4:.4f} (min {L.min():.4f})")
# mean jacobian
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
print("mean slopes", np.round(d / 2000, 3))
# tangent kernel column 0
M, T = 8192, 60
V = np.zeros((M, N))
V[:, 0] = 1
R = np.zeros((T + 1, N))
E = np.zeros((T + 1, N))
R[0, 0] = 1
x = rng.normal(size=(M, N))
for _ in range(1000):
    x = step(x)
for t in range(1, T + 1):
    s = g / np.cosh(g * x) ** 2
    V = gam * V + (s * V) @ W.T
    x = step(x)
    R[t] = V.mean(0)
    E[t] = V.std(0) / np.sqrt(M)
print(
    "tangent R_i0 err at lags 10,20,40,60",
    E[[10, 20, 40, 60]].max(1),
    "|R| max at those",
    np.abs(R[[10, 20, 40, 60]]).max(1),
)
f = np.fft.rfftfreq(256)
chit = np.abs(np.exp(-2j * np.pi * f[:, None] * np.arange(T + 1)[None]) @ R)
for sig in (0.05, 0.025):
    ff, chi, S = transfer(W, g, gam, th, sigma=sig, M=16, T=30000, seed=5)
    m = np.abs(chi[:, :, :, j]).mean(0)
    k = np.argmin(abs(f - 0.332))
    print("sigma", sig, "|chi_i0(0.332)|", np.round(m[k], 2))
print("tangent |chi_i0(0.332)|", np.round(chit[k], 2))
print("tangent prom", np.round(prominence(chit, f, 0.06)[k], 2))
