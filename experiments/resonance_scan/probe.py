import sys

import numpy as np
from scan import run


def setup(N, seed, gam, g, ts):
    W = np.random.default_rng(100 + seed).normal(size=(N, N)) / np.sqrt(N)
    th = ts * np.random.default_rng(200 + seed).normal(size=N)
    return W, th


def probe(N, seed, gam, g, ts, sigma=0.03, M=16, T=40000, seg=512):
    W, th = setup(N, seed, gam, g, ts)
    lam, d, ev, x = run(W, g, gam, th, M=M, sigma=sigma)
    Mj = gam * np.eye(N) + W * d[None, :]
    rng = np.random.default_rng(1)
    hop = seg // 2
    win = np.hanning(seg + 2)[1:-1]
    Sxb = np.zeros((seg // 2 + 1, N, N), complex)
    Sbb = np.zeros((seg // 2 + 1, N))
    Sxx = np.zeros((seg // 2 + 1, N))
    bufx = []
    bufb = []
    nseg = 0
    for _ in range(T):
        b = rng.normal(size=x.shape)
        x = gam * x + np.tanh(g * x) @ W.T - th + sigma * b
        bufx.append(x)
        bufb.append(b)
        if len(bufx) == seg:
            X = np.fft.rfft(np.array(bufx) * win[:, None, None], axis=0)  # (F, M, N)
            B = np.fft.rfft(np.array(bufb) * win[:, None, None], axis=0)
            Sxb += np.einsum("fmi,fmj->fij", X, B.conj())
            Sbb += (np.abs(B) ** 2).sum(1)
            Xc = np.fft.rfft((np.array(bufx) - np.array(bufx).mean(0)) * win[:, None, None], axis=0)
            Sxx += (np.abs(Xc) ** 2).sum(1)
            nseg += 1
            bufx = bufx[hop:]
            bufb = bufb[hop:]
    f = np.fft.rfftfreq(seg)
    chi = (
        Sxb / Sbb[:, None, :] / sigma * np.exp(2j * np.pi * f)[:, None, None]
    )  # x(s+1) responds to B(s): chi = H e^{+iω}...
    chimf = np.array([np.linalg.inv(np.eye(N) - Mj * np.exp(-2j * np.pi * ff)) for ff in f])
    return dict(f=f, chi=chi, chimf=chimf, S=Sxx / nseg / M, lam=lam, ev=ev, Mj=Mj)


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:]]
    N, seed = int(args[0]), int(args[1])
    r = probe(N, seed, *args[2:5])
    f, chi, mf, S = r["f"], r["chi"], r["chimf"], r["S"]
    print("lam", r["lam"])
    ev = r["ev"]
    k = np.argmax(np.abs(ev) * (np.abs(ev.imag) > 1e-9))
    print("pair", abs(ev[k]), abs(np.angle(ev[k])) / 2 / np.pi)
    # per pair: peak prominence of |chi| at f in [0.03, 0.5]: max / median
    a = np.abs(chi)
    am = np.abs(mf)
    sel = f > 0.03
    prom = a[sel].max(0) / np.median(a[sel], axis=0)
    idx = np.dstack(np.unravel_index(np.argsort(-prom.ravel())[:8], prom.shape))[0]
    for i, j in idx:
        fp = f[sel][np.argmax(a[sel, i, j])]
        kp = np.argmin(abs(f - fp))
        print(
            f"i={i} j={j} |chi| peak {a[kp, i, j]:.3f} at f={fp:.3f} prom={prom[i, j]:.2f}"
            f" mf={am[kp, i, j]:.3f}"
            f" mfprom={am[sel, i, j].max() / np.median(am[sel, i, j]):.2f}"
            f" S_i(fp)/maxS_i={S[kp, i] / S[:, i].max():.3f} S_j={S[kp, j] / S[:, j].max():.3f}"
            f" Speak_f={f[np.argmax(S[:, i])]:.3f}"
        )
    np.savez(
        f"/tmp/res/probe_{N:d}_{seed:d}_{args[2]:g}_{args[3]:g}_{args[4]:g}.npz",
        f=f,
        chi=chi,
        mf=mf,
        S=S,
    )
