"""The chat room's Lambda handlers, after AWS's simple-websockets-chat-app.

AWS's sample keeps connection ids in DynamoDB; here they are rows of a SQLite file in the
directory named by CHAT_DATA_DIR, which every worker process of every function shares.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config


@contextlib.contextmanager
def _table() -> Iterator[sqlite3.Connection]:
    path = os.path.join(os.environ["CHAT_DATA_DIR"], "connections.sqlite3")
    # Autocommit; the timeout waits out another worker's write.
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS connections (connection_id TEXT PRIMARY KEY)")
        yield db
    finally:
        db.close()


def _management(event: dict[str, Any]) -> Any:
    """The @connections client of the stage the event came from: as AWS's sample builds it
    from domainName and stage, but with CHAT_SCHEME (http on Tollway, https on AWS)."""
    ctx = event["requestContext"]
    scheme = os.environ.get("CHAT_SCHEME", "http")
    config = Config(signature_version=UNSIGNED) if scheme == "http" else None
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{scheme}://{ctx['domainName']}/{ctx['stage']}",
        config=config,
    )


def on_connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _table() as db:
        db.execute(
            "INSERT OR IGNORE INTO connections VALUES (?)",
            (event["requestContext"]["connectionId"],),
        )
    return {"statusCode": 200, "body": "Connected."}


def on_disconnect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _table() as db:
        db.execute(
            "DELETE FROM connections WHERE connection_id = ?",
            (event["requestContext"]["connectionId"],),
        )
    return {"statusCode": 200, "body": "Disconnected."}


def send_message(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"action": "sendmessage", "data": "..."}: data goes to every connection."""
    data = json.loads(event["body"]).get("data", "")
    management = _management(event)
    with _table() as db:
        connections = [row[0] for row in db.execute("SELECT connection_id FROM connections")]
        for connection_id in connections:
            try:
                management.post_to_connection(ConnectionId=connection_id, Data=str(data).encode())
            except management.exceptions.GoneException:
                # That client left without its $disconnect being seen yet.
                db.execute("DELETE FROM connections WHERE connection_id = ?", (connection_id,))
    return {"statusCode": 200, "body": "Data sent."}


def default(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Any other message: tell the sender how to chat, as AWS's sample does."""
    connection_id = event["requestContext"]["connectionId"]
    management = _management(event)
    info = management.get_connection(ConnectionId=connection_id)
    reply = {
        "message": "Use the sendmessage route to send a message.",
        "connectionId": connection_id,
        "connectedAt": info["ConnectedAt"].isoformat(),
    }
    management.post_to_connection(ConnectionId=connection_id, Data=json.dumps(reply).encode())
    return {"statusCode": 200}
