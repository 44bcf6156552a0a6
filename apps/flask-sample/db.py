"""Database access for the tierform sample app: PostgreSQL (psycopg2) or MySQL (PyMySQL), chosen by DB_ENGINE.

Configuration comes from the environment: DB_ENGINE (postgres | mysql), DB_HOST, DB_PORT, DB_NAME, DB_USER and
DB_PASSWORD_FILE (a file holding the password; the Docker provider uploads it, so it is not in the environment).
Drivers are imported when first used, so the app starts (and degrades) without them.
"""
import os


def configured():
    return bool(os.environ.get("DB_HOST"))


def password():
    path = os.environ.get("DB_PASSWORD_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return os.environ.get("DB_PASSWORD", "")


def connect(timeout=3):
    engine = os.environ.get("DB_ENGINE", "postgres")
    host = os.environ["DB_HOST"]
    name = os.environ.get("DB_NAME", "app")
    user = os.environ.get("DB_USER", "app")
    if engine == "postgres":
        import psycopg2

        port = int(os.environ.get("DB_PORT", "5432"))
        return psycopg2.connect(host=host, port=port, dbname=name, user=user, password=password(), connect_timeout=timeout)
    if engine == "mysql":
        import pymysql

        port = int(os.environ.get("DB_PORT", "3306"))
        return pymysql.connect(host=host, port=port, database=name, user=user, password=password(), connect_timeout=timeout)
    raise ValueError("DB_ENGINE must be postgres or mysql, got " + engine)
