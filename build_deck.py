"""Build dist/*.apkg from the Markdown in content/: see README.md."""

import sys

from deckbuilder.cli import main

if __name__ == "__main__":
    sys.exit(main())
