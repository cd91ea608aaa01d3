-- Schema of the `shopdb` SQLite connector (orders_api.flow.json). `nodeforge run` and
-- `nodeforge test` apply it through NODEFORGE_CONNECTOR_SHOPDB_SCHEMA; it must be idempotent.
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty > 0),
  customer_email TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'new',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- order_events.flow.json: each order once (its idempotency key), and every delivery.
CREATE TABLE IF NOT EXISTS processed_orders (
  idempotency_key TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS order_deliveries (
  idempotency_key TEXT NOT NULL,
  delivery INTEGER NOT NULL
);

-- customers_api.flow.json: one customer per email (phone NULL when not given) (a duplicate is answered 409 through
-- the portable SQL error code unique_violation); one taken address for its tests.
CREATE TABLE IF NOT EXISTS customers (
  email TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  phone TEXT
);
INSERT OR IGNORE INTO customers (email, name) VALUES ('taken@example.com', 'Taken');
