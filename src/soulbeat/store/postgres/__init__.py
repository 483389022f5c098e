"""The store protocols on PostgreSQL (psycopg 3 async + psycopg_pool): `PostgresStore`."""

from soulbeat.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
