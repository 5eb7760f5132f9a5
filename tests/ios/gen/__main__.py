"""``python -m tests.ios.gen OUT --scenario NAME [--encrypted PASSWORD] [--damage NAME]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.ios.gen import DAMAGES, SCENARIOS, write_backup


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.ios.gen", description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write the <UDID> backup folder into")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="benign")
    parser.add_argument("--encrypted", metavar="PASSWORD", help="encrypt with this password")
    parser.add_argument("--damage", choices=sorted(DAMAGES), help="damage the written backup")
    args = parser.parse_args()
    folder = write_backup(args.out, SCENARIOS[args.scenario](), password=args.encrypted)
    if args.damage:
        DAMAGES[args.damage](folder)
    parser.exit(0, f"{folder}\n")


if __name__ == "__main__":
    main()
