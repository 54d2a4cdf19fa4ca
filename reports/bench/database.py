"""The benchmark's own PostgreSQL database, next to the one DATABASE_URL names.

Imported before Django is set up: nothing here touches settings or models.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg2
from psycopg2 import sql

POSTGRESQL = "django.db.backends.postgresql"
MAINTENANCE_DATABASE = "postgres"


class BenchDatabaseError(RuntimeError):
    """The benchmark cannot run against this server; the message says why and what to do."""


def bench_database_url(database_url: str | None, name: str) -> str:
    """DATABASE_URL with its database replaced by ``name``; refuses anything but PostgreSQL."""
    if not database_url:
        raise BenchDatabaseError(
            "基准测试需要 PostgreSQL：请设置 DATABASE_URL，例如 "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/xixian make bench"
        )
    engine = dj_database_url.parse(database_url)["ENGINE"]
    if engine != POSTGRESQL:
        raise BenchDatabaseError(
            f"基准测试只在 PostgreSQL 上运行，DATABASE_URL 指向的是 {engine}。"
            "SQLite 的数字不能代表生产环境，请改用 postgres://… 地址。"
        )
    if "bench" not in name:
        # The database is dropped and recreated: a name without "bench" is most likely a typo
        # for a real database.
        raise BenchDatabaseError(f"基准测试数据库名必须包含 bench（会被删除重建），收到 {name!r}。")
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_recreate(database_url: str) -> str:
    """Drop and create the database of ``database_url`` on its server; returns the server version.

    Connects to the server's maintenance database, since the one to drop cannot be in use.
    """
    config = dj_database_url.parse(database_url)
    name = config["NAME"]
    try:
        connection = psycopg2.connect(
            dbname=MAINTENANCE_DATABASE, user=config["USER"] or None, password=config["PASSWORD"] or None,
            host=config["HOST"] or None, port=config["PORT"] or None,
        )
    except psycopg2.OperationalError as exc:
        raise BenchDatabaseError(f"无法连接 PostgreSQL 服务器：{exc}".strip()) from exc
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        connection.close()
