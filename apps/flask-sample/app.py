"""tierform sample app (seeds 000 and 001).

GET /        a Redis counter and a PostgreSQL/MySQL read, as JSON; each part degrades to "unavailable" (HTTP 200)
             when its service is down, so one failing dependency never takes the page down.
GET /health  200 while the process serves; it checks nothing else (nginx and Docker ask it often).
"""
import os
import socket

from flask import Flask, jsonify, request

import db

app = Flask(__name__)


def redis_count():
    host = os.environ.get("REDIS_HOST")
    if not host:
        return None
    try:
        import redis

        client = redis.Redis(host=host, port=int(os.environ.get("REDIS_PORT", "6379")), socket_timeout=1, socket_connect_timeout=1)
        return int(client.incr("tierform:hits"))
    except Exception:  # noqa: BLE001 - degrade, never fail the request
        return "unavailable"


def database_visits():
    if not db.configured():
        return None
    try:
        conn = db.connect(timeout=2)
        try:
            cur = conn.cursor()
            cur.execute("INSERT INTO visits (path) VALUES (%s)", (request.path,))
            cur.execute("SELECT COUNT(*) FROM visits")
            count = int(cur.fetchone()[0])
            conn.commit()
            return count
        finally:
            conn.close()
    except Exception:  # noqa: BLE001
        return "unavailable"


@app.get("/health")
def health():
    return "ok\n", 200, {"Content-Type": "text/plain"}


@app.get("/")
def index():
    hits = redis_count()
    visits = database_visits()
    degraded = "unavailable" in (hits, visits)
    return jsonify(container=socket.gethostname(), redis_hits=hits, database_visits=visits, degraded=degraded)
