"""Command line: `jaxchaos run [CONFIG]`, `jaxchaos resume RUN_DIR`, `jaxchaos show-config`."""

import argparse
import json
import sys
from pathlib import Path

from ._errors import ConfigError, DivergenceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaxchaos", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a config (default: the embedded gain sweep)")
    run.add_argument("config", nargs="?", help="TOML config file (omit for the embedded default)")
    run.add_argument("--out", help="run folder (default: <output.root>/<name>-<timestamp>)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    resume = commands.add_parser("resume", help="continue an interrupted run")
    resume.add_argument("folder", help="the run folder")
    resume.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    commands.add_parser("show-config", help="print the embedded default config, resolved")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    # Imported here so that `--help` and config errors do not wait for JAX.
    from ._config import default_config, load_config
    from ._run import execute, new_run_folder

    folder = None
    try:
        if args.command == "show-config":
            print(json.dumps(default_config(), indent=2))
            return 0
        if args.command == "run":
            config = load_config(args.config) if args.config else default_config()
            folder = new_run_folder(config, args.out)
            print(f"jaxchaos: run folder {folder}", file=sys.stderr)
        else:
            folder = Path(args.folder)
        folder = execute(folder, progress=not args.no_progress)
    except (ConfigError, DivergenceError) as err:
        print(f"jaxchaos: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = f"; continue with `jaxchaos resume {folder}`" if folder else ""
        print(f"\njaxchaos: interrupted{hint}", file=sys.stderr)
        return 130
    print(f"jaxchaos: results in {folder}")
    return 0
