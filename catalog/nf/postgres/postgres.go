// Package postgres registers the PostgreSQL driver (github.com/jackc/pgx/v5) as "pgx";
// generated apps import it when a flow uses a postgres connector.
package postgres

import _ "github.com/jackc/pgx/v5/stdlib" // the driver registers itself
