"""python -m kdviz: the command line (kdviz.cli)."""
import sys

from kdviz.cli import main

sys.exit(main())
