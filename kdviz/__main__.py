"""python -m kdviz: the command line (kdviz.cli)."""
import sys

from kdviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
