"""One-shot migration of the tierform sample app: waits for the database (bounded), then creates its tables.

Idempotent (CREATE TABLE IF NOT EXISTS and a schema_migrations row per step), so running it again on a new image
is harmless. Exit status 0 when the schema is current, 1 when the database never answered.
"""
import sys
import time

import db

STEPS = [
    ("001_visits", "CREATE TABLE IF NOT EXISTS visits (id SERIAL PRIMARY KEY, path VARCHAR(255) NOT NULL, at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"),
]
MYSQL_STEPS = [
    ("001_visits", "CREATE TABLE IF NOT EXISTS visits (id INTEGER AUTO_INCREMENT PRIMARY KEY, path VARCHAR(255) NOT NULL, at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"),
]


def wait_for_database(attempts=30, delay=2.0):
    for attempt in range(1, attempts + 1):
        try:
            return db.connect()
        except Exception as error:  # noqa: BLE001 - any driver error means "not yet"
            print("migrate: database not ready (attempt %d/%d): %s" % (attempt, attempts, error), file=sys.stderr)
            time.sleep(delay)
    return None


def main():
    if not db.configured():
        print("migrate: no DB_HOST, nothing to do", file=sys.stderr)
        return 0
    conn = wait_for_database()
    if conn is None:
        print("migrate: the database never answered", file=sys.stderr)
        return 1
    import os

    steps = MYSQL_STEPS if os.environ.get("DB_ENGINE") == "mysql" else STEPS
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(64) PRIMARY KEY)")
    for name, statement in steps:
        cur.execute("SELECT 1 FROM schema_migrations WHERE name = %s", (name,))
        if cur.fetchone():
            continue
        cur.execute(statement)
        cur.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
        print("migrate: applied " + name, file=sys.stderr)
    conn.commit()
    conn.close()
    print("migrate: schema is current", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
