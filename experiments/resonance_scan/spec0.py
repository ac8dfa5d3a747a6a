import sys

import numpy as np
from probe import setup
from scan import run

N, seed = int(sys.argv[1]), int(sys.argv[2])
gam, g, ts = map(float, sys.argv[3:6])
f0 = float(sys.argv[6])
sig = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
W, th = setup(N, seed, gam, g, ts)
lam, d, ev, x = run(W, g, gam, th, M=16, sigma=sig)
print("lam", lam)
rng = np.random.default_rng(5)
T, seg = 40000, 512
xs = np.empty((T,) + x.shape)
for t in range(T):
    x = gam * x + np.tanh(g * x) @ W.T - th + sig * rng.normal(size=x.shape)
    xs[t] = x
win = np.hanning(seg + 2)[1:-1]
S = 0
n = 0
for s in range(0, T - seg + 1, seg // 2):
    p = xs[s : s + seg]
    p = (p - p.mean(0)) * win[:, None, None]
    S = S + (np.abs(np.fft.rfft(p, axis=0)) ** 2).mean(1)
    n += 1
S /= n * (win**2).sum()
f = np.fft.rfftfreq(seg)
k = np.argmin(abs(f - f0))
ref = (abs(f - f0) > 0.06) & (abs(f - f0) < 0.15)
for i in [16, 6, 20, 0, 1]:
    print(
        i,
        "S(f0)",
        S[k, i],
        "local ratio",
        S[k, i] / np.median(S[ref, i]),
        "S(f0)/max",
        S[k, i] / S[:, i].max(),
    )
np.save(f"/tmp/res/S_{'_'.join(sys.argv[1:])}.npy", S)
