"""GAN benchmark, one run: training steps per second (chaos and Gaussian latents, Python loop of
compiled steps vs one `lax.scan`), and the cost of one chaotic latent batch (advancing B
trajectories of the SCS network by one interval) relative to the generator's forward pass.

    .venv/bin/python scripts/benchmark_gan.py [--repeats 5]

Settings are those of configs/chaos_gan.toml (8×8 digits, batch 64, L = 32, rk4 with dt = 0.1,
interval 1: 10 steps per latent) except N = 512 (the config's N = 2048, chosen so that the rescaled
gains of seed 002's Fig. 3 stay chaotic, costs 16× more per latent step), in float32 on the
default device.
"""

import argparse
import sys
from pathlib import Path

import equinox as eqx
import jax

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_times  # noqa: E402

from jaxchaos._generative._gan import GANTrainer, gan_sample, gan_step  # noqa: E402
from jaxchaos._runs._gan_job import build, resolve_gan_config  # noqa: E402

STEPS = 20


def _loop(trainer, state, images):
    def call():
        s = state
        for _ in range(STEPS):
            s, losses = gan_step(trainer, s, images)
        return losses

    return call


@eqx.filter_jit
def _scan(trainer: GANTrainer, state, images):
    params, static = eqx.partition(state, eqx.is_array)

    def one(params, _):
        new, losses = trainer.step(eqx.combine(params, static), images)
        return eqx.filter(new, eqx.is_array), losses

    return jax.lax.scan(one, params, None, length=STEPS)[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform})")
    calls, built = {}, {}
    for source in ("chaos", "gaussian"):
        config = resolve_gan_config({"latent": {"source": source, "n": 512},
                                     "output": {"precision": "float32"}})
        trainer, state, images, _ = build(config)
        built[source] = (trainer, state)
        calls[f"{source}: {STEPS} steps, Python loop"] = _loop(trainer, state, images)
        calls[f"{source}: {STEPS} steps, lax.scan"] = (
            lambda t=trainer, s=state, i=images: _scan(t, s, i))
    trainer, state = built["chaos"]
    next_latent = eqx.filter_jit(trainer.source.next)
    forward = eqx.filter_jit(lambda g, r, z: gan_sample(g, r, z))
    z = next_latent(state.latent)[1]
    calls["chaos latent batch (B = 64, one interval)"] = lambda: next_latent(state.latent)
    calls["generator forward (B = 64)"] = lambda: forward(state.generator, state.running, z)
    best = best_times(calls, args.repeats)
    for name, seconds in best.items():
        rate = f"  ({STEPS / seconds:.1f} steps/s)" if "steps" in name else ""
        print(f"{name:48s} {1e3 * seconds:9.2f} ms{rate}")
    ratio = best["chaos latent batch (B = 64, one interval)"] / best["generator forward (B = 64)"]
    print(f"chaotic latent / generator forward: {ratio:.2f}")
    for source in ("chaos", "gaussian"):
        scan = best[f"{source}: {STEPS} steps, lax.scan"]
        loop = best[f"{source}: {STEPS} steps, Python loop"]
        print(f"{source}: lax.scan / Python loop time: {scan / loop:.2f}")


if __name__ == "__main__":
    main()
