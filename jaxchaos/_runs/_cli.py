"""Command line: `jaxchaos run [CONFIG]`, `jaxchaos resume RUN_DIR`, `jaxchaos show-config`.

A config's top-level `job` key says what it runs: a simulation or spectrum sweep (the default),
RNN training with gradient flossing, GAN training, or deep-net signal propagation (`_jobs`)."""

import argparse
import json
import os
import sys
import time

from .._core._errors import ConfigError, DivergenceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaxchaos", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a config (default: the embedded gain sweep)")
    run.add_argument("config", nargs="?", help="TOML config file (omit for the embedded default)")
    run.add_argument("--out", help="run folder (default: <output.root>/<name>-<timestamp>)")
    resume = commands.add_parser("resume", help="continue an interrupted run of any job")
    resume.add_argument("folder", help="the run folder")
    for command in (run, resume):
        command.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        command.add_argument("--compilation-cache", metavar="DIR",
                             help="folder of JAX's persistent compilation cache, or 'off' "
                                  "(default: $JAXCHAOS_CACHE_DIR, else ~/.cache/jaxchaos/jax)")
    commands.add_parser("show-config", help="print the embedded default config, resolved")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    # Imported here so that `--help` and config errors do not wait for JAX.
    from ._jobs import execute_run, start_run
    from ._sweep_config import default_config

    if args.command == "show-config":
        try:
            print(json.dumps(default_config(), indent=2), flush=True)
        except BrokenPipeError:  # `jaxchaos show-config | head`: the reader left early
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    folder = None
    try:
        if args.command == "run":
            folder = start_run(args.config, args.out)
            print(f"jaxchaos: run folder {folder}", file=sys.stderr)
        else:
            folder = args.folder
        # The config was resolved and checked without JAX; its size check (device memory) in
        # `start_run` and everything from here on import it.
        from .._core._threads import xla_lapack_single_threaded
        from ._compile_cache import CompileTimer, cache_folder, enable_compilation_cache

        cache = enable_compilation_cache(cache_folder(args.compilation_cache))
        timer, started = CompileTimer(), time.perf_counter()
        with xla_lapack_single_threaded():
            folder = execute_run(folder, progress=not args.no_progress)
    except (ConfigError, DivergenceError) as err:
        print(f"jaxchaos: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = f"; continue with `jaxchaos resume {folder}`" if folder else ""
        print(f"\njaxchaos: interrupted{hint}", file=sys.stderr)
        return 130
    print(f"jaxchaos: {timer.summary(time.perf_counter() - started, cache)}", file=sys.stderr)
    print(f"jaxchaos: results in {folder}")
    return 0
