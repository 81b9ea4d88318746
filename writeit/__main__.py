"""`python -m writeit` runs the `writeit` command."""

from writeit.cli import main

raise SystemExit(main())
