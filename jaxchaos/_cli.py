"""Command line: `jaxchaos run [CONFIG]`, `jaxchaos resume RUN_DIR`, `jaxchaos show-config`,
`jaxchaos train-gan CONFIG`, `jaxchaos resume-gan RUN_DIR`, `jaxchaos train-rnn CONFIG`,
`jaxchaos resume-rnn RUN_DIR`."""

import argparse
import json
import sys
from pathlib import Path

from ._errors import ConfigError, DivergenceError

GAN_COMMANDS = ("train-gan", "resume-gan")
RNN_COMMANDS = ("train-rnn", "resume-rnn")


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
    gan = commands.add_parser("train-gan", help="train a GAN (e.g. configs/chaos_gan.toml)")
    gan.add_argument("config", help="TOML GAN config file")
    gan.add_argument("--out", help="run folder (default: <output.root>/<name>-<timestamp>)")
    gan.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    resume_gan = commands.add_parser("resume-gan", help="continue an interrupted GAN run")
    resume_gan.add_argument("folder", help="the GAN run folder")
    resume_gan.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    rnn = commands.add_parser("train-rnn", help="train RNNs with/without gradient flossing "
                              "(e.g. configs/flossing_copy.toml)")
    rnn.add_argument("config", help="TOML training config file")
    rnn.add_argument("--out", help="run folder (default: <output.root>/<name>-<timestamp>)")
    rnn.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    resume_rnn = commands.add_parser("resume-rnn", help="continue an interrupted RNN training")
    resume_rnn.add_argument("folder", help="the training run folder")
    resume_rnn.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    # Imported here so that `--help` and config errors do not wait for JAX.
    from ._config import default_config, load_config
    from ._run import execute, new_run_folder

    folder = None
    try:
        if args.command in GAN_COMMANDS:
            from ._gan_run import load_gan_config, new_gan_folder, train_gan

            folder = (new_gan_folder(load_gan_config(args.config), args.out)
                      if args.command == "train-gan" else Path(args.folder))
            folder = train_gan(folder, progress=not args.no_progress)
            print(f"jaxchaos: results in {folder}")
            return 0
        if args.command in RNN_COMMANDS:
            from ._training import load_training_config, new_training_folder, train

            folder = (new_training_folder(load_training_config(args.config), args.out)
                      if args.command == "train-rnn" else Path(args.folder))
            folder = train(folder, progress=not args.no_progress)
            print(f"jaxchaos: results in {folder}")
            return 0
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
        again = ("resume-gan" if args.command in GAN_COMMANDS
                 else "resume-rnn" if args.command in RNN_COMMANDS else "resume")
        hint = f"; continue with `jaxchaos {again} {folder}`" if folder else ""
        print(f"\njaxchaos: interrupted{hint}", file=sys.stderr)
        return 130
    print(f"jaxchaos: results in {folder}")
    return 0
