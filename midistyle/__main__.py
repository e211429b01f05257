"""``python -m midistyle`` is the ``midistyle`` command."""

from midistyle.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
