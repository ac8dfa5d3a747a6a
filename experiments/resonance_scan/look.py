import sys

import numpy as np

d = np.load(sys.argv[1])
f, chi, mf, S = d["f"], d["chi"], d["mf"], d["S"]
f0 = float(sys.argv[2])
k = np.argmin(abs(f - f0))
band = abs(f - f0) < 0.04
a = np.abs(chi)
am = np.abs(mf)
ref = (abs(f - f0) > 0.06) & (abs(f - f0) < 0.15)
prom = a[k] / np.median(a[ref], axis=0)
pm = am[k] / np.median(am[ref], axis=0)
idx = np.dstack(np.unravel_index(np.argsort(-prom.ravel())[:8], prom.shape))[0]
for i, j in idx:
    kk = np.flatnonzero(band)[np.argmax(a[band, i, j])]
    print(
        f"i={i} j={j} |chi(f0)|={a[k, i, j]:.3f} max near f0 at {f[kk]:.3f}"
        f" prom={prom[i, j]:.2f} mf={am[k, i, j]:.3f} mfprom={pm[i, j]:.2f}"
        f" S_i(f0)/max={S[k, i] / S[:, i].max():.3f}"
        f" S_i local ratio={S[k, i] / np.median(S[ref, i]):.2f}"
    )
print("S peak f of all neurons", np.round(f[np.argmax(S, 0)], 3))
