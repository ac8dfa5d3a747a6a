import re

from screen import analyse

lines = [l for f in ("scan3a.log", "scan3b.log") for l in open(f) if l.startswith("N=")]
for l in lines:
    m = re.match(
        r"N=(\d+) seed=(\d+) gam=([\d.]+) th=\(([\d.]+),([\d.]+)\) g=([\d.]+) lam=([\d.]+)", l
    )
    N, seed, gam, tm, tsd, g, lam = m.groups()
    if float(lam) >= 0.045:
        continue
    L, out = analyse(int(N), int(seed), float(gam), float(tm), float(tsd), float(g), M=1024)
    good = [o for o in out if o[4] < 1.5 and o[5] < 0.05 and abs(o[6] - o[1]) > 0.05]
    good.sort(key=lambda o: -o[3])
    print(
        N,
        seed,
        gam,
        tm,
        tsd,
        g,
        f"lam {L.mean():.4f}/{L.min():.4f}",
        " | ".join(
            f"i={o[0]:d} f={o[1]:.3f} prom {o[2]:.2f} z={o[3]:.1f} Sprom {o[4]:.2f}"
            f" S/max {o[5]:.2g} tail {o[7]:.2f}"
            for o in good[:2]
        ),
        flush=True,
    )
