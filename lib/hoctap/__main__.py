import sys

from hoctap.cli import main

sys.exit(main())
