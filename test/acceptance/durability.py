"""A client that commits numbered rows and records exactly which commits were acknowledged.

One autocommit INSERT per row, each row id used once. A commit counts as acknowledged only when the
server answered success without the "canceling wait for synchronous replication" warning: with
that warning PostgreSQL reports success for a row that exists on the old primary only (CLUSTER-FACTS
15), so such a row is recorded as unknown, never as acknowledged. A commit that raised an error is
unknown too: it may or may not exist afterwards, and the check never counts it either way.
"""
import threading
import time

import psycopg2
from psycopg2 import sql

SYNC_WAIT_CANCELLED = "canceling wait for synchronous replication"

TABLE = "pgha_durability"


def connect(host, password, ca_file, dbname="postgres", timeout=3, user="postgres", port=5432):
    """A verified connection (sslmode=verify-full against the cluster's CA), as the superuser unless told."""
    conn = psycopg2.connect(host=host, port=port, dbname=dbname, user=user, password=password,
                            sslmode="verify-full", sslrootcert=str(ca_file), connect_timeout=timeout,
                            keepalives=1, keepalives_idle=2, keepalives_interval=1, keepalives_count=3)
    conn.autocommit = True
    return conn


def query_one(host, password, ca_file, sql, timeout=3, user="postgres"):
    """The first row `sql` returns on `host`, or None when the server does not answer it."""
    try:
        conn = connect(host, password, ca_file, timeout=timeout, user=user)
    except psycopg2.Error:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()
    except psycopg2.Error:
        return None
    finally:
        conn.close()


def create_table(host, password, ca_file, user="postgres"):
    with connect(host, password, ca_file, user=user) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigint PRIMARY KEY, at timestamptz DEFAULT now())")
    conn.close()


def ensure_login(host, superuser_password, ca_file, user, password):
    """Creates `user` with `password` on `host` (the leader) as the superuser, allowed to create tables in
    public; True once it exists. Applications log in as such a user: the superuser only from members."""
    try:
        conn = connect(host, superuser_password, ca_file)
    except psycopg2.Error:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password)))
                cur.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(user)))
        return True
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def present_ids(host, password, ca_file, ids):
    conn = connect(host, password, ca_file)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT id FROM {TABLE} WHERE id = ANY(%s)", (list(ids),))
            return {row[0] for row in cur.fetchall()}
    finally:
        conn.close()


class Writer:
    """Writes rows first_id, first_id + 1, ... through `host` on a thread until stop()."""

    def __init__(self, host, password, ca_file, first_id, user="postgres"):
        self.host, self.password, self.ca_file, self.user = host, password, ca_file, user
        self.next_id = first_id
        self.acked = {}  # id -> (time.monotonic() of the ack, address of the server that acked)
        self.unknown = set()
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the writer is stuck in a commit"

    def acks_from(self, server_not, since):
        """Acks after `since` from a server other than `server_not`, oldest first."""
        return sorted(t for t, server in list(self.acked.values()) if t >= since and server != server_not)

    def _run(self):
        conn = None
        while not self._stop.is_set():
            if conn is None:
                try:
                    conn = connect(self.host, self.password, self.ca_file, user=self.user)
                except psycopg2.Error as error:
                    self.errors.append(str(error).strip())
                    time.sleep(0.2)
                    continue
            row = self.next_id
            self.next_id += 1
            try:
                with conn.cursor() as cur:
                    cur.execute(f"INSERT INTO {TABLE} (id) VALUES (%s) RETURNING host(inet_server_addr())", (row,))
                    server = cur.fetchone()[0]
                if any(SYNC_WAIT_CANCELLED in notice for notice in conn.notices):
                    self.unknown.add(row)
                else:
                    self.acked[row] = (time.monotonic(), server)
                del conn.notices[:]
            except psycopg2.Error as error:
                self.unknown.add(row)
                self.errors.append(str(error).strip())
                try:
                    conn.close()
                except psycopg2.Error:
                    pass
                conn = None
                time.sleep(0.1)
        if conn is not None:
            conn.close()
