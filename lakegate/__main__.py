from lakegate.cli import main

raise SystemExit(main())
