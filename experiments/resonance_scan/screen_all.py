import re, sys
from screen import analyse
lines = [l for f in ('scan3a.log', 'scan3b.log') for l in open(f) if l.startswith('N=')]
for l in lines:
    m = re.match(r'N=(\d+) seed=(\d+) gam=([\d.]+) th=\(([\d.]+),([\d.]+)\) g=([\d.]+) lam=([\d.]+)', l)
    N, seed, gam, tm, tsd, g, lam = m.groups()
    if float(lam) >= 0.045: continue
    L, out = analyse(int(N), int(seed), float(gam), float(tm), float(tsd), float(g), M=1024)
    good = [o for o in out if o[4] < 1.5 and o[5] < 0.05 and abs(o[6] - o[1]) > 0.05]
    good.sort(key=lambda o: -o[3])
    print(N, seed, gam, tm, tsd, g, 'lam %.4f/%.4f' % (L.mean(), L.min()), ' | '.join('i=%d f=%.3f prom %.2f z=%.1f Sprom %.2f S/max %.2g tail %.2f' % (o[0], o[1], o[2], o[3], o[4], o[5], o[7]) for o in good[:2]), flush=True)
