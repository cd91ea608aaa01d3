from nodeforge.cli import main

raise SystemExit(main())
