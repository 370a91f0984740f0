#!/usr/bin/env python3
"""Fuzzes the running stack's API with schemathesis against its own /v1/openapi.json.

Usage: scripts/api-fuzz.py BASE_URL [SECONDS]

Sets a small world up through the API (a supplier and its customer with an active
relationship, an order in the supplier's inbox, a proof on it, a thread, a multipart upload,
a webhook endpoint, a colleague, an API key, a received business card; the confirmation links
come from the local mailbox, /v1/dev/mail), then runs schemathesis for about SECONDS
(default 120) as the supplier's admin, with the world's ids as the path parameters, checking
that every answer is documented (status, content type, schema) and never a server error.
Exits non-zero on any failure. The dev-only /v1/dev/* endpoints are left out. Reports (JUnit)
go to test-artifacts/schemathesis/.
"""

import json
import os
import secrets
import subprocess
import sys
import urllib.request

CHECKS = (
    "not_a_server_error,status_code_conformance,"
    "content_type_conformance,response_schema_conformance"
)

ORDER = b"""<?xml version="1.0" encoding="UTF-8"?>
<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>PO-FUZZ</cbc:ID><cbc:IssueDate>2026-12-01</cbc:IssueDate></Order>"""


class Api:
    def __init__(self, base, token=None):
        self.base = base
        self.token = token

    def call(self, method, path, body=None, raw=None, headers=None):
        data = json.dumps(body).encode() if body is not None else raw
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            request.add_header("content-type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if self.token:
            request.add_header("authorization", "Bearer " + self.token)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"null")


def sign_up(base, handle):
    """A confirmed, logged-in company admin."""
    email = f"admin@{handle}.example"
    password = "fuzzing passphrase " + secrets.token_hex(4)
    anonymous = Api(base)
    company = anonymous.call("POST", "/v1/auth/signup", {
        "company_name": "Fuzz " + handle, "handle": handle, "name": "Fuzz Admin",
        "email": email, "password": password,
    })["company"]
    mail = anonymous.call("GET", "/v1/dev/mail?to=" + email)
    token = mail["data"][0]["link"].split("token=")[1]
    anonymous.call("POST", "/v1/auth/confirm", {"token": token})
    login = anonymous.call("POST", "/v1/auth/login", {"email": email, "password": password})
    return company, Api(base, login["access_token"])


def world(base):
    """The supplier's admin and the ids of what it deals with, by path parameter."""
    tag = secrets.token_hex(3)
    supplier, sup = sign_up(base, "fuzz-supplier-" + tag)
    customer, cus = sign_up(base, "fuzz-customer-" + tag)
    rel = sup.call("POST", "/v1/relationships", {"handle": customer["handle"], "my_role": "supplier"})
    cus.call("POST", f"/v1/relationships/{rel['id']}/approve")
    order = cus.call("POST", "/v1/documents", raw=ORDER, headers={
        "content-type": "application/xml", "tradepost-recipient": supplier["handle"],
        "tradepost-type": "order", "tradepost-filename": "PO-FUZZ.xml",
    })
    proof = sup.call("POST", f"/v1/documents/{order['id']}/proofs", raw=b"%PDF-1.7 fuzz",
                     headers={"content-type": "application/pdf", "tradepost-filename": "proof.pdf"})
    thread = cus.call("POST", "/v1/threads", {
        "partner": supplier["handle"], "subject": "Fuzz", "text": "Hello", "document_id": order["id"],
    })
    upload = sup.call("POST", "/v1/uploads", {
        "recipient": customer["handle"], "type": "order_response", "filename": "big.xml",
    })
    webhook = sup.call("POST", "/v1/webhooks", {"url": "https://hooks.fuzz.example/tradepost"})
    colleague = sup.call("POST", "/v1/users", {"email": f"bea@{tag}.fuzz.example", "name": "Bea"})
    key = sup.call("POST", "/v1/api-keys", {"name": "Fuzz ERP", "permissions": ["documents.receive"]})
    cus.call("PUT", "/v1/cards/me", {"name": "Fuzz Customer"})
    contact = cus.call("POST", "/v1/cards/me/send", {"company_id": supplier["id"]})
    ids = {
        r"^/v1/documents/\{id\}": order["id"],
        r"^/v1/approvals/\{id\}": proof["id"],
        r"^/v1/threads/\{id\}": thread["id"],
        r"^/v1/uploads/\{id\}": upload["id"],
        r"^/v1/webhooks/\{id\}": webhook["id"],
        r"^/v1/users/\{id\}": colleague["id"],
        r"^/v1/api-keys/\{id\}": key["id"],
        r"^/v1/relationships/\{id\}": rel["id"],
        r"^/v1/companies/\{id\}": customer["id"],
        r"^/v1/contacts/\{id\}": contact["contact_id"],
    }
    return sup.token, ids


def config(ids):
    """A schemathesis.toml binding each path's ids to the world's."""
    lines = ["[cache]", "enabled = false", ""]
    for regex, value in ids.items():
        lines += [
            "[[operations]]",
            "include-path-regex = " + json.dumps(regex),
            'parameters = { "path.id" = ' + json.dumps(value) + " }",
            "",
        ]
    return "\n".join(lines)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    base = sys.argv[1].rstrip("/")
    seconds = sys.argv[2] if len(sys.argv) > 2 else "120"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    reports = os.path.join(root, "test-artifacts", "schemathesis")
    os.makedirs(reports, exist_ok=True)
    token, ids = world(base)
    config_path = os.path.join(reports, "schemathesis.toml")
    with open(config_path, "w", encoding="utf-8") as f:
        f.write(config(ids))
    schemathesis = os.path.join(root, ".venv", "bin", "schemathesis")
    command = [
        schemathesis, "--config-file", config_path, "run", base + "/v1/openapi.json",
        "-H", "Authorization: Bearer " + token,
        "--checks", CHECKS,
        "--exclude-path-regex", "^/v1/dev/",
        "--phases", "examples,coverage,fuzzing",
        "--generation-with-security-parameters", "false",
        "--max-time", seconds,
        "--request-timeout", "20",
        "--seed", "1",
        "--generation-database", "none",
        "--report", "junit",
        "--report-junit-path", os.path.join(reports, "junit.xml"),
    ]
    # Run inside the reports directory: schemathesis keeps its caches in the working directory.
    sys.exit(subprocess.call(command, cwd=reports))


if __name__ == "__main__":
    main()
