// Package sqlite registers the pure-Go SQLite driver (modernc.org/sqlite) as "sqlite";
// generated apps import it when a flow uses a sqlite connector.
package sqlite

import _ "modernc.org/sqlite" // the driver registers itself
