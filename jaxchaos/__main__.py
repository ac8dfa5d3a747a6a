import sys

from ._runs._cli import main

sys.exit(main())
