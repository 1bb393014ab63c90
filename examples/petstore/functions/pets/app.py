"""The petstore's Lambda function: a Lambda proxy handler (REST payload format 1.0)."""

import json

PETS = [
    {"id": "1", "type": "dog", "name": "Rex"},
    {"id": "2", "type": "cat", "name": "Tom"},
    {"id": "3", "type": "fish", "name": "Nemo"},
]


def _respond(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event, context):
    method = event["httpMethod"]
    pet_id = (event.get("pathParameters") or {}).get("petId")
    if method == "GET" and pet_id:
        pet = next((p for p in PETS if p["id"] == pet_id), None)
        return _respond(200, pet) if pet else _respond(404, {"message": f"no pet {pet_id}"})
    if method == "GET":
        wanted = (event.get("queryStringParameters") or {}).get("type")
        return _respond(200, [p for p in PETS if not wanted or p["type"] == wanted])
    if method == "POST":
        pet = json.loads(event.get("body") or "{}")
        pet["id"] = str(len(PETS) + 1)
        return _respond(201, pet)
    return _respond(405, {"message": f"{method} is not allowed"})
